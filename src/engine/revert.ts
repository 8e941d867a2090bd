// Undo a run (`usersync revert RUN`): every user, profile object, ledger row and membership the
// run changed is put back as it was before the run, from the before-images the apply saved in
// run_changes (apply.ts). Users the run created are deleted, with their profile objects.
//
// A revert is itself a run (kind 'revert', based_on_run_id = RUN) with its own log and its own
// before-images, so it can be undone the same way. Like any run it is one transaction.
//
// Later changes: if a run after RUN (or a revert) changed some of the same users, or a user was
// changed outside the sync since, putting them back would also throw away those later changes.
// The revert then REFUSES, naming the runs and counts, unless forced (--force): a person decides.
// A dry run shows the plan and the conflicts and writes nothing but its own run and log.
//
// Not restored, by design: the received-data timeline (what was received stays received) and the
// runs' own logs. Raw SQL, set-based: each statement touches every affected user at once.
import type { Sql, Store } from "../store/index.ts";
import { APPLY_LOCK } from "../store/index.ts";
import { writeLine } from "./events.ts";

export class RevertError extends Error {}

export interface RevertOptions {
  /** who asked, for the log and the audit trail */
  by: string;
  dryRun?: boolean;
  /** revert even though later runs changed some of the same users (their later changes are undone too) */
  force?: boolean;
  source?: string;
}

/** Later changes to the run's users: by a later run (runId), or outside the sync (runId null). */
export interface RevertConflict {
  runId: number | null;
  users: number;
}

export interface RevertOutcome {
  /** the revert run */
  runId: number;
  targetRunId: number;
  status: "complete" | "dry-run";
  counts: { users: number; restored: number; deleted: number; recreated: number };
  conflicts: RevertConflict[];
  durationMs: number;
}

/** Every column of a table, from the catalogue: a restore puts back every one, whatever the schema grows. */
async function columnsOf(tx: Sql, table: string): Promise<string[]> {
  const rows = await tx.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return rows.map((r) => r.column_name);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** INSERT the rows of `table` held as JSON objects in `source` (a FROM clause yielding `image`). */
async function insertImages(tx: Sql, table: string, source: string, upsertKey: string | null): Promise<void> {
  const columns = await columnsOf(tx, table);
  const list = columns.map(quote).join(", ");
  const onConflict = upsertKey
    ? `ON CONFLICT (${quote(upsertKey)}) DO UPDATE SET ${columns
        .filter((c) => c !== upsertKey)
        .map((c) => `${quote(c)} = excluded.${quote(c)}`)
        .join(", ")}`
    : "";
  await tx.exec(`INSERT INTO ${table} (${list})
    SELECT ${columns.map((c) => `r.${quote(c)}`).join(", ")} FROM ${source} CROSS JOIN LATERAL jsonb_populate_record(NULL::${table}, image) r
    ${onConflict}`);
}

/** The images a run's before-images and the store's present state are compared in, flattened to "field → value". */
const FLAT = (img: string) => `CASE WHEN ${img} IS NULL THEN NULL ELSE
    ((${img} -> 'user') - 'updated_at' - 'id')
    || jsonb_build_object('profile.types', ${img} #> '{profile,types}', 'profile.title', ${img} #> '{profile,title}')
    || coalesce((SELECT jsonb_object_agg('profile.' || e.key, e.value) FROM jsonb_each(
         CASE WHEN jsonb_typeof(${img} #> '{profile,attributes}') = 'object' THEN ${img} #> '{profile,attributes}' ELSE '{}'::jsonb END) e), '{}'::jsonb)
    || coalesce((SELECT jsonb_object_agg('ledger.' || e.key, e.value) FROM jsonb_each(
         CASE WHEN jsonb_typeof(${img} -> 'ledger') = 'object' THEN ${img} -> 'ledger' ELSE '{}'::jsonb END) e
         WHERE e.key IN ('in_feed', 'error', 'absent_runs', 'state_reason')), '{}'::jsonb)
    || jsonb_build_object('groups', coalesce((SELECT jsonb_agg(g.code ORDER BY g.code) FROM jsonb_array_elements(${img} -> 'memberships') m
         JOIN groups g ON g.id = (m ->> 'group_id')::int), '[]'::jsonb))
  END`;

const CURRENT_IMAGE = `CASE WHEN u.id IS NULL THEN NULL ELSE jsonb_build_object(
      'user', to_jsonb(u.*),
      'profile', to_jsonb(o.*),
      'ledger', to_jsonb(l.*),
      'memberships', coalesce((SELECT jsonb_agg(to_jsonb(m.*)) FROM memberships m WHERE m.user_id = s.user_id), '[]'::jsonb)) END`;

export async function revertRun(store: Store, targetRunId: number, options: RevertOptions): Promise<RevertOutcome> {
  const started = performance.now();
  const { db } = store;
  const [target] = await db.query<{ id: number; status: string; kind: string }>("SELECT id, status, kind FROM runs WHERE id = $1", [targetRunId]);
  if (!target) throw new RevertError(`There is no run ${targetRunId}`);
  const targetStatus = target.status;
  const [revertedBy] = await db.query<{ id: number }>(
    `SELECT v.id FROM runs v WHERE v.kind = 'revert' AND v.based_on_run_id = $1 AND v.status = 'complete'
       AND NOT EXISTS (SELECT 1 FROM runs w WHERE w.kind = 'revert' AND w.based_on_run_id = v.id AND w.status = 'complete')
     ORDER BY v.id DESC LIMIT 1`,
    [targetRunId],
  );
  if (revertedBy && !options.force && !options.dryRun)
    throw new RevertError(`Run ${targetRunId} was already reverted by run ${revertedBy.id}; to undo that revert, revert run ${revertedBy.id}`);

  const outcome = await db.transaction(async (tx) => {
    try {
      return await revertInTransaction(tx);
    } catch (error) {
      if (error instanceof RevertError) throw error;
      // e.g. a user created again whose username another account has taken since
      throw new RevertError(`The revert of run ${targetRunId} could not be applied, so nothing was changed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  await db.maintain();
  return { ...outcome, durationMs: Math.round(performance.now() - started) };

  async function revertInTransaction(tx: Sql) {
    if (db.kind === "postgres") await tx.query("SELECT pg_advisory_xact_lock($1)", [APPLY_LOCK]);
    // The state before the run, per user: the first before-image the run saved (a partial hold
    // and its approval may have saved two for one user).
    await tx.query(
      `CREATE TEMP TABLE revert_set ON COMMIT DROP AS
       SELECT DISTINCT ON (user_id) user_id, username, before::jsonb AS before FROM run_changes WHERE run_id = $1 ORDER BY user_id, id`,
      [targetRunId],
    );
    const [{ n }] = (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM revert_set")) as [{ n: number }];
    if (n === 0) throw new RevertError(`Run ${targetRunId} (${targetStatus}) changed no user: there is nothing to revert`);

    const conflicts = await findConflicts(tx, targetRunId);
    if (conflicts.length && !options.force && !options.dryRun) throw new RevertError(describeConflicts(targetRunId, conflicts, false));

    const [run] = await tx.query<{ id: number }>(
      `INSERT INTO runs (status, kind, source, based_on_run_id, dry_run, started_at) VALUES ('running', 'revert', $1, $2, $3, now()) RETURNING id`,
      [options.source ?? "cli", targetRunId, options.dryRun === true],
    );
    const runId = Number(run!.id);
    await writeLine(tx, runId, { seq: 0, level: "info", action: "run", message: `START: ${new Date().toISOString()}` });
    await writeLine(tx, runId, {
      seq: 1,
      level: "info",
      action: "revert",
      message: `REVERT of run ${targetRunId}, asked by ${options.by}: ${n} users back to their state before run ${targetRunId}`,
      detail: { targetRunId, by: options.by },
    });
    if (conflicts.length)
      await writeLine(tx, runId, { seq: 2, level: "warn", action: "revert", message: `WARNING: ${describeConflicts(targetRunId, conflicts, options.force === true)}`, detail: { conflicts } });

    // The plan: each user's present state against the state it goes back to, field by field.
    await tx.exec(`CREATE TEMP TABLE revert_diff ON COMMIT DROP AS
      WITH current AS (
        SELECT s.user_id, ${CURRENT_IMAGE} AS image
        FROM revert_set s LEFT JOIN users u ON u.id = s.user_id LEFT JOIN objects o ON o.id = u.profile_id LEFT JOIN sync_ledger l ON l.user_id = s.user_id
      ), flat AS (
        SELECT s.user_id, c.image AS now_image, ${FLAT("c.image")} AS now_flat, ${FLAT("s.before")} AS then_flat
        FROM revert_set s JOIN current c ON c.user_id = s.user_id
      )
      SELECT s.user_id, s.username, f.now_image,
        CASE WHEN s.before IS NULL THEN 'delete' WHEN f.now_image IS NULL THEN 'recreate' ELSE 'restore' END AS kind,
        CASE WHEN s.before IS NULL OR f.now_image IS NULL THEN NULL ELSE
          (SELECT jsonb_object_agg(k, jsonb_build_array(f.now_flat -> k, f.then_flat -> k))
           FROM jsonb_object_keys(f.now_flat || f.then_flat) AS k WHERE (f.now_flat -> k) IS DISTINCT FROM (f.then_flat -> k)) END AS changes
      FROM revert_set s JOIN flat f ON f.user_id = s.user_id`);
    await tx.query(
      `INSERT INTO run_events (run_id, seq, level, action, username, message, detail)
       SELECT $1::int, 1000 + row_number() OVER (ORDER BY username), 'info', 'revert', username,
         'revert ' || username || ': ' || CASE kind
           WHEN 'delete' THEN 'delete the user and their profile (created by run ' || $2::int || ')'
           WHEN 'recreate' THEN 'create again as before run ' || $2::int
           ELSE CASE WHEN changes IS NULL THEN 'already as before run ' || $2::int ELSE 'back to the state before run ' || $2::int END END,
         jsonb_build_object('kind', kind) || CASE WHEN changes IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('changes', changes) END
       FROM revert_diff`,
      [runId, targetRunId],
    );
    const [counts] = (await tx.query<RevertOutcome["counts"]>(
      `SELECT count(*)::int AS users, count(*) FILTER (WHERE kind = 'restore')::int AS restored,
         count(*) FILTER (WHERE kind = 'delete')::int AS deleted, count(*) FILTER (WHERE kind = 'recreate')::int AS recreated FROM revert_diff`,
    )) as [RevertOutcome["counts"]];

    if (!options.dryRun) {
      // the revert's own before-images: the present state (null for a user it creates again)
      await tx.query(`INSERT INTO run_changes (run_id, user_id, username, action, before) SELECT $1::int, user_id, username, kind, now_image::json FROM revert_diff`, [
        runId,
      ]);
      await restore(tx);
    }
    const seq = 1000 + n + 1;
    await writeLine(tx, runId, {
      seq,
      level: options.dryRun ? "warn" : "info",
      action: "run",
      message: options.dryRun
        ? `Dry run: nothing was applied. ${counts.restored} users would be put back, ${counts.deleted} deleted, ${counts.recreated} created again.`
        : `Reverted run ${targetRunId}: ${counts.restored} users put back, ${counts.deleted} deleted, ${counts.recreated} created again.`,
    });
    await writeLine(tx, runId, { seq: seq + 1, level: "info", action: "run", message: `END: ${new Date().toISOString()}` });
    const status = options.dryRun ? "dry-run" : "complete";
    await tx.query(
      `UPDATE runs SET status = $2, counts = $3::text::jsonb, applied_at = CASE WHEN $4 THEN now() END, finished_at = now(), duration_ms = $5,
         message = $6 WHERE id = $1`,
      [runId, status, JSON.stringify({ ...counts, conflicts }), !options.dryRun, Math.round(performance.now() - started), `Revert of run ${targetRunId}`],
    );
    if (!options.dryRun)
      await tx.query("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, 'run-reverted', $2, $3::text::jsonb)", [
        options.by,
        `run ${targetRunId}`,
        JSON.stringify({ revertRun: runId, ...counts, forced: conflicts.length > 0 }),
      ]);
    return { runId, targetRunId, status, counts, conflicts } as const;
  }
}

/** Later changes to the run's users: later runs' before-images, and edits outside the sync since. */
async function findConflicts(tx: Sql, targetRunId: number): Promise<RevertConflict[]> {
  const later = await tx.query<{ run_id: number; users: number }>(
    `SELECT rc.run_id, count(DISTINCT rc.user_id)::int AS users FROM run_changes rc JOIN revert_set s ON s.user_id = rc.user_id
     WHERE rc.run_id <> $1 AND rc.id > (SELECT max(id) FROM run_changes WHERE run_id = $1)
     GROUP BY rc.run_id ORDER BY rc.run_id`,
    [targetRunId],
  );
  // An account changed after the run committed, by no run: an administrator, another system.
  const [outside] = (await tx.query<{ users: number }>(
    `SELECT count(*)::int AS users FROM revert_set s JOIN users u ON u.id = s.user_id
     WHERE u.updated_at > (SELECT finished_at FROM runs WHERE id = $1)
       AND NOT EXISTS (SELECT 1 FROM run_changes rc WHERE rc.user_id = s.user_id AND rc.run_id <> $1
                       AND rc.id > (SELECT max(id) FROM run_changes WHERE run_id = $1))`,
    [targetRunId],
  )) as [{ users: number }];
  const conflicts: RevertConflict[] = later.map((r) => ({ runId: Number(r.run_id), users: r.users }));
  if (outside.users) conflicts.push({ runId: null, users: outside.users });
  return conflicts;
}

function describeConflicts(targetRunId: number, conflicts: RevertConflict[], forced: boolean): string {
  const parts = conflicts.map((c) => (c.runId === null ? `${c.users} changed outside the sync since` : `${c.users} changed again by run ${c.runId}`));
  const head = `Some users of run ${targetRunId} changed after it: ${parts.join("; ")}.`;
  return forced
    ? `${head} Forced: they go back to their state before run ${targetRunId}, and those later changes are undone too.`
    : `${head} Reverting would undo those later changes too, so the revert is refused. See them with --dry-run; revert anyway with --force.`;
}

/** Put every user of revert_set back to its before-image. */
async function restore(tx: Sql): Promise<void> {
  // profile objects the users point at now but did not before the run (created by it): removed at the end
  await tx.exec(`CREATE TEMP TABLE revert_orphans ON COMMIT DROP AS
    SELECT u.profile_id AS id FROM revert_set s JOIN users u ON u.id = s.user_id
    WHERE u.profile_id IS NOT NULL AND u.profile_id IS DISTINCT FROM (s.before #>> '{user,profile_id}')::bigint`);
  await tx.exec("DELETE FROM memberships WHERE user_id IN (SELECT user_id FROM revert_set)");
  await tx.exec("DELETE FROM sync_ledger WHERE user_id IN (SELECT user_id FROM revert_set)");
  await tx.exec("DELETE FROM users WHERE id IN (SELECT user_id FROM revert_set WHERE before IS NULL)");
  await insertImages(tx, "objects", `(SELECT before -> 'profile' AS image FROM revert_set WHERE jsonb_typeof(before -> 'profile') = 'object') AS i`, "id");
  await insertImages(tx, "users", `(SELECT before -> 'user' AS image FROM revert_set WHERE jsonb_typeof(before -> 'user') = 'object') AS i`, "id");
  await tx.exec(`DELETE FROM objects o USING revert_orphans r WHERE o.id = r.id AND NOT EXISTS (SELECT 1 FROM users u WHERE u.profile_id = o.id)`);
  await insertImages(tx, "sync_ledger", `(SELECT before -> 'ledger' AS image FROM revert_set WHERE jsonb_typeof(before -> 'ledger') = 'object') AS i`, null);
  await insertImages(
    tx,
    "memberships",
    `(SELECT m AS image FROM revert_set CROSS JOIN LATERAL jsonb_array_elements(before -> 'memberships') AS m
      WHERE jsonb_typeof(before -> 'memberships') = 'array' AND EXISTS (SELECT 1 FROM groups g WHERE g.id = (m ->> 'group_id')::int)) AS i`,
    null,
  );
}
