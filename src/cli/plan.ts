// A run's plan on the terminal: per user, the action and the field-level changes, read back from
// the run's log (the latest execution of it: an approved run keeps the log of its hold above).
// Shared by apply --dry-run, approve, replay and revert.
import type { RunOutcome, SafetyVerdict } from "../engine/index.ts";
import type { Sql } from "../store/index.ts";
import { num } from "./format.ts";
import { describeChanges } from "./run.ts";

interface PlanEvent {
  message: string;
  detail: Parameters<typeof describeChanges>[0];
}

/** The per-user lines of a run's plan, at most `limit` users. */
export async function planLines(db: Sql, runId: number, limit: number): Promise<string[]> {
  const where = `run_id = $1 AND username IS NOT NULL
    AND seq >= coalesce((SELECT max(seq) FROM run_events WHERE run_id = $1 AND action = 'run' AND message LIKE 'START: %'), 0)`;
  const events = await db.query<PlanEvent>(`SELECT message, detail FROM run_events WHERE ${where} ORDER BY seq LIMIT $2`, [runId, limit]);
  const [{ total }] = (await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM run_events WHERE ${where}`, [runId])) as [{ total: number }];
  if (!total) return ["Plan: no user changes."];
  const lines = [`Plan, per user${total > events.length ? ` (the first ${num(events.length)} of ${num(total)} lines; --limit N for more)` : ""}:`];
  for (const e of events) {
    lines.push(`  ${e.message}`);
    lines.push(...describeChanges(e.detail));
  }
  return lines;
}

/** The safety verdict on the terminal: what held the run, what only warned, who approved. */
export function safetyLines(runId: number, verdict: SafetyVerdict | null, options: { all?: boolean; dryRun?: boolean } = {}): string[] {
  if (!verdict) return [];
  const lines: string[] = [];
  const tripped = verdict.checks.filter((c) => c.tripped);
  if (options.dryRun && verdict.held)
    lines.push(`  the safety checks WOULD HOLD this run${verdict.hold === "risky" ? " in part (blocks and group removals)" : ""} if it were applied:`);
  else if (verdict.approval) lines.push(`  approved by ${verdict.approval.by}; the safety checks were recorded and did not hold:`);
  else if (verdict.held && verdict.hold === "risky") {
    const p = verdict.heldPart;
    lines.push(
      `  HELD IN PART by safety checks: the safe part was applied${p ? `; waiting for approval: ${num(p.blocks)} blocks, ${num(p.pendingLeavers)} pending leavers, ${num(p.usersWithGroupRemovals)} users with ${num(p.groupRemovals)} group removals` : ""}:`,
    );
  } else if (verdict.held) lines.push("  HELD by safety checks: nothing was applied:");
  else if (tripped.length) lines.push("  safety warnings (not holding):");
  else if (options.all) lines.push("  safety checks: all passed");
  for (const check of options.all || verdict.approval ? verdict.checks : tripped)
    lines.push(`    ${check.tripped ? "TRIPPED" : "ok     "} ${check.name}: ${check.message}`);
  if (verdict.held && !verdict.approval && !options.dryRun) lines.push(`  approve: usersync approve ${runId} [--by NAME]    reject: usersync reject ${runId}`);
  return lines;
}

/** One line per run outcome, then its counts. */
export function countLines(outcome: Pick<RunOutcome, "counts">): string[] {
  const c = outcome.counts;
  if (!c) return [];
  return [
    `  records ${num(c.records)}: ${num(c.create)} created, ${num(c.update)} updated, ${num(c.unblock)} unblocked, ` +
      `${num(c.unchanged)} unchanged, ${num(c.block)} blocked, ${num(c.pendingLeaver)} pending leavers, ${num(c.reject)} rejected`,
    `  groups: ${num(c.groupsAdded)} memberships added, ${num(c.groupsRemoved)} removed; errors: ${num(c.errors)}`,
  ];
}
