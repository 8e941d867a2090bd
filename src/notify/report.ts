// What a report says about a run, and how it is worded for each channel: Haplo's report email
// (reference §6.9: subject "User feed report / <delta> / <hostname>", "Change in error count"),
// Haplo's monitoring endpoint fields (hostname, status, syncTime, errors, errorDelta), and a JSON
// body with the counts and the new problems.
import type { Sql } from "../store/index.ts";
import { compareProblems, previousRunOf, type Problem, type ProblemComparison } from "./problems.ts";

export type ReportEvent = "run-finished" | "run-held";

export interface RunReport {
  event: ReportEvent;
  hostname: string;
  runId: number;
  status: string;
  source: string | null;
  /** When the run finished (Haplo's syncTime), ISO 8601. */
  syncTime: string;
  durationMs: number | null;
  /** Haplo's `errors`: the run's error count (a failed run counts 1). */
  errors: number;
  /** Haplo's `errorDelta`: this run's errors minus the previous run's (none: 0). */
  errorDelta: number;
  counts: Record<string, unknown>;
  message: string | null;
  /** The safety checks that tripped, for a held run. */
  heldBecause: string[];
  problems: ProblemComparison;
  /** Link to the run in the web UI, when notifications.uiUrl is set. */
  link: string | null;
}

export class UnknownRunError extends Error {}

export async function buildRunReport(db: Sql, runId: number, options: { event: ReportEvent; hostname: string; uiUrl?: string }): Promise<RunReport> {
  const [run] = await db.query<{
    status: string;
    source: string | null;
    counts: Record<string, unknown> | null;
    error_count: number;
    finished_at: Date | string | null;
    created_at: Date | string;
    duration_ms: number | null;
    message: string | null;
    safety: { checks?: { name: string; tripped: boolean; message: string }[] } | null;
  }>("SELECT status, source, counts, error_count, finished_at, created_at, duration_ms, message, safety FROM runs WHERE id = $1", [runId]);
  if (!run) throw new UnknownRunError(`There is no run ${runId}`);
  const previous = await previousRunOf(db, runId);
  const errors = Number(run.error_count);
  return {
    event: options.event,
    hostname: options.hostname,
    runId,
    status: run.status,
    source: run.source,
    syncTime: new Date(run.finished_at ?? run.created_at).toISOString(),
    durationMs: run.duration_ms === null ? null : Number(run.duration_ms),
    errors,
    errorDelta: errors - (previous?.errorCount ?? 0),
    counts: run.counts ?? {},
    message: run.message,
    heldBecause: (run.safety?.checks ?? []).filter((c) => c.tripped).map((c) => `${c.name}: ${c.message}`),
    problems: await compareProblems(db, runId, previous?.id ?? null),
    link: options.uiUrl ? `${options.uiUrl.replace(/\/+$/, "")}/runs/${runId}` : null,
  };
}

/** In the body a sign makes "+2" and "-2" read at a glance (the subject keeps Haplo's plain number). */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

const n = (value: unknown) => (typeof value === "number" ? value.toLocaleString("en-US") : "0");

/** How many new problems an email lists before it says "and N more". */
export const EMAIL_PROBLEM_LIMIT = 200;
/** How many new problems the JSON webhook body carries. */
export const WEBHOOK_PROBLEM_LIMIT = 20;

/** Haplo's subject, exactly: "User feed report / <delta> / <hostname>" (a held run says so instead of "report"). */
export function emailSubject(report: RunReport): string {
  const what = report.event === "run-held" ? "User feed held for approval" : "User feed report";
  return `${what} / ${report.errorDelta} / ${report.hostname}`;
}

export function emailText(report: RunReport): string {
  const c = report.counts;
  const lines: string[] = [];
  lines.push(`Sync run ${report.runId} on ${report.hostname}: ${report.status}${report.source ? `, from ${report.source}` : ""}`);
  lines.push(`Sync time: ${report.syncTime}${report.durationMs !== null ? ` (${(report.durationMs / 1000).toFixed(1)} s)` : ""}`);
  if (report.link) lines.push(`In the web UI: ${report.link}`);
  lines.push("");
  lines.push(`Change in error count: ${signed(report.errorDelta)}`);
  const p = report.problems;
  lines.push(
    `${report.errors} error(s) in this run` +
      (p.previousRunId !== null ? `; compared with run ${p.previousRunId}: ${p.new.length} new, ${p.persisting} still there, ${p.resolved} resolved.` : "; there is no earlier run to compare with."),
  );
  if (report.message) lines.push("", report.message);
  if (report.event === "run-held") {
    lines.push("", "Nothing has been applied. A person must approve or reject this run in the web UI.");
    for (const why of report.heldBecause) lines.push(`  - ${why}`);
  }
  if (c.records !== undefined) {
    lines.push(
      "",
      `Records ${n(c.records)}: ${n(c.create)} created, ${n(c.update)} updated, ${n(c.unblock)} unblocked, ${n(c.unchanged)} unchanged, ` +
        `${n(c.block)} blocked, ${n(c.pendingLeaver)} pending leavers, ${n(c.reject)} rejected.`,
    );
  }
  if (p.new.length) {
    lines.push("", `New problems (${p.new.length}):`);
    for (const problem of p.new.slice(0, EMAIL_PROBLEM_LIMIT)) lines.push(`  ${problem.message}`);
    if (p.new.length > EMAIL_PROBLEM_LIMIT) lines.push(`  … and ${p.new.length - EMAIL_PROBLEM_LIMIT} more: usersync run ${report.runId} --errors`);
  }
  if (p.persisting) lines.push("", `${p.persisting} problem(s) from run ${p.previousRunId} are still there (not repeated here): usersync run ${report.runId} --errors`);
  return `${lines.join("\n")}\n`;
}

/** Haplo's monitoring endpoint fields, exactly (reference §6.9). */
export function formFields(report: RunReport): Record<string, string> {
  return {
    hostname: report.hostname,
    status: report.status,
    syncTime: report.syncTime,
    errors: String(report.errors),
    errorDelta: String(report.errorDelta),
  };
}

export interface JsonReport {
  event: ReportEvent;
  hostname: string;
  status: string;
  syncTime: string;
  errors: number;
  errorDelta: number;
  runId: number;
  source: string | null;
  durationMs: number | null;
  counts: Record<string, unknown>;
  problems: { previousRunId: number | null; new: number; persisting: number; resolved: number; newProblems: Problem[] };
  heldBecause: string[];
  link: string | null;
}

export function jsonBody(report: RunReport): JsonReport {
  const { files: _files, ...counts } = report.counts as Record<string, unknown> & { files?: unknown };
  return {
    event: report.event,
    hostname: report.hostname,
    status: report.status,
    syncTime: report.syncTime,
    errors: report.errors,
    errorDelta: report.errorDelta,
    runId: report.runId,
    source: report.source,
    durationMs: report.durationMs,
    counts,
    problems: {
      previousRunId: report.problems.previousRunId,
      new: report.problems.new.length,
      persisting: report.problems.persisting,
      resolved: report.problems.resolved,
      newProblems: report.problems.new.slice(0, WEBHOOK_PROBLEM_LIMIT),
    },
    heldBecause: report.heldBecause,
    link: report.link,
  };
}
