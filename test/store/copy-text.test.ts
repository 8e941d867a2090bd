// CopyText writes COPY rows straight into UTF-8 bytes (the stage and pass 2's changes): the bytes
// must be exactly the COPY text that escaping each value with copyField and joining would give,
// and the database must read back every value as it was.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CopyText, type CopyValue } from "../../src/store/copy-text.ts";
import { copyField } from "../../src/store/db.ts";
import { BACKENDS, openTestStore, type TestStore } from "../helpers/store.ts";

const copyValue: fc.Arbitrary<CopyValue> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: fc.constantFrom("a", "\\", "\t", "\n", "\r", "N", "ł", "😀"), maxLength: 8 }),
  fc.constantFrom(null, undefined, true, false, "", "\\N"),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

function asJoinedText(rows: CopyValue[][]): string {
  return rows.map((row) => row.map((v) => copyField(v)).join("\t") + "\n").join("");
}

test("CopyText's bytes are the COPY text of its rows, whatever the values and however often the buffer grows", () => {
  fc.assert(
    fc.property(fc.array(fc.array(copyValue, { minLength: 1, maxLength: 6 }), { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (rows, capacity) => {
      const copy = new CopyText(capacity);
      for (const row of rows) copy.row(row);
      expect(copy.size).toBe(Buffer.byteLength(asJoinedText(rows)));
      expect(new TextDecoder().decode(copy.take())).toBe(asJoinedText(rows));
      expect(copy.size).toBe(0);
    }),
    { numRuns: 500 },
  );
});

test("CopyText hands over whole rows only, and never writes into bytes it has handed over", () => {
  const copy = new CopyText(4);
  copy.value("Łukasz").value(null);
  expect(() => copy.take()).toThrow(/middle of a row/);
  copy.endRow();
  const first = copy.take();
  copy.row(["second", 2]);
  const second = copy.take();
  expect(new TextDecoder().decode(first)).toBe("Łukasz\t\\N\n");
  expect(new TextDecoder().decode(second)).toBe("second\t2\n");
  expect(new TextDecoder().decode(new CopyText().nulls(3).endRow().take())).toBe("\\N\t\\N\t\\N\n");
});

test("CopyText writes later rows into a buffer given back with recycle, and only into one given back", () => {
  const copy = new CopyText(64 * 1024);
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  copy.row(["first", 1]);
  const first = copy.take(); // the next rows go into a buffer drawn now
  copy.row(["second", 2]);
  const second = copy.take();
  expect(second.buffer).not.toBe(first.buffer);
  copy.recycle(first); // copied in: the next buffer drawn is this one
  copy.row(["third", 3]);
  const third = copy.take();
  copy.row(["fourth", 4]);
  const fourth = copy.take();
  expect(fourth.buffer).toBe(first.buffer);
  expect([second, third, fourth].map(decode)).toEqual(["second\t2\n", "third\t3\n", "fourth\t4\n"]);
  // bytes that are part of a larger buffer, or a buffer smaller than the writer's, are not taken back
  const part = new Uint8Array(new ArrayBuffer(128), 8, 16);
  const small = new Uint8Array(16);
  copy.recycle(part);
  copy.recycle(small);
  copy.row(["fifth", 5]);
  copy.take();
  copy.row(["sixth", 6]);
  const sixth = copy.take();
  expect([part.buffer, small.buffer]).not.toContain(sixth.buffer);
  expect(decode(sixth)).toBe("sixth\t6\n");
});

test("CopyText does not recycle small buffers, which may share Buffer's pool with other data", () => {
  const copy = new CopyText(64);
  copy.row(["first", 1]);
  const first = copy.take();
  copy.recycle(first);
  copy.row(["second", 2]);
  copy.take();
  copy.row(["third", 3]);
  copy.take();
  expect(new TextDecoder().decode(first)).toBe("first\t1\n"); // never written over
});

const HOSTILE = ["plain", "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "", "Łukasz 😀 Zoë", "x".repeat(70_000)];

for (const backend of BACKENDS) {
  describe(`copyInBytes [${backend}]`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await openTestStore(backend);
      await ts.store.db.exec("CREATE TABLE copy_bytes (n int NOT NULL, t text, b boolean)");
    }, 60_000);
    afterAll(async () => {
      await ts?.close();
    });

    test("every value reads back as it was written, across several chunks", async () => {
      const copy = new CopyText(16);
      const chunks: Uint8Array[] = [];
      HOSTILE.forEach((t, n) => {
        copy.row([n, t, n % 2 === 0]);
        if (n % 3 === 2) chunks.push(copy.take());
      });
      copy.row([HOSTILE.length, null, null]);
      chunks.push(copy.take());
      await ts.store.db.transaction((tx) => tx.copyInBytes("copy_bytes", ["n", "t", "b"], chunks));
      const rows = await ts.store.db.query<{ n: number; t: string | null; b: boolean | null }>("SELECT n, t, b FROM copy_bytes ORDER BY n");
      expect(rows).toEqual([...HOSTILE.map((t, n) => ({ n, t, b: n % 2 === 0 })), { n: HOSTILE.length, t: null, b: null }]);
    }, 30_000);

    test("a row the server refuses: copyInBytes rejects with its error and the transaction rolls back", async () => {
      const copy = new CopyText();
      for (let i = 0; i < 300_000; i++) copy.row([i, "many", true]);
      const good = copy.take();
      copy.row(["not a number", "bad", false]);
      const bad = copy.take();
      const outcome = await ts.store.db
        .transaction(async (tx) => {
          await tx.query("INSERT INTO copy_bytes VALUES (-1, 'before', NULL)");
          await tx.copyInBytes("copy_bytes", ["n", "t", "b"], [good, bad]);
          return "committed";
        })
        .catch((error: unknown) => error as Error);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toContain("invalid input syntax for type integer");
      const [row] = await ts.store.db.query<{ n: number }>("SELECT count(*)::int AS n FROM copy_bytes WHERE n < 0 OR t IN ('many', 'bad')");
      expect(row!.n).toBe(0);
    }, 60_000);
  });
}
