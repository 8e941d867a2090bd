// The store's WRITE floor: what it costs PostgreSQL just to write the rows an initial load leaves
// behind — users, profile objects, memberships, ledger, undo records, received-data timeline, the
// run's log — with the tables' own indexes, in one transaction, by COPY from files the server reads itself
// (its fastest way in: not even the socket). Measured twice: with the indexes kept up row by row (as
// any run must while others may read the tables), and with them built after the rows (what a loader
// that locked the empty tables for the whole load could do: the lowest figure).
// No reading, no mapping, no staging, no planning: a lower bound for any initial load of this data
// model, whatever the engine does. bench/run.ts measures it right after the initial load.
//
//   bun bench/write-floor.ts POSTGRES_URL
//     → one JSON line: { seconds, tables: { name: seconds }, bytes, indexesAfter: { seconds, tables } }
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

  /**
   * The rows into the empty tables, in one transaction; `indexesAfter`: their indexes (all but the
   * primary keys) dropped first and built again once the rows are in, as a loader that owned empty
   * tables could do — each index then sorted once instead of kept up row by row.
   */
  async function writeRows(indexesAfter: boolean): Promise<{ seconds: number; tables: Record<string, number> }> {
    await into.unsafe(`TRUNCATE ${TABLES.join(", ")} CASCADE`);
    await into.unsafe("CHECKPOINT");
    const tables: Record<string, number> = {};
    const started = performance.now();
    const inTables = `schemaname = current_schema() AND tablename IN (${TABLES.map((t) => `'${t}'`).join(", ")})`;
    await into.begin(async (tx) => {
      const countIndexes = async () => Number((await tx.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM pg_indexes WHERE ${inTables}`))[0]!.n);
      const before = await countIndexes();
      const indexes = indexesAfter
        ? await tx.unsafe<{ name: string; definition: string }[]>(
            `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
              WHERE ${inTables} AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = indexname)`,
          )
        : [];
      for (const index of indexes) await tx.unsafe(`DROP INDEX ${index.name}`);
      for (const table of TABLES) {
        const t = performance.now();
        await tx.unsafe(`COPY ${table} FROM '${join(dir, `${table}.copy`)}'`);
        tables[table] = (performance.now() - t) / 1000;
      }
      const t = performance.now();
      for (const index of indexes) await tx.unsafe(index.definition);
      if (indexesAfter) tables.indexes = (performance.now() - t) / 1000;
      if ((await countIndexes()) !== before) throw new Error("the write floor did not build every index again");
    });
    return { seconds: (performance.now() - started) / 1000, tables };
  }

  const maintained = await writeRows(false);
  const built = await writeRows(true);
  await into.end();
  console.log(JSON.stringify({ ...maintained, bytes, indexesAfter: built }));
} finally {
  await adminSql.unsafe(`DROP DATABASE IF EXISTS ${targetName} WITH (FORCE)`).catch(() => {});
  await adminSql.end();
  rmSync(dir, { recursive: true, force: true });
}
