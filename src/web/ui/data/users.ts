// Users for the pages: search (by username prefix, exact email, or name prefixes — each answered
// from an index), lists by state, and what the user's page shows besides explain-why: the
// received-data timeline, the log lines that named the user, and the titles of referenced objects.
import { normaliseUsername } from "../../../engine/index.ts";
import type { Database, Sql } from "../../../store/index.ts";
import { indexFirst } from "./index-first.ts";

export interface UserRow {
  username: string;
  nameFirst: string | null;
  nameLast: string | null;
  email: string | null;
  active: boolean;
  blockedBy: string | null;
  managed: boolean;
  inFeed: boolean | null;
  error: boolean | null;
  absentRuns: number | null;
}

export const USER_STATES = {
  "blocked-sync": "Blocked by the sync",
  "blocked-admin": "Blocked by an admin",
  error: "Last record rejected",
  pending: "Pending leavers",
} as const;
export type UserState = keyof typeof USER_STATES;

const COLUMNS = `u.username, u.name_first, u.name_last, u.email, u.active, u.blocked_by,
  l.user_id IS NOT NULL AS managed, l.in_feed, l.error, l.absent_runs`;

function toRow(r: Record<string, any>): UserRow {
  return {
    username: r.username,
    nameFirst: r.name_first,
    nameLast: r.name_last,
    email: r.email,
    active: r.active,
    blockedBy: r.blocked_by,
    managed: r.managed,
    inFeed: r.in_feed,
    error: r.error,
    absentRuns: r.absent_runs === null ? null : Number(r.absent_runs),
  };
}

/** `abc` → `abc%` with LIKE's own wildcards escaped. */
function prefixPattern(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Users matching a search: an email address (exact, case-insensitive), else a username prefix,
 * or names whose words start with the words typed ("ada lov" finds Ada Lovelace).
 */
export async function searchUsers(db: Database, query: string, limit = 50): Promise<{ users: UserRow[]; more: boolean }> {
  const q = query.normalize("NFC").trim().slice(0, 200);
  if (!q) return { users: [], more: false };
  if (q.includes("@") && !q.includes(" ")) {
    // MATERIALIZED: find the matches by their index first. Left to itself, the planner may walk
    // the whole username index to honour ORDER BY … LIMIT (seen on PostgreSQL before ANALYZE).
    const rows = await indexFirst(db, (tx) =>
      tx.query<Record<string, any>>(
        `WITH m AS MATERIALIZED (SELECT id FROM users WHERE lower(email) = lower($1) LIMIT 1000)
         SELECT ${COLUMNS} FROM m JOIN users u ON u.id = m.id LEFT JOIN sync_ledger l ON l.user_id = u.id ORDER BY u.username LIMIT $2`,
        [q, limit + 1],
      ),
    );
    return { users: rows.slice(0, limit).map(toRow), more: rows.length > limit };
  }
  const byUsername = await indexFirst(db, (tx) =>
    tx.query<Record<string, any>>(
      `SELECT ${COLUMNS} FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id WHERE u.username LIKE $1 ORDER BY u.username LIMIT $2`,
      [prefixPattern(normaliseUsername(q)), limit + 1],
    ),
  );
  // Names have no index (schema/tables.ts says why): the scan stops at the first matches it finds.
  const words = q.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 2).map(prefixPattern);
  const byName = await db.query<Record<string, any>>(
    words.length === 2
      ? `SELECT ${COLUMNS} FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id
         WHERE (lower(u.name_first) LIKE $1 AND lower(u.name_last) LIKE $2) OR (lower(u.name_last) LIKE $1 AND lower(u.name_first) LIKE $2) LIMIT $3`
      : `SELECT ${COLUMNS} FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id
         WHERE lower(u.name_first) LIKE $1 OR lower(u.name_last) LIKE $1 LIMIT $2`,
    [...words, limit + 1],
  );
  const found = new Map<string, Record<string, any>>();
  for (const r of [...byUsername, ...byName]) found.set(r.username, r);
  const rows = [...found.values()].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  return { users: rows.slice(0, limit).map(toRow), more: rows.length > limit || byUsername.length > limit || byName.length > limit };
}

/**
 * Which users each state lists. Each condition is a partial index in username order
 * (schema/tables.ts), so a page is read straight off the index, however few or many match.
 */
const STATE_QUERY: Record<UserState, string> = {
  "blocked-sync": `SELECT ${COLUMNS} FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id
    WHERE NOT u.active AND u.blocked_by = 'sync' AND ($1::text IS NULL OR u.username > $1) ORDER BY u.username LIMIT $2`,
  "blocked-admin": `SELECT ${COLUMNS} FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id
    WHERE NOT u.active AND u.blocked_by = 'admin' AND ($1::text IS NULL OR u.username > $1) ORDER BY u.username LIMIT $2`,
  error: `SELECT ${COLUMNS} FROM sync_ledger l JOIN users u ON u.id = l.user_id
    WHERE l.error AND ($1::text IS NULL OR l.username > $1) ORDER BY l.username LIMIT $2`,
  pending: `SELECT ${COLUMNS} FROM sync_ledger l JOIN users u ON u.id = l.user_id
    WHERE l.in_feed AND l.absent_runs > 0 AND ($1::text IS NULL OR l.username > $1) ORDER BY l.username LIMIT $2`,
};

const ALL_USERS = `SELECT ${COLUMNS} FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id
  WHERE ($1::text IS NULL OR u.username > $1) ORDER BY u.username LIMIT $2`;

/** Users in one state (or all), in username order, a page at a time after `after`. */
export function usersByState(db: Database, state: UserState | null, after: string | null, limit = 50): Promise<{ users: UserRow[]; next: string | null }> {
  return indexFirst(db, async (tx) => {
    const rows = await tx.query<Record<string, any>>(state ? STATE_QUERY[state] : ALL_USERS, [after, limit + 1]);
    const users = rows.slice(0, limit).map(toRow);
    return { users, next: rows.length > limit ? users.at(-1)!.username : null };
  });
}

/** received_records keeps raw and mapped as JSON text (exactly as received); older stores had json columns. */
function parseStored(value: unknown): unknown {
  if (typeof value !== "string") return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export interface TimelineEntry {
  id: number;
  runId: number;
  runStatus: string | null;
  fileName: string | null;
  recordNumber: number | null;
  raw: unknown;
  mapped: unknown;
  at: Date;
}

/** Received records of a user, newest first, plus the one before the page (to diff the page's oldest against). */
export async function timeline(db: Sql, username: string, before: number | null, limit = 10): Promise<{ entries: TimelineEntry[]; olderOne: TimelineEntry | null; more: boolean }> {
  const rows = await db.query<Record<string, any>>(
    `SELECT r.id, r.run_id, r.file_name, r.record_number, r.raw, r.mapped, r.created_at, x.status AS run_status
     FROM received_records r LEFT JOIN runs x ON x.id = r.run_id
     WHERE r.username = $1 AND ($2::bigint IS NULL OR r.id < $2) ORDER BY r.id DESC LIMIT $3`,
    [username, before, limit + 1],
  );
  const all = rows.map((r) => ({
    id: Number(r.id),
    runId: Number(r.run_id),
    runStatus: r.run_status ?? null,
    fileName: r.file_name,
    recordNumber: r.record_number === null ? null : Number(r.record_number),
    raw: parseStored(r.raw),
    mapped: parseStored(r.mapped),
    at: r.created_at,
  }));
  return { entries: all.slice(0, limit), olderOne: all[limit] ?? null, more: all.length > limit };
}

export interface UserEvent {
  runId: number;
  /** The run's status: a held or dry run's lines say what it would have done, not what it did. */
  runStatus: string;
  seq: number;
  level: string;
  action: string;
  message: string;
}

/** The latest log lines that named this user, across runs (what the sync did to them, and their errors). */
export async function userEvents(db: Sql, username: string, limit = 15): Promise<UserEvent[]> {
  const rows = await db.query<Record<string, any>>(
    `SELECT e.run_id, e.seq, e.level, e.action, e.message, r.status AS run_status FROM run_events e JOIN runs r ON r.id = e.run_id
     WHERE e.username = $1 ORDER BY e.run_id DESC, e.seq DESC LIMIT $2`,
    [username, limit],
  );
  return rows.map((r) => ({ runId: Number(r.run_id), runStatus: r.run_status, seq: Number(r.seq), level: r.level, action: r.action, message: r.message }));
}

/** Titles of objects that a profile's refs point at (departments…), by id. */
export async function objectTitles(db: Sql, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await db.query<{ id: number; title: string }>("SELECT id, title FROM objects WHERE id = ANY($1::bigint[])", [ids.slice(0, 500)]);
  return new Map(rows.map((r) => [Number(r.id), r.title]));
}
