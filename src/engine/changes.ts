// Pass 2 of a run: for the users classification picked (created, updated, unblocked — and the
// records whose raw text changed, for the timeline), read their record back from the spill file,
// run the control file again against the stored profile, and work out exactly what will change,
// field by field. Results go to the `changes` table with COPY, a bounded batch at a time; the
// apply (apply.ts) then writes them in a few set-based statements.
import { canonicalJson } from "./digest.ts";
import { checkDetails, type UserDetails } from "./details.ts";
import { finishProfile, type GroupDefinition } from "./profile.ts";
import type { Control, TypedValue } from "../control/index.ts";
import { copyField, type Sql } from "../store/index.ts";
import type { Progress } from "./progress.ts";
import type { Spill } from "./spill.ts";

export const CHANGES_TABLE = `CREATE TEMP TABLE changes (
  idx bigint NOT NULL,
  action text NOT NULL,        -- create | update | unblock | unchanged (timeline only) | reject (timeline only)
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
  raw json, mapped json,
  detail jsonb,                -- field-level changes, for the log and the plan
  held boolean NOT NULL DEFAULT false  -- kept back by a partial hold (apply.ts holdRiskyPart)
) ON COMMIT DROP`;

const CHANGES_COLUMNS = [
  "idx", "action", "username", "user_id", "object_id", "new_object", "email", "name_first", "name_last", "title", "tags",
  "types", "profile_title", "attributes", "groups", "user_changed", "profile_changed", "groups_changed", "digest", "raw_digest",
  "history", "file", "recno", "raw", "mapped", "detail",
];

const BATCH = 5000;

interface PlanRow {
  idx: number;
  action: string;
  username: string;
  user_id: number | null;
  spill_offset: number;
  spill_length: number;
  digest: string | null;
  raw_digest: string;
  history: boolean;
  file: string;
  recno: number;
  email: string | null;
  name_first: string | null;
  name_last: string | null;
  title: string | null;
  tags: Record<string, string> | null;
  profile_id: number | null;
  types: string[] | null;
  profile_title: string | null;
  attributes: Record<string, TypedValue[]> | null;
  groups: string[];
}

export interface ChangeStats {
  prepared: number;
  groupsAdded: number;
  groupsRemoved: number;
  /** records that passed pass 1 but failed against the stored profile (rare: if-has-value) */
  lateRejects: number;
}

export interface ChangesContext {
  control: Control;
  definitions: GroupDefinition[];
  knownGroups: ReadonlySet<string>;
  managedGroups: ReadonlySet<string>;
  defaultType: string;
  spill: Spill;
  progress: Progress;
}

/** Text form of a PostgreSQL array literal, for COPY. */
export function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The membership after this run: groups the sync does not manage stay; managed ones follow the feed. */
function newGroups(old: readonly string[], feed: readonly string[], managed: ReadonlySet<string>): string[] {
  const out = old.filter((g) => !managed.has(g));
  for (const g of feed) if (!out.includes(g)) out.push(g);
  return out;
}

export async function prepareChanges(tx: Sql, ctx: ChangesContext): Promise<ChangeStats> {
  await tx.exec(CHANGES_TABLE);
  const stats: ChangeStats = { prepared: 0, groupsAdded: 0, groupsRemoved: 0, lateRejects: 0 };
  const [{ total }] = (await tx.query<{ total: number }>(
    `SELECT count(*)::int AS total FROM plan
     WHERE action IN ('create', 'update', 'unblock') OR (spill_offset IS NOT NULL AND raw_digest IS DISTINCT FROM old_raw_digest)`,
  )) as [{ total: number }];
  let last = -1;
  for (;;) {
    const rows = await tx.query<PlanRow>(
      `SELECT p.idx, p.action, p.username, p.user_id, p.spill_offset, p.spill_length, p.digest::text, p.raw_digest::text,
              (p.raw_digest IS DISTINCT FROM p.old_raw_digest) AS history, p.file, p.recno,
              u.email, u.name_first, u.name_last, u.title, u.tags, u.profile_id,
              o.types, o.title AS profile_title, o.attributes,
              coalesce((SELECT array_agg(g.code ORDER BY g.position, g.code) FROM memberships m JOIN groups g ON g.id = m.group_id
                        WHERE m.user_id = p.user_id), '{}') AS groups
       FROM plan p
       LEFT JOIN users u ON u.id = p.user_id
       LEFT JOIN objects o ON o.id = u.profile_id
       WHERE p.idx > $1
         AND (p.action IN ('create', 'update', 'unblock') OR (p.spill_offset IS NOT NULL AND p.raw_digest IS DISTINCT FROM p.old_raw_digest))
       ORDER BY p.idx LIMIT $2`,
      [last, BATCH],
    );
    if (!rows.length) break;
    last = Number(rows[rows.length - 1]!.idx);
    const lines = prepareBatch(rows, ctx, stats);
    await tx.copyIn("changes", CHANGES_COLUMNS, lines);
    stats.prepared += rows.length;
    ctx.progress.update({ phase: "prepare", done: stats.prepared, total });
  }
  await tx.exec("ANALYZE changes");
  return stats;
}

/** The synchronous part: records → rows of `changes`. */
function prepareBatch(rows: PlanRow[], ctx: ChangesContext, stats: ChangeStats): string[] {
  const out: string[] = [];
  for (const row of rows) {
    const raw = ctx.spill.read(row.spill_offset, row.spill_length);
    const record = JSON.parse(raw);
    const applying = row.action === "create" || row.action === "update" || row.action === "unblock";
    const result = ctx.control.transform(record, row.attributes);
    const check = result.complete ? checkDetails(row.username, result.user, ctx.knownGroups) : null;
    if (!applying || !check?.ok) {
      // Timeline only: the record is kept as received, with what it mapped to (or why it failed).
      if (applying) stats.lateRejects++;
      const mapped = check?.ok ? { user: check.details, tags: result.tags } : { errors: [...result.errors, ...(check && !check.ok ? check.problems : [])] };
      out.push(timelineOnly(row, applying ? "reject" : row.action, raw, mapped));
      continue;
    }
    const details: UserDetails = check.details;
    const profile = finishProfile(result.profile, details, ctx.definitions, ctx.defaultType);
    const tags = { ...(row.tags ?? {}), ...(result.tags ?? {}) };
    const oldGroups = row.groups ?? [];
    const groups = newGroups(oldGroups, details.groups, ctx.managedGroups);
    const added = groups.filter((g) => !oldGroups.includes(g));
    const removed = oldGroups.filter((g) => !groups.includes(g));
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
    const groupsChanged = added.length > 0 || removed.length > 0;
    const detail: Record<string, unknown> = { file: row.file, record: row.recno };
    if (row.action !== "create") {
      if (Object.keys(changes).length) detail.changes = changes;
      if (added.length) detail.groupsAdded = added;
      if (removed.length) detail.groupsRemoved = removed;
    }
    const mapped = { user: details, tags: result.tags, profile: { types: profile.types, attributes: profile.attributes } };
    out.push(
      [
        row.idx,
        row.action,
        copyField(row.username),
        copyField(row.user_id),
        copyField(row.profile_id),
        row.profile_id === null ? "t" : "f",
        copyField(details.email),
        copyField(details.nameFirst),
        copyField(details.nameLast),
        copyField(details.title),
        copyField(JSON.stringify(tags)),
        copyField(pgTextArray(profile.types)),
        copyField(profile.title),
        copyField(JSON.stringify(profile.attributes)),
        copyField(pgTextArray(details.groups)),
        userChanged ? "t" : "f",
        profileChanged ? "t" : "f",
        groupsChanged ? "t" : "f",
        copyField(row.digest),
        copyField(row.raw_digest),
        row.history ? "t" : "f",
        copyField(row.file),
        copyField(row.recno),
        copyField(raw),
        copyField(JSON.stringify(mapped)),
        copyField(JSON.stringify(detail)),
      ].join("\t"),
    );
  }
  return out;
}

function timelineOnly(row: PlanRow, action: string, raw: string, mapped: unknown): string {
  const cells: (string | number)[] = [row.idx, action, copyField(row.username), copyField(row.user_id), "\\N", "f"];
  for (let i = 0; i < 9; i++) cells.push("\\N"); // email … groups
  cells.push("f", "f", "f", copyField(row.digest), copyField(row.raw_digest), row.history ? "t" : "f", copyField(row.file), copyField(row.recno));
  cells.push(copyField(raw), copyField(JSON.stringify(mapped)), "\\N");
  return cells.join("\t");
}
