// What happens to a run once its files are in: start-sync (Haplo's ok / disabled / unready /
// unsafe), cancel, re-apply as a new run, and the queue the daemon's worker takes runs from.
import { ApprovalError, refuseOlderOverNewer } from "../engine/approval.ts";
import { seqAfterLog, writeLine } from "../engine/events.ts";
import type { SafetyVerdict } from "../engine/index.ts";
import type { Sql, Store } from "../store/index.ts";
import { audit } from "./audit.ts";
import { createRun } from "./index.ts";
import { moveRun, OPEN_STATUSES, RunStateError, type RunState } from "./states.ts";
import { currentRun } from "./uploads.ts";

/** Haplo's start-sync statuses (reference §5.2). */
export type StartStatus = "ok" | "disabled" | "unready" | "unsafe";

export interface StartResult {
  status: StartStatus;
  runId: number | null;
  safety?: SafetyVerdict;
}

export interface StartOptions {
  autoApply: boolean;
  /** The checks that need no plan (src/engine/safety.ts preflightChecks), bound to the settings. */
  preflight: (db: Sql, runId: number) => Promise<SafetyVerdict>;
  actor: string;
}

/**
 * start-sync: the run uploads went to must be `ready`; with auto-apply on and the preflight checks
 * passing it is queued for the worker, otherwise it waits for a person (disabled), or is held
 * with the checks' verdict (unsafe).
 */
export async function requestApply(store: Store, options: StartOptions): Promise<StartResult> {
  const { db } = store;
  // Haplo looked at the latest run by creation time; the open run is that run, except after a
  // re-apply, which is a run of its own and must not hide the run being uploaded.
  const run = (await currentRun(db)) ?? (await latestRun(db));
  if (!run || run.status !== "ready") return { status: "unready", runId: run?.id ?? null };
  if (!options.autoApply) return { status: "disabled", runId: run.id };
  const verdict = await options.preflight(db, run.id);
  try {
    if (verdict.held) {
      // Haplo's answer is "unsafe" at once. The run is still planned by the worker — held with the
      // preflight's verdict, whatever the plan says — so that a person sees what it would do.
      await moveRun(db, run.id, "queued", { safety: JSON.stringify(verdict) });
      await audit(db, { actor: options.actor, action: "run-held", target: `run ${run.id}`, detail: { checks: verdict.checks.filter((c) => c.tripped) } });
      return { status: "unsafe", runId: run.id, safety: verdict };
    }
    await moveRun(db, run.id, "queued", { safety: null });
  } catch (error) {
    // Someone else moved it first (a second start-sync, a cancel): it is no longer ready.
    if (error instanceof RunStateError) return { status: "unready", runId: run.id };
    throw error;
  }
  await audit(db, { actor: options.actor, action: "run-queued", target: `run ${run.id}` });
  return { status: "ok", runId: run.id };
}

async function latestRun(db: Sql): Promise<{ id: number; status: RunState } | null> {
  const [run] = await db.query<{ id: number; status: RunState }>("SELECT id, status FROM runs ORDER BY id DESC LIMIT 1");
  return run ? { id: Number(run.id), status: run.status } : null;
}

/** Cancel a run that has not started applying. A running apply is one transaction: it finishes or rolls back. */
export async function cancelRun(store: Store, runId: number, actor: string): Promise<void> {
  await moveRun(store.db, runId, "cancelled", { finished_at: new Date().toISOString(), message: `Cancelled by ${actor}` });
  await audit(store.db, { actor, action: "run-cancelled", target: `run ${runId}` });
}

/**
 * Approve a held run for the daemon's worker (the web UI's approve): held → queued with
 * approved_by/approved_at set; the worker then executes it with the approval, exactly as
 * `usersync approve` does in the foreground (engine/approval.ts approveRun): planned again against
 * the store as it is then, its checks recorded but not holding. Refused, as there, when a newer run
 * was applied since (unless forced) — and when someone else decided first.
 */
export async function queueApprovedRun(store: Store, runId: number, options: { by: string; force?: boolean }): Promise<void> {
  const [run] = await store.db.query<{ status: string }>("SELECT status FROM runs WHERE id = $1", [runId]);
  if (!run) throw new ApprovalError(`There is no run ${runId}`);
  if (run.status !== "held") throw new ApprovalError(`Run ${runId} is ${run.status}: only a held run can be approved`);
  const newer = await refuseOlderOverNewer(store.db, runId, options.force === true);
  try {
    await moveRun(store.db, runId, "queued", { approved_by: options.by, approved_at: new Date().toISOString() });
  } catch (error) {
    if (error instanceof RunStateError) throw new ApprovalError(`Run ${runId} is no longer held: someone else approved or rejected it just now`);
    throw error;
  }
  await audit(store.db, { actor: options.by, action: "run-approved", target: `run ${runId}`, detail: { queued: true, forced: newer.length > 0 } });
}

export class ReapplyError extends Error {}

/**
 * Re-apply an old run's files as a NEW run (kind 'reapply', based_on_run_id), queued at once: a
 * person asked for it, so auto-apply and the preflight checks do not apply (as in Haplo).
 */
export async function reapplyRun(store: Store, runId: number, actor: string): Promise<number> {
  const newId = await store.db.transaction(async (tx) => {
    const [old] = await tx.query<{ status: string; control_file_id: number | null }>("SELECT status, control_file_id FROM runs WHERE id = $1", [runId]);
    if (!old) throw new ReapplyError(`There is no run ${runId}`);
    if ((OPEN_STATUSES as readonly string[]).includes(old.status)) throw new ReapplyError(`Run ${runId} is ${old.status}: only a finished run can be re-applied`);
    const [busy] = await tx.query<{ id: number; status: string }>("SELECT id, status FROM runs WHERE status IN ('queued', 'running') ORDER BY id LIMIT 1");
    if (busy) throw new ReapplyError(`Run ${busy.id} is ${busy.status}: wait for it to finish`);
    const [{ files }] = (await tx.query<{ files: number }>("SELECT count(*)::int AS files FROM run_files WHERE run_id = $1 AND name = '_control'", [runId])) as [
      { files: number },
    ];
    if (!files) throw new ReapplyError(`Run ${runId} has no control file, so it cannot be re-applied`);
    const id = await createRun(tx, { status: "queued", source: actor.split(":")[0] ?? "ui", kind: "reapply", controlFileId: old.control_file_id, basedOnRunId: runId });
    await tx.query(
      `INSERT INTO run_files (run_id, name, original_filename, size, digest, replaceable, record_count, uploaded_via, uploaded_by)
       SELECT $2, name, original_filename, size, digest, false, record_count, uploaded_via, uploaded_by FROM run_files WHERE run_id = $1`,
      [runId, id],
    );
    return id;
  });
  await audit(store.db, { actor, action: "run-reapplied", target: `run ${newId}`, detail: { basedOn: runId } });
  return newId;
}

export interface ClaimedRun {
  id: number;
  kind: string;
  approved: boolean;
  /** who approved the run (a held run approved in the UI is queued with approved_by set) */
  approvedBy: string | null;
  /** start-sync's preflight held the run: it is planned, and held whatever the plan's checks say */
  preflight?: SafetyVerdict | null;
}

/**
 * Take the oldest queued run for this worker, atomically: on PostgreSQL several daemons may poll
 * the same queue, and SKIP LOCKED hands each run to exactly one of them.
 */
export async function claimQueuedRun(db: Sql, runId: number | null = null): Promise<ClaimedRun | null> {
  const [run] = await db.query<{ id: number; kind: string; approved_at: Date | null; approved_by: string | null; safety: SafetyVerdict | null }>(
    `UPDATE runs SET status = 'running', started_at = now()
     WHERE id = (SELECT id FROM runs WHERE status = 'queued' AND ($1::int IS NULL OR id = $1) AND (retry_at IS NULL OR retry_at <= now())
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, approved_at, approved_by, safety`,
    [runId],
  );
  if (!run) return null;
  const preflight = run.safety?.held && !run.approved_by ? run.safety : null;
  return { id: Number(run.id), kind: run.kind, approved: run.approved_at !== null, approvedBy: run.approved_by, preflight };
}

/**
 * A run the database failed (connection lost, read-only, disk full: nothing of it was applied)
 * goes back to the queue by itself, to be tried again once the next of `delaysMs` has passed —
 * unless it has had one try per delay already, or someone moved it on meanwhile (the UPDATE only
 * matches a failed run). Its log keeps each failure; the retry appends to it (engine/run.ts).
 * Returns when it will be tried again, or null when it stays failed.
 */
export async function queueRetry(db: Sql, runId: number, reason: string, delaysMs: readonly number[]): Promise<Date | null> {
  const [run] = await db.query<{ attempts: number }>("SELECT attempts FROM runs WHERE id = $1 AND status = 'failure'", [runId]);
  if (!run) return null;
  const attempt = Number(run.attempts); // retries so far
  const delayMs = delaysMs[attempt];
  if (delayMs === undefined) {
    if (delaysMs.length)
      await writeLine(db, runId, {
        seq: await seqAfterLog(db, runId),
        level: "error",
        action: "run",
        message: `GAVE UP after ${attempt + 1} attempts: the database failed each time (last: ${reason}). Apply it again once the database is well: usersync reapply ${runId}.`,
      });
    return null;
  }
  const [moved] = await db.query<{ retry_at: Date }>(
    `UPDATE runs SET status = 'queued', attempts = attempts + 1, retry_at = t.at, finished_at = NULL,
       message = $3 || ' It will be tried again at ' || to_char(t.at, 'HH24:MI:SS') || ' (attempt ' || ($4::int + 2) || ' of ' || $5::int || ').'
     FROM (SELECT now() + make_interval(secs => $2::float8 / 1000) AS at) t
     WHERE id = $1 AND status = 'failure' RETURNING retry_at`,
    [runId, delayMs, `Attempt ${attempt + 1} failed: ${reason}.`, attempt, delaysMs.length + 1],
  );
  if (!moved) return null;
  await writeLine(db, runId, {
    seq: await seqAfterLog(db, runId),
    level: "warn",
    action: "run",
    message: `RETRY: the database failed, not the feed: the run is tried again in ${Math.round(delayMs / 1000)} s (attempt ${attempt + 2} of ${delaysMs.length + 1}).`,
  });
  return new Date(moved.retry_at);
}

/** A run's state for an uploader polling it (GET /api/haplo-user-sync/run/ID). */
export interface RunReport {
  id: number;
  status: string;
  kind: string;
  source: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  files: { name: string; filename: string | null; size: number; digest: string; uploadedVia: string | null }[];
  expectedFiles: string[] | null;
  missingFiles: string[] | null;
  counts: Record<string, unknown>;
  errorCount: number;
  /** This run's errors minus the previous applied run's (Haplo's report, reference §6.9); null until it has run. */
  errorDelta: number | null;
  message: string | null;
  safety: unknown;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export async function runReport(db: Sql, runId: number | "current"): Promise<RunReport | null> {
  let id = runId;
  if (id === "current") {
    const run = (await currentRun(db)) ?? (await latestRun(db));
    if (!run) return null;
    id = run.id;
  }
  const [run] = await db.query<Record<string, any>>(
    `SELECT r.*, c.expected_files FROM runs r LEFT JOIN control_files c ON c.id = r.control_file_id WHERE r.id = $1`,
    [id],
  );
  if (!run) return null;
  const files = await db.query<Record<string, any>>(
    "SELECT name, original_filename, size, digest, uploaded_via FROM run_files WHERE run_id = $1 ORDER BY name",
    [id],
  );
  const expected: string[] | null = run.expected_files ? [...run.expected_files].sort() : null;
  const finished = ["complete", "failure", "held", "dry-run"].includes(run.status);
  const [previous] = finished
    ? await db.query<{ error_count: number }>(
        "SELECT error_count FROM runs WHERE id < $1 AND status IN ('complete', 'failure') ORDER BY id DESC LIMIT 1",
        [id],
      )
    : [];
  return {
    id: Number(run.id),
    status: run.status,
    kind: run.kind,
    source: run.source,
    createdAt: iso(run.created_at)!,
    startedAt: iso(run.started_at),
    finishedAt: iso(run.finished_at),
    files: files.map((f) => ({ name: f.name, filename: f.original_filename, size: Number(f.size), digest: f.digest, uploadedVia: f.uploaded_via })),
    expectedFiles: expected,
    missingFiles: expected ? expected.filter((n) => !files.some((f) => f.name === n)) : null,
    counts: run.counts ?? {},
    errorCount: Number(run.error_count ?? 0),
    errorDelta: finished ? Number(run.error_count ?? 0) - Number(previous?.error_count ?? 0) : null,
    message: run.message,
    safety: run.safety ?? null,
  };
}
