// The user store: the database (PGlite or PostgreSQL) with its migrations applied, and the
// folder of batch files. `openStore()` is the one way in.
import { mkdirSync } from "node:fs";
import type { Database } from "./db.ts";
import { FileStore } from "./files.ts";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import { embeddedPgliteTemplate } from "./template.ts";

export { copyField, describeDatabaseError, isTransientDatabaseError, type Database, type Row, type Sql } from "./db.ts";
export { CopyText, type CopyValue } from "./copy-text.ts";
export { FileStore, FileTooLargeError, NoSpaceError, type StoredFile } from "./files.ts";
export { FolderInUseError } from "./lock.ts";
export { APPLY_LOCK, MIGRATION_LOCK, UPLOAD_LOCK } from "./locks.ts";

export interface Store {
  db: Database;
  files: FileStore;
  /** Folder for scratch files (spill files of runs in progress). */
  tmpDir: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl: string | null;
  filesDir: string;
  /**
   * PGlite: start a new database from this template rather than initdb. Absent: the template
   * embedded in the compiled binary, if any (src/store/template.ts); null: none.
   */
  pgliteTemplate?: Blob | null;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  mkdirSync(options.dataDir, { recursive: true });
  const db = options.databaseUrl ? await openPostgres(options.databaseUrl) : await openPglite(options.dataDir, { template: options.pgliteTemplate === undefined ? embeddedPgliteTemplate() : options.pgliteTemplate });
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const tmpDir = `${options.dataDir}/tmp`;
  mkdirSync(tmpDir, { recursive: true });
  return {
    db,
    files: new FileStore(options.filesDir),
    tmpDir,
    close: () => db.close(),
  };
}
