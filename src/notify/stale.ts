// Stale feed — a dead man's switch (anchors (c) item 12, (e) item 10). The feed is expected by
// each deadline of a cron schedule in a time zone ("0 6 * * 1-5", Europe/London: every weekday by
// 06:00). If no COMPLETE run finished between the previous deadline and now, once this deadline has
// passed, the feed is stale and an alert goes out — once per deadline, even with several daemons
// (the claim is one atomic statement on the settings table).
import { Cron } from "croner";
import type { NotificationsConfig } from "../config/index.ts";
import type { Sql } from "../store/index.ts";

export type StaleFeedSettings = NonNullable<NotificationsConfig["staleFeed"]>;

/** Problems with a staleFeed setting, for the configuration check ("/notifications/staleFeed/expectBy: …"). */
export function checkStaleFeedSettings(settings: StaleFeedSettings | undefined): string[] {
  if (!settings) return [];
  const problems: string[] = [];
  try {
    new Cron(settings.expectBy, { timezone: settings.timezone, paused: true }).nextRun();
  } catch (error) {
    problems.push(`/notifications/staleFeed/expectBy: "${settings.expectBy}" is not a cron schedule: ${(error as Error).message}`);
  }
  if (settings.timezone) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: settings.timezone });
    } catch {
      problems.push(`/notifications/staleFeed/timezone: "${settings.timezone}" is not a time zone (e.g. Europe/London)`);
    }
  }
  return problems;
}

export interface RunSummary {
  id: number;
  status: string;
  at: string;
}

export interface StaleFeedState {
  /** The latest deadline at or before `now`, or null when the schedule has none yet. */
  deadline: Date | null;
  /** The deadline before it: a complete run after this one counts. */
  since: Date | null;
  stale: boolean;
  lastComplete: RunSummary | null;
  latest: RunSummary | null;
}

/** Works out whether the feed is stale at `now`. Before the first run ever arrives nothing is stale. */
export async function staleFeedState(db: Sql, settings: StaleFeedSettings, now: Date): Promise<StaleFeedState> {
  const cron = new Cron(settings.expectBy, { timezone: settings.timezone ?? "UTC", paused: true });
  const [deadline = null, since = null] = cron.previousRuns(2, now);
  const summary = (row: { id: number; status: string; at: Date | string } | undefined): RunSummary | null =>
    row ? { id: Number(row.id), status: row.status, at: new Date(row.at).toISOString() } : null;
  const lastComplete = summary(
    (await db.query<{ id: number; status: string; at: Date }>(
      "SELECT id, status, finished_at AS at FROM runs WHERE status = 'complete' AND NOT dry_run ORDER BY finished_at DESC LIMIT 1",
    ))[0],
  );
  const latest = summary((await db.query<{ id: number; status: string; at: Date }>("SELECT id, status, created_at AS at FROM runs ORDER BY id DESC LIMIT 1"))[0]);
  const [first] = await db.query<{ at: Date | null }>("SELECT min(created_at) AS at FROM runs");
  const monitoringSince = first?.at ? new Date(first.at) : null;
  let stale = false;
  if (deadline && monitoringSince && monitoringSince < deadline) {
    const arrivedSince = lastComplete ? new Date(lastComplete.at) : null;
    stale = !arrivedSince || (since !== null && arrivedSince <= since);
  }
  return { deadline, since, stale, lastComplete, latest };
}

/**
 * Claims the alert for `deadline`: true for exactly one caller per deadline, across processes and
 * daemons sharing the database.
 */
export async function claimStaleAlert(db: Sql, deadline: Date): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO settings (key, value, updated_by) VALUES ('notifications.stale-feed', jsonb_build_object('deadline', $1::text), 'notify')
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now(), updated_by = excluded.updated_by
       WHERE settings.value ->> 'deadline' IS DISTINCT FROM excluded.value ->> 'deadline'
     RETURNING key`,
    [deadline.toISOString()],
  );
  return rows.length === 1;
}

export function staleSubject(hostname: string): string {
  return `User feed overdue / ${hostname}`;
}

export function staleText(hostname: string, settings: StaleFeedSettings, state: StaleFeedState): string {
  const lines = [
    `No complete sync run has arrived on ${hostname} since ${state.since?.toISOString() ?? "the schedule began"}.`,
    `It was expected by ${state.deadline?.toISOString()} (schedule "${settings.expectBy}", ${settings.timezone ?? "UTC"}).`,
    "",
    state.lastComplete ? `The last complete run is run ${state.lastComplete.id}, finished ${state.lastComplete.at}.` : "No run has completed yet.",
  ];
  if (state.latest && state.latest.id !== state.lastComplete?.id)
    lines.push(`The latest run is run ${state.latest.id} (${state.latest.status}), created ${state.latest.at}.`);
  lines.push("", "Check that the system sending the feed ran, and that its upload reached usersync (SFTP, watched folder or HTTP API).");
  return `${lines.join("\n")}\n`;
}
