// The store's WRITE floor: what it costs PostgreSQL just to write the rows an initial load leaves
// behind — users, profile objects, memberships, ledger, undo records, received-data timeline, the
// run's log — with the tables' own indexes, in one transaction, by COPY from files the server reads itself
// (its fastest way in: not even the socket).
// No reading, no mapping, no staging, no planning: a lower bound for any initial load of this data
// model, whatever the engine does. bench/run.ts measures it right after the initial load.
//
//   bun bench/write-floor.ts POSTGRES_URL   → one JSON line: { seconds, tables: { name: seconds }, bytes }
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

const TABLES = ["objects", "users", "memberships", "sync_ledger", "run_changes", "received_records", "run_events"];

const sourceUrl = process.argv[2]!;
const source = new URL(sourceUrl);
const target = new URL(sourceUrl);
target.pathname = `${source.pathname}_writefloor`;
const admin = new URL(sourceUrl);
admin.pathname = "/postgres";

const dir = mkdtempSync(join(tmpdir(), "usersync-write-floor-"));
const adminSql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
const targetName = target.pathname.slice(1);
try {
  // the rows, as COPY text, written by the server itself (through the client this took minutes
  // at a million users); so the bench's PostgreSQL must be on this machine, as a superuser's
  chmodSync(dir, 0o777);
  const from = postgres(sourceUrl, { max: 1, onnotice: () => {} });
  let bytes = 0;
  for (const table of TABLES) {
    const file = join(dir, `${table}.copy`);
    await from.unsafe(`COPY ${table} TO '${file}'`);
    bytes += statSync(file).size;
  }
  await from.end();

  // the same schema, empty: a copy of the store, truncated
  await adminSql.unsafe(`DROP DATABASE IF EXISTS ${targetName}`);
  await adminSql.unsafe(`CREATE DATABASE ${targetName} TEMPLATE ${source.pathname.slice(1)}`);
  const into = postgres(target.toString(), { max: 1, onnotice: () => {} });
  await into.unsafe(`TRUNCATE ${TABLES.join(", ")} CASCADE`);
  await into.unsafe("CHECKPOINT");

  const tables: Record<string, number> = {};
  const started = performance.now();
  await into.begin(async (tx) => {
    for (const table of TABLES) {
      const t = performance.now();
      await tx.unsafe(`COPY ${table} FROM '${join(dir, `${table}.copy`)}'`);
      tables[table] = (performance.now() - t) / 1000;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  await into.end();
  console.log(JSON.stringify({ seconds, tables, bytes }));
} finally {
  await adminSql.unsafe(`DROP DATABASE IF EXISTS ${targetName} WITH (FORCE)`).catch(() => {});
  await adminSql.end();
  rmSync(dir, { recursive: true, force: true });
}
