// How a run ends, in its log and its row: the safety checks' lines, the closing lines of an
// applied, dry, held or partly held run, and the two ways a run ends without a plan applied —
// held because a file could not be read, or failed.
import type { Store } from "../store/index.ts";
import { seqAfterLog, writeLine, type LogLine } from "./events.ts";
import type { RunCounts, SafetyCheckResult, SafetyVerdict } from "./run.ts";

/** The log line of one safety check: its figures against its bound. */
export function safetyLine(seq: number, check: SafetyCheckResult, approved = false): LogLine {
  const effect = !check.tripped
    ? "ok"
    : approved
      ? "TRIPPED (recorded: the run is approved)"
      : check.onTrip === "warn"
        ? "TRIPPED (warning only)"
        : check.onTrip === "hold-risky"
          ? "TRIPPED (holds the risky part)"
          : "TRIPPED (holds the run)";
  return {
    seq,
    level: check.tripped ? "warn" : "info",
    action: "safety",
    message: `SAFETY ${check.name}: ${effect}. ${check.message}`,
    detail: { check: check.name, tripped: check.tripped, onTrip: check.onTrip ?? null, figures: check.figures ?? null, bound: check.bound ?? null },
  };
}

/** One line on a held run: which checks tripped. */
export function heldMessage(verdict: SafetyVerdict, hold: "run" | "risky"): string {
  const names = verdict.checks.filter((c) => c.tripped && c.onTrip !== "warn").map((c) => c.name);
  return hold === "risky"
    ? `Held in part by safety checks (${names.join(", ")}): the safe part was applied; blocks and group removals wait for approval`
    : `Held by safety checks (${names.join(", ")}): nothing was applied`;
}

/** The closing lines of a run's log: what was done, or why not. */
export function outcomeLines(counts: RunCounts, verdict: SafetyVerdict | null, hold: "run" | "risky" | null, dryRun: boolean): Omit<LogLine, "seq">[] {
  const lines: Omit<LogLine, "seq">[] = [];
  const applied = !dryRun && hold !== "run";
  if (counts.block) {
    const heldBlocks = verdict?.heldPart?.blocks ?? 0;
    if (applied && counts.block > heldBlocks) lines.push({ level: "info", action: "block", message: `Blocked ${counts.block - heldBlocks} users` });
    if (!applied) lines.push({ level: "info", action: "block", message: `${counts.block} users would be blocked (not applied)` });
  }
  if (dryRun) lines.push({ level: "warn", action: "run", message: "Dry run: nothing was applied" });
  else if (hold === "run")
    lines.push({ level: "warn", action: "held", message: `HELD: ${heldMessage(verdict!, "run")}. A person approves the run (the plan is then computed again against the store) or rejects it.` });
  else if (hold === "risky") {
    const p = verdict!.heldPart!;
    lines.push({
      level: "warn",
      action: "held",
      message:
        `HELD IN PART: ${heldMessage(verdict!, "risky")}. Waiting for approval: ${p.blocks} blocks, ${p.pendingLeavers} pending leavers, ` +
        `${p.usersWithGroupRemovals} users with ${p.groupRemovals} group removals.`,
      detail: p,
    });
  }
  return lines;
}

/** A run whose file could not be read: held, with the reader's problem as the tripped check. */
export async function markHeldUnreadable(store: Store, runId: number, verdict: SafetyVerdict, durationMs: number): Promise<void> {
  const check = verdict.checks[0]!;
  await store.db.transaction(async (tx) => {
    await tx.query("DELETE FROM run_events WHERE run_id = $1", [runId]);
    await writeLine(tx, runId, { seq: 0, level: "error", action: "run", message: `ERROR: ${check.message}` });
    await writeLine(tx, runId, safetyLine(1, check));
    await writeLine(tx, runId, { seq: 2, level: "warn", action: "held", message: `HELD: ${heldMessage(verdict, "run")}. Reject the run and send the file again.` });
    await tx.query(
      `UPDATE runs SET status = 'held', safety = $2::text::jsonb, message = $3, error_count = 1, counts = '{}'::jsonb,
         finished_at = now(), duration_ms = $4 WHERE id = $1`,
      [runId, JSON.stringify(verdict), heldMessage(verdict, "run"), durationMs],
    );
  });
}

/**
 * A run that failed: nothing of it was applied; its log says why. `keepLog` keeps what the log
 * already said (an approved run that then failed still shows why it had been held).
 */
export async function markFailed(store: Store, runId: number, message: string, durationMs: number | null = null, options: { keepLog?: boolean } = {}): Promise<void> {
  await store.db.transaction(async (tx) => {
    let base = 0;
    if (options.keepLog) base = await seqAfterLog(tx, runId);
    else await tx.query("DELETE FROM run_events WHERE run_id = $1", [runId]);
    await writeLine(tx, runId, { seq: base, level: "error", action: "run", message: `EXCEPTION: Error during sync: ${message}` });
    await writeLine(tx, runId, { seq: base + 1, level: "info", action: "run", message: "Nothing was applied: the store is as it was before this run." });
    await tx.query(
      "UPDATE runs SET status = 'failure', message = $2, error_count = 1, finished_at = now(), duration_ms = $3 WHERE id = $1",
      [runId, message, durationMs],
    );
  });
}
