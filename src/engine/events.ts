// The run's log: one row per user action and per problem, in Haplo's vocabulary (reference §6.10),
// written set-based from the stage, plan and changes tables. `seq` orders the log as Haplo printed
// it — each record's problems, then what happened to it, in record order; then the summary, the
// blocks and the end. Record n's lines sit at base + (n + 1) × 1000 + k, where base is 0 — or, when
// an approved run is executed again, just past its earlier log, which is kept above the new one.
// Users whose change a partial hold keeps back are logged as planned, marked "(held for approval)".
import type { Sql } from "../store/index.ts";
import { CREATED_USERS } from "./changes.ts";

export function seqAfterRecords(maxIdx: number): number {
  return (maxIdx + 2) * 1000;
}

const STAGE_MESSAGES = `
  INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
  SELECT $1::int, $2::bigint + (s.idx + 1) * 1000 + m.ord,
    CASE WHEN m.line LIKE 'ERROR: %' THEN 'error' ELSE 'warn' END,
    CASE s.status WHEN 'ok' THEN 'error' WHEN 'created' THEN 'error' WHEN 'duplicate' THEN 'duplicate' ELSE 'reject' END,
    s.username, m.line,
    jsonb_build_object('file', s.file, 'line', s.line, 'record', s.recno)
  FROM stage s CROSS JOIN LATERAL jsonb_array_elements_text(s.messages::jsonb) WITH ORDINALITY AS m(line, ord)
  WHERE s.messages IS NOT NULL`;

const COLLISIONS = `
  INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
  SELECT $1::int, $2::bigint + (p.idx + 1) * 1000 + 500, 'error', 'reject', p.username,
    CASE p.reason
      WHEN 'username-taken' THEN 'ERROR: (' || p.username || ') The username belongs to an account the sync did not create; the record is ignored'
      ELSE 'ERROR: (' || p.username || ') The email address belongs to an account the sync did not create; the record is ignored'
    END,
    jsonb_build_object('file', p.file, 'line', p.line, 'record', p.recno, 'reason', p.reason)
  FROM plan p WHERE p.action = 'reject' AND p.reason IN ('username-taken', 'email-taken')`;

const HELD = `' (held for approval)'`;

const USER_ACTIONS = `
  INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
  SELECT $1::int, $2::bigint + (s.idx + 1) * 1000 + 900, 'info', 'create', s.username, 'create ' || s.username,
    jsonb_build_object('file', s.file, 'record', s.recno)
  FROM ${CREATED_USERS}
  UNION ALL
  SELECT $1::int, $2::bigint + (c.idx + 1) * 1000 + 900, 'info', 'update', c.username,
    'update ' || c.username || CASE WHEN c.held THEN ${HELD} ELSE '' END,
    CASE WHEN c.held THEN coalesce(c.detail, '{}'::jsonb) || '{"held": true}'::jsonb ELSE c.detail END
  FROM changes c WHERE c.action IN ('update', 'unblock')
  UNION ALL
  SELECT $1::int, $2::bigint + (c.idx + 1) * 1000 + 901, 'info', 'unblock', c.username,
    'reactivate ' || c.username || CASE WHEN c.held THEN ${HELD} ELSE '' END, NULL
  FROM changes c WHERE c.action = 'unblock'
  UNION ALL
  SELECT $1::int, $2::bigint + (c.idx + 1) * 1000 + 902, 'info', 'create', c.username, 'Creating store object for user: ' || c.username, NULL
  FROM changes c WHERE c.action IN ('update', 'unblock') AND c.new_object AND NOT c.held
  UNION ALL
  SELECT $1::int, $2::bigint + (p.idx + 1) * 1000 + 900, 'error', 'reject', c.username,
    'ERROR: (' || c.username || ') ' || coalesce((c.mapped::jsonb -> 'errors') ->> 0, 'the record failed against the stored profile'),
    jsonb_build_object('file', c.file, 'record', c.recno)
  FROM changes c JOIN plan p ON p.idx = c.idx WHERE c.action = 'reject' AND p.action IN ('create', 'update', 'unblock')`;

const LEAVERS = `
  INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
  SELECT $1::int, $2::bigint + $4::bigint + row_number() OVER (ORDER BY p.action, p.username), 'info', p.action, p.username,
    CASE WHEN p.action = 'block' THEN 'block ' || p.username
         ELSE 'pending leaver ' || p.username || ' (absent ' || (p.absent_runs + 1) || ' of ' || $3::int || ' runs before blocking)' END
      || CASE WHEN p.held THEN ${HELD} ELSE '' END,
    jsonb_build_object('reason', p.reason) || CASE WHEN p.held THEN '{"held": true}'::jsonb ELSE '{}'::jsonb END
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

/**
 * Write the log of the records and users, from `base` on; returns the seq after the last line
 * written (the run's summary lines go there).
 */
export async function writeRunEvents(
  tx: Sql,
  runId: number,
  maxIdx: number,
  unchanged: number,
  blockAfterAbsentRuns: number,
  base = 0,
  stagedMessages = true,
): Promise<number> {
  // a scan of the whole stage (1.6 GB after a million new users): only when pass 1 staged a message
  if (stagedMessages) await tx.query(STAGE_MESSAGES, [runId, base]);
  await tx.query(COLLISIONS, [runId, base]);
  await tx.query(USER_ACTIONS, [runId, base]);
  const summary = seqAfterRecords(maxIdx);
  await writeLine(tx, runId, { seq: base + summary, level: "info", action: "unchanged", message: `${unchanged} user records had no changes` });
  await tx.query(LEAVERS, [runId, base, blockAfterAbsentRuns, summary]);
  const [{ n }] = (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM plan WHERE action IN ('block', 'pending-leaver')")) as [
    { n: number },
  ];
  return base + summary + n + 1;
}

/** The seq just past a run's existing log (0 when it has none). */
export async function seqAfterLog(tx: Sql, runId: number): Promise<number> {
  const [row] = await tx.query<{ next: string | number }>("SELECT coalesce(max(seq) + 1000, 0) AS next FROM run_events WHERE run_id = $1", [runId]);
  return Number(row?.next ?? 0);
}
