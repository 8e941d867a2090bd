// Running feeds through the engine in tests, the way `usersync apply` does.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRunFromFiles } from "../../src/batch/index.ts";
import { loadControl } from "../../src/control/index.ts";
import { executeRun, type EngineSettings, type RunOutcome, type SafetyCheck } from "../../src/engine/index.ts";
import type { Store } from "../../src/store/index.ts";

export const DEFAULT_SETTINGS: EngineSettings = {
  defaultType: "std:type:person",
  profileAttributes: [],
  userTags: [],
  onRecordError: "keep",
  blockAfterAbsentRuns: 1,
};

/** A control file reading `staff` (JSON) and optionally `students` (TSV) with the usual names. */
export function simpleControl(extra: object[] = [], files: Record<string, object> = { staff: { read: "json" } }): string {
  return JSON.stringify({
    dataImportControlFileVersion: 0,
    model: "haplo:user-sync",
    files,
    instructions: [
      { source: "id", destination: "user", name: "username" },
      { source: "first", destination: "user", name: "nameFirst" },
      { source: "last", destination: "user", name: "nameLast" },
      { source: "email", destination: "user", name: "email" },
      { action: "for-each", source: "groups", wrapValues: true, instructions: [{ source: "value", destination: "user", name: "groups", multivalue: true }] },
      ...extra,
    ],
  });
}

export interface FeedRun extends RunOutcome {
  log: string[];
}

/** Apply files given as text or bytes (name → content) with a control file; returns the outcome and the log lines. */
export async function applyFeed(
  store: Store,
  control: string,
  files: Record<string, string | Uint8Array>,
  options: { settings?: Partial<EngineSettings>; dryRun?: boolean; safety?: SafetyCheck } = {},
): Promise<FeedRun> {
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const dir = mkdtempSync(join(tmpdir(), "usersync-feed-"));
  const paths = Object.entries(files).map(([name, content]) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return { name, path };
  });
  const compiled = loadControl(control, settings);
  const runId = await createRunFromFiles(store, compiled, paths, { source: "test" });
  const outcome = await executeRun(store, runId, { settings, dryRun: options.dryRun, safety: options.safety });
  return { ...outcome, log: await logOf(store, runId) };
}

export async function logOf(store: Store, runId: number): Promise<string[]> {
  const rows = await store.db.query<{ message: string }>("SELECT message FROM run_events WHERE run_id = $1 ORDER BY seq", [runId]);
  return rows.map((r) => r.message).filter((m) => !m.startsWith("START: ") && !m.startsWith("END: "));
}

export const json = (records: object[]) => JSON.stringify(records);

export function person(id: string, more: Record<string, unknown> = {}) {
  return { id, first: `First ${id}`, last: `Last ${id}`, email: `${id.toLowerCase()}@example.org`, groups: ["staff"], ...more };
}

const DUMPED: Record<string, string> = {
  users: "id",
  objects: "id",
  memberships: "user_id, group_id",
  sync_ledger: "user_id",
  groups: "id",
  received_records: "id",
};

/** A snapshot of everything the sync may change (or only `tables`), to compare stores before and after. */
export async function dumpStore(store: Store, tables: string[] = Object.keys(DUMPED)): Promise<string> {
  const parts: string[] = [];
  for (const [table, order] of tables.map((t) => [t, DUMPED[t]!])) {
    const rows = await store.db.query(`SELECT * FROM ${table} ORDER BY ${order}`);
    parts.push(`${table}: ${JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
  }
  return parts.join("\n");
}
