// PostgreSQL through postgres.js: the production database, and the one that scales out
// (several daemons against one server; an advisory lock, src/store/locks.ts, keeps applies one at a time).
import { drizzle } from "drizzle-orm/postgres-js";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import * as tables from "../../schema/tables.ts";
import { chunkLines, copyField, type Database, type Sql } from "./db.ts";

type Client = postgres.Sql | postgres.TransactionSql;

// USERSYNC_SLOW_SQL_MS=N prints every statement slower than N ms to stderr (its first line and
// its time, never its parameters): how the engine's statements were profiled (docs/PERFORMANCE.md).
const SLOW_SQL_MS = Number(process.env.USERSYNC_SLOW_SQL_MS ?? "") || 0;

async function timed<T>(text: string, run: () => Promise<T>): Promise<T> {
  if (!SLOW_SQL_MS) return run();
  const started = performance.now();
  const result = await run();
  const ms = performance.now() - started;
  if (ms >= SLOW_SQL_MS) process.stderr.write(`slow sql ${Math.round(ms)} ms: ${text.trim().replace(/\s+/g, " ").slice(0, 160)}\n`);
  return result;
}

/** COPY ... FROM STDIN fed from `source`: done when the server has taken all of it, or failed with its refusal. */
async function copyFrom(client: Client, table: string, columns: readonly string[], source: Readable): Promise<void> {
  const query = client.unsafe(`COPY ${table} (${columns.join(", ")}) FROM STDIN`);
  const writable = await query.writable();
  const refused = serverRefusal(query as unknown as { reject?: unknown });
  // whichever comes first: the server's answer to the whole COPY, or its refusal
  await Promise.race([pipeline(source, writable), refused]);
}

function sqlOver(client: Client): Sql {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      return timed(text, async () => (await client.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[]);
    },
    async exec(text: string) {
      await timed(text, () => client.unsafe(text));
    },
    async copyIn(table, columns, lines) {
      let count = 0;
      const counted = async function* () {
        for await (const chunk of chunkLines(lines, 1 << 20)) {
          // count lines as they go; COPY's own row count is not exposed by the writable
          for (let i = chunk.indexOf("\n"); i !== -1; i = chunk.indexOf("\n", i + 1)) count++;
          yield chunk;
        }
      };
      await copyFrom(client, table, columns, Readable.from(counted()));
      return count;
    },
    async copyInBytes(table, columns, chunks) {
      await copyFrom(client, table, columns, Readable.from(chunks));
    },
    async *copyOut(query) {
      // Not COPY TO STDOUT: with postgres.js under Bun, a COPY IN sent after one on the same
      // connection hangs now and then (reproduced under load: about one time in five). A cursor
      // reads as fast for what this serves, and gives the same COPY text lines.
      for await (const rows of client.unsafe(query).values().cursor(10_000)) {
        yield (rows as unknown[][]).map((row) => row.map(copyText).join("\t"));
      }
    },
  };
}

/**
 * The server's error for a COPY ... FROM STDIN, as a promise that rejects with it (and never
 * resolves). postgres.js 3.4.9 hands the writable over by resolving the query, then loses an error
 * that comes after the last chunk was sent: the writable never finishes, the caller waits for ever
 * and its transaction stays open (porsager/postgres#1173; not fixed in 3.4.9). Any COPY whose bytes
 * fit in the socket's buffer is refused that way — a bad row, a full disk (what found it: a run
 * staging its records on a full disk hung, test/reliability/postgres-server.test.ts). The error
 * still reaches the query's `reject`, which nobody listens to any more: it is caught there.
 */
function serverRefusal(query: { reject?: unknown }): Promise<never> {
  const refused = new Promise<never>((_, reject) => {
    const original = query.reject;
    if (typeof original !== "function") return; // another postgres.js: nothing to hook, as before
    query.reject = (error: unknown) => {
      original.call(query, error);
      reject(error);
    };
  });
  refused.catch(() => {}); // when the pipeline failed first, nobody awaits this one
  return refused;
}

/**
 * After a run, what autovacuum would do — but not every server runs autovacuum (it is off on this
 * project's own CI machines), and a run that loaded a million users must not leave the planner
 * believing the tables are empty: the next run's joins would scan whole tables (measured: 1.4 s
 * instead of 0.05 s for one statement). Same thresholds as autovacuum's defaults: ANALYZE a table
 * once a tenth of it changed, VACUUM it once a fifth of it is dead rows. A server that does run
 * autovacuum has usually done it already, and then this costs one catalogue query.
 */
async function keepStatisticsFresh(client: postgres.Sql): Promise<void> {
  const tables = await client.unsafe<{ relname: string; analyze: boolean; vacuum: boolean }[]>(
    `SELECT relname,
            n_mod_since_analyze > 50 + 0.1 * greatest(n_live_tup, 1) AS analyze,
            n_dead_tup > 50 + 0.2 * greatest(n_live_tup, 1) AS vacuum
     FROM pg_stat_user_tables
     WHERE schemaname = current_schema() AND relname = ANY($1)`,
    [MAINTAINED_TABLES],
  );
  for (const t of tables) {
    if (t.vacuum) await client.unsafe(`VACUUM (ANALYZE) ${t.relname}`);
    else if (t.analyze) await client.unsafe(`ANALYZE ${t.relname}`);
  }
}

/** The tables a run writes. */
const MAINTAINED_TABLES = ["users", "objects", "memberships", "sync_ledger", "received_records", "run_events", "run_changes", "runs"];

/** A value as COPY text format writes it. */
function copyText(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return copyField(`{${value.map((v) => (v === null ? "NULL" : `"${String(v).replace(/["\\]/g, "\\$&")}"`)).join(",")}}`);
  if (typeof value === "object") return copyField(JSON.stringify(value));
  return copyField(String(value));
}

/** Describe a connection string without its password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}

export async function openPostgres(url: string): Promise<Database> {
  const client = postgres(url, {
    max: 10,
    onnotice: () => {},
    // Ids fit in a double; 64-bit digests are only ever compared in SQL or read back as text.
    types: {
      int8: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) },
    },
    connection: { application_name: "usersync" },
  });
  await client`select 1`; // fail here, with the connection error, rather than later
  const base = sqlOver(client);
  return {
    kind: "postgres",
    description: describeUrl(url),
    orm: drizzle(client, { schema: tables }),
    ...base,
    transaction: (fn) => client.begin((tx) => fn(sqlOver(tx))) as Promise<never>,
    async maintain() {
      await keepStatisticsFresh(client);
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}
