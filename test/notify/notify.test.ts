// Notifications with real components: a real SMTP server (smtp-server) in the test process receives
// the report emails, parsed by mailparser; a real HTTP server (Bun.serve on port 0) receives the
// webhooks. Runs are real runs of the engine, on PGlite and PostgreSQL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { simpleParser } from "mailparser";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { loadConfig, resolveConfig, ConfigError, type NotificationsConfig } from "../../src/config/index.ts";
import { checkStaleFeed, notifyRunFinished, notifyRunHeld, problemKey, type NotifyContext } from "../../src/notify/index.ts";
import { Cron } from "croner";
import { applyFeed, json, person, simpleControl } from "../helpers/feeds.ts";
import { createLogger } from "../../src/util/log.ts";
import { cli } from "../helpers/cli.ts";
import { describeEachBackend } from "../helpers/store.ts";
import type { SafetyCheck } from "../../src/engine/index.ts";

interface Mail {
  from: string;
  to: string;
  subject: string;
  text: string;
  user: string | undefined;
}

const mails: Mail[] = [];
const hooks: { path: string; type: string; auth: string | null; body: string }[] = [];
let hookStatus = 200;
let smtp: SMTPServer;
let smtpPort = 0;
let web: ReturnType<typeof Bun.serve>;

const SMTP_PASSWORD = "correct horse battery staple";

beforeAll(async () => {
  smtp = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "usersync" && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          mails.push({
            from: mail.from?.text ?? "",
            to: (Array.isArray(mail.to) ? mail.to.map((t) => t.text).join(", ") : mail.to?.text) ?? "",
            subject: mail.subject ?? "",
            text: mail.text ?? "",
            user: session.user as string | undefined,
          });
          callback();
        },
        (error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  web = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      hooks.push({ path: new URL(request.url).pathname, type: request.headers.get("content-type") ?? "", auth: request.headers.get("authorization"), body: await request.text() });
      return new Response("thanks", { status: hookStatus });
    },
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  web.stop(true);
});

function notifications(extra: Partial<NotificationsConfig> = {}): NotificationsConfig {
  return {
    hostname: "sync.example.org",
    uiUrl: "https://sync.example.org/",
    email: {
      to: ["ops@example.org", "registry@example.org"],
      from: "usersync@example.org",
      smtp: { host: "127.0.0.1", port: smtpPort, user: "usersync", password: { env: "TEST_SMTP_PASSWORD" }, timeoutMs: 5000 },
    },
    webhooks: [
      { url: `http://127.0.0.1:${web.port}/haplo-monitor`, user: "monitor", token: { env: "TEST_HOOK_TOKEN" } },
      { url: `http://127.0.0.1:${web.port}/json-hook`, format: "json" },
    ],
    ...extra,
  };
}

const logLines: string[] = [];
const captureLog = createLogger({ level: "debug", write: (line) => logLines.push(line) });

const env = { TEST_SMTP_PASSWORD: SMTP_PASSWORD, TEST_HOOK_TOKEN: "hook-token-123" };
const control = simpleControl();
const good = (id: string) => person(id);
const badEmail = (id: string) => person(id, { email: "not an email" });

const holdEverything: SafetyCheck = async () => ({
  held: true,
  checks: [{ name: "max-blocks", tripped: true, message: "would block 2 of 3 users (67 %), more than the limit of 10 %" }],
});

function reset() {
  mails.length = 0;
  hooks.length = 0;
  logLines.length = 0;
  hookStatus = 200;
}

describeEachBackend("notifications", [{ code: "staff", managed: true }], (t) => {
  const ctx = (extra: Partial<NotificationsConfig> = {}, envOverride: Record<string, string> = env): NotifyContext => ({
    store: t().store,
    config: { notifications: notifications(extra) },
    log: captureLog,
    env: envOverride,
  });

  test("after a run: the report email carries the change in error count in Haplo's subject, and lists only the NEW problems", async () => {
    reset();
    const { store } = t();
    const first = await applyFeed(store, control, { staff: json([good("ann"), badEmail("eve"), good("fay")]) });
    expect(first.errorCount).toBe(1);
    const second = await applyFeed(store, control, { staff: json([good("ann"), badEmail("eve"), badEmail("fay"), badEmail("gus")]) });
    expect(second.errorCount).toBe(3);

    const { deliveries, report } = await notifyRunFinished(ctx(), second.runId);
    expect(deliveries.every((d) => d.ok)).toBe(true);
    expect(report!.problems.new.map((p) => p.username).sort()).toEqual(["fay", "gus"]);
    expect(report!.problems.persisting).toBe(1);

    expect(mails.length).toBe(1);
    const mail = mails[0]!;
    expect(mail.subject).toBe("User feed report / 2 / sync.example.org");
    expect(mail.from).toBe('"User feed" <usersync@example.org>');
    expect(mail.to).toBe("ops@example.org, registry@example.org");
    expect(mail.user).toBe("usersync"); // authenticated with the password from the environment variable
    expect(mail.text).toContain("Change in error count: +2");
    expect(mail.text).toContain(`compared with run ${first.runId}: 2 new, 1 still there, 0 resolved`);
    expect(mail.text).toContain(`https://sync.example.org/runs/${second.runId}`);
    const newSection = mail.text.slice(mail.text.indexOf("New problems (2):"));
    expect(newSection).toContain("ERROR: (fay) Invalid email address");
    expect(newSection).toContain("ERROR: (gus) Invalid email address");
    expect(newSection).not.toContain("(eve)"); // eve's problem is old news
    expect(mail.text).toContain(`1 problem(s) from run ${first.runId} are still there`);
  });

  test("after a run: webhooks get Haplo's monitoring form fields, and the JSON variant with counts and new problems", async () => {
    reset();
    const { store } = t();
    await applyFeed(store, control, { staff: json([good("ann"), badEmail("eve")]) });
    const second = await applyFeed(store, control, { staff: json([good("ann"), good("eve"), good("hal")]) });
    await notifyRunFinished(ctx(), second.runId);

    const form = hooks.find((h) => h.path === "/haplo-monitor")!;
    expect(form.type).toBe("application/x-www-form-urlencoded");
    expect(form.auth).toBe(`Basic ${btoa("monitor:hook-token-123")}`);
    const fields = Object.fromEntries(new URLSearchParams(form.body));
    expect(Object.keys(fields).sort()).toEqual(["errorDelta", "errors", "hostname", "status", "syncTime"]);
    expect(fields).toMatchObject({ hostname: "sync.example.org", status: "complete", errors: "0", errorDelta: "-1" });
    expect(new Date(fields.syncTime!).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const body = JSON.parse(hooks.find((h) => h.path === "/json-hook")!.body);
    expect(body).toMatchObject({ event: "run-finished", runId: second.runId, status: "complete", errors: 0, errorDelta: -1 });
    expect(body.counts).toMatchObject({ records: 3, create: 2, update: 0, unchanged: 1 }); // eve was rejected in run 1, so she is new now
    expect(body.problems).toEqual({ previousRunId: second.runId - 1, new: 0, persisting: 0, resolved: 1, newProblems: [] });
    expect(mails[0]!.subject).toBe("User feed report / -1 / sync.example.org");
  });

  test("a held run is reported as held, with the checks that tripped", async () => {
    reset();
    const { store } = t();
    await applyFeed(store, control, { staff: json([good("ann"), good("bob"), good("cat")]) });
    const held = await applyFeed(store, control, { staff: json([good("ann")]) }, { safety: holdEverything });
    expect(held.status).toBe("held");
    await notifyRunHeld(ctx(), held.runId);
    expect(mails[0]!.subject).toBe("User feed held for approval / 0 / sync.example.org");
    expect(mails[0]!.text).toContain("Nothing has been applied. A person must approve or reject this run");
    expect(mails[0]!.text).toContain("max-blocks: would block 2 of 3 users (67 %)");
    const body = JSON.parse(hooks.find((h) => h.path === "/json-hook")!.body);
    expect(body).toMatchObject({ event: "run-held", status: "held" });
    expect(body.heldBecause).toEqual(["max-blocks: would block 2 of 3 users (67 %), more than the limit of 10 %"]);
  });

  test("a failing channel does not stop the others; the failure is logged and audited without the password", async () => {
    reset();
    const { store } = t();
    const run = await applyFeed(store, control, { staff: json([good("ann")]) });
    hookStatus = 503;
    const wrongPassword = "not-the-password-xyz";
    const { deliveries } = await notifyRunFinished(ctx({}, { ...env, TEST_SMTP_PASSWORD: wrongPassword }), run.runId);
    const email = deliveries.find((d) => d.channel === "email")!;
    expect(email.ok).toBe(false);
    expect(deliveries.filter((d) => d.channel === "webhook").map((d) => d.error)).toEqual([
      `POST to http://127.0.0.1:${web.port} answered HTTP 503`,
      `POST to http://127.0.0.1:${web.port} answered HTTP 503`,
    ]);
    expect(hooks.length).toBe(2); // both webhooks were still tried
    expect(logLines.filter((l) => l.includes('"notification-failed"')).length).toBe(3);
    const audit = await store.db.query<{ action: string; detail: unknown }>("SELECT action, detail FROM audit_log WHERE target = $1", [`run ${run.runId}`]);
    expect(audit.filter((a) => a.action === "notification-failed").length).toBe(3);
    const everything = JSON.stringify([logLines, audit, deliveries]);
    expect(everything).not.toContain(wrongPassword);
    expect(everything).not.toContain(SMTP_PASSWORD);
    expect(everything).not.toContain("hook-token-123");
  });

  test("a missing secret is a clear delivery error naming the variable, never a crash", async () => {
    reset();
    const { store } = t();
    const run = await applyFeed(store, control, { staff: json([good("ann")]) });
    const { deliveries } = await notifyRunFinished(ctx({ webhooks: [] }, {}), run.runId);
    expect(deliveries).toEqual([
      { channel: "email", target: "2 recipient(s)", ok: false, error: "notifications.email.smtp.password: the environment variable TEST_SMTP_PASSWORD is not set" },
    ]);
    expect(mails.length).toBe(0);
  });

  test("nothing is sent for an event left out of notifications.events", async () => {
    reset();
    const { store } = t();
    const run = await applyFeed(store, control, { staff: json([good("ann")]) });
    const result = await notifyRunFinished(ctx({ events: ["run-held"] }), run.runId);
    expect(result.deliveries).toEqual([]);
    expect(mails.length + hooks.length).toBe(0);
  });

  test("stale feed: alerts once when no complete run arrived by the deadline, and again at the next missed deadline", async () => {
    reset();
    const { store } = t();
    const schedule = { expectBy: "0 6 * * *", timezone: "Europe/London" };
    const c = ctx({ staleFeed: schedule });
    // Before any feed has ever arrived, nothing is overdue.
    expect((await checkStaleFeed(c, new Date(Date.now() + 3 * 86_400_000))).state!.stale).toBe(false);

    const run = await applyFeed(store, control, { staff: json([good("ann")]) });
    const cron = new Cron(schedule.expectBy, { timezone: schedule.timezone, paused: true });
    const nextDeadline = cron.nextRun(new Date())!;
    const minutes = (m: number) => m * 60_000;

    // The first deadline after the run: the feed arrived in time.
    const onTime = await checkStaleFeed(c, new Date(nextDeadline.getTime() + minutes(1)));
    expect(onTime.state!.stale).toBe(false);
    expect(onTime.deliveries).toEqual([]);

    // A day later no new run has come: overdue, alert.
    const missed = new Date(cron.nextRun(nextDeadline)!.getTime() + minutes(1));
    const alert = await checkStaleFeed(c, missed);
    expect(alert.state!.stale).toBe(true);
    expect(alert.deliveries.length).toBe(3);
    expect(alert.deliveries.every((d) => d.ok)).toBe(true);
    expect(mails[0]!.subject).toBe("User feed overdue / sync.example.org");
    expect(mails[0]!.text).toContain(`The last complete run is run ${run.runId}`);
    expect(mails[0]!.text).toContain('schedule "0 6 * * *", Europe/London');
    expect(Object.fromEntries(new URLSearchParams(hooks.find((h) => h.path === "/haplo-monitor")!.body))).toMatchObject({ status: "stale" });

    // Checked again minutes later (or by a second daemon): no second alert for the same deadline.
    const again = await checkStaleFeed(c, new Date(missed.getTime() + minutes(5)));
    expect(again.state!.stale).toBe(true);
    expect(again.deliveries).toEqual([]);
    expect(mails.length).toBe(1);

    // The next missed deadline alerts again.
    const nextMissed = new Date(cron.nextRun(missed)!.getTime() + minutes(1));
    expect((await checkStaleFeed(c, nextMissed)).deliveries.length).toBe(3);
    expect(mails.length).toBe(2);
  });
});

test("the same problem in two runs has the same key, whatever its record number", () => {
  const today = { username: "ann", message: "ERROR: Invalid email address: not an email (record 12, user ann)" };
  const tomorrow = { username: "ann", message: "ERROR: Invalid email address: not an email (record 14, user ann)" };
  expect(problemKey(today)).toBe(problemKey(tomorrow));
  expect(problemKey({ username: "bob", message: today.message })).not.toBe(problemKey(today));
  expect(problemKey({ username: "x", message: "ERROR: Duplicate username: X (ignoring record 3)" })).toBe(
    problemKey({ username: "x", message: "ERROR: Duplicate username: X (ignoring record 9)" }),
  );
});

test("a stale-feed schedule that is not a cron expression or a time zone is a clear configuration error", () => {
  const bad = () => resolveConfig({ notifications: { staleFeed: { expectBy: "every weekday 6am", timezone: "Mars/Olympus" } } }, "usersync.json", {});
  expect(bad).toThrow(ConfigError);
  try {
    bad();
  } catch (error) {
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toContain('/notifications/staleFeed/expectBy: "every weekday 6am" is not a cron schedule');
    expect(problems).toContain('/notifications/staleFeed/timezone: "Mars/Olympus" is not a time zone');
  }
  expect(loadConfig).toBeDefined();
});

test("usersync notify sends the latest run's report through the configured channels and says how each went", async () => {
  reset();
  const dir = mkdtempSync(join(tmpdir(), "usersync-notify-cli-"));
  try {
    const config = { groups: [{ code: "staff", managed: true }], safety: { firstRun: { enabled: false } }, notifications: notifications({ webhooks: [{ url: `http://127.0.0.1:${web.port}/json-hook`, format: "json" as const }] }) };
    writeFileSync(join(dir, "usersync.json"), JSON.stringify(config));
    writeFileSync(join(dir, "control.json"), control);
    writeFileSync(join(dir, "staff.json"), json([good("ann"), badEmail("eve")]));
    const env = { USERSYNC_DATA: join(dir, "data"), DATABASE_URL: undefined, USERSYNC_CONFIG: undefined, TEST_SMTP_PASSWORD: SMTP_PASSWORD };
    expect((await cli(["apply", "-q", "--control", "control.json", "staff=staff.json"], { cwd: dir, env })).code).toBe(1);
    const sent = await cli(["notify"], { cwd: dir, env });
    expect(sent.stdout).toBe(`sent  email to 2 recipient(s)\nsent  webhook to http://127.0.0.1:${web.port}\n`);
    expect(sent.code).toBe(0);
    expect(mails[0]!.subject).toBe("User feed report / 1 / sync.example.org");
    expect(JSON.parse(hooks[0]!.body)).toMatchObject({ runId: 1, errors: 1, problems: { new: 1 } });

    const failing = await cli(["notify", "1"], { cwd: dir, env: { ...env, TEST_SMTP_PASSWORD: "wrong" } });
    expect(failing.code).toBe(2);
    expect(failing.stdout).toMatch(/^FAILED {2}email to 2 recipient\(s\): Invalid login/m);
    expect(failing.stdout).not.toContain("wrong");
    expect((await cli(["notify", "7"], { cwd: dir, env })).stderr).toContain("There is no run 7.");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
