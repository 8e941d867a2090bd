// Test stores on both databases the engine runs on: PGlite (embedded) and the real PostgreSQL
// server on 127.0.0.1:5432. Each test file gets its own database; tests reset it between them.
import { afterAll, beforeAll, beforeEach, describe } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { applyConfigGroups } from "../../src/engine/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import type { GroupConfig } from "../../src/config/index.ts";

export type Backend = "pglite" | "postgres";

/** TEST_BACKENDS=pglite (or postgres) restricts a local run to one; CI runs both. */
export const BACKENDS: Backend[] = (process.env.TEST_BACKENDS?.split(",") as Backend[] | undefined) ?? ["pglite", "postgres"];

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

let template: Blob | null = null;
let counter = 0;

/** A new, migrated, empty PostgreSQL database; returns its URL and how to drop it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `usersync_test_${process.pid}_${++counter}_${Date.now() % 100000}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface TestStore {
  store: Store;
  dir: string;
  backend: Backend;
  /** the PostgreSQL URL, for tests that start processes against the same database */
  databaseUrl: string | null;
  close(): Promise<void>;
}

export async function openTestStore(backend: Backend): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), `usersync-test-${backend}-`));
  let pg: { url: string; drop(): Promise<void> } | null = null;
  if (backend === "postgres") pg = await createPostgresDatabase();
  const store = await openStore({ dataDir: dir, databaseUrl: pg?.url ?? null, filesDir: join(dir, "files"), pgliteTemplate: template });
  if (backend === "pglite" && !template && store.db.dumpDataDir) template = await store.db.dumpDataDir();
  return {
    store,
    dir,
    backend,
    databaseUrl: pg?.url ?? null,
    async close() {
      await store.close();
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ALL_TABLES =
  "objects, users, groups, memberships, sync_ledger, control_files, runs, run_files, run_events, received_records, run_changes, settings, api_keys, sftp_accounts, admins, sessions, audit_log";

export async function resetStore(store: Store, groups: GroupConfig[] = []): Promise<void> {
  await store.db.exec(`TRUNCATE ${ALL_TABLES} RESTART IDENTITY CASCADE`);
  await applyConfigGroups(store.db, groups);
}

/**
 * Runs the same tests against each backend: `describeEachBackend("engine", (t) => { test(..., () => t().store ...) })`.
 * The store is reset (emptied, groups applied) before each test.
 */
export function describeEachBackend(title: string, groups: GroupConfig[], body: (current: () => TestStore) => void): void {
  for (const backend of BACKENDS) {
    describe(`${title} [${backend}]`, () => {
      let ts: TestStore | null = null;
      beforeAll(async () => {
        ts = await openTestStore(backend);
      }, 60_000);
      afterAll(async () => {
        await ts?.close();
      });
      beforeEach(async () => {
        await resetStore(ts!.store, groups);
      });
      body(() => ts!);
    });
  }
}
