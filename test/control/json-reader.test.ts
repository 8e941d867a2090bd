// The streaming JSON reader: the same records as JSON.parse, however the bytes are split.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { READERS, ReaderError, type RecordBatch } from "../../src/control/index.ts";

async function* chunks(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => Math.min(bytes.length, c)))].sort((a, b) => a - b)) {
    if (cut > start) yield bytes.slice(start, cut);
    start = Math.max(start, cut);
  }
  if (start < bytes.length) yield bytes.slice(start);
}

async function readAll(text: string, cuts: number[] = [], spec: object = {}): Promise<{ records: unknown[]; lines: number[] }> {
  const records: unknown[] = [];
  const lines: number[] = [];
  for await (const batch of READERS.json!.read(chunks(new TextEncoder().encode(text), cuts), { read: "json", ...spec }) as AsyncGenerator<RecordBatch>) {
    records.push(...batch.records);
    lines.push(...batch.lines);
  }
  return { records, lines };
}

test("reads every element of a top-level array, whatever the chunk boundaries", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.jsonValue(), { maxLength: 20 }), fc.array(fc.nat(400), { maxLength: 12 }), fc.boolean(), async (values, cuts, pretty) => {
      const text = JSON.stringify(values, null, pretty ? 2 : undefined);
      const { records } = await readAll(text, cuts);
      expect(records).toEqual(JSON.parse(text));
    }),
    { numRuns: 300 },
  );
});

test("reads the values of a top-level object as records", async () => {
  await fc.assert(
    fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 10 }), fc.array(fc.nat(300), { maxLength: 8 }), async (object, cuts) => {
      const text = JSON.stringify(object);
      const { records } = await readAll(text, cuts);
      expect(records).toEqual(Object.values(JSON.parse(text)));
    }),
    { numRuns: 200 },
  );
});

test("singleRecord makes the whole document one record", async () => {
  const { records } = await readAll('{"a": [1, 2], "b": {"c": "d"}}', [], { singleRecord: true });
  expect(records).toEqual([{ a: [1, 2], b: { c: "d" } }]);
});

test("strips a UTF-8 byte-order mark and knows each record's line", async () => {
  const { records, lines } = await readAll('\ufeff[\n  {"a": 1},\n\n  {"b": 2}\n]\n');
  expect(records).toEqual([{ a: 1 }, { b: 2 }]);
  expect(lines).toEqual([2, 4]);
});

for (const [name, text, message] of [
  ["a trailing comma", '[{"a": 1},]', 'Expected a record but found "]" (a trailing comma?)'],
  ["a truncated file", '[{"a": 1}, {"b": ', "The JSON document ends early, after 1 complete record(s): the file is truncated or malformed"],
  ["an empty file", "", "The file is empty: no JSON document"],
  ["text after the document", '[{"a": 1}] trailing', 'Unexpected "t" after the end of the JSON document'],
  ["a missing comma", '[{"a": 1} {"b": 2}]', 'Expected "," or "]" after record 1 but found "{"'],
  ["a bad record", '[{"a": 1}, {"b": tru}]', "Record 2 is not valid JSON"],
  ["a scalar document", '"just a string"', "A JSON feed must be an array of records or an object whose values are records"],
] as const) {
  test(`refuses ${name} with a clear error`, async () => {
    let error: unknown;
    try {
      await readAll(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as Error).message).toContain(message);
  });
}

test("refuses invalid UTF-8", async () => {
  const bytes = new Uint8Array([0x5b, 0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x5d]);
  let error: unknown;
  try {
    for await (const _ of READERS.json!.read(chunks(bytes, []), { read: "json" })) {
    }
  } catch (e) {
    error = e;
  }
  expect((error as Error).message).toContain("not valid UTF-8");
});

test("a record larger than the limit is refused, not loaded", async () => {
  const big = `[{"a": "${"x".repeat(2000)}"}]`;
  let error: unknown;
  try {
    for await (const _ of READERS.json!.read(chunks(new TextEncoder().encode(big), [100, 500, 900]), { read: "json" }, { maxRecordChars: 1000 })) {
    }
  } catch (e) {
    error = e;
  }
  expect((error as Error).message).toContain("Record 1 is larger than 1000 characters");
});
