// PostgreSQL through postgres.js: the production database, and the one that scales out
// (several daemons against one server; src/engine/lock.ts keeps applies one at a time).
import { drizzle } from "drizzle-orm/postgres-js";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import * as tables from "../../schema/tables.ts";
import { chunkLines, splitLines, type Database, type Sql } from "./db.ts";

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
      // Consumed through events: `for await` over postgres.js's COPY stream hangs under Bun
      // (seen with 1.4.5: the second chunk never arrives).
      const readable = await client.unsafe(`COPY (${query}) TO STDOUT`).readable();
      const chunks: Uint8Array[] = [];
      let done = false;
      let failure: unknown = null;
      let wake: (() => void) | null = null;
      const notify = () => {
        wake?.();
        wake = null;
      };
      readable.on("data", (chunk: Uint8Array) => {
        chunks.push(chunk);
        notify();
      });
      readable.on("end", () => {
        done = true;
        notify();
      });
      readable.on("error", (error: unknown) => {
        failure = error;
        notify();
      });
      async function* drain(): AsyncGenerator<Uint8Array> {
        for (;;) {
          if (failure) throw failure;
          if (chunks.length) {
            yield* chunks.splice(0);
            continue;
          }
          if (done) return;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
      yield* splitLines(drain());
    },
  };
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
