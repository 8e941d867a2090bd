// The user store, declared once. Migrations in drizzle/ are generated from this file
// (`make migration`) and embedded into the program (src/store/migrations.ts).
//
// Naming: tables and columns are snake_case in SQL, camelCase in TypeScript.
//
// Foreign keys: the high-volume tables the engine writes in bulk (users, objects, memberships,
// sync_ledger, run_events, run_changes, received_records) have none. PostgreSQL checks a foreign
// key with one lookup per inserted row; on a million-user initial load that was most of the time
// (measured: 6 of 10 seconds per 100,000 users). Their integrity is the engine's job — each run
// writes both sides in one transaction — and the tests check it. Deleting a user or a run deletes
// its rows explicitly.
// The engine's bulk paths use raw SQL against these same tables (src/engine/sql/*.ts);
// keep the two in step when a column changes.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  pgView,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** Store objects: user profiles and the reference objects (departments, …) that refs point at.
 *  As in Haplo, profiles and reference objects share one object store; `ref` values are object ids. */
export const objects = pgTable(
  "objects",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    types: text("types").array().notNull(),
    /** Display text of the main title ("Dr Ada Lovelace"); the structured titles live in attributes. */
    title: text("title").notNull().default(""),
    /** { attributeCode: [{ t: type, v: value, q?: qualifier }] } — typed multi-values with optional qualifiers. */
    attributes: jsonb("attributes").notNull().default({}),
    /** Behaviour code of a reference object, used by `mapping` with `using: behaviour`. */
    behaviour: text("behaviour"),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // No index on types: a GIN index cost every profile write, and the only query by type (a title
  // mapping, at most 4096 objects) runs once per run.
  (t) => [uniqueIndex("objects_behaviour_key").on(t.behaviour)],
);

export const users = pgTable(
  "users",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** Normalised: Unicode NFC, trimmed, lower-case. Opaque, unique, immutable. */
    username: text("username").notNull(),
    email: text("email"),
    nameFirst: text("name_first"),
    nameLast: text("name_last"),
    title: text("title"),
    active: boolean("active").notNull().default(true),
    /** Who blocked the account: the sync (undone by the sync) or an admin (never undone by the sync). */
    blockedBy: text("blocked_by"),
    blockedAt: timestamp("blocked_at", { withTimezone: true }),
    tags: jsonb("tags").notNull().default({}),
    profileId: bigint("profile_id", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_username_key").on(t.username),
    index("users_email_idx").on(sql`lower(${t.email})`),
    // The UI's user search by username prefix (LIKE 'abc%') must use an index whatever the
    // database's collation, hence text_pattern_ops. (Names are searched without an index: two
    // more indexes on users cost every initial load more than a name search is worth.)
    index("users_username_prefix_idx").using("btree", sql`${t.username} text_pattern_ops`),
    // The UI's lists of blocked users, in username order; partial, so it holds (and costs) only the blocked.
    index("users_blocked_idx").on(t.blockedBy, t.username).where(sql`NOT ${t.active}`),
    check("users_blocked_by_check", sql`${t.blockedBy} is null or ${t.blockedBy} in ('sync', 'admin')`),
  ],
);

export const groups = pgTable(
  "groups",
  {
    id: serial("id").primaryKey(),
    code: text("code").notNull(),
    title: text("title").notNull().default(""),
    managed: boolean("managed").notNull().default(false),
    /** Profile type for members in the feed, and once blocked (Haplo's typeActive / typePast). */
    profileType: text("profile_type"),
    pastProfileType: text("past_profile_type"),
    /** Order of the groups in the configuration: profile types are chosen in this order (Haplo's gather order). */
    position: integer("position").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("groups_code_key").on(t.code)],
);

export const memberships = pgTable(
  "memberships",
  {
    userId: bigint("user_id", { mode: "number" }).notNull(),
    groupId: integer("group_id").notNull(),
    /** 'sync' when the feed added it, 'admin' or another system's name otherwise. */
    addedBy: text("added_by").notNull(),
    addedRunId: integer("added_run_id"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.groupId] }), index("memberships_group_idx").on(t.groupId)],
);

/** The sync ledger: the users the sync created and owns, and what it last knew of each. */
export const syncLedger = pgTable(
  "sync_ledger",
  {
    userId: bigint("user_id", { mode: "number" }).primaryKey(),
    username: text("username").notNull(),
    /** Digest of the mapped output + control file + group definitions (signed 64-bit). */
    digest: bigint("digest", { mode: "bigint" }).notNull(),
    /** Digest of the raw record as received: an unchanged record of a settled user is not mapped again. */
    rawDigest: bigint("raw_digest", { mode: "bigint" }).notNull(),
    /** The control file and group definitions the digest was computed under (engine/run.ts mappingContext). */
    context: text("context"),
    inFeed: boolean("in_feed").notNull().default(true),
    /** Set when the last record failed, or by an admin: the user is processed again next run. */
    error: boolean("error").notNull().default(false),
    /** The last record logged problems without failing: it is mapped again next run, so they are logged again. */
    warned: boolean("warned").notNull().default(false),
    /** Consecutive runs the user has been absent from the feed (debounced leavers). */
    absentRuns: integer("absent_runs").notNull().default(0),
    createdRunId: integer("created_run_id"),
    /** The last run that changed this user (created, updated, blocked, unblocked, rejected). */
    lastRunId: integer("last_run_id"),
    /** The run and rule behind the current state, for explain-why. */
    stateRunId: integer("state_run_id"),
    stateReason: text("state_reason"),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("sync_ledger_username_key").on(t.username),
    // The UI's lists of users in error and of pending leavers, in username order; partial, so they hold only those few.
    index("sync_ledger_error_idx").on(t.username).where(sql`${t.error}`),
    index("sync_ledger_pending_idx").on(t.username).where(sql`${t.inFeed} AND ${t.absentRuns} > 0`),
  ],
);

export const controlFiles = pgTable(
  "control_files",
  {
    id: serial("id").primaryKey(),
    digest: text("digest").notNull(),
    content: text("content").notNull(),
    expectedFiles: text("expected_files").array().notNull(),
    comment: text("comment"),
    uploadedBy: text("uploaded_by"),
    createdAt: createdAt(),
  },
  (t) => [index("control_files_digest_idx").on(t.digest)],
);

export const runs = pgTable(
  "runs",
  {
    id: serial("id").primaryKey(),
    /** uploading | ready | running | held | dry-run | complete | failure | cancelled | rejected */
    status: text("status").notNull(),
    /** feed | reapply | replay | revert */
    kind: text("kind").notNull().default("feed"),
    dryRun: boolean("dry_run").notNull().default(false),
    /** Where it came from: cli, sftp, http, watch, ui. */
    source: text("source"),
    controlFileId: integer("control_file_id").references(() => controlFiles.id),
    /** For reapply/replay/revert: the run it was made from. */
    basedOnRunId: integer("based_on_run_id"),
    counts: jsonb("counts").notNull().default({}),
    errorCount: integer("error_count").notNull().default(0),
    /** The safety verdict: { held: bool, checks: [{ name, tripped, figures, message }] }. */
    safety: jsonb("safety"),
    /** Why a run failed, or a short outcome line. */
    message: text("message"),
    approvedBy: text("approved_by"),
    approvedAt: timestamp("approved_at", { withTimezone: true }),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    durationMs: integer("duration_ms"),
    /** Attempts that failed for the database's sake (connection lost, read-only, disk full) and were retried (daemon/worker.ts). */
    attempts: integer("attempts").notNull().default(0),
    /** A queued retry is not taken before this time. */
    retryAt: timestamp("retry_at", { withTimezone: true }),
  },
  (t) => [index("runs_status_idx").on(t.status), index("runs_created_idx").on(t.createdAt)],
);

export const runFiles = pgTable(
  "run_files",
  {
    id: serial("id").primaryKey(),
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    /** Feed name (the key in the control file's `files`, or `_control`). */
    name: text("name").notNull(),
    originalFilename: text("original_filename"),
    size: bigint("size", { mode: "number" }).notNull(),
    /** SHA-256 hex of the bytes; the bytes live in the content-addressed file store under this digest. */
    digest: text("digest").notNull(),
    replaceable: boolean("replaceable").notNull().default(false),
    recordCount: integer("record_count"),
    /** The stored bytes were deleted: by 'retention' (usersync retention) or 'erasure' (usersync erase-person). */
    removedAt: timestamp("removed_at", { withTimezone: true }),
    removedReason: text("removed_reason"),
    /** Set when erasure rewrote the file without a person's records: the digest of the bytes as uploaded. */
    originalDigest: text("original_digest"),
    uploadedVia: text("uploaded_via"),
    uploadedBy: text("uploaded_by"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("run_files_run_name_key").on(t.runId, t.name), index("run_files_digest_idx").on(t.digest)],
);

/** One row per user action and per error of a run, in Haplo's log vocabulary (reference §6.10). */
export const runEvents = pgTable(
  "run_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: integer("run_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    /** info | warn | error */
    level: text("level").notNull(),
    /** create | update | unchanged | block | unblock | reject | pending-leaver | duplicate | run | … */
    action: text("action").notNull(),
    username: text("username"),
    message: text("message").notNull(),
    /** Field-level changes { field: [before, after] }, or error location { file, record }. */
    detail: jsonb("detail"),
  },
  (t) => [
    index("run_events_run_seq_idx").on(t.runId, t.seq),
    // One user's lines across runs, newest run first (explain-why, the user's page), or within one run.
    index("run_events_username_idx").on(t.username, t.runId, t.seq),
    // The UI's log filters page by seq within one level or one action of a run; without these, a
    // filter that matches little of a 100,000-line log scans all of it.
    index("run_events_run_level_seq_idx").on(t.runId, t.level, t.seq),
    index("run_events_run_action_seq_idx").on(t.runId, t.action, t.seq),
  ],
);

/** The received-data timeline: per user, each raw record that differed from the one before, and its mapped output. */
export const receivedRecords = pgTable(
  "received_records",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    username: text("username").notNull(),
    runId: integer("run_id").notNull(),
    fileName: text("file_name"),
    recordNumber: integer("record_number"),
    rawDigest: bigint("raw_digest", { mode: "bigint" }).notNull(),
    // Text, not json/jsonb: kept exactly as received (and as the control file mapped it), and
    // PostgreSQL need not parse a million JSON values on an initial load. Both are valid JSON.
    raw: text("raw").notNull(),
    mapped: text("mapped"),
    createdAt: createdAt(),
  },
  (t) => [index("received_records_username_idx").on(t.username, t.id)],
);

/** Before-images of everything a run changed, so a run can be undone (`usersync revert`). */
export const runChanges = pgTable(
  "run_changes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: integer("run_id").notNull(),
    userId: bigint("user_id", { mode: "number" }).notNull(),
    username: text("username").notNull(),
    /** create | update | block | unblock */
    action: text("action").notNull(),
    /** null for a user the run created; otherwise { user, profile, memberships, ledger } as they were. */
    // json, not jsonb: written for every user a run changes, read only by a revert (apply.ts)
    before: json("before"),
  },
  (t) => [index("run_changes_run_idx").on(t.runId), index("run_changes_user_idx").on(t.userId)],
);

export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: updatedAt(),
  updatedBy: text("updated_by"),
});

export const apiKeys = pgTable("api_keys", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  /** SHA-256 hex of the key; keys are random, long and never stored in clear. */
  keyHash: text("key_hash").notNull(),
  /** First characters of the key, to tell keys apart in lists. */
  keyPrefix: text("key_prefix").notNull(),
  pathPrefix: text("path_prefix").notNull().default("/api/haplo-user-sync/"),
  scope: text("scope").notNull().default("upload"),
  createdAt: createdAt(),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

export const sftpAccounts = pgTable(
  "sftp_accounts",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull(),
    passwordHash: text("password_hash"),
    /** OpenSSH authorized_keys lines. */
    publicKeys: text("public_keys").array().notNull().default(sql`'{}'::text[]`),
    disabled: boolean("disabled").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("sftp_accounts_name_key").on(t.name)],
);

export const admins = pgTable(
  "admins",
  {
    id: serial("id").primaryKey(),
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(),
    /** admin | viewer */
    role: text("role").notNull().default("admin"),
    disabled: boolean("disabled").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("admins_username_key").on(t.username)],
);

export const sessions = pgTable("sessions", {
  /** SHA-256 hex of the session token; the token itself is only in the cookie. */
  id: text("id").primaryKey(),
  adminId: integer("admin_id").notNull().references(() => admins.id, { onDelete: "cascade" }),
  csrfToken: text("csrf_token").notNull(),
  createdAt: createdAt(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    detail: jsonb("detail"),
  },
  (t) => [index("audit_log_at_idx").on(t.at)],
);

// ---------------------------------------------------------------------------------------------
// Read-only views for systems that read the user store directly (docs/OPERATIONS.md, "Reading the
// user store from another system"). They are the stable contract: the tables behind them may
// change between versions, these views keep their columns. Grant a reporting role SELECT on these
// views only; a view reads the tables with its owner's rights, so the role needs nothing else.

export const usersyncUsers = pgView("usersync_users", {
  id: bigint("id", { mode: "number" }),
  username: text("username"),
  email: text("email"),
  nameFirst: text("name_first"),
  nameLast: text("name_last"),
  title: text("title"),
  active: boolean("active"),
  blockedBy: text("blocked_by"),
  blockedAt: timestamp("blocked_at", { withTimezone: true }),
  tags: jsonb("tags"),
  profileId: bigint("profile_id", { mode: "number" }),
  managedBySync: boolean("managed_by_sync"),
  inFeed: boolean("in_feed"),
  createdAt: timestamp("created_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }),
}).as(sql`SELECT u.id, u.username, u.email, u.name_first, u.name_last, u.title, u.active, u.blocked_by, u.blocked_at, u.tags,
  u.profile_id, (l.user_id IS NOT NULL) AS managed_by_sync, l.in_feed, u.created_at, u.updated_at
  FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id`);

export const usersyncGroups = pgView("usersync_groups", {
  id: integer("id"),
  code: text("code"),
  title: text("title"),
  managed: boolean("managed"),
  profileType: text("profile_type"),
  pastProfileType: text("past_profile_type"),
}).as(sql`SELECT g.id, g.code, g.title, g.managed, g.profile_type, g.past_profile_type FROM groups g`);

export const usersyncGroupMembers = pgView("usersync_group_members", {
  userId: bigint("user_id", { mode: "number" }),
  username: text("username"),
  groupId: integer("group_id"),
  groupCode: text("group_code"),
  addedBy: text("added_by"),
  addedRunId: integer("added_run_id"),
  createdAt: timestamp("created_at", { withTimezone: true }),
}).as(sql`SELECT m.user_id, u.username, m.group_id, g.code AS group_code, m.added_by, m.added_run_id, m.created_at
  FROM memberships m JOIN users u ON u.id = m.user_id JOIN groups g ON g.id = m.group_id`);

export const usersyncProfiles = pgView("usersync_profiles", {
  userId: bigint("user_id", { mode: "number" }),
  username: text("username"),
  profileId: bigint("profile_id", { mode: "number" }),
  types: text("types").array(),
  title: text("title"),
  attributes: jsonb("attributes"),
  version: integer("version"),
  updatedAt: timestamp("updated_at", { withTimezone: true }),
}).as(sql`SELECT u.id AS user_id, u.username, o.id AS profile_id, o.types, o.title, o.attributes, o.version, o.updated_at
  FROM users u JOIN objects o ON o.id = u.profile_id`);
