// PostgreSQL through postgres.js: the production database, and the one that scales out
// (several daemons against one server; an advisory lock, src/store/locks.ts, keeps applies one at a time).
import { drizzle } from "drizzle-orm/postgres-js";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import * as tables from "../../schema/tables.ts";
import { chunkLines, copyField, type Database, type Sql } from "./db.ts";

type Client = postgres.Sql | postgres.TransactionSql;

function sqlOver(client: Client): Sql {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await client.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[];
    },
    async exec(text: string) {
      await client.unsafe(text);
    },
    async copyIn(table, columns, lines) {
      const writable = await client.unsafe(`COPY ${table} (${columns.join(", ")}) FROM STDIN`).writable();
      let count = 0;
      const counted = async function* () {
        for await (const chunk of chunkLines(lines, 1 << 20)) {
          // count lines as they go; COPY's own row count is not exposed by the writable
          for (let i = chunk.indexOf("\n"); i !== -1; i = chunk.indexOf("\n", i + 1)) count++;
          yield chunk;
        }
      };
      await pipeline(Readable.from(counted()), writable);
      return count;
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
      // autovacuum does this on a real server
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}
