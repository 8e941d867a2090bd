// The apply: the plan and the prepared changes written to the store in a handful of set-based
// statements, inside the run's one transaction. Before anything is changed, the before-images of
// every user the run touches are in run_changes (saved during passes 1 and 2), so the run can be
// undone (usersync revert).
// Rows a partial hold keeps back (plan.held, changes.held: see holdRiskyPart) are left alone.
// Raw SQL: each statement touches up to a million rows; one round trip each.
import type { Sql } from "../store/index.ts";
import { CREATED_USERS } from "./changes.ts";


/**
 * One user's before-image, from `u` (users), `o` (objects) and `l` (sync_ledger): what a revert
 * puts back. Memberships in group order: the same image whatever order their rows were written in.
 */
const IMAGE = `json_build_object(
      'user', row_to_json(u.*),
      'profile', row_to_json(o.*),
      'ledger', row_to_json(l.*),
      'memberships', coalesce((SELECT json_agg(m.* ORDER BY m.group_id) FROM memberships m WHERE m.user_id = u.id), '[]'::json))`;

/**
 * Before-images of users the run may change (not created ones: their "before" is not existing),
 * from the plan. Kept as json, not jsonb: building jsonb cost twice as much (measured: 3.2 s
 * against 1.8 s for 50,000 users), and an image is only ever read back by a revert, which converts
 * it then.
 *
 * They are saved while pass 2 maps the changed records in JavaScript, a slice of the plan (by
 * record number) per batch of pass 2 (changes.ts `alongside`): the database builds them while this
 * process is busy mapping, instead of one after the other — at a million users with 5 % churn,
 * 50,000 images took 3 s of the database. That is why they come from the plan and not from
 * `changes`: what is decided later (a partial hold, a late reject, a hold of the whole run) is put
 * right by discardUnappliedImages / relabelImages, before anything is applied.
 * $3 ≤ record number < $4 (no upper bound when null); users absent from the feed count as -1.
 */
const SAVE_BEFORE_IMAGES = `
  INSERT INTO run_changes (run_id, user_id, username, action, before)
  SELECT $1::int, t.user_id, t.username, t.action, ${IMAGE}
  FROM (
    SELECT user_id, username, action, idx FROM plan WHERE action IN ('update', 'unblock', 'block', 'pending-leaver')
    UNION ALL
    -- known users mapped again without a change to apply (a column the control file does not read
    -- changed, a new control file with the same outcome, problems logged again): only their
    -- ledger moves on (see UPDATE_USERS), but a revert must put that back too
    SELECT p.user_id, p.username, 'unchanged', p.idx FROM plan p JOIN stage s ON s.idx = p.idx JOIN sync_ledger l ON l.user_id = p.user_id
    WHERE p.action = 'unchanged' AND s.status = 'ok'
      AND (l.raw_digest <> s.raw_digest OR l.context IS DISTINCT FROM $2 OR l.warned <> (s.messages IS NOT NULL) OR l.error)
    UNION ALL
    SELECT user_id, username, 'reject', idx FROM plan WHERE action = 'reject' AND user_id IS NOT NULL
  ) t
  JOIN users u ON u.id = t.user_id
  JOIN sync_ledger l ON l.user_id = t.user_id
  LEFT JOIN objects o ON o.id = u.profile_id
  WHERE coalesce(t.idx, -1) >= $3::bigint AND ($4::bigint IS NULL OR coalesce(t.idx, -1) < $4::bigint)
    AND NOT EXISTS (SELECT 1 FROM early_imaged e WHERE e.user_id = t.user_id) -- saved already in pass 1 (SAVE_EARLY_IMAGES)`;

/**
 * The before-images of known users whose record changed, saved during pass 1 while it reads on
 * (stage.ts `alongside`), for the staged records numbered in [$3, $4): every such user is
 * one the plan will update, unblock, block, reject, or leave unchanged but move their ledger on —
 * each needs an image. Labelled 'update' until the plan is known (relabelImages).
 */
const SAVE_EARLY_IMAGES = `
  WITH saved AS (
  INSERT INTO run_changes (run_id, user_id, username, action, before)
  SELECT $1::int, l.user_id, l.username, 'update', ${IMAGE}
  FROM stage s
  CROSS JOIN LATERAL (SELECT * FROM sync_ledger l WHERE l.username = s.username) l
  JOIN users u ON u.id = l.user_id
  LEFT JOIN objects o ON o.id = u.profile_id
  WHERE s.idx >= $2::bigint AND s.idx < $3::bigint AND s.status IN ('ok', 'rejected') AND l.raw_digest IS DISTINCT FROM s.raw_digest
  RETURNING user_id)
  -- which users have theirs, for SAVE_BEFORE_IMAGES: a lookup in run_changes itself, whose
  -- statistics know nothing of this run yet, was planned as a loop over all of them per user
  INSERT INTO early_imaged SELECT user_id FROM saved`;

/**
 * Before any image is saved: where this execution's images start (rows of run_changes after this
 * id are its own; an approved run may have some from before), and the table of users imaged in pass 1.
 */
export async function beforeImagesStart(tx: Sql, runId: number): Promise<number> {
  await tx.exec("CREATE TEMP TABLE early_imaged (user_id bigint PRIMARY KEY) ON COMMIT DROP");
  const [row] = await tx.query<{ id: string }>("SELECT coalesce(max(id), 0) AS id FROM run_changes WHERE run_id = $1", [runId]);
  return Number(row!.id);
}

/**
 * See SAVE_BEFORE_IMAGES: the images of the plan's users whose record number is in [from, to)
 * (to null: no bound), but for those saved in pass 1 (early_imaged).
 * `context` identifies the control file and definitions the records were mapped under.
 */
export async function saveBeforeImages(tx: Sql, runId: number, context: string, from = -1, to: number | null = null): Promise<void> {
  await tx.query(SAVE_BEFORE_IMAGES, [runId, context, from, to]);
}

/** See SAVE_EARLY_IMAGES: the images of known users whose changed record is staged, numbered in [from, to). */
export async function saveEarlyImages(tx: Sql, runId: number, from: number, to: number): Promise<void> {
  await tx.query(SAVE_EARLY_IMAGES, [runId, from, to]);
}

/**
 * Images saved before the plan was final (pass 1's, and updates that failed against the stored
 * profile: run.ts demoteLateRejects) take the plan's action: a reject, an unblock, an unchanged user.
 */
export async function relabelImages(tx: Sql, runId: number, start: number): Promise<void> {
  await tx.query(
    `UPDATE run_changes rc SET action = p.action FROM plan p
     WHERE rc.run_id = $1 AND rc.id > $2 AND rc.user_id = p.user_id AND rc.action <> p.action`,
    [runId, start],
  );
}

/** Images of what is not applied after all: everything (`all`, the run is held), or what a partial hold keeps back. */
export async function discardUnappliedImages(tx: Sql, runId: number, from: number, all: boolean): Promise<void> {
  if (all) await tx.query("DELETE FROM run_changes WHERE run_id = $1 AND id > $2", [runId, from]);
  else await tx.query("DELETE FROM run_changes rc USING plan p WHERE rc.run_id = $1 AND rc.id > $2 AND p.held AND rc.user_id = p.user_id", [runId, from]);
}

// Created users, from the stage (stage.ts built them, ids included; changes.ts CREATED_USERS):
// the profile object, the account, its memberships, the ledger entry and the undo record.
const CREATE_USERS = [
  `INSERT INTO objects (id, types, title, attributes) SELECT s.object_id, s.types, s.profile_title, s.attributes FROM ${CREATED_USERS}`,
  `INSERT INTO users (id, username, email, name_first, name_last, title, tags, profile_id)
   SELECT s.user_id, s.username, s.email, s.name_first, s.name_last, s.title, s.tags, s.object_id FROM ${CREATED_USERS}`,
  `INSERT INTO memberships (user_id, group_id, added_by, added_run_id)
   SELECT s.user_id, g.id, 'sync', $1::int FROM ${CREATED_USERS} CROSS JOIN LATERAL unnest(s.groups) AS f(code) JOIN groups g ON g.code = f.code`,
  `INSERT INTO sync_ledger (user_id, username, digest, raw_digest, context, in_feed, error, warned, created_run_id, last_run_id, state_run_id, state_reason)
   SELECT s.user_id, s.username, s.digest, s.raw_digest, $2, true, false, s.messages IS NOT NULL, $1::int, $1::int, $1::int, 'created' FROM ${CREATED_USERS}`,
  `INSERT INTO run_changes (run_id, user_id, username, action, before) SELECT $1::int, s.user_id, s.username, 'create', NULL FROM ${CREATED_USERS}`,
  // a known user who had no profile object gets one ("Creating store object for user")
  `UPDATE changes SET object_id = nextval(pg_get_serial_sequence('objects', 'id')) WHERE action IN ('update', 'unblock') AND new_object`,
  `INSERT INTO objects (id, types, title, attributes)
   SELECT object_id, types, profile_title, attributes FROM changes WHERE action IN ('update', 'unblock') AND new_object`,
];

const UPDATE_USERS = [
  `UPDATE users u SET email = c.email, name_first = c.name_first, name_last = c.name_last, title = c.title, tags = c.tags,
     profile_id = c.object_id,
     active = CASE WHEN c.action = 'unblock' THEN true ELSE u.active END,
     blocked_by = CASE WHEN c.action = 'unblock' THEN NULL ELSE u.blocked_by END,
     blocked_at = CASE WHEN c.action = 'unblock' THEN NULL ELSE u.blocked_at END,
     updated_at = now()
   FROM changes c
   WHERE u.id = c.user_id AND c.action IN ('update', 'unblock') AND NOT c.held AND (c.user_changed OR c.new_object OR c.action = 'unblock')`,
  `UPDATE objects o SET types = c.types, title = c.profile_title, attributes = c.attributes, version = o.version + 1, updated_at = now()
   FROM changes c
   WHERE o.id = c.object_id AND c.action IN ('update', 'unblock') AND NOT c.held AND c.profile_changed AND NOT c.new_object`,
  `UPDATE sync_ledger l SET digest = c.digest, raw_digest = c.raw_digest, context = $2, in_feed = true, error = false,
     warned = c.warned, absent_runs = 0, last_run_id = $1,
     state_run_id = CASE WHEN c.action = 'unblock' OR NOT l.in_feed THEN $1 ELSE l.state_run_id END,
     state_reason = CASE WHEN c.action = 'unblock' OR NOT l.in_feed THEN 'returned' ELSE l.state_reason END,
     updated_at = now()
   FROM changes c
   WHERE l.user_id = c.user_id AND c.action IN ('update', 'unblock') AND NOT c.held`,
  // a record that went through the control file and changed nothing (a column the control file
  // does not read, a new control file with the same outcome, a problem logged again): the
  // ledger moves on, so next time the record is recognised as settled
  `UPDATE sync_ledger l SET raw_digest = s.raw_digest, context = $2, warned = (s.messages IS NOT NULL), error = false,
     last_run_id = CASE WHEN l.raw_digest <> s.raw_digest THEN $1 ELSE l.last_run_id END, updated_at = now()
   FROM plan p JOIN stage s ON s.idx = p.idx
   WHERE p.action = 'unchanged' AND s.status = 'ok' AND l.user_id = p.user_id
     AND (l.raw_digest <> s.raw_digest OR l.context IS DISTINCT FROM $2 OR l.warned <> (s.messages IS NOT NULL) OR l.error)`,
];

const UPDATE_MEMBERSHIPS = [
  `CREATE TEMP TABLE feed_groups ON COMMIT DROP AS
   SELECT c.user_id, g.id AS group_id
   FROM changes c CROSS JOIN LATERAL unnest(c.groups) AS f(code) JOIN groups g ON g.code = f.code
   WHERE c.action IN ('update', 'unblock') AND NOT c.held AND c.groups_changed`,
  // managed groups follow the feed exactly; groups the sync does not manage are never removed
  `DELETE FROM memberships m USING changes c, groups g
   WHERE c.action IN ('update', 'unblock') AND NOT c.held AND c.groups_changed AND m.user_id = c.user_id AND g.id = m.group_id AND g.managed
     AND NOT EXISTS (SELECT 1 FROM feed_groups f WHERE f.user_id = m.user_id AND f.group_id = m.group_id)`,
  `INSERT INTO memberships (user_id, group_id, added_by, added_run_id)
   SELECT user_id, group_id, 'sync', $1::int FROM feed_groups ON CONFLICT DO NOTHING`,
];

const BLOCK_USERS = [
  `UPDATE users u SET active = false, blocked_by = 'sync', blocked_at = now(), updated_at = now()
   FROM plan p WHERE p.action = 'block' AND NOT p.held AND u.id = p.user_id AND u.active`,
  // the profile becomes "past": the past type of the last managed group (configuration order) they are in
  // (a LATERAL join, so the past type is looked up once per user: as a sub-select in the select
  // list, the planner evaluated it three times — in the filter, the join and the SET)
  `UPDATE objects o SET types = ARRAY[b.past], version = o.version + 1, updated_at = now()
   FROM (
     SELECT u.profile_id, last.past
     FROM plan p JOIN users u ON u.id = p.user_id
     CROSS JOIN LATERAL (
       SELECT coalesce(g.past_profile_type, g.profile_type) AS past FROM memberships m JOIN groups g ON g.id = m.group_id
       WHERE m.user_id = p.user_id AND g.managed AND coalesce(g.past_profile_type, g.profile_type) IS NOT NULL
       ORDER BY g.position DESC, g.code DESC LIMIT 1) last
     WHERE p.action = 'block' AND NOT p.held
   ) b
   WHERE o.id = b.profile_id AND o.types <> ARRAY[b.past]`,
  `UPDATE sync_ledger l SET in_feed = false, absent_runs = l.absent_runs + 1, last_run_id = $1, state_run_id = $1,
     state_reason = CASE WHEN p.reason = 'record' THEN 'blocked-rejected' ELSE 'blocked-absent' END, updated_at = now()
   FROM plan p WHERE p.action = 'block' AND NOT p.held AND l.user_id = p.user_id`,
  `UPDATE sync_ledger l SET absent_runs = l.absent_runs + 1, updated_at = now()
   FROM plan p WHERE p.action = 'pending-leaver' AND NOT p.held AND l.user_id = p.user_id`,
  // a known user whose record failed keeps their last good state, and is processed again next run
  `UPDATE sync_ledger l SET error = true, raw_digest = coalesce(p.raw_digest, l.raw_digest), last_run_id = $1, updated_at = now()
   FROM plan p WHERE p.action = 'reject' AND l.user_id = p.user_id`,
];

// Each record that differs from the one received before it joins the user's timeline.
const RECORD_TIMELINE = `
  INSERT INTO received_records (username, run_id, file_name, record_number, raw_digest, raw, mapped)
  SELECT s.username, $1::int, s.file, s.recno, s.raw_digest, s.raw, s.mapped FROM ${CREATED_USERS}
  UNION ALL
  SELECT c.username, $1::int, c.file, c.recno, c.raw_digest, c.raw, c.mapped FROM changes c
  WHERE c.history AND c.raw_digest IS NOT NULL AND (NOT EXISTS (
    SELECT 1 FROM received_records r
    WHERE r.username = c.username AND r.raw_digest = c.raw_digest
      AND r.id = (SELECT max(r2.id) FROM received_records r2 WHERE r2.username = c.username)))`;

/** What a partial hold kept back for approval. */
export interface HeldPart {
  blocks: number;
  pendingLeavers: number;
  /** users whose update removes them from a managed group: the whole update waits */
  usersWithGroupRemovals: number;
  groupRemovals: number;
}

/**
 * A partial hold: mark the risky part of the plan — blocks, pending-leaver counts, and the updates
 * that take users out of managed groups (the whole update of such a user waits, so that its digest
 * is not recorded and the approval, or the next run, still sees it) — so that applyPlan leaves it.
 */
export async function holdRiskyPart(tx: Sql): Promise<HeldPart> {
  await tx.exec(`UPDATE plan SET held = true WHERE action IN ('block', 'pending-leaver')`);
  await tx.exec(`UPDATE changes SET held = true WHERE action IN ('update', 'unblock') AND detail ? 'groupsRemoved'`);
  await tx.exec(`UPDATE plan p SET held = true FROM changes c WHERE c.idx = p.idx AND c.held`);
  const [row] = await tx.query<HeldPart>(
    `SELECT (SELECT count(*)::int FROM plan WHERE held AND action = 'block') AS "blocks",
            (SELECT count(*)::int FROM plan WHERE held AND action = 'pending-leaver') AS "pendingLeavers",
            (SELECT count(*)::int FROM changes WHERE held) AS "usersWithGroupRemovals",
            (SELECT coalesce(sum(jsonb_array_length(detail -> 'groupsRemoved')), 0)::int FROM changes WHERE held) AS "groupRemovals"`,
  );
  return row!;
}

/**
 * Write the plan and the prepared changes. The before-images were saved already (saveBeforeImages).
 * `context` identifies the control file and definitions the records were mapped under.
 */
export async function applyPlan(tx: Sql, runId: number, context: string): Promise<void> {
  for (const statement of [...CREATE_USERS, ...UPDATE_USERS, ...UPDATE_MEMBERSHIPS, ...BLOCK_USERS, RECORD_TIMELINE]) {
    const params = (statement.includes("$2") ? [runId, context] : statement.includes("$1") ? [runId] : []) as unknown[];
    if (params.length) await tx.query(statement, params);
    else await tx.exec(statement);
  }
}
