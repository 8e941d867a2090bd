// The user store as SCIM resources (RFC 7643 §4): User and Group, read from the tables with a
// bounded number of statements per page (one for the page, one for its memberships).
import type { Sql } from "../store/index.ts";
import { compileFilter, type AttributeMap } from "./filter.ts";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
/** Who blocked an inactive account, and whether the sync manages it: what `active` alone cannot say. */
export const USERSYNC_USER_SCHEMA = "urn:usersync:params:scim:schemas:extension:2.0:User";
export const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

const DISPLAY_NAME = "nullif(trim(concat_ws(' ', u.name_first, u.name_last)), '')";

export const USER_FILTERS: AttributeMap = {
  id: { sql: "u.id::text", type: "string", caseExact: true },
  userName: { sql: "u.username", type: "string", caseExact: false },
  displayName: { sql: DISPLAY_NAME, type: "string", caseExact: false },
  title: { sql: "u.title", type: "string", caseExact: false },
  active: { sql: "u.active", type: "boolean", caseExact: false },
  name: {
    sub: {
      givenName: { sql: "u.name_first", type: "string", caseExact: false },
      familyName: { sql: "u.name_last", type: "string", caseExact: false },
      formatted: { sql: DISPLAY_NAME, type: "string", caseExact: false },
    },
  },
  emails: {
    sub: {
      value: { sql: "u.email", type: "string", caseExact: false },
      type: { sql: "(CASE WHEN u.email IS NULL THEN NULL ELSE 'work' END)", type: "string", caseExact: false },
      primary: { sql: "(u.email IS NOT NULL)", type: "boolean", caseExact: false },
    },
  },
  groups: {
    exists: "SELECT 1 FROM memberships fm JOIN groups fg ON fg.id = fm.group_id WHERE fm.user_id = u.id",
    sub: {
      value: { sql: "fg.id::text", type: "string", caseExact: true },
      display: { sql: "coalesce(nullif(fg.title, ''), fg.code)", type: "string", caseExact: false },
    },
  },
  meta: {
    sub: {
      created: { sql: "u.created_at", type: "dateTime", caseExact: false },
      lastModified: { sql: "u.updated_at", type: "dateTime", caseExact: false },
    },
  },
};

export const GROUP_FILTERS: AttributeMap = {
  id: { sql: "g.id::text", type: "string", caseExact: true },
  displayName: { sql: "coalesce(nullif(g.title, ''), g.code)", type: "string", caseExact: false },
  externalId: { sql: "g.code", type: "string", caseExact: true },
  members: {
    exists: "SELECT 1 FROM memberships fm JOIN users fu ON fu.id = fm.user_id WHERE fm.group_id = g.id",
    sub: {
      value: { sql: "fu.id::text", type: "string", caseExact: true },
      display: { sql: "fu.username", type: "string", caseExact: false },
    },
  },
  meta: { sub: { created: { sql: "g.created_at", type: "dateTime", caseExact: false } } },
};

export interface Page {
  startIndex: number;
  count: number;
}

export interface ListResult {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Record<string, unknown>[];
}

interface UserRow {
  id: number;
  username: string;
  email: string | null;
  name_first: string | null;
  name_last: string | null;
  title: string | null;
  active: boolean;
  blocked_by: string | null;
  blocked_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  managed: boolean;
}

interface GroupRow {
  id: number;
  code: string;
  title: string;
  managed: boolean;
  created_at: Date | string;
}

const iso = (d: Date | string) => new Date(d).toISOString();
/** A weak ETag from the last change: enough for a client to see that something changed. */
const version = (d: Date | string) => `W/"${new Date(d).getTime().toString(36)}"`;

/** JSON array parameter: both database drivers accept text cast to jsonb (arrays as parameters they do not). */
const idList = (ids: number[]) => JSON.stringify(ids.map(String));

export async function listUsers(db: Sql, base: string, filter: string | undefined, page: Page): Promise<ListResult> {
  const params: unknown[] = [];
  const where = filter ? compileFilter(filter, USER_FILTERS, params) : "TRUE";
  const [{ total }] = (await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM users u WHERE ${where}`, params)) as [{ total: number }];
  const rows =
    page.count === 0
      ? []
      : await db.query<UserRow>(
          `${USER_SELECT} WHERE ${where} ORDER BY u.id LIMIT ${page.count} OFFSET ${page.startIndex - 1}`,
          params,
        );
  const resources = await usersWithGroups(db, base, rows);
  return { schemas: [LIST_SCHEMA], totalResults: Number(total), startIndex: page.startIndex, itemsPerPage: resources.length, Resources: resources };
}

export async function getUser(db: Sql, base: string, id: string): Promise<Record<string, unknown> | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const rows = await db.query<UserRow>(`${USER_SELECT} WHERE u.id = $1`, [Number(id)]);
  return (await usersWithGroups(db, base, rows))[0] ?? null;
}

const USER_SELECT = `SELECT u.id, u.username, u.email, u.name_first, u.name_last, u.title, u.active, u.blocked_by, u.blocked_at,
  u.created_at, u.updated_at, EXISTS (SELECT 1 FROM sync_ledger l WHERE l.user_id = u.id) AS managed FROM users u`;

async function usersWithGroups(db: Sql, base: string, rows: UserRow[]): Promise<Record<string, unknown>[]> {
  if (!rows.length) return [];
  const memberships = await db.query<{ user_id: number; id: number; display: string }>(
    `SELECT m.user_id, g.id, coalesce(nullif(g.title, ''), g.code) AS display FROM memberships m JOIN groups g ON g.id = m.group_id
     WHERE m.user_id IN (SELECT (jsonb_array_elements_text($1::text::jsonb))::bigint) ORDER BY m.user_id, g.id`,
    [idList(rows.map((r) => Number(r.id)))],
  );
  const groupsOf = new Map<number, { value: string; display: string; $ref: string; type: string }[]>();
  for (const m of memberships) {
    const list = groupsOf.get(Number(m.user_id)) ?? [];
    list.push({ value: String(m.id), display: m.display, $ref: `${base}/Groups/${m.id}`, type: "direct" });
    groupsOf.set(Number(m.user_id), list);
  }
  return rows.map((r) => userResource(base, r, groupsOf.get(Number(r.id)) ?? []));
}

function userResource(base: string, r: UserRow, groups: unknown[]): Record<string, unknown> {
  const formatted = [r.name_first, r.name_last].filter(Boolean).join(" ");
  const resource: Record<string, unknown> = {
    schemas: [USER_SCHEMA, USERSYNC_USER_SCHEMA],
    id: String(r.id),
    userName: r.username,
  };
  if (r.name_first || r.name_last)
    resource.name = { ...(r.name_first ? { givenName: r.name_first } : {}), ...(r.name_last ? { familyName: r.name_last } : {}), formatted };
  if (formatted) resource.displayName = formatted;
  if (r.title) resource.title = r.title;
  if (r.email) resource.emails = [{ value: r.email, type: "work", primary: true }];
  resource.active = r.active;
  if (groups.length) resource.groups = groups;
  resource[USERSYNC_USER_SCHEMA] = {
    managedBySync: r.managed,
    ...(r.active ? {} : { blockedBy: r.blocked_by ?? "admin", ...(r.blocked_at ? { blockedAt: iso(r.blocked_at) } : {}) }),
  };
  resource.meta = { resourceType: "User", created: iso(r.created_at), lastModified: iso(r.updated_at), location: `${base}/Users/${r.id}`, version: version(r.updated_at) };
  return resource;
}

export async function listGroups(db: Sql, base: string, filter: string | undefined, page: Page, withMembers: boolean): Promise<ListResult> {
  const params: unknown[] = [];
  const where = filter ? compileFilter(filter, GROUP_FILTERS, params) : "TRUE";
  const [{ total }] = (await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM groups g WHERE ${where}`, params)) as [{ total: number }];
  const rows =
    page.count === 0
      ? []
      : await db.query<GroupRow>(`SELECT g.id, g.code, g.title, g.managed, g.created_at FROM groups g WHERE ${where} ORDER BY g.id LIMIT ${page.count} OFFSET ${page.startIndex - 1}`, params);
  const resources = await groupsWithMembers(db, base, rows, withMembers);
  return { schemas: [LIST_SCHEMA], totalResults: Number(total), startIndex: page.startIndex, itemsPerPage: resources.length, Resources: resources };
}

export async function getGroup(db: Sql, base: string, id: string, withMembers: boolean): Promise<Record<string, unknown> | null> {
  if (!/^\d{1,9}$/.test(id)) return null;
  const rows = await db.query<GroupRow>("SELECT g.id, g.code, g.title, g.managed, g.created_at FROM groups g WHERE g.id = $1", [Number(id)]);
  return (await groupsWithMembers(db, base, rows, withMembers))[0] ?? null;
}

async function groupsWithMembers(db: Sql, base: string, rows: GroupRow[], withMembers: boolean): Promise<Record<string, unknown>[]> {
  const membersOf = new Map<number, unknown[]>();
  if (withMembers && rows.length) {
    const members = await db.query<{ group_id: number; id: number; username: string }>(
      `SELECT m.group_id, u.id, u.username FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.group_id IN (SELECT (jsonb_array_elements_text($1::text::jsonb))::int) ORDER BY m.group_id, u.id`,
      [idList(rows.map((r) => Number(r.id)))],
    );
    for (const m of members) {
      const list = membersOf.get(Number(m.group_id)) ?? [];
      list.push({ value: String(m.id), display: m.username, $ref: `${base}/Users/${m.id}`, type: "User" });
      membersOf.set(Number(m.group_id), list);
    }
  }
  return rows.map((g) => ({
    schemas: [GROUP_SCHEMA],
    id: String(g.id),
    displayName: g.title || g.code,
    externalId: g.code,
    ...(withMembers ? { members: membersOf.get(Number(g.id)) ?? [] } : {}),
    meta: { resourceType: "Group", created: iso(g.created_at), lastModified: iso(g.created_at), location: `${base}/Groups/${g.id}`, version: version(g.created_at) },
  }));
}
