// Notifications: what the daemon calls, and when.
//
//   notifyAfterRun(ctx, outcome)   after executeRun: one of the two below, by the outcome's status
//   notifyRunFinished(ctx, runId)  after every run that finished (complete, failure; not a dry run)
//   notifyRunHeld(ctx, runId)      when a run is held by a safety check (also a preflight hold at start-sync)
//   checkStaleFeed(ctx, now)       every minute or so: alerts once per deadline when no complete
//                                  run arrived in time (notifications.staleFeed)
//
// Each sends an email (notifications.email) and POSTs every webhook (notifications.webhooks). A
// failing channel never fails the caller: it is logged, written to the audit log, and the other
// channels still go. Nothing is sent when nothing is configured.
import { hostname as machineName } from "node:os";
import type { NotificationsConfig } from "../config/index.ts";
import type { Sql } from "../store/index.ts";
import { silentLogger, type Logger } from "../util/log.ts";
import { sendEmail, type EmailMessage } from "./email.ts";
import { buildRunReport, emailSubject, emailText, formFields, jsonBody, type ReportEvent, type RunReport } from "./report.ts";
import { claimStaleAlert, staleFeedState, staleSubject, staleText, type StaleFeedState } from "./stale.ts";
import { hostOf, postWebhook } from "./webhook.ts";

export { checkStaleFeedSettings } from "./stale.ts";
export { problemKey, compareProblems, type Problem, type ProblemComparison } from "./problems.ts";
export { buildRunReport, emailSubject, emailText, formFields, jsonBody, type RunReport } from "./report.ts";

/** What the notifications need; the daemon's and the command line's context both fit. */
export interface NotifyContext {
  store: { db: Sql };
  config: { notifications: NotificationsConfig };
  log?: Logger;
  /** Where secrets named by `{ env }` are read from (tests); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface Delivery {
  channel: "email" | "webhook";
  /** Recipients' count or the webhook's scheme://host, never a secret. */
  target: string;
  ok: boolean;
  error?: string;
}

type NotifyEvent = ReportEvent | "stale-feed";

function wants(config: NotificationsConfig, event: NotifyEvent): boolean {
  return (config.events ?? ["run-finished", "run-held", "stale-feed"]).includes(event);
}

export function reportHostname(config: NotificationsConfig): string {
  return config.hostname ?? machineName();
}

async function deliver(
  ctx: NotifyContext,
  event: NotifyEvent,
  target: string,
  email: EmailMessage,
  bodies: { form: Record<string, string>; json: unknown },
): Promise<Delivery[]> {
  const { notifications } = ctx.config;
  const log = ctx.log ?? silentLogger;
  const env = ctx.env ?? process.env;
  const jobs: Promise<Delivery>[] = [];
  if (notifications.email) {
    const settings = notifications.email;
    const to = `${settings.to.length} recipient(s)`;
    jobs.push(
      sendEmail(settings, email, env).then(
        () => ({ channel: "email", target: to, ok: true }),
        (error: unknown) => ({ channel: "email", target: to, ok: false, error: describe(error) }),
      ),
    );
  }
  for (const hook of notifications.webhooks ?? []) {
    const where = hostOf(hook.url);
    jobs.push(
      postWebhook(hook, bodies, env).then(
        () => ({ channel: "webhook", target: where, ok: true }),
        (error: unknown) => ({ channel: "webhook", target: where, ok: false, error: describe(error) }),
      ),
    );
  }
  const deliveries = await Promise.all(jobs);
  for (const d of deliveries) {
    if (d.ok) log.info("notification-sent", { notification: event, about: target, channel: d.channel, to: d.target });
    else log.error("notification-failed", { notification: event, about: target, channel: d.channel, to: d.target, error: d.error });
    await ctx.store.db
      .query("INSERT INTO audit_log (actor, action, target, detail) VALUES ('notify', $1, $2, $3::text::jsonb)", [
        d.ok ? "notification-sent" : "notification-failed",
        target,
        JSON.stringify({ event, channel: d.channel, to: d.target, ...(d.error ? { error: d.error } : {}) }),
      ])
      .catch((error: unknown) => log.error("audit-failed", { error: describe(error) }));
  }
  return deliveries;
}

/** An error's message only: SMTP libraries can put the conversation (with AUTH) in other fields. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function notifyRun(ctx: NotifyContext, runId: number, event: ReportEvent): Promise<{ report: RunReport | null; deliveries: Delivery[] }> {
  const { notifications } = ctx.config;
  if (!wants(notifications, event) || (!notifications.email && !notifications.webhooks?.length)) return { report: null, deliveries: [] };
  const report = await buildRunReport(ctx.store.db, runId, { event, hostname: reportHostname(notifications), uiUrl: notifications.uiUrl });
  const deliveries = await deliver(
    ctx,
    event,
    `run ${runId}`,
    { subject: emailSubject(report), text: emailText(report) },
    { form: formFields(report), json: jsonBody(report) },
  );
  return { report, deliveries };
}

/** After every run that finished (complete or failure): the report email and the webhooks. */
export function notifyRunFinished(ctx: NotifyContext, runId: number) {
  return notifyRun(ctx, runId, "run-finished");
}

/** When a safety check held a run: nothing was applied, a person must decide. */
export function notifyRunHeld(ctx: NotifyContext, runId: number) {
  return notifyRun(ctx, runId, "run-held");
}

/** The one call after executeRun: the report for a finished run, the held notice for a held one, nothing for a dry run. */
export async function notifyAfterRun(ctx: NotifyContext, outcome: { runId: number; status: string }): Promise<Delivery[]> {
  if (outcome.status === "held") return (await notifyRunHeld(ctx, outcome.runId)).deliveries;
  if (outcome.status === "complete" || outcome.status === "failure") return (await notifyRunFinished(ctx, outcome.runId)).deliveries;
  return [];
}

/**
 * Called periodically by the daemon (every minute is plenty). Alerts once per missed deadline;
 * returns the state it found, for the UI and the tests.
 */
export async function checkStaleFeed(ctx: NotifyContext, now: Date = new Date()): Promise<{ state: StaleFeedState | null; deliveries: Delivery[] }> {
  const { notifications } = ctx.config;
  const settings = notifications.staleFeed;
  if (!settings) return { state: null, deliveries: [] };
  const state = await staleFeedState(ctx.store.db, settings, now);
  if (!state.stale || !state.deadline || !wants(notifications, "stale-feed")) return { state, deliveries: [] };
  if (!(await claimStaleAlert(ctx.store.db, state.deadline))) return { state, deliveries: [] };
  const hostname = reportHostname(notifications);
  const deliveries = await deliver(
    ctx,
    "stale-feed",
    `feed due ${state.deadline.toISOString()}`,
    { subject: staleSubject(hostname), text: staleText(hostname, settings, state) },
    {
      // Haplo's monitoring fields, with the status a monitor can alert on; syncTime is the last good run.
      form: { hostname, status: "stale", syncTime: state.lastComplete?.at ?? "", errors: "0", errorDelta: "0" },
      json: {
        event: "stale-feed",
        hostname,
        status: "stale",
        deadline: state.deadline.toISOString(),
        expectedSince: state.since?.toISOString() ?? null,
        lastCompleteRun: state.lastComplete,
        latestRun: state.latest,
      },
    },
  );
  return { state, deliveries };
}
