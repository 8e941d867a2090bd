// Bounded memory: a record or line larger than the limit is refused as soon as the reader has seen
// that much, never loaded whole. The feed here is a lazy 2 GB stream without a single line break:
// if a reader waited for the end of the line, the test would run out of memory or time.
import { expect, test } from "bun:test";
import { READERS, ReaderError, type ReaderLimits } from "../../src/control/index.ts";
import { errorOf } from "./helpers.ts";

const TWO_GB = 2 * 1024 ** 3;
const CHUNK = 1024 * 1024;
const LIMITS: ReaderLimits = { maxRecordChars: 4 * 1024 * 1024 };

/** `head`, then `fill` repeated up to 2 GB (generated as it is read), counting the bytes pulled. */
function endless(head: string, fill: string) {
  const counter = { pulled: 0 };
  const block = new TextEncoder().encode(fill.repeat(Math.ceil(CHUNK / fill.length)).slice(0, CHUNK));
  async function* source(): AsyncGenerator<Uint8Array> {
    const first = new TextEncoder().encode(head);
    counter.pulled += first.length;
    yield first;
    while (counter.pulled < TWO_GB) {
      counter.pulled += block.length;
      yield block;
    }
  }
  return { source: source(), counter };
}

for (const [reader, head, fill, message] of [
  ["tsv-with-name-row", "id\tname\n1\t", "x", "Line 2 is longer than"],
  ["csv", "id,name\n1,", "x", "A record is larger than"],
  ["csv", 'id,name\n1,"', "x", "A record is larger than"],
  ["json", '[{"id": "', "x", "Record 1 is larger than"],
  ["xml-text-of-children", "<people><person><id>", "x", "Record 1 is larger than"],
  ["xml-attributes", '<people><person id="', "x", "Record 1 is larger than"],
  ["xml-text-of-children", "<!--", "x", "of XML without a complete record"],
] as const) {
  test(`${reader} refuses a 2 GB ${head.slice(-1) === '"' ? "quoted value" : "value"} without reading it whole (${JSON.stringify(head)}…)`, async () => {
    const { source, counter } = endless(head, fill);
    const error = await errorOf(async () => {
      for await (const _ of READERS[reader]!.read(source, { read: reader }, LIMITS)) {
      }
    });
    expect(error).toBeInstanceOf(ReaderError);
    expect(error.message).toContain(message);
    // refused within a few chunks past the limit, not at the end of the 2 GB
    expect(counter.pulled).toBeLessThan(LIMITS.maxRecordChars + 4 * CHUNK);
  });
}

test("the default limit lets a large but reasonable record through", async () => {
  const big = "y".repeat(1024 * 1024);
  const text = new TextEncoder().encode(`id\tbio\n1\t${big}\n`);
  async function* once() {
    yield text;
  }
  const records: unknown[] = [];
  for await (const batch of READERS["tsv-with-name-row"]!.read(once(), { read: "tsv-with-name-row" })) records.push(...batch.records);
  expect(records).toEqual([{ id: "1", bio: big }]);
});
