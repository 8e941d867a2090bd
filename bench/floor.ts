// The floor: how fast the raw ingredients of a reconcile are on THIS machine, measured in the same
// benchmark run as usersync so results are reported as ratios (which survive noisy machines).
// It is the JSON pipeline of ../shared/reference/floor-bench (e2e.ts json-delta): read + JSON.parse
// the day-2 file, hash each record, COPY (username, digest) into a staging table, classify with one
// full join, COPY the data of the changed rows only, apply insert/update/mark-missing, commit.
// It does none of what a real run does besides (no control file, no groups, no profiles, no log).
//
//   bun bench/floor.ts DATABASE_URL day1.json day2.json   → prints one JSON line of timings
import postgres from "postgres";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const esc = (s: string) => (s.indexOf("\\") === -1 ? s : s.replaceAll("\\", "\\\\"));
const wy = (s: string) => Bun.hash(s).toString(16);

async function copy(sql: postgres.Sql | postgres.TransactionSql, statement: string, chunks: Iterable<string> | AsyncIterable<string>) {
  const writable = await sql.unsafe(statement).writable();
  await pipeline(Readable.from(chunks), writable);
}

function* batches(records: { username: string }[], line: (r: { username: string }, i: number) => string, size = 2000) {
  for (let i = 0; i < records.length; i += size) {
    const out: string[] = [];
    for (let j = i; j < Math.min(i + size, records.length); j++) out.push(line(records[j]!, j));
    yield out.join("\n") + "\n";
  }
}

export async function measureFloor(url: string, day1: string, day2: string): Promise<{ seconds: number; phases: Record<string, number>; rows: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  // untimed: the base day, as the floor's e2e_prep.ts does
  await sql.unsafe("DROP TABLE IF EXISTS floor_users, floor_staging, floor_staging_data");
  await sql.unsafe("CREATE TABLE floor_users (username text PRIMARY KEY, digest text NOT NULL, in_feed boolean NOT NULL DEFAULT true, data jsonb)");
  {
    const base = JSON.parse(await Bun.file(day1).text()) as { username: string }[];
    await copy(sql, "COPY floor_users (username, digest, data) FROM STDIN", batches(base, (r) => { const j = JSON.stringify(r); return `${r.username}\t${wy(j)}\t${esc(j)}`; }));
  }
  await sql.unsafe("VACUUM ANALYZE floor_users");
  await sql.unsafe("CREATE UNLOGGED TABLE floor_staging (username text, digest text, idx int) WITH (autovacuum_enabled = false)");
  await sql.unsafe("CREATE UNLOGGED TABLE floor_staging_data (idx int, data jsonb) WITH (autovacuum_enabled = false)");
  await sql.unsafe("CHECKPOINT");

  const phases: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = (now - t) / 1000;
    t = now;
  };
  const start = t;
  const records = JSON.parse(await Bun.file(day2).text()) as { username: string }[];
  lap("read+parse");
  await copy(sql, "COPY floor_staging (username, digest, idx) FROM STDIN", batches(records, (r, i) => `${r.username}\t${wy(JSON.stringify(r))}\t${i}`));
  lap("hash+copy");
  let rows = 0;
  await sql.begin(async (tx) => {
    await tx.unsafe(`CREATE TEMP TABLE d ON COMMIT DROP AS
      SELECT s.username su, u.username uu, s.digest sd, s.idx FROM floor_staging s FULL JOIN floor_users u ON u.username = s.username
      WHERE u.username IS NULL OR (s.username IS NULL AND u.in_feed) OR (u.digest <> s.digest OR NOT u.in_feed)`);
    await tx.unsafe("ANALYZE d");
    const need = await tx.unsafe("SELECT idx FROM d WHERE su IS NOT NULL").values();
    lap("classify");
    await copy(tx, "COPY floor_staging_data (idx, data) FROM STDIN", [need.map(([idx]) => `${idx}\t${esc(JSON.stringify(records[Number(idx)]))}`).join("\n") + "\n"]);
    await tx.unsafe("ANALYZE floor_staging_data");
    lap("copy-changed");
    const [r] = await tx.unsafe(`WITH dd AS MATERIALIZED (SELECT d.*, x.data FROM d LEFT JOIN floor_staging_data x USING (idx)),
        ins AS (INSERT INTO floor_users (username, digest, in_feed, data) SELECT su, sd, true, data FROM dd WHERE uu IS NULL RETURNING 1),
        upd AS (UPDATE floor_users u SET digest = dd.sd, in_feed = true, data = dd.data FROM dd WHERE dd.uu = u.username AND dd.su IS NOT NULL RETURNING 1),
        mis AS (UPDATE floor_users u SET in_feed = false FROM dd WHERE dd.uu = u.username AND dd.su IS NULL RETURNING 1)
        SELECT (SELECT count(*) FROM ins) + (SELECT count(*) FROM upd) + (SELECT count(*) FROM mis) AS n`);
    rows = Number(r!.n);
  });
  lap("apply+commit");
  const seconds = (performance.now() - start) / 1000;
  await sql.unsafe("DROP TABLE IF EXISTS floor_users, floor_staging, floor_staging_data");
  await sql.end();
  return { seconds, phases, rows };
}

if (import.meta.main) {
  const [url, day1, day2] = process.argv.slice(2);
  if (!url || !day1 || !day2) throw new Error("usage: bun bench/floor.ts DATABASE_URL day1.json day2.json");
  console.log(JSON.stringify(await measureFloor(url, day1, day2)));
}
