// A person's decision on a held run (`usersync approve RUN`, `usersync reject RUN`, later the UI).
//
// Approve: the run is executed again (run.ts with `approval`): its files are planned against the
// store AS IT IS NOW — not the plan of the moment it was held, which may be stale — its safety
// checks are recorded but do not hold, and the plan is applied. For a partial hold this applies
// the part that waited (the safe part, applied already, is now unchanged). The log of the hold is
// kept above the new one, and runs.approved_by / approved_at say who and when.
//
// Reject: the run is marked rejected and nothing more of it is ever applied (the safe part of a
// partial hold stays applied: `usersync revert` undoes it).
import type { Store } from "../store/index.ts";
import { seqAfterLog, writeLine } from "./events.ts";
import { executeRun, type EngineSettings, type RunOptions, type RunOutcome } from "./run.ts";
import { planSafetyCheck, type SafetySettings } from "./safety.ts";

export class ApprovalError extends Error {}

export interface ApproveOptions {
  by: string;
  settings: EngineSettings;
  safety: SafetySettings;
  /** approve even though a later run has been applied since (its newer data would be overwritten) */
  force?: boolean;
  onProgress?: RunOptions["onProgress"];
}

/**
 * A held run approved after newer files were applied would put older data over newer: refused
 * unless forced. Returns the newer runs (empty when there are none). Shared by approveRun (the
 * CLI) and the UI's approval, which queues the run for the daemon's worker (batch/lifecycle.ts).
 */
export async function refuseOlderOverNewer(db: Store["db"], runId: number, force: boolean): Promise<{ id: number }[]> {
  const newer = await db.query<{ id: number }>(
    "SELECT id FROM runs WHERE id > $1 AND applied_at IS NOT NULL AND kind IN ('feed', 'reapply') ORDER BY id",
    [runId],
  );
  if (newer.length && !force)
    throw new ApprovalError(
      `Run ${newer.map((r) => r.id).join(", ")} applied newer files after run ${runId} was held: approving run ${runId} now would put its older data ` +
        `over the newer. Reject it (usersync reject ${runId}), or approve it anyway with --force.`,
    );
  return newer;
}

export async function approveRun(store: Store, runId: number, options: ApproveOptions): Promise<RunOutcome> {
  const { db } = store;
  const [run] = await db.query<{ status: string }>("SELECT status FROM runs WHERE id = $1", [runId]);
  if (!run) throw new ApprovalError(`There is no run ${runId}`);
  if (run.status !== "held") throw new ApprovalError(`Run ${runId} is ${run.status}: only a held run can be approved`);
  const newer = await refuseOlderOverNewer(db, runId, options.force === true);
  // Claim the run atomically, so that two people approving at once apply it once.
  const claimed = await db.query<{ id: number }>("UPDATE runs SET status = 'running' WHERE id = $1 AND status = 'held' RETURNING id", [runId]);
  if (!claimed.length) throw new ApprovalError(`Run ${runId} is no longer held: someone else approved or rejected it just now`);
  const outcome = await executeRun(store, runId, {
    settings: options.settings,
    safety: planSafetyCheck(options.safety),
    approval: { by: options.by },
    onProgress: options.onProgress,
    actor: options.by,
  });
  await db.query("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, 'run-approved', $2, $3::text::jsonb)", [
    options.by,
    `run ${runId}`,
    JSON.stringify({ status: outcome.status, forced: newer.length > 0 }),
  ]);
  return outcome;
}

export async function rejectRun(store: Store, runId: number, options: { by: string; reason?: string }): Promise<{ partlyApplied: boolean }> {
  return store.db.transaction(async (tx) => {
    const message = `Rejected by ${options.by}${options.reason ? `: ${options.reason}` : ""}`;
    const [row] = await tx.query<{ applied: boolean }>(
      "UPDATE runs SET status = 'rejected', finished_at = now(), message = $2 WHERE id = $1 AND status = 'held' RETURNING applied_at IS NOT NULL AS applied",
      [runId, message],
    );
    if (!row) {
      const [run] = await tx.query<{ status: string }>("SELECT status FROM runs WHERE id = $1", [runId]);
      throw new ApprovalError(run ? `Run ${runId} is ${run.status}: only a held run can be rejected` : `There is no run ${runId}`);
    }
    await writeLine(tx, runId, {
      seq: await seqAfterLog(tx, runId),
      level: "warn",
      action: "reject",
      message: `REJECTED by ${options.by}${options.reason ? ` (${options.reason})` : ""}: nothing more of this run will be applied` +
        (row.applied ? `; the safe part applied when it was held stays (usersync revert ${runId} undoes it).` : "."),
      detail: { by: options.by, reason: options.reason ?? null },
    });
    await tx.query("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, 'run-rejected', $2, $3::text::jsonb)", [
      options.by,
      `run ${runId}`,
      JSON.stringify({ reason: options.reason ?? null }),
    ]);
    return { partlyApplied: row.applied };
  });
}
