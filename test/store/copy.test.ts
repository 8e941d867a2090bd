// COPY the server refuses: the error comes back to the caller and the transaction rolls back. On
// PostgreSQL, postgres.js 3.4.9 never settles a COPY ... FROM STDIN that the server rejects after the
// last chunk has gone (porsager/postgres#1173): a run whose staging COPY hit a full disk hung for
// ever, its transaction open (found by test/reliability/postgres-server.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BACKENDS, openTestStore, type TestStore } from "../helpers/store.ts";

/** The promise, or a failure after `ms`: a hang must fail the test quickly, not wait for bun's timeout. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

for (const backend of BACKENDS) {
  describe(`COPY refused by the server [${backend}]`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await openTestStore(backend);
      await ts.store.db.exec("CREATE TABLE copy_target (n int NOT NULL)");
    }, 60_000);
    afterAll(async () => {
      await ts?.close();
    });

    test("a bad last row: copyIn rejects with the server's error, the transaction rolls back, the connection is usable", async () => {
      // small enough to be sent whole, CopyDone included, before the server reads the bad row
      const lines = ["1", "2", "not a number"];
      const outcome = await within(
        10_000,
        ts.store.db
          .transaction(async (tx) => {
            await tx.query("INSERT INTO copy_target VALUES (0)");
            await tx.copyIn("copy_target", ["n"], lines);
            return "committed";
          })
          .catch((error: unknown) => error as Error & { code?: string }),
      );
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toContain("invalid input syntax for type integer");
      const rows = await within(10_000, ts.store.db.query<{ n: number }>("SELECT count(*)::int AS n FROM copy_target"));
      expect(rows[0]!.n).toBe(0);
    }, 30_000);

    test("a bad row among many chunks: the same", async () => {
      // several MB: the server refuses while chunks are still being sent
      const many = function* () {
        for (let i = 0; i < 600_000; i++) yield String(i);
        yield "not a number";
      };
      const outcome = await within(
        30_000,
        ts.store.db.transaction((tx) => tx.copyIn("copy_target", ["n"], many())).catch((error: unknown) => error as Error),
      );
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toContain("invalid input syntax for type integer");
      // the store carries on: a good COPY after the refused ones
      expect(await within(10_000, ts.store.db.transaction((tx) => tx.copyIn("copy_target", ["n"], ["7"])))).toBe(1);
      const rows = await ts.store.db.query<{ n: number }>("SELECT count(*)::int AS n FROM copy_target");
      expect(rows[0]!.n).toBe(1);
    }, 60_000);
  });
}
