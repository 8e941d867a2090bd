// Pass 2 of a run: what exactly changes, user by user, in the `changes` table.
//
// - Created users stay in the stage, where pass 1 built their account and profile; `creates`
//   only draws their ids.
// - Updated and unblocked users: their record (kept in the stage) is run through the control file
//   again, this time against their stored profile — "an absent value leaves existing data alone",
//   remove-values, multivalue appends all depend on it — and compared field by field.
// - Records that joined the received-data timeline without changing the user (a column the
//   control file does not read, a rejected record) get a timeline-only row.
// Bounded batches, COPY in; the apply (apply.ts) then writes `changes` in a few statements.
import type { Attributes, Control } from "../control/index.ts";
import { CopyText, type Sql } from "../store/index.ts";
import { sameJson } from "./digest.ts";
import type { Progress } from "./progress.ts";
import { mapRecord, userState, type MappingContext } from "./record.ts";
import type { StageStats } from "./stage.ts";
import { memoryKeeper } from "./memory.ts";
import { DatabaseQueue } from "./queue.ts";

export const CHANGES_TABLE = `CREATE TEMP TABLE changes (
  idx bigint NOT NULL,
  action text NOT NULL,        -- create | update | unblock | unchanged (timeline only) | reject (timeline only) | block (timeline only)
  username text NOT NULL,
  user_id bigint,
  object_id bigint,            -- the profile object (new for creates, and for users who had none)
  new_object boolean NOT NULL,
  email text, name_first text, name_last text, title text,
  tags jsonb,
  types text[], profile_title text, attributes jsonb,
  groups text[],               -- group codes from the feed
  user_changed boolean NOT NULL, profile_changed boolean NOT NULL, groups_changed boolean NOT NULL,
  digest bigint, raw_digest bigint,
  history boolean NOT NULL,    -- record a new entry in the received-data timeline
  file text, recno integer,
  raw text, mapped text,
  detail jsonb,                -- field-level changes, for the log and the plan
  warned boolean NOT NULL DEFAULT false,  -- the record logged problems: look at it again next run
  held boolean NOT NULL DEFAULT false     -- kept back by a partial hold (apply.ts holdRiskyPart)
) ON COMMIT DROP`;

const CHANGES_COLUMNS = [
  "idx", "action", "username", "user_id", "object_id", "new_object", "email", "name_first", "name_last", "title", "tags",
  "types", "profile_title", "attributes", "groups", "user_changed", "profile_changed", "groups_changed", "digest", "raw_digest",
  "history", "file", "recno", "raw", "mapped", "detail", "warned",
];

/**
 * Created users: everything was worked out in pass 1 (stage.ts), ids included, and stays in the
 * stage: the new users the plan did not reject (a collision with an account the sync does not own).
 * Not the users pass 1 created itself (stage.ts DirectCreates): their stage rows are 'created', with no ids.
 * (Copying a million wide rows from the stage into \`changes\` cost 15 s of an initial load, and
 * joining the stage to a table of drawn ids cost about half a second in each statement that reads
 * them; now each is one scan of the stage.)
 */
export const CREATED_USERS = "(SELECT * FROM stage WHERE user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM create_rejects r WHERE r.idx = stage.idx)) s";

/** Users to apply against their stored state, and records for the timeline only. */
const PASS_TWO_ROWS = `
  p.action IN ('update', 'unblock')
  OR (p.action IN ('unchanged', 'reject', 'block') AND s.status IN ('ok', 'rejected') AND s.raw_digest IS DISTINCT FROM p.old_raw_digest)`;

const BATCH = 5000;
/** Batches mapped but not yet copied in, at most: the rest of the pipeline waits (memory stays bounded). */
const COPIES_AHEAD = 2;

interface Row {
  idx: number;
  action: string;
  status: string;
  username: string;
  user_id: number | null;
  digest: string | null;
  raw_digest: string;
  history: boolean;
  file: string;
  recno: number;
  raw: string;
  messages: string | null;
  email: string | null;
  name_first: string | null;
  name_last: string | null;
  title: string | null;
  tags: Record<string, string> | null;
  profile_id: number | null;
  types: string[] | null;
  attributes: Attributes | null;
  groups: string[];
}

export interface ChangeStats {
  prepared: number;
  groupsAdded: number;
  groupsRemoved: number;
  /** records that passed pass 1 but failed against the stored profile (rare: if-has-value) */
  lateRejects: number;
}

export interface ChangesContext extends MappingContext {
  control: Control;
  progress: Progress;
  staged: Pick<StageStats, "newUsers" | "newMemberships">;
  /**
   * Database work that does not depend on the mapping (the before-images), for the plan's records
   * numbered in [from, to) (to null: all the rest; from -1 the first time). Called once per batch,
   * with that batch's records and those before it, so that the database does it while this
   * process maps the batch: the two run on different cores instead of one after the other.
   * Everything it was asked for is done when prepareChanges returns.
   */
  alongside?: (from: number, to: number | null) => Promise<void>;
}

/** Text form of a PostgreSQL array literal, for COPY. */
export function pgTextArray(values: readonly string[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out += (i ? "," : "") + '"' + (/["\\]/.test(v) ? v.replace(/\\/g, "\\\\").replace(/"/g, '\\"') : v) + '"';
  }
  return out + "}";
}

export async function prepareChanges(tx: Sql, ctx: ChangesContext): Promise<ChangeStats> {
  await tx.exec(CHANGES_TABLE);
  // New users are creates, unless the plan rejected them (rare: only where accounts the sync does not own exist)
  await tx.exec(
    "CREATE TEMP TABLE create_rejects ON COMMIT DROP AS SELECT idx FROM plan WHERE action = 'reject' AND user_id IS NULL AND status = 'ok'",
  );
  const stats: ChangeStats = { prepared: 0, groupsAdded: 0, groupsRemoved: 0, lateRejects: 0 };
  const [rejected] = await tx.query<{ n: number; groups: number }>(
    `SELECT count(*)::int AS n, coalesce(sum(cardinality(s.groups)), 0)::int AS groups
     FROM create_rejects r JOIN stage s ON s.idx = r.idx WHERE EXISTS (SELECT 1 FROM create_rejects)`,
  );
  const created = ctx.staged.newUsers - (rejected?.n ?? 0);
  stats.prepared += created;
  stats.groupsAdded += ctx.staged.newMemberships - (rejected?.groups ?? 0);
  // Everything pass 2 reads, gathered by one set-based statement (hash joins over the few
  // thousand rows of the plan that need it), then read back in batches by its own index: a batch
  // query joining the plan to the stage and the stored users would be planned anew each time.
  await tx.exec(`CREATE TEMP TABLE pass_two ON COMMIT DROP AS
    SELECT p.idx, p.action, s.status, p.username, p.user_id, s.digest::text AS digest, s.raw_digest::text AS raw_digest,
           (s.raw_digest IS DISTINCT FROM p.old_raw_digest) AS history, s.file, s.recno, s.raw, s.messages,
           u.email, u.name_first, u.name_last, u.title, u.tags, u.profile_id, o.types, o.attributes,
           ARRAY(SELECT m.group_id FROM memberships m WHERE m.user_id = p.user_id) AS group_ids
    FROM plan p
    JOIN stage s ON s.idx = p.idx
    LEFT JOIN users u ON u.id = p.user_id
    LEFT JOIN objects o ON o.id = u.profile_id
    WHERE ${PASS_TWO_ROWS}`);
  await tx.exec("CREATE INDEX pass_two_idx ON pass_two (idx)");
  // group ids → codes here, not by a join per user in SQL (which the planner turned into a loop over every group)
  const groupRows = await tx.query<{ id: number; code: string }>("SELECT id, code FROM groups ORDER BY position, code");
  const order = new Map(groupRows.map((g, i) => [Number(g.id), i]));
  const codeOf = (ids: number[]) =>
    ids
      .map(Number)
      .filter((id) => order.has(id))
      .sort((a, b) => order.get(a)! - order.get(b)!)
      .map((id) => groupRows[order.get(id)!]!.code);
  const [{ total }] = (await tx.query<{ total: number }>("SELECT count(*)::int AS total FROM pass_two")) as [{ total: number }];
  ctx.progress.update({ phase: "prepare", done: stats.prepared, total: total + stats.prepared });
  const keepMemory = memoryKeeper();
  // The run's one connection does pass 2's database work in this order, queued one after another
  // (a COPY in progress refuses any other statement): read batch n+1, the work alongside batch n,
  // COPY batch n. This process maps batch n meanwhile, and does not wait for its COPY: it goes on
  // to map batch n+1 as soon as that batch is read, so the database does not wait for the mapping,
  // and the mapping waits for a COPY only when it is COPIES_AHEAD batches ahead of the database.
  const queue = new DatabaseQueue();
  const fetch = (after: number) => queue.add(() => tx.query<Row & { group_ids: number[] }>("SELECT * FROM pass_two WHERE idx > $1 ORDER BY idx LIMIT $2", [after, BATCH]));
  const alongside = (from: number, to: number | null) => {
    if (ctx.alongside) queue.add(() => ctx.alongside!(from, to));
  };
  let from = -1;
  try {
    let next = fetch(-1);
    const copies: Promise<unknown>[] = [];
    for (;;) {
      keepMemory();
      const rows = await next;
      if (!rows.length) break;
      const last = Number(rows[rows.length - 1]!.idx);
      next = fetch(last);
      alongside(from, last + 1);
      from = last + 1;
      for (const row of rows) row.groups = codeOf(row.group_ids ?? []);
      const bytes = prepareBatch(rows, ctx, stats);
      copies.push(queue.add(() => tx.copyInBytes("changes", CHANGES_COLUMNS, [bytes])));
      if (copies.length > COPIES_AHEAD) await copies.shift();
      stats.prepared += rows.length;
      ctx.progress.update({ phase: "prepare", done: stats.prepared, total: total + created });
    }
    alongside(from, null);
  } finally {
    // everything queued is done, or the first failure is thrown (a failure alongside aborts the
    // transaction, and so whatever failed after it: it is the cause)
    await queue.done();
  }
  // only the columns the apply's statements filter and join on: sampling the wide ones (raw,
  // mapped, attributes) took longer than any statement it helps plan
  await tx.exec("ANALYZE changes (action, user_id, object_id, held, new_object, groups_changed)");
  return stats;
}

/** The synchronous part: records → rows of `changes`, as COPY text. */
function prepareBatch(rows: Row[], ctx: ChangesContext, stats: ChangeStats): Uint8Array {
  const out = new CopyText();
  for (const row of rows) {
    const applying = row.action === "update" || row.action === "unblock";
    if (row.status === "rejected") {
      timelineOnly(out, row, row.action, { errors: JSON.parse(row.messages ?? "[]") });
      continue;
    }
    const mapped = mapRecord(ctx, Number(row.idx), row.username, JSON.parse(row.raw), row.raw, row.attributes);
    if (!mapped.ok) {
      // passed pass 1 against a blank profile, fails against the stored one (an if-has-value)
      if (applying) stats.lateRejects++;
      timelineOnly(out, row, applying ? "reject" : row.action, { errors: mapped.messages });
      continue;
    }
    const state = userState(ctx, mapped, row.tags, row.groups ?? []);
    if (!applying) {
      timelineOnly(out, row, row.action, mapped.mapped);
      continue;
    }
    const { details } = mapped;
    const { profile, tags, added, removed } = state;
    stats.groupsAdded += added.length;
    stats.groupsRemoved += removed.length;

    const changes: Record<string, [unknown, unknown]> = {};
    const field = (name: string, before: unknown, after: unknown) => {
      if (!sameJson(before ?? null, after ?? null)) changes[name] = [before ?? null, after ?? null];
    };
    field("email", row.email, details.email);
    field("nameFirst", row.name_first, details.nameFirst);
    field("nameLast", row.name_last, details.nameLast);
    field("title", row.title, details.title);
    field("tags", row.tags ?? {}, tags);
    const userChanged = Object.keys(changes).length > 0;
    field("profile.types", row.types, profile.types);
    const oldAttributes = row.attributes ?? {};
    for (const code of new Set([...Object.keys(oldAttributes), ...Object.keys(profile.attributes)])) {
      field(`profile.${code}`, oldAttributes[code], profile.attributes[code]);
    }
    const profileChanged = Object.keys(changes).some((k) => k.startsWith("profile.")) || row.profile_id === null;
    const detail: Record<string, unknown> = { file: row.file, record: row.recno };
    if (Object.keys(changes).length) detail.changes = changes;
    if (added.length) detail.groupsAdded = added;
    if (removed.length) detail.groupsRemoved = removed;
    out.row([
      row.idx,
      row.action,
      row.username,
      row.user_id,
      row.profile_id,
      row.profile_id === null,
      details.email,
      details.nameFirst,
      details.nameLast,
      details.title,
      JSON.stringify(tags),
      pgTextArray(profile.types),
      profile.title,
      JSON.stringify(profile.attributes),
      pgTextArray(details.groups),
      userChanged,
      profileChanged,
      added.length > 0 || removed.length > 0,
      row.digest,
      row.raw_digest,
      Boolean(row.history),
      row.file,
      row.recno,
      row.raw,
      mapped.mapped,
      JSON.stringify(detail),
      mapped.messages.length > 0,
    ]);
  }
  return out.take();
}

/** A row for the timeline only; `mapped` is the mapped output as JSON text, or what went wrong. */
function timelineOnly(out: CopyText, row: Row, action: string, mapped: string | { errors: string[] }): void {
  out.value(row.idx).value(action).value(row.username).value(row.user_id).value(null).value(false);
  out.nulls(9); // email … groups
  out.value(false).value(false).value(false).value(row.digest).value(row.raw_digest).value(Boolean(row.history)).value(row.file).value(row.recno);
  out.value(row.raw).value(typeof mapped === "string" ? mapped : JSON.stringify(mapped)).value(null).value(Boolean(row.messages)).endRow();
}
