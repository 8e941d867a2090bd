// Readiness (/readyz): the database answers and every migration this program carries is applied.
// Liveness (/healthz) is the daemon's own: it only says the process serves HTTP.
import type { Sql } from "../store/index.ts";
import { migrations } from "../store/migrations.gen.ts";

export interface Readiness {
  ready: boolean;
  database: "ok" | "unreachable" | "busy";
  migrations: { applied: number; expected: number; upToDate: boolean };
  problem?: string;
}

/**
 * The readiness of the store. On the embedded database a run being applied holds the one
 * connection, so a query can wait minutes: past `timeoutMs` the answer is "not ready (busy)".
 */
export async function readiness(db: Sql, timeoutMs = 5000): Promise<Readiness> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ready: false,
          database: "busy",
          migrations: { applied: 0, expected: migrations.length, upToDate: false },
          problem: `the database did not answer within ${timeoutMs / 1000} s (a run being applied on the embedded database holds it)`,
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([check(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function check(db: Sql): Promise<Readiness> {
  const expected = migrations.length;
  const latest = Math.max(...migrations.map((m) => m.when));
  try {
    await db.query("SELECT 1");
  } catch (error) {
    return { ready: false, database: "unreachable", migrations: { applied: 0, expected, upToDate: false }, problem: `database: ${(error as Error).message}` };
  }
  try {
    const [row] = await db.query<{ applied: number; last: number | string | null }>(
      "SELECT count(*)::int AS applied, max(created_at) AS last FROM drizzle.__drizzle_migrations",
    );
    const applied = Number(row?.applied ?? 0);
    const upToDate = row?.last !== null && row?.last !== undefined && Number(row.last) >= latest;
    return { ready: upToDate, database: "ok", migrations: { applied, expected, upToDate }, ...(upToDate ? {} : { problem: "migrations are not all applied" }) };
  } catch {
    return { ready: false, database: "ok", migrations: { applied: 0, expected, upToDate: false }, problem: "the migrations table is missing" };
  }
}
