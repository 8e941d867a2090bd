// The embedded database: PGlite (PostgreSQL compiled to WebAssembly) in a folder.
//
// What PGlite does not do by itself, this file does (toolchain.md §9): lock the folder against a
// second process, CHECKPOINT so the WAL does not grow by gigabytes, VACUUM so updated tables do not
// bloat. PGlite never calls fsync: it survives a killed process, not a power cut. Production
// belongs on PostgreSQL (DATABASE_URL); docs/OPERATIONS.md says so.
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as tables from "../../schema/tables.ts";
import { chunkLines, type Database, type Row, type Sql } from "./db.ts";
import { lockFolder } from "./lock.ts";
import { loadPgliteAssets } from "./pglite-assets.ts";

type Queryable = Pick<Transaction, "query" | "exec">;

function sqlOver(client: Queryable): Sql {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await client.query<T>(text, params as unknown[]);
      return result.rows;
    },
    async exec(text: string) {
      await client.exec(text);
    },
    async copyIn(table, columns, lines) {
      // PGlite takes COPY data as a Blob; send it in bounded chunks so a million rows never sit in memory at once.
      let count = 0;
      for await (const chunk of chunkLines(lines, 4 << 20)) {
        const result = await client.query(`COPY ${table} (${columns.join(", ")}) FROM '/dev/blob'`, [], {
          blob: new Blob([chunk]),
        });
        count += result.affectedRows ?? 0;
      }
      return count;
    },
  };
}

export async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const lock = lockFolder(dataDir);
  const pgDir = join(dataDir, "pg");
  let pg: PGlite;
  try {
    pg = await PGlite.create({ dataDir: pgDir, ...(await loadPgliteAssets(pgDir)) });
  } catch (error) {
    lock.release();
    throw error;
  }
  const base = sqlOver(pg);
  return {
    kind: "pglite",
    description: `PGlite (embedded) in ${pgDir}`,
    orm: drizzle(pg, { schema: tables }),
    ...base,
    transaction: (fn) => pg.transaction((tx) => fn(sqlOver(tx))),
    async maintain() {
      await pg.exec("CHECKPOINT");
      await pg.exec("VACUUM");
    },
    async close() {
      try {
        await pg.exec("CHECKPOINT");
      } catch {}
      await pg.close();
      lock.release();
    },
  };
}
