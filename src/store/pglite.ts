// The embedded database: PGlite (PostgreSQL compiled to WebAssembly) in a folder.
//
// What PGlite does not do by itself, this file does (toolchain.md §9): lock the folder against a
// second process, CHECKPOINT so the WAL does not grow by gigabytes, VACUUM so updated tables do not
// bloat. PGlite never calls fsync: it survives a killed process, not a power cut. Production
// belongs on PostgreSQL (DATABASE_URL); docs/OPERATIONS.md says so.
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import * as tables from "../../schema/tables.ts";
import { chunkLines, splitLines, type Database, type Sql } from "./db.ts";
import { lockFolder } from "./lock.ts";
import { loadPgliteAssets } from "./pglite-assets.ts";

type Queryable = Pick<Transaction, "query" | "exec">;

/** One COPY of `data` (whole rows of COPY text); returns the rows copied. */
async function copyBlob(client: Queryable, table: string, columns: readonly string[], data: string | Uint8Array<ArrayBuffer>): Promise<number> {
  const result = await client.query(`COPY ${table} (${columns.join(", ")}) FROM '/dev/blob'`, [], { blob: new Blob([data]) });
  return result.affectedRows ?? 0;
}

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
      for await (const chunk of chunkLines(lines, 4 << 20)) count += await copyBlob(client, table, columns, chunk);
      return count;
    },
    async copyInBytes(table, columns, chunks) {
      for (const chunk of chunks) if (chunk.length) await copyBlob(client, table, columns, chunk as Uint8Array<ArrayBuffer>);
    },
    async *copyOut(query) {
      const result = await client.query(`COPY (${query}) TO '/dev/blob'`);
      if (result.blob) yield* splitLines([await result.blob.text()]);
    },
  };
}

export interface PgliteOptions {
  /** A data folder tarball (from dumpDataDir) to start a NEW database from, instead of running initdb (2 s, 700 MB). */
  template?: Blob | null;
}

export async function openPglite(dataDir: string, options: PgliteOptions = {}): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const lock = lockFolder(dataDir);
  const pgDir = join(dataDir, "pg");
  let pg: PGlite;
  try {
    const fresh = !existsSync(join(pgDir, "PG_VERSION"));
    const template = fresh && options.template ? { loadDataDir: new File([options.template], "template.tar.gz", { type: "application/x-gzip" }) } : {};
    pg = await PGlite.create({
      dataDir: pgDir,
      ...template,
      ...(await loadPgliteAssets(pgDir)),
      // int8 as a number, as with postgres.js (src/store/postgres.ts): ids fit; 64-bit digests are read as ::text.
      parsers: { 20: (value: string) => Number(value) },
    });
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
    dumpDataDir: () => pg.dumpDataDir("gzip"),
    async maintain() {
      await pg.exec("CHECKPOINT");
      // ANALYZE too: PGlite has no autovacuum, and without statistics the planner misjudges every
      // large table (a keyset page of a 100,000-line log took 0.5 s instead of 1 ms).
      await pg.exec("VACUUM ANALYZE");
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
