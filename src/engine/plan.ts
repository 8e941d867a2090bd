// Classification: one set-based statement decides, for every user something may happen to,
// what this run does to them. The outcomes are a small named set (STYLE.md), used the same way in
// code, logs, UI and docs:
//
//   create          in the feed, not known to the sync (maybe created in pass 1 already: stage.ts DirectCreates)
//   update          in the feed, known, and something changed (or it was absent, or in error)
//   unblock         in the feed again after the sync blocked them (reactivated)
//   unchanged       in the feed, nothing changed: nothing is written
//   reject          the record cannot be applied (errors, or it collides with a user the sync
//                   does not own); a known user keeps their last good state
//   block           known, in the feed last time, absent now (or rejected, with onRecordError=block)
//   pending-leaver  absent, but not yet for enough consecutive runs to be blocked
//
// Raw SQL because this is the one statement that must touch a million rows at once; it runs the
// same on PostgreSQL 15 and PGlite's 18.
import type { Sql } from "../store/index.ts";

export type Action = "create" | "update" | "unblock" | "unchanged" | "reject" | "block" | "pending-leaver";

export interface PlanOptions {
  /** Block after this many consecutive absent runs (1: at the first). */
  blockAfterAbsentRuns: number;
  /** Haplo blocked a known user whose record failed; usersync keeps their last good state by default. */
  onRecordError: "keep" | "block";
  /** hasForeignAccounts, asked once at the start of the run */
  foreign: boolean;
}

export type PlanCounts = Record<Action, number> & { collisions: number };

/**
 * Whether the store holds an account the sync does not own (no ledger entry). Accounts the sync
 * does not own may not be taken over by a feed record, by username or by email (DESIGN.md). Most
 * stores have none — every account came from the feed — and then the plan has nothing to look up
 * and pass 1 may create new users itself (run.ts createsInPassOne).
 * Not two counts compared: an account the sync created and someone deleted outside it leaves its
 * ledger entry behind, and one foreign account then made the counts equal (a foreign username
 * failed the run; a foreign email was given to a second account).
 */
export async function hasForeignAccounts(tx: Sql): Promise<boolean> {
  const [row] = await tx.query<{ foreign: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM users u WHERE NOT EXISTS (SELECT 1 FROM sync_ledger l WHERE l.user_id = u.id)) AS foreign",
  );
  return row!.foreign;
}

export async function buildPlan(tx: Sql, options: PlanOptions): Promise<PlanCounts> {
  const { foreign } = options;
  // Only the emails this feed brings are looked up (users_email_idx), not every account's.
  await tx.exec(`CREATE TEMP TABLE foreign_emails ON COMMIT DROP AS
    SELECT DISTINCT lower(u.email) AS email FROM users u
    WHERE ${foreign ? "true" : "false"}
      AND lower(u.email) IN (SELECT lower(email) FROM stage WHERE status = 'ok' AND email IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM sync_ledger l WHERE l.user_id = u.id)`);
  await tx.exec("ANALYZE stage (idx, username, status, email); ANALYZE foreign_emails");
  const blockOnError = options.onRecordError === "block";
  // The stage holds only the users something may happen to: records that went through the control
  // file, and known users absent from this feed (stage.ts). Settled users whose record did not
  // change were never staged: they are unchanged by construction, counted in pass 1.
  await tx.query(
    `CREATE TEMP TABLE plan ON COMMIT DROP AS
    SELECT
      coalesce(s.username, l.username) AS username,
      s.idx, s.status, s.digest, s.raw_digest, s.file, s.line, s.recno,
      l.user_id, l.digest AS old_digest, l.raw_digest AS old_raw_digest, l.in_feed, l.error AS old_error, l.absent_runs,
      u.active, u.blocked_by,
      CASE
        WHEN s.status = 'absent' THEN CASE WHEN l.absent_runs + 1 < $1 THEN 'pending-leaver' ELSE 'block' END
        WHEN s.status = 'rejected' THEN CASE WHEN $2 AND l.user_id IS NOT NULL AND l.in_feed THEN 'block' ELSE 'reject' END
        WHEN l.user_id IS NULL AND fu.id IS NOT NULL THEN 'reject'
        WHEN fe.email IS NOT NULL AND (u.email IS NULL OR lower(u.email) <> fe.email) THEN 'reject'
        WHEN l.user_id IS NULL THEN 'create'
        WHEN u.blocked_by = 'sync' THEN 'unblock'
        WHEN s.digest <> l.digest OR l.error OR NOT l.in_feed THEN 'update'
        ELSE 'unchanged'
      END AS action,
      CASE
        WHEN s.status = 'absent' THEN 'absent'
        WHEN s.status = 'rejected' THEN 'record'
        WHEN l.user_id IS NULL AND fu.id IS NOT NULL THEN 'username-taken'
        WHEN fe.email IS NOT NULL AND (u.email IS NULL OR lower(u.email) <> fe.email) THEN 'email-taken'
        WHEN NOT l.in_feed THEN 'returned'
        WHEN l.error THEN 'retry'
        ELSE NULL
      END AS reason,
      false AS held   -- set by a partial hold (apply.ts holdRiskyPart): kept back for approval
    FROM (SELECT idx, username, status, digest, raw_digest, email, file, line, recno FROM stage WHERE status IN ('ok', 'rejected', 'absent')) s
    LEFT JOIN sync_ledger l ON l.username = s.username
    LEFT JOIN users u ON u.id = l.user_id
    LEFT JOIN users fu ON $3 AND fu.username = s.username AND l.user_id IS NULL AND s.status = 'ok'
    LEFT JOIN foreign_emails fe ON fe.email = lower(s.email) AND s.status = 'ok'
    UNION ALL
    -- users pass 1 created already (stage.ts DirectCreates): creates, planned as a staged new user
    -- is — no user of the sync's before them — without joining them to the ledger they are in now
    SELECT s.username, s.idx, s.status, s.digest, s.raw_digest, s.file, s.line, s.recno,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'create', NULL, false
    FROM stage s WHERE s.status = 'created'`,
    [options.blockAfterAbsentRuns, blockOnError, foreign],
  );
  await tx.exec("CREATE INDEX plan_action_idx ON plan (action, idx); ANALYZE plan");
  return countPlan(tx);
}

export async function countPlan(tx: Sql): Promise<PlanCounts> {
  const rows = await tx.query<{ action: Action; reason: string | null; n: number }>(
    "SELECT action, reason, count(*)::int AS n FROM plan GROUP BY action, reason",
  );
  const counts: PlanCounts = { create: 0, update: 0, unblock: 0, unchanged: 0, reject: 0, block: 0, "pending-leaver": 0, collisions: 0 };
  for (const r of rows) {
    counts[r.action] += r.n;
    if (r.reason === "username-taken" || r.reason === "email-taken") counts.collisions += r.n;
  }
  return counts;
}
