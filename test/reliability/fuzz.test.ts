// Hostile input, fuzzed with fast-check (seeded): every reader fed arbitrary bytes and mutated
// near-valid files, cut into chunks anywhere, never throws anything but ReaderError and never takes
// long; control-file validation fed arbitrary JSON values and mutated real control files never
// throws and always answers ok or problems. Then the hand-made extremes: nesting 100,000 deep,
// a 64 MB line without a line break (memory bounded), 200 records of 1 MB each (never all in one
// batch), invalid UTF-8 in each reader.
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { feedControl } from "../../bench/feed.ts";
import { checkControl, checkControlText, compileEnvironment, ControlFileError, loadControl, READERS, ReaderError, type ReaderLimits } from "../../src/control/index.ts";
import { chunks } from "../control/helpers.ts";
import { recordFigures, SEED } from "./helpers.ts";

const RUNS = Number(process.env.RELIABILITY_FUZZ_RUNS ?? 400);
/** No single case may take longer than this (they take well under a millisecond each). */
const CASE_BOUND_MS = 2000;
const READER_NAMES = ["json", "xml-text-of-children", "xml-attributes", "tsv-with-name-row", "csv"] as const;
const figures: Record<string, unknown> = {};
afterAll(() => recordFigures("fuzz", "hostile input: readers and control files", figures));

async function readAll(reader: string, bytes: Uint8Array, cuts: number[], limits?: ReaderLimits): Promise<number> {
  let n = 0;
  for await (const batch of READERS[reader]!.read(chunks(bytes, cuts), { read: reader }, limits)) n += batch.records.length;
  return n;
}

/** Reads, and classifies the outcome: records, or our clear error. Anything else fails the property. */
async function outcome(reader: string, bytes: Uint8Array, cuts: number[], stats: { ok: number; refused: number; slowest: number }): Promise<boolean> {
  const started = performance.now();
  try {
    await readAll(reader, bytes, cuts);
    stats.ok++;
  } catch (error) {
    if (!(error instanceof ReaderError)) throw new Error(`${reader} threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
    if (!error.message) throw new Error(`${reader} threw a ReaderError without a message`);
    stats.refused++;
  }
  const took = performance.now() - started;
  stats.slowest = Math.max(stats.slowest, took);
  return took < CASE_BOUND_MS;
}

const text = fc.string({ unit: fc.oneof(fc.constantFrom("<", ">", "&", '"', "'", "\t", ",", "\n", "\r", "\\", "{", "}", "[", "]", ":", "=", " ", "\u0000", "\uFEFF", "é", "😀"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), maxLength: 20 });
const field = fc.constantFrom("id", "first", "last", "email", "groups", "x y", "a:b", "");
const records = fc.array(fc.dictionary(field, fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }))), { maxLength: 8 });

/** A valid file of the reader's format from generated records. */
function render(reader: string, rows: Record<string, unknown>[]): string {
  const str = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  const esc = (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  switch (reader) {
    case "json":
      return JSON.stringify(rows, null, 1);
    case "xml-text-of-children":
      return `<?xml version="1.0"?>\n<people>${rows.map((r) => `<p>${Object.entries(r).map(([k, v]) => (/^[a-z]+$/.test(k) ? `<${k}>${esc(str(v))}</${k}>` : "")).join("")}</p>`).join("\n")}</people>`;
    case "xml-attributes":
      return `<people>${rows.map((r) => `<p ${Object.entries(r).map(([k, v]) => (/^[a-z]+$/.test(k) ? `${k}="${esc(str(v))}"` : "")).join(" ")}/>`).join("\n")}</people>`;
    case "tsv-with-name-row":
      return [keys.join("\t"), ...rows.map((r) => keys.map((k) => str(r[k] ?? "").replace(/[\t\n\r]/g, " ")).join("\t"))].join("\n");
    default:
      return [keys.join(","), ...rows.map((r) => keys.map((k) => `"${str(r[k] ?? "").replace(/"/g, '""')}"`).join(","))].join("\n");
  }
}

/** Mutations of a valid file: cut short, bytes flipped, inserted, deleted, a slice repeated. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("repeat" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 2, max: 50 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Buffer.from(bytes);
  for (const m of ms) {
    const at = b.length ? m.at % (b.length + 1) : 0;
    if (m.kind === "truncate") b = b.subarray(0, at);
    else if (m.kind === "flip" && b.length) b[at % b.length] = m.byte;
    else if (m.kind === "insert") b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.kind === "delete") b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
    else if (m.kind === "repeat") b = Buffer.concat([b.subarray(0, at), ...Array(m.times).fill(b.subarray(at, at + m.length)), b.subarray(at)]);
  }
  return new Uint8Array(b);
}

const cuts = fc.array(fc.nat({ max: 4000 }), { maxLength: 6 });

describe("readers fuzzed", () => {
  for (const reader of READER_NAMES) {
    test(`${reader}: arbitrary bytes and mutated near-valid files give records or a ReaderError, quickly`, async () => {
      const stats = { ok: 0, refused: 0, slowest: 0 };
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), cuts, (bytes, at) => outcome(reader, bytes, at, stats)),
        { seed: SEED, numRuns: RUNS },
      );
      await fc.assert(
        fc.asyncProperty(records, fc.array(mutation, { minLength: 0, maxLength: 4 }), cuts, (rows, ms, at) =>
          outcome(reader, mutate(new TextEncoder().encode(render(reader, rows)), ms), at, stats),
        ),
        { seed: SEED + 1, numRuns: RUNS * 2 },
      );
      expect(stats.ok + stats.refused).toBe(RUNS * 3);
      // both outcomes were reached: the generator is not stuck on one side
      expect(stats.ok).toBeGreaterThan(0);
      expect(stats.refused).toBeGreaterThan(0);
      figures[reader] = { inputs: RUNS * 3, read: stats.ok, refusedWithReaderError: stats.refused, otherErrors: 0, slowestCaseMs: Math.round(stats.slowest * 10) / 10, boundMs: CASE_BOUND_MS };
    }, 120_000);
  }
});

describe("control-file validation fuzzed", () => {
  const env = compileEnvironment({});
  const valid = JSON.parse(feedControl()) as Record<string, unknown>;

  test("arbitrary JSON values: never throws, always ok or problems", () => {
    let ok = 0;
    let problems = 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const result = checkControl(value, env);
        if (result.ok) ok++;
        else {
          expect(result.problems.length).toBeGreaterThan(0);
          problems++;
        }
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    figures["control: arbitrary JSON"] = { inputs: RUNS * 2, ok, problems, crashes: 0 };
  });

  test("a real control file with parts replaced by arbitrary values: never throws, always ok or problems; loadControl throws only ControlFileError", () => {
    let ok = 0;
    let problems = 0;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(valid, []);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 3 }), fc.boolean()), { minLength: 1, maxLength: 3 }), (edits) => {
        const copy = structuredClone(valid);
        for (const [i, value, remove] of edits) {
          const path = paths[i % paths.length]!;
          if (!path.length) continue;
          let parent: any = copy;
          for (const key of path.slice(0, -1)) parent = parent?.[key];
          if (parent === null || typeof parent !== "object") continue;
          if (remove && !Array.isArray(parent)) delete parent[path.at(-1)!];
          else parent[path.at(-1)!] = value;
        }
        const result = checkControl(copy, env);
        if (result.ok) ok++;
        else problems++;
        try {
          loadControl(JSON.stringify(copy));
        } catch (error) {
          if (!(error instanceof ControlFileError)) throw error;
        }
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    expect(problems).toBeGreaterThan(0);
    figures["control: mutated real control file"] = { inputs: RUNS * 2, ok, problems, crashes: 0 };
  });

  test("arbitrary text as a control file: never throws, always ok or problems", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v))), (t) => {
        const result = checkControlText(t, env);
        expect(typeof result.ok).toBe("boolean");
      }),
      { seed: SEED, numRuns: RUNS },
    );
    figures["control: arbitrary text"] = { inputs: RUNS, crashes: 0 };
  });
});

describe("hand-made extremes", () => {
  test("nesting 100,000 deep: each reader and the control-file check answer with an error, no stack overflow", async () => {
    const deep = 100_000;
    const inputs: Record<string, string> = {
      json: `[${"[".repeat(deep)}${"]".repeat(deep)}]`,
      "json-object": `[${'{"a":'.repeat(deep)}1${"}".repeat(deep)}]`,
      "xml-text-of-children": `<people><p>${"<a>".repeat(deep)}${"</a>".repeat(deep)}</p></people>`,
      "xml-attributes": `<people>${"<p>".repeat(deep)}${"</p>".repeat(deep)}</people>`,
    };
    const outcomes: Record<string, string> = {};
    for (const [name, input] of Object.entries(inputs)) {
      const reader = name === "json-object" ? "json" : name;
      try {
        const n = await readAll(reader, new TextEncoder().encode(input), []);
        outcomes[name] = `read ${n} record(s)`;
      } catch (error) {
        expect(error).toBeInstanceOf(ReaderError);
        outcomes[name] = `ReaderError: ${(error as Error).message.slice(0, 120)}`;
      }
    }
    const control = checkControlText(`{"files": ${"[".repeat(deep)}${"]".repeat(deep)}}`, compileEnvironment({}));
    expect(control.ok).toBe(false);
    outcomes["control file"] = `problems: ${(control as { problems: { message: string }[] }).problems[0]!.message.slice(0, 120)}`;
    figures["nesting 100,000 deep"] = outcomes;
  }, 60_000);

  test("a 64 MB line without a line break, in every reader: refused past the record bound, memory bounded", async () => {
    const size = 64 * 1024 * 1024;
    const block = new TextEncoder().encode("x".repeat(1024 * 1024));
    const heads: Record<string, string> = {
      json: '[{"id": "',
      "xml-text-of-children": "<people><p><id>",
      "xml-attributes": '<people><p id="',
      "tsv-with-name-row": "id\tname\n1\t",
      csv: 'id,name\n1,"',
    };
    const results: Record<string, unknown> = {};
    Bun.gc(true);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    for (const [reader, head] of Object.entries(heads)) {
      let pulled = 0;
      async function* source() {
        const h = new TextEncoder().encode(head);
        pulled += h.length;
        yield h;
        while (pulled < size) {
          pulled += block.length;
          peak = Math.max(peak, process.memoryUsage().rss);
          yield block;
        }
      }
      let error: unknown = null;
      try {
        for await (const _ of READERS[reader]!.read(source(), { read: reader })) {
        }
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ReaderError);
      results[reader] = { pulledMB: Math.round(pulled / 1024 / 1024), error: (error as Error).message.slice(0, 100) };
      Bun.gc(true);
    }
    const growthMB = Math.round((peak - baseline) / 1024 / 1024);
    // the default bound on one record is 16 M characters: a few copies of that, never the 64 MB line
    expect(growthMB).toBeLessThan(400);
    figures["64 MB line without a line break"] = { lineMB: 64, readers: results, rssGrowthMB: growthMB, boundMB: 400 };
  }, 120_000);

  test("200 records of 1 MB each, in every reader: never more than 8 MB of them in one batch, memory bounded", async () => {
    const RECORDS = 200;
    const value = "y".repeat(1024 * 1024);
    const encoder = new TextEncoder();
    // each reader's file, made record by record as it is read: 200 MB never exists whole
    const files: Record<string, { head: string; record: (i: number) => string; tail: string }> = {
      json: { head: "[", record: (i) => `${i ? "," : ""}{"id":"u${i}","note":"${value}"}\n`, tail: "]" },
      "xml-text-of-children": { head: "<people>", record: (i) => `<p><id>u${i}</id><note>${value}</note></p>\n`, tail: "</people>" },
      "xml-attributes": { head: "<people>", record: (i) => `<p id="u${i}" note="${value}"/>\n`, tail: "</people>" },
      "tsv-with-name-row": { head: "id\tnote\n", record: (i) => `u${i}\t${value}\n`, tail: "" },
      csv: { head: "id,note\n", record: (i) => `u${i},${value}\n`, tail: "" },
    };
    const results: Record<string, unknown> = {};
    let growthMB = 0;
    for (const [reader, file] of Object.entries(files)) {
      // each reader from a collected heap: what one reader holds, not the garbage of the last
      Bun.gc(true);
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      async function* source() {
        yield encoder.encode(file.head);
        for (let i = 0; i < RECORDS; i++) {
          peak = Math.max(peak, process.memoryUsage().rss);
          yield encoder.encode(file.record(i));
        }
        yield encoder.encode(file.tail);
      }
      let records = 0;
      let batches = 0;
      let largestBatchMB = 0;
      for await (const batch of READERS[reader]!.read(source(), { read: reader })) {
        records += batch.records.length;
        batches++;
        const chars = batch.records.reduce((n: number, r) => n + String((r as { note?: string }).note ?? "").length, 0);
        largestBatchMB = Math.max(largestBatchMB, chars / 1048576);
      }
      expect(records).toBe(RECORDS);
      // the batch ends at 8 MB of input, plus the record that crossed it
      expect(largestBatchMB).toBeLessThanOrEqual(9);
      const readerGrowthMB = Math.round((peak - baseline) / 1048576);
      results[reader] = { records, batches, largestBatchMB: Math.round(largestBatchMB * 10) / 10, rssGrowthMB: readerGrowthMB };
      growthMB = Math.max(growthMB, readerGrowthMB);
    }
    // 200 MB of input, never held whole (it was, parsed, in one batch before the 8 MB bound)
    expect(growthMB).toBeLessThan(500);
    figures["200 records of 1 MB each"] = { inputMB: RECORDS, readers: results, batchBoundMB: 8, largestRssGrowthMB: growthMB, boundMB: 500 };
  }, 120_000);

  test("invalid UTF-8 in each reader: a ReaderError that says so, never replacement characters in a record", async () => {
    const bad = [[0xff], [0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]];
    const inputs: Record<string, string> = {
      json: '[{"id": "a\u0001b"}]',
      "xml-text-of-children": "<people><p><id>a\u0001b</id></p></people>",
      "xml-attributes": '<people><p id="a\u0001b"/></people>',
      "tsv-with-name-row": "id\na\u0001b\n",
      csv: "id\na\u0001b\n",
    };
    const outcomes: Record<string, string> = {};
    for (const [reader, template] of Object.entries(inputs)) {
      const [before, after] = template.split("\u0001") as [string, string];
      for (const byte of bad) {
        const bytes = Buffer.concat([Buffer.from(before), Buffer.from(byte), Buffer.from(after)]);
        const error = await readAll(reader, new Uint8Array(bytes), []).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ReaderError);
        expect((error as Error).message).toContain("UTF-8");
      }
      outcomes[reader] = `${bad.length} invalid sequences, each refused: not valid UTF-8`;
    }
    figures["invalid UTF-8"] = outcomes;
  });
});
