// Sync runs and their files (reference §5.3): a run collects the named files its control file
// expects, each kept content-addressed, and pins the exact control-file version it used.
import type { Control } from "../control/index.ts";
import { APPLY_LOCK, type Sql, type StoredFile, type Store } from "../store/index.ts";

export interface RunFile {
  name: string;
  originalFilename: string | null;
  digest: string;
  size: number;
}

/** Store a control file's text as a version (once per distinct text); returns its id. */
export async function saveControlVersion(db: Sql, control: Control, options: { comment?: string | null; by?: string | null } = {}): Promise<number> {
  const [existing] = await db.query<{ id: number }>("SELECT id FROM control_files WHERE digest = $1 ORDER BY id LIMIT 1", [control.digest]);
  if (existing) return Number(existing.id);
  const [row] = await db.query<{ id: number }>(
    "INSERT INTO control_files (digest, content, expected_files, comment, uploaded_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    [control.digest, control.text, control.expectedFiles, options.comment ?? null, options.by ?? null],
  );
  return Number(row!.id);
}

export async function setCurrentControl(db: Sql, controlFileId: number, by: string | null = null): Promise<void> {
  await db.query(
    `INSERT INTO settings (key, value, updated_by) VALUES ('control.current', to_jsonb($1::int), $2)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now(), updated_by = excluded.updated_by`,
    [controlFileId, by],
  );
}

export async function createRun(
  db: Sql,
  options: { status: string; source: string; kind?: string; controlFileId?: number | null; basedOnRunId?: number | null },
): Promise<number> {
  const [row] = await db.query<{ id: number }>(
    "INSERT INTO runs (status, source, kind, control_file_id, based_on_run_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    [options.status, options.source, options.kind ?? "feed", options.controlFileId ?? null, options.basedOnRunId ?? null],
  );
  return Number(row!.id);
}

export async function attachFile(
  db: Sql,
  runId: number,
  file: { name: string; originalFilename?: string | null; stored: StoredFile; via: string; by?: string | null; replaceable?: boolean },
): Promise<void> {
  await db.query(
    `INSERT INTO run_files (run_id, name, original_filename, size, digest, replaceable, uploaded_via, uploaded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (run_id, name) DO UPDATE SET original_filename = excluded.original_filename, size = excluded.size,
       digest = excluded.digest, replaceable = excluded.replaceable, uploaded_via = excluded.uploaded_via,
       uploaded_by = excluded.uploaded_by, created_at = now()`,
    [runId, file.name, file.originalFilename ?? null, file.stored.size, file.stored.digest, file.replaceable ?? false, file.via, file.by ?? null],
  );
}

/**
 * A run made from files given all at once (the command line): stores the control file and each
 * data file, and returns the new run, ready to apply.
 */
export async function createRunFromFiles(
  store: Store,
  control: Control,
  files: { name: string; path: string }[],
  options: { source: string; by?: string | null },
): Promise<number> {
  const { db } = store;
  const controlFileId = await saveControlVersion(db, control, { comment: "used by the command line", by: options.by });
  const runId = await createRun(db, { status: "uploading", source: options.source, controlFileId });
  const storedControl = await store.files.putText(control.text);
  await attachFile(db, runId, { name: "_control", originalFilename: "_control.json", stored: storedControl, via: options.source, by: options.by });
  for (const file of files) {
    const stored = await store.files.putPath(file.path);
    await attachFile(db, runId, { name: file.name, originalFilename: file.path.split("/").pop() ?? null, stored, via: options.source, by: options.by });
  }
  await db.query("UPDATE runs SET status = 'ready' WHERE id = $1", [runId]);
  return runId;
}

/**
 * Runs left 'running' by a process that died mid-apply. Their transaction never committed, so the
 * store is as before them; they are marked failed so they can be applied again.
 */
export async function recoverInterruptedRuns(store: Store): Promise<number[]> {
  return store.db.transaction(async (tx) => {
    if (store.db.kind === "postgres") {
      // Another daemon may be applying right now: only if nobody holds the apply lock are 'running' runs orphans.
      const [lock] = await tx.query<{ free: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS free", [APPLY_LOCK]);
      if (!lock?.free) return [];
    }
    const rows = await tx.query<{ id: number }>(
      `UPDATE runs SET status = 'failure', finished_at = now(), error_count = 1,
         message = 'Interrupted: the process applying this run stopped before it finished. Nothing of it was applied; apply it again.'
       WHERE status = 'running' RETURNING id`,
    );
    return rows.map((r) => Number(r.id));
  });
}

export { audit } from "./audit.ts";
export { cancelRun, claimQueuedRun, queueApprovedRun, queueRetry, reapplyRun, ReapplyError, requestApply, runReport, type ClaimedRun, type RunReport, type StartResult, type StartStatus } from "./lifecycle.ts";
export { canMove, moveRun, OPEN_STATUSES, RUN_STATUSES, RunStateError, type RunState } from "./states.ts";
export {
  checkFeedName,
  currentControl,
  currentRun,
  feedNameOf,
  isIgnoredUpload,
  receiveFile,
  UploadRefused,
  type AcceptedFile,
  type IncomingFile,
  type UploadVia,
} from "./uploads.ts";
