// Only NEW problems are news (anchors (c) item 7, (e) item 4): an error that was already in the
// previous run's log is not reported again as new. A problem is a run_events row of level 'error';
// it is identified across runs by the user it concerns plus its message with the parts that move
// from run to run taken out (record and line numbers), so "Invalid email (record 12, user ann)"
// today and "Invalid email (record 14, user ann)" tomorrow are the same problem, still present.
import type { Sql } from "../store/index.ts";

export interface Problem {
  username: string | null;
  message: string;
}

export interface ProblemComparison {
  /** The run compared with (the latest earlier complete or failed run), or null for the first. */
  previousRunId: number | null;
  /** Problems of this run that the previous run did not have. */
  new: Problem[];
  /** How many of this run's problems the previous run had too. */
  persisting: number;
  /** How many of the previous run's problems are gone. */
  resolved: number;
}

/** The moving parts of a message out, so that the same problem has the same key in every run. */
export function problemKey(problem: Problem): string {
  const message = problem.message
    .replace(/\s*\(record \d+, user [^)]*\)\s*$/, "") // the engine's "(record n, user u)" suffix
    .replace(/\(ignoring record \d+\)/g, "(ignoring record)")
    .replace(/\b(record|line|row) \d+/gi, "$1 #")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
  return `${(problem.username ?? "").normalize("NFC").trim().toLowerCase()}\u0000${message}`;
}

/** The run a report compares with: the latest earlier run that was applied or failed. */
export async function previousRunOf(db: Sql, runId: number): Promise<{ id: number; errorCount: number } | null> {
  const [row] = await db.query<{ id: number; error_count: number }>(
    "SELECT id, error_count FROM runs WHERE id < $1 AND status IN ('complete', 'failure') AND NOT dry_run ORDER BY id DESC LIMIT 1",
    [runId],
  );
  return row ? { id: Number(row.id), errorCount: Number(row.error_count) } : null;
}

async function problemsOf(db: Sql, runId: number): Promise<Problem[]> {
  return db.query<Problem>("SELECT username, message FROM run_events WHERE run_id = $1 AND level = 'error' ORDER BY seq", [runId]);
}

export async function compareProblems(db: Sql, runId: number, previousRunId: number | null): Promise<ProblemComparison> {
  const current = await problemsOf(db, runId);
  const before = new Set((previousRunId === null ? [] : await problemsOf(db, previousRunId)).map(problemKey));
  const seen = new Set<string>();
  const fresh: Problem[] = [];
  let persisting = 0;
  for (const problem of current) {
    const key = problemKey(problem);
    if (seen.has(key)) continue; // the same problem twice in one run counts once
    seen.add(key);
    if (before.has(key)) persisting++;
    else fresh.push(problem);
  }
  let resolved = 0;
  for (const key of before) if (!seen.has(key)) resolved++;
  return { previousRunId, new: fresh, persisting, resolved };
}
