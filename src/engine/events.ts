// The run's log: one row per user action and per problem, in Haplo's vocabulary (reference §6.10),
// written set-based from the stage, plan and changes tables. `seq` orders the log as Haplo printed
// it — each record's problems, then what happened to it, in record order; then the summary, the
// blocks and the end. Record n's lines sit at (n + 1) × 1000 + k.
import type { Sql } from "../store/index.ts";

export function seqAfterRecords(maxIdx: number): number {
  return (maxIdx + 2) * 1000;
}

const STAGE_MESSAGES = `
  INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
  SELECT $1::int, (s.idx + 1) * 1000 + m.ord,
    CASE WHEN m.line LIKE 'ERROR: %' THEN 'error' ELSE 'warn' END,
    CASE s.status WHEN 'ok' THEN 'error' WHEN 'duplicate' THEN 'duplicate' ELSE 'reject' END,
    s.username, m.line,
    jsonb_build_object('file', s.file, 'line', s.line, 'record', s.recno)
  FROM stage s CROSS JOIN LATERAL jsonb_array_elements_text(s.messages::jsonb) WITH ORDINALITY AS m(line, ord)
  WHERE s.messages IS NOT NULL`;

const COLLISIONS = `
  INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
  SELECT $1::int, (p.idx + 1) * 1000 + 500, 'error', 'reject', p.username,
    CASE p.reason
      WHEN 'username-taken' THEN 'ERROR: (' || p.username || ') The username belongs to an account the sync did not create; the record is ignored'
      ELSE 'ERROR: (' || p.username || ') The email address belongs to an account the sync did not create; the record is ignored'
    END,
    jsonb_build_object('file', p.file, 'line', p.line, 'record', p.recno, 'reason', p.reason)
  FROM plan p WHERE p.action = 'reject' AND p.reason IN ('username-taken', 'email-taken')`;

const USER_ACTIONS = `
  INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
  SELECT $1::int, (c.idx + 1) * 1000 + 900, 'info', CASE c.action WHEN 'create' THEN 'create' ELSE 'update' END, c.username,
    CASE c.action WHEN 'create' THEN 'create ' ELSE 'update ' END || c.username, c.detail
  FROM changes c WHERE c.action IN ('create', 'update', 'unblock')
  UNION ALL
  SELECT $1::int, (c.idx + 1) * 1000 + 901, 'info', 'unblock', c.username, 'reactivate ' || c.username, NULL
  FROM changes c WHERE c.action = 'unblock'
  UNION ALL
  SELECT $1::int, (c.idx + 1) * 1000 + 902, 'info', 'create', c.username, 'Creating store object for user: ' || c.username, NULL
  FROM changes c WHERE c.action IN ('update', 'unblock') AND c.new_object
  UNION ALL
  SELECT $1::int, (p.idx + 1) * 1000 + 900, 'error', 'reject', c.username,
    'ERROR: (' || c.username || ') ' || coalesce((c.mapped::jsonb -> 'errors') ->> 0, 'the record failed against the stored profile'),
    jsonb_build_object('file', c.file, 'record', c.recno)
  FROM changes c JOIN plan p ON p.idx = c.idx WHERE c.action = 'reject' AND p.action IN ('create', 'update', 'unblock')`;

const LEAVERS = `
  INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
  SELECT $1::int, $2::bigint + row_number() OVER (ORDER BY p.action, p.username), 'info', p.action, p.username,
    CASE WHEN p.action = 'block' THEN 'block ' || p.username
         ELSE 'pending leaver ' || p.username || ' (absent ' || (p.absent_runs + 1) || ' of ' || $3::int || ' runs before blocking)' END,
    jsonb_build_object('reason', p.reason)
  FROM plan p WHERE p.action IN ('block', 'pending-leaver')`;

export interface LogLine {
  seq: number;
  level: "info" | "warn" | "error";
  action: string;
  message: string;
  username?: string | null;
  detail?: unknown;
}

export async function writeLine(tx: Sql, runId: number, line: LogLine): Promise<void> {
  await tx.query(
    "INSERT INTO run_events (run_id, seq, level, action, username, message, detail) VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)",
    [runId, line.seq, line.level, line.action, line.username ?? null, line.message, line.detail === undefined ? null : JSON.stringify(line.detail)],
  );
}

/** Write the log of the records and users; returns the seq after the last line written. */
export async function writeRunEvents(
  tx: Sql,
  runId: number,
  maxIdx: number,
  unchanged: number,
  blockAfterAbsentRuns: number,
): Promise<number> {
  await tx.query(STAGE_MESSAGES, [runId]);
  await tx.query(COLLISIONS, [runId]);
  await tx.query(USER_ACTIONS, [runId]);
  const summary = seqAfterRecords(maxIdx);
  await writeLine(tx, runId, { seq: summary, level: "info", action: "unchanged", message: `${unchanged} user records had no changes` });
  await tx.query(LEAVERS, [runId, summary, blockAfterAbsentRuns]);
  const [{ n }] = (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM plan WHERE action IN ('block', 'pending-leaver')")) as [
    { n: number },
  ];
  return summary + n + 1;
}
