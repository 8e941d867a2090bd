// Everything known about one user, and why they are in the state they are in (explain-why):
// the account, their groups (managed or not), the profile object, the sync ledger, the last
// record received, and the run, rule and figures behind their state — blocked since run N
// because absent, what that run's safety checks measured, whether a person approved it, which
// runs are held now and what they would do to this user, and the runs that changed them (with
// reverts). Shared by `usersync user` and the UI.
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
  /** The runs that changed this user, newest first (from the before-images the apply keeps). */
  history: { runId: number; kind: string; status: string; action: string; at: Date | null; approvedBy: string | null; basedOnRunId: number | null }[];
  /** Runs held now, and what each would do to this user (null: nothing). */
  heldRuns: { runId: number; hold: string; checks: string[]; planned: string | null; wasPlanned: boolean }[];
  state: { code: string; summary: string; details: string[] };
}

interface StateRun {
  id: number;
  kind: string;
  status: string;
  approved_by: string | null;
  approved_at: Date | null;
  finished_at: Date | null;
  safety: { checks?: { name: string; tripped: boolean; message: string }[]; approval?: { held?: { checks?: { name: string; tripped: boolean }[] } | null } } | null;
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
  const history = await db.query<Record<string, any>>(
    `SELECT c.run_id, c.action, r.kind, r.status, coalesce(r.applied_at, r.finished_at) AS at, r.approved_by, r.based_on_run_id
     FROM run_changes c JOIN runs r ON r.id = c.run_id WHERE c.user_id = $1 ORDER BY c.id DESC LIMIT 10`,
    [u.id],
  );
  const held = await db.query<Record<string, any>>(
    `SELECT r.id, r.safety, r.counts ? 'records' AS planned_run,
       (SELECT e.message FROM run_events e WHERE e.run_id = r.id AND e.username = $1
          AND e.action IN ('create', 'update', 'unblock', 'block', 'pending-leaver', 'reject') ORDER BY e.seq DESC LIMIT 1) AS planned
     FROM runs r WHERE r.status = 'held' ORDER BY r.id`,
    [username],
  );
  const stateRunId = l?.state_run_id ?? null;
  const [stateRun] = stateRunId
    ? await db.query<StateRun>("SELECT id, kind, status, approved_by, approved_at, finished_at, safety FROM runs WHERE id = $1", [stateRunId])
    : [];
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
      blockedAt: asDate(u.blocked_at),
      tags: u.tags ?? {},
      createdAt: asDate(u.created_at)!,
      updatedAt: asDate(u.updated_at)!,
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
      ? { runId: r.run_id, fileName: r.file_name, recordNumber: r.record_number, raw: JSON.parse(r.raw), mapped: r.mapped === null ? null : JSON.parse(r.mapped), at: asDate(r.created_at)! }
      : null,
    timelineLength: n,
    recentProblems: problems.map((p) => ({ runId: p.run_id, level: p.level, message: p.message })),
    history: history.map((h) => ({
      runId: h.run_id,
      kind: h.kind,
      status: h.status,
      action: h.action,
      at: asDate(h.at),
      approvedBy: h.approved_by,
      basedOnRunId: h.based_on_run_id,
    })),
    heldRuns: held.map((h) => ({
      runId: h.id,
      hold: h.safety?.hold ?? "run",
      checks: (h.safety?.checks ?? []).filter((c: { tripped: boolean }) => c.tripped).map((c: { name: string }) => c.name),
      planned: h.planned ?? null,
      wasPlanned: h.planned_run === true,
    })),
    state: { code: "", summary: "", details: [] },
  };
  report.state = stateOf(report, blockAfterAbsentRuns);
  report.state.details.push(...whyDetails(report, stateRun ?? null));
  return report;
}

/** Timestamps come back as Date from PGlite and as text from postgres.js here: one form for the report. */
function asDate(value: Date | string | null | undefined): Date | null {
  return value === null || value === undefined ? null : value instanceof Date ? value : new Date(value);
}

const day = (d: Date | null) => (d ? new Date(d).toISOString().slice(0, 10) : "?");

/** The figures behind the state: the run that set it, its checks and approval, reverts, held runs. */
function whyDetails(r: UserReport, stateRun: StateRun | null): string[] {
  const out: string[] = [];
  if (stateRun && r.ledger && ["blocked-sync", "active"].includes(r.state.code)) {
    const checks = stateRun.safety?.checks ?? [];
    const blocks = checks.find((c) => c.name === "blocks");
    if (r.state.code === "blocked-sync" && blocks) out.push(`Run ${stateRun.id}'s block check: ${blocks.message}`);
    const approval = stateRun.approved_by
      ? ` It had been held by safety checks (${(stateRun.safety?.approval?.held?.checks ?? []).filter((c) => c.tripped).map((c) => c.name).join(", ") || "before planning"}) and was approved by ${stateRun.approved_by} on ${day(stateRun.approved_at)}.`
      : "";
    out.push(`Run ${stateRun.id} (${stateRun.kind}, ${stateRun.status}, finished ${day(stateRun.finished_at)}) set this state.${approval}`);
  }
  const last = r.history[0];
  if (last?.kind === "revert") out.push(`Run ${last.runId} (on ${day(last.at)}) reverted run ${last.basedOnRunId}: this user was put back to their state before run ${last.basedOnRunId}.`);
  for (const h of r.heldRuns)
    out.push(
      `Run ${h.runId} is held by safety checks (${h.checks.join(", ") || "?"}${h.hold === "risky" ? "; its safe part was applied" : ""}): ` +
        (h.planned ? `it would do "${h.planned}" once approved.` : h.wasPlanned ? "it does not change this user." : "it was held before it was planned."),
    );
  return out;
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
    const absentIn = r.history.filter((h) => h.action === "pending-leaver").slice(0, ledger.absentRuns).map((h) => h.runId).reverse();
    return {
      code: "pending-leaver",
      summary:
        `Pending leaver: absent from the last ${ledger.absentRuns} run(s)${absentIn.length ? ` (run ${absentIn.join(", ")})` : ""}; ` +
        `blocked once absent from ${blockAfterAbsentRuns} consecutive runs (sync.blockAfterAbsentRuns), so ${Math.max(blockAfterAbsentRuns - ledger.absentRuns, 0)} more absent run(s) block them.`,
      details,
    };
  }
  const since = ledger.stateReason === "returned" ? `back in the feed since run ${ledger.stateRunId}` : `in the feed since run ${ledger.stateRunId ?? ledger.createdRunId ?? "?"}`;
  return { code: "active", summary: `Active: ${since}.`, details };
}
