// Reading runs for the pages: the list (keyset-paged, newest first), one run, its files, and the
// figures the dashboard charts.
import { RUN_STATUSES as BATCH_STATUSES } from "../../../batch/index.ts";
import type { SafetyVerdict } from "../../../engine/index.ts";
import type { Sql } from "../../../store/index.ts";

/** runs.safety, as the engine writes it (src/engine/run.ts SafetyVerdict). */
export type SafetyVerdictView = SafetyVerdict;

export interface RunView {
  id: number;
  status: string;
  kind: string;
  source: string | null;
  dryRun: boolean;
  controlFileId: number | null;
  basedOnRunId: number | null;
  counts: Record<string, unknown>;
  errorCount: number;
  safety: SafetyVerdictView | null;
  message: string | null;
  approvedBy: string | null;
  approvedAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  appliedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  /** Errors of the run before it that finished (null when there is none). */
  previousErrors: number | null;
}

/** Every status a run can have: the batch's states, and "rejected" (a held run a person turned down, src/engine/approval.ts). */
export const RUN_STATUSES: readonly string[] = [...BATCH_STATUSES, "rejected"];

const RUN_COLUMNS = `r.*, (SELECT p.error_count FROM runs p WHERE p.id < r.id AND p.status IN ('complete', 'failure', 'held', 'dry-run', 'rejected')
  ORDER BY p.id DESC LIMIT 1) AS previous_errors`;

function toRun(r: Record<string, any>): RunView {
  return {
    id: Number(r.id),
    status: r.status,
    kind: r.kind,
    source: r.source,
    dryRun: r.dry_run,
    controlFileId: r.control_file_id === null ? null : Number(r.control_file_id),
    basedOnRunId: r.based_on_run_id === null ? null : Number(r.based_on_run_id),
    counts: r.counts ?? {},
    errorCount: Number(r.error_count),
    safety: r.safety ?? null,
    message: r.message,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    createdAt: r.created_at,
    startedAt: r.started_at,
    appliedAt: r.applied_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    previousErrors: r.previous_errors === null || r.previous_errors === undefined ? null : Number(r.previous_errors),
  };
}

export interface RunPage {
  runs: RunView[];
  /** The id to page from for newer runs (`after`), or null on the first page. */
  newer: number | null;
  /** The id to page from for older runs (`before`), or null on the last page. */
  older: number | null;
}

/** One page of runs, newest first: before an id (older), after an id (newer), or the newest. */
export async function listRuns(db: Sql, options: { before?: number | null; after?: number | null; status?: string | null; limit?: number }): Promise<RunPage> {
  const limit = options.limit ?? 25;
  const status = options.status ?? null;
  let rows: Record<string, any>[];
  if (options.after) {
    rows = await db.query(
      `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id > $1 AND ($2::text IS NULL OR r.status = $2) ORDER BY r.id ASC LIMIT $3`,
      [options.after, status, limit],
    );
    rows.reverse();
  } else {
    rows = await db.query(
      `SELECT ${RUN_COLUMNS} FROM runs r WHERE ($1::int IS NULL OR r.id < $1) AND ($2::text IS NULL OR r.status = $2) ORDER BY r.id DESC LIMIT $3`,
      [options.before ?? null, status, limit],
    );
  }
  const runs = rows.map(toRun);
  const first = runs[0]?.id;
  const last = runs.at(-1)?.id;
  const exists = async (where: string, id: number) =>
    (await db.query(`SELECT 1 FROM runs WHERE ${where} AND ($2::text IS NULL OR status = $2) LIMIT 1`, [id, status])).length > 0;
  return {
    runs,
    newer: first !== undefined && (await exists("id > $1", first)) ? first : null,
    older: last !== undefined && (await exists("id < $1", last)) ? last : null,
  };
}

export async function getRun(db: Sql, id: number): Promise<RunView | null> {
  const [row] = await db.query<Record<string, any>>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = $1`, [id]);
  return row ? toRun(row) : null;
}

export async function heldRuns(db: Sql): Promise<RunView[]> {
  const rows = await db.query<Record<string, any>>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.status = 'held' ORDER BY r.id DESC LIMIT 20`);
  return rows.map(toRun);
}

/** The last runs that read their files, oldest first (for the dashboard's charts). */
export async function recentFinishedRuns(db: Sql, limit = 30): Promise<RunView[]> {
  const rows = await db.query<Record<string, any>>(
    `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.status IN ('complete', 'failure', 'held', 'dry-run', 'rejected') ORDER BY r.id DESC LIMIT $1`,
    [limit],
  );
  return rows.map(toRun).reverse();
}

/** Runs still collecting files or being applied. */
export async function runsInProgress(db: Sql): Promise<RunView[]> {
  const rows = await db.query<Record<string, any>>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.status IN ('uploading', 'ready', 'queued', 'running') ORDER BY r.id DESC LIMIT 10`);
  return rows.map(toRun);
}

export interface RunFileView {
  name: string;
  originalFilename: string | null;
  size: number;
  digest: string;
  recordCount: number | null;
  uploadedVia: string | null;
  uploadedBy: string | null;
  createdAt: Date;
  /** The same-named file of the latest earlier run that had one, for the diff. */
  previous: { runId: number; digest: string } | null;
}

export async function runFiles(db: Sql, runId: number): Promise<RunFileView[]> {
  const rows = await db.query<Record<string, any>>(
    `SELECT f.*, prev.run_id AS prev_run_id, prev.digest AS prev_digest
     FROM run_files f
     LEFT JOIN LATERAL (SELECT p.run_id, p.digest FROM run_files p WHERE p.name = f.name AND p.run_id < f.run_id ORDER BY p.run_id DESC LIMIT 1) prev ON true
     WHERE f.run_id = $1 ORDER BY (f.name = '_control'), f.name`,
    [runId],
  );
  return rows.map((r) => ({
    name: r.name,
    originalFilename: r.original_filename,
    size: Number(r.size),
    digest: r.digest,
    recordCount: r.record_count === null ? null : Number(r.record_count),
    uploadedVia: r.uploaded_via,
    uploadedBy: r.uploaded_by,
    createdAt: r.created_at,
    previous: r.prev_run_id === null ? null : { runId: Number(r.prev_run_id), digest: r.prev_digest },
  }));
}

/** When the last batch file arrived (any run). */
export async function lastFileReceivedAt(db: Sql): Promise<Date | null> {
  const [row] = await db.query<{ at: Date | null }>("SELECT max(created_at) AS at FROM run_files");
  return row?.at ?? null;
}

export interface UserFigures {
  managed: number;
  active: number;
  blockedSync: number;
  blockedAdmin: number;
  inError: number;
  pending: number;
}

// Counting every managed user's state reads the whole ledger (0.1 s at 100,000 users), and the
// dashboard shows the figures on every visit. They change only when a run finishes or an admin
// acts (audited), so they are kept, per database, until either happens — or a minute passes, for
// anything else that writes to the store.
const figuresCache = new WeakMap<Sql, { key: string; at: number; figures: UserFigures }>();

/** How many users the sync manages, and in which states. */
export async function userFigures(db: Sql): Promise<UserFigures> {
  const [stamp] = await db.query<{ key: string }>(
    "SELECT concat_ws(':', (SELECT max(finished_at) FROM runs)::text, (SELECT max(id) FROM audit_log)::text, (SELECT count(*) FROM runs)::text) AS key",
  );
  const key = stamp?.key ?? "";
  const cached = figuresCache.get(db);
  if (cached && cached.key === key && Date.now() - cached.at < 60_000) return cached.figures;
  const [row] = await db.query<Record<string, any>>(
    `SELECT count(*)::int AS managed,
       count(*) FILTER (WHERE u.active)::int AS active,
       count(*) FILTER (WHERE NOT u.active AND u.blocked_by = 'sync')::int AS blocked_sync,
       count(*) FILTER (WHERE NOT u.active AND u.blocked_by = 'admin')::int AS blocked_admin,
       count(*) FILTER (WHERE l.error)::int AS in_error,
       count(*) FILTER (WHERE l.in_feed AND l.absent_runs > 0)::int AS pending
     FROM sync_ledger l JOIN users u ON u.id = l.user_id`,
  );
  const figures = {
    managed: row?.managed ?? 0,
    active: row?.active ?? 0,
    blockedSync: row?.blocked_sync ?? 0,
    blockedAdmin: row?.blocked_admin ?? 0,
    inError: row?.in_error ?? 0,
    pending: row?.pending ?? 0,
  };
  figuresCache.set(db, { key, at: Date.now(), figures });
  return figures;
}
