// Everything known about one user, and why they are in the state they are in (explain-why):
// the account, their groups (managed or not), the profile object, the sync ledger, the last
// record received, and the run and rule behind their state. Shared by `usersync user` and the UI.
import type { Sql } from "../store/index.ts";
import { normaliseUsername } from "./normalise.ts";

export interface UserReport {
  user: {
    id: number;
    username: string;
    email: string | null;
    nameFirst: string | null;
    nameLast: string | null;
    title: string | null;
    active: boolean;
    blockedBy: string | null;
    blockedAt: Date | null;
    tags: Record<string, string>;
    createdAt: Date;
    updatedAt: Date;
  };
  groups: { code: string; title: string; managed: boolean; addedBy: string; addedRunId: number | null }[];
  profile: { id: number; types: string[]; title: string; attributes: Record<string, unknown[]>; version: number } | null;
  ledger: {
    inFeed: boolean;
    error: boolean;
    absentRuns: number;
    createdRunId: number | null;
    lastRunId: number | null;
    stateRunId: number | null;
    stateReason: string | null;
    digest: string;
  } | null;
  lastReceived: { runId: number; fileName: string | null; recordNumber: number | null; raw: unknown; mapped: unknown; at: Date } | null;
  timelineLength: number;
  recentProblems: { runId: number; level: string; message: string }[];
  state: { code: string; summary: string; details: string[] };
}

export async function findUsername(db: Sql, lookup: string): Promise<string | null> {
  const text = lookup.trim();
  if (text.includes("@")) {
    const [row] = await db.query<{ username: string }>("SELECT username FROM users WHERE lower(email) = lower($1) ORDER BY id LIMIT 1", [text]);
    return row?.username ?? null;
  }
  const [row] = await db.query<{ username: string }>("SELECT username FROM users WHERE username = $1", [normaliseUsername(text)]);
  return row?.username ?? null;
}

export async function explainUser(db: Sql, username: string, blockAfterAbsentRuns = 1): Promise<UserReport | null> {
  const [u] = await db.query<Record<string, any>>("SELECT * FROM users WHERE username = $1", [username]);
  if (!u) return null;
  const groups = await db.query<Record<string, any>>(
    `SELECT g.code, g.title, g.managed, m.added_by, m.added_run_id FROM memberships m JOIN groups g ON g.id = m.group_id
     WHERE m.user_id = $1 ORDER BY g.position, g.code`,
    [u.id],
  );
  const [o] = u.profile_id ? await db.query<Record<string, any>>("SELECT * FROM objects WHERE id = $1", [u.profile_id]) : [];
  const [l] = await db.query<Record<string, any>>("SELECT *, digest::text AS digest_text FROM sync_ledger WHERE user_id = $1", [u.id]);
  const [r] = await db.query<Record<string, any>>(
    "SELECT run_id, file_name, record_number, raw, mapped, created_at FROM received_records WHERE username = $1 ORDER BY id DESC LIMIT 1",
    [username],
  );
  const [{ n }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM received_records WHERE username = $1", [username])) as [{ n: number }];
  const problems = await db.query<Record<string, any>>(
    `SELECT run_id, level, message FROM run_events WHERE username = $1 AND level IN ('error', 'warn')
     AND run_id = (SELECT max(run_id) FROM run_events WHERE username = $1) ORDER BY seq LIMIT 20`,
    [username],
  );
  const report: UserReport = {
    user: {
      id: Number(u.id),
      username: u.username,
      email: u.email,
      nameFirst: u.name_first,
      nameLast: u.name_last,
      title: u.title,
      active: u.active,
      blockedBy: u.blocked_by,
      blockedAt: u.blocked_at,
      tags: u.tags ?? {},
      createdAt: u.created_at,
      updatedAt: u.updated_at,
    },
    groups: groups.map((g) => ({ code: g.code, title: g.title, managed: g.managed, addedBy: g.added_by, addedRunId: g.added_run_id })),
    profile: o ? { id: Number(o.id), types: o.types, title: o.title, attributes: o.attributes, version: o.version } : null,
    ledger: l
      ? {
          inFeed: l.in_feed,
          error: l.error,
          absentRuns: l.absent_runs,
          createdRunId: l.created_run_id,
          lastRunId: l.last_run_id,
          stateRunId: l.state_run_id,
          stateReason: l.state_reason,
          digest: l.digest_text,
        }
      : null,
    lastReceived: r
      ? { runId: r.run_id, fileName: r.file_name, recordNumber: r.record_number, raw: JSON.parse(r.raw), mapped: r.mapped === null ? null : JSON.parse(r.mapped), at: r.created_at }
      : null,
    timelineLength: n,
    recentProblems: problems.map((p) => ({ runId: p.run_id, level: p.level, message: p.message })),
    state: { code: "", summary: "", details: [] },
  };
  report.state = stateOf(report, blockAfterAbsentRuns);
  return report;
}

function stateOf(r: UserReport, blockAfterAbsentRuns: number): UserReport["state"] {
  const { user, ledger } = r;
  const details: string[] = [];
  if (!ledger) {
    return {
      code: user.active ? "not-synced" : "not-synced-blocked",
      summary: "Not managed by the sync: this account was created some other way, and the sync never changes or blocks it.",
      details,
    };
  }
  if (ledger.error) details.push("The last record received for this user was rejected; they keep their last good state and are processed again next run.");
  if (ledger.createdRunId) details.push(`Created by run ${ledger.createdRunId}.`);
  if (user.blockedBy === "admin") {
    return {
      code: "blocked-admin",
      // (new Date(): the PostgreSQL driver returns timestamps as text, PGlite as Date)
      summary: `Blocked by an administrator${user.blockedAt ? ` on ${new Date(user.blockedAt).toISOString().slice(0, 10)}` : ""}. The sync does not unblock users an administrator blocked, whatever the feed says.`,
      details,
    };
  }
  if (!user.active && user.blockedBy === "sync") {
    const why =
      ledger.stateReason === "blocked-rejected"
        ? "their record was rejected and the sync is set to block on record errors"
        : "they were no longer in the feed";
    return {
      code: "blocked-sync",
      summary: `Blocked by the sync in run ${ledger.stateRunId ?? "?"}: ${why}. They are unblocked automatically when they come back into the feed.`,
      details,
    };
  }
  if (!ledger.inFeed) {
    return {
      code: "absent-active",
      summary: `Not in the feed since run ${ledger.stateRunId ?? "?"}, but active: an administrator unblocked them, and the sync leaves that alone.`,
      details,
    };
  }
  if (ledger.absentRuns > 0) {
    return {
      code: "pending-leaver",
      summary: `Pending leaver: absent from the last ${ledger.absentRuns} run(s); blocked once absent from ${blockAfterAbsentRuns} consecutive runs.`,
      details,
    };
  }
  const since = ledger.stateReason === "returned" ? `back in the feed since run ${ledger.stateRunId}` : `in the feed since run ${ledger.stateRunId ?? ledger.createdRunId ?? "?"}`;
  return { code: "active", summary: `Active: ${since}.`, details };
}
