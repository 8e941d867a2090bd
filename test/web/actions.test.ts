// The web UI's actions (phase 2) against the REAL daemon (`usersync serve`: the HTTP API, the UI
// and the worker in one process), driven in Debian's Chromium by playwright-core: a held run is
// approved and the worker applies it, then it is reverted; a run being uploaded is cancelled; and
// over plain HTTP, what a viewer and a post without the CSRF token get.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { cli } from "../helpers/cli.ts";
import { api, createSite, curl, waitForRun, type RunningDaemon, type Site } from "../daemon/helpers.ts";
import { hasChromium, LAPTOP, launchBrowser } from "./browser.ts";
import { signIn, type Client } from "./server.ts";

const ADMIN = { name: "root", password: "root's long password" };
const VIEWER = { name: "vera", password: "vera's long password" };

describe.skipIf(!hasChromium)("web UI actions on the real daemon [pglite]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let heldRunId: number;
  let admin: Client;
  let viewer: Client;

  const upload = (name: string, file: string, key = site.apiKey) =>
    curl(["-u", `haplo:${key}`, "-F", `name=${name}`, "-F", `file=@${join(site.feedDir, file)}`, `${daemon.url}/api/haplo-user-sync/upload-file`]);

  /** Wait for the navigation a click starts (a form post and its redirect), then for the page. */
  async function clickAndWait(p: Page, selector: string) {
    await Promise.all([p.waitForNavigation(), p.click(selector)]);
    await p.waitForLoadState();
  }

  beforeAll(async () => {
    // the first-run check on (createSite turns it off): the first feed is held for a person's decision
    site = await createSite("pglite", { config: { safety: {} } });
    for (const [who, role] of [
      [ADMIN, "admin"],
      [VIEWER, "viewer"],
    ] as const) {
      const made = await cli(["admin", "add", who.name, "--role", role], { cwd: site.dir, env: site.env, stdin: who.password });
      if (made.code !== 0) throw new Error(`admin add: ${made.stderr}`);
    }
    daemon = await site.start();
    admin = await signIn(daemon.url, ADMIN.name, ADMIN.password);
    viewer = await signIn(daemon.url, VIEWER.name, VIEWER.password);
    ({ browser, close: closeBrowser } = await launchBrowser());
    page = await (await browser.newContext({ viewport: LAPTOP })).newPage();
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await site?.cleanup();
  });

  test("the first feed, uploaded over the API, is held by the first-run check", async () => {
    for (const [name, file] of [
      ["_control", "_control.json"],
      ["staff", "staff.json"],
      ["students", "students.tsv"],
      ["others", "others.json"],
    ] as const)
      expect((await upload(name, file)).status).toBe(200);
    const started = await api(daemon, site.apiKey, "/start-sync/json", { method: "POST" });
    expect(((await started.json()) as { status: string }).status).toBe("admin-intervention-required");
    const run = await waitForRun(daemon, site.apiKey, "current");
    expect(run.status).toBe("held");
    heldRunId = run.id;
  }, 60_000);

  test("an admin finds the held run on the dashboard, approves it, and sees the worker apply it", async () => {
    await page.goto(`${daemon.url}/`);
    await page.fill("#username", ADMIN.name);
    await page.fill("#password", ADMIN.password);
    await clickAndWait(page, "button[type=submit]");
    const held = page.locator(".notice.warn").first();
    await expect(held.locator("h2").textContent()).resolves.toBe("A run is held and needs a decision");
    await clickAndWait(page, `.notice.warn a[href="/runs/${heldRunId}"]`);
    await expect(page.locator("h1").textContent()).resolves.toContain(`Run ${heldRunId}`);
    // the actions a held run allows, and no others
    const labels = await page.locator(".run-actions a").allTextContents();
    expect(labels).toEqual(["Approve and apply", "Reject", "Cancel", "Dry-run against today (replay)"]);
    await clickAndWait(page, ".run-actions >> text=Approve and apply");
    expect(new URL(page.url()).pathname).toBe(`/runs/${heldRunId}/confirm/approve`);
    await clickAndWait(page, "form.confirm-form button[type=submit]:not([name])");
    expect(new URL(page.url()).pathname).toBe(`/runs/${heldRunId}`);
    await expect(page.locator(".flash").textContent()).resolves.toContain(`Run ${heldRunId} approved: it is queued`);
    // poll the page until the worker has applied it
    const deadline = Date.now() + 60_000;
    while (!(await page.locator("h1 .badge").textContent())?.includes("complete")) {
      if (Date.now() > deadline) throw new Error(`run ${heldRunId} is still ${await page.locator("h1 .badge").textContent()}`);
      await Bun.sleep(300);
      await page.reload();
    }
    await expect(page.locator("main").textContent()).resolves.toContain(`Decided by${ADMIN.name}`);
    // the message was shown once
    await page.reload();
    expect(await page.locator(".flash").count()).toBe(0);
    const audit = await (await admin.get("/audit")).text();
    expect(audit).toContain("run-approved");
  }, 90_000);

  test("a run that does not allow an action says so, whatever is posted", async () => {
    const refused = await admin.post(`/runs/${heldRunId}/approve`, {});
    expect(refused.status).toBe(303);
    const cookie = refused.headers.getSetCookie().find((c) => c.startsWith("usersync_flash="))!.split(";")[0]!;
    const shown = await (await fetch(`${daemon.url}/runs/${heldRunId}`, { headers: { cookie: `${admin.cookie}; ${cookie}` } })).text();
    expect(shown).toContain(`Run ${heldRunId} is complete: it cannot be approved. Nothing was done.`);
    expect((await admin.post(`/runs/${heldRunId}/explode`, {})).status).toBe(404);
  });

  test("the applied run is reverted from its page: a dry run first, then for real", async () => {
    await page.goto(`${daemon.url}/runs/${heldRunId}`);
    await clickAndWait(page, ".run-actions >> text=Revert");
    await clickAndWait(page, "button[name=mode][value=dry-run]");
    await expect(page.locator(".flash").textContent()).resolves.toContain(`Dry run of a revert of run ${heldRunId}: it would have 0 users put back, 120 deleted`);
    await page.goto(`${daemon.url}/runs/${heldRunId}/confirm/revert`);
    await clickAndWait(page, "form.confirm-form button.danger");
    await expect(page.locator(".flash").textContent()).resolves.toContain(`Run ${heldRunId} reverted: 0 users put back, 120 deleted`);
    await expect(page.locator("h1").textContent()).resolves.toContain("complete");
    const users = await (await admin.get("/users?state=managed")).text();
    expect(users).not.toContain("/users/");
  }, 60_000);

  test("a run still being uploaded is cancelled", async () => {
    expect((await upload("staff", "staff.json")).status).toBe(200);
    const run = (await (await api(daemon, site.apiKey, "/status")).json()) as { id: number; status: string };
    expect(run.status).toBe("uploading");
    await page.goto(`${daemon.url}/runs/${run.id}`);
    expect(await page.locator(".run-actions a").allTextContents()).toEqual(["Cancel"]);
    await clickAndWait(page, ".run-actions >> text=Cancel");
    await clickAndWait(page, "form.confirm-form button.danger");
    await expect(page.locator(".flash").textContent()).resolves.toBe(`Run ${run.id} cancelled.`);
    await expect(page.locator("h1 .badge").textContent()).resolves.toContain("cancelled");
  });

  test("an API key created in the UI uploads with curl until it is revoked in the UI", async () => {
    await page.goto(`${daemon.url}/uploaders`);
    await page.click("summary >> text=Create an API key…");
    await page.fill("#key-name", "nightly <export>");
    await clickAndWait(page, "#create-key button[type=submit]");
    const key = (await page.locator("#new-key").textContent())!.trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // shown once: the list shows only its first characters
    await page.goto(`${daemon.url}/uploaders`);
    expect(await page.locator("main").textContent()).not.toContain(key);
    const accepted = await upload("staff", "staff.json", key);
    expect(accepted.status).toBe(200);
    expect(JSON.parse(accepted.body).filename).toBe("staff.json");
    const row = page.locator("tr", { hasText: "nightly <export>" });
    await row.locator("summary >> text=Revoke…").click();
    await Promise.all([page.waitForNavigation(), row.locator("button.danger").click()]);
    await expect(page.locator(".flash").textContent()).resolves.toContain("revoked: uploads with it are refused from now on");
    expect(await upload("staff", "staff.json", key)).toEqual({ status: 403, body: "INVALID-API-KEY" });
    const audit = await (await admin.get("/audit")).text();
    expect(audit).toContain("api-key-created");
    expect(audit).toContain("api-key-revoked");
    expect(audit).not.toContain(key);
  }, 60_000);

  test("an SFTP account is added with a password (a bad key shown in place), then disabled", async () => {
    await page.goto(`${daemon.url}/uploaders`);
    await page.click("summary >> text=Add an SFTP account…");
    await page.fill("#sftp-name", "carol");
    await page.fill("#sftp-password", "short");
    await page.fill("#sftp-keys", "ssh-ed25519 not-a-key");
    await clickAndWait(page, "#add-sftp button[type=submit]");
    await expect(page.locator("#password-error").textContent()).resolves.toBe("The password must be at least 12 characters.");
    await expect(page.locator("#keys-error").textContent()).resolves.toContain("The keys, line 1: not an OpenSSH public key");
    expect(await page.inputValue("#sftp-name")).toBe("carol");
    await page.fill("#sftp-password", "carol's sftp password");
    await page.fill("#sftp-keys", "");
    await clickAndWait(page, "#add-sftp button[type=submit]");
    await expect(page.locator(".flash").textContent()).resolves.toBe("SFTP account carol created, password set.");
    const row = page.locator("tr", { hasText: "carol" });
    await expect(row.locator(".badge").textContent()).resolves.toBe("enabled");
    await row.locator("summary >> text=Disable…").click();
    await Promise.all([page.waitForNavigation(), row.locator("button.danger").click()]);
    await expect(page.locator(".flash").textContent()).resolves.toBe("SFTP account carol disabled.");
    await expect(page.locator("tr", { hasText: "carol" }).locator(".badge").textContent()).resolves.toBe("disabled");
  }, 60_000);

  test("the configuration form: a bad threshold is refused at its field; a good change is saved, used, and audited", async () => {
    await page.goto(`${daemon.url}/config`);
    await page.click("#edit summary");
    await page.fill("#safety-blocks-maxPercent", "150");
    await page.fill("#groups", '[{"code": "staff", "managed": true, "profileType": "std:type:person"}');
    await clickAndWait(page, "#config-form button[type=submit]");
    await expect(page.locator("#error-safety-blocks-maxPercent").textContent()).resolves.toBe("/safety/blocks/maxPercent: must be <= 100");
    await expect(page.locator("#error-groups").textContent()).resolves.toMatch(/^\/groups: .*\(line 1, column \d+\)$/);
    // what was typed is kept
    expect(await page.inputValue("#safety-blocks-maxPercent")).toBe("150");
    expect((await admin.get("/audit")).ok).toBe(true);
    expect(await (await admin.get("/audit")).text()).not.toContain("config-changed");

    await page.goto(`${daemon.url}/config`);
    await page.click("#edit summary");
    await page.fill("#safety-blocks-maxPercent", "25");
    await page.selectOption("#sync-autoApply", "false");
    await clickAndWait(page, "#config-form button[type=submit]");
    await expect(page.locator(".flash").textContent()).resolves.toBe("Settings saved (sync, safety); they apply from the next run.");
    await page.click("#edit summary");
    expect(await page.inputValue("#safety-blocks-maxPercent")).toBe("25");
    await expect(page.locator("main").textContent()).resolves.toContain("no: each run waits for an admin to apply it");
    // the running daemon uses it: start-sync now answers "disabled" (auto-apply off)
    // (staff.json is in the current run already: the API key test uploaded it)
    for (const [name, file] of [
      ["students", "students.tsv"],
      ["others", "others.json"],
    ] as const)
      expect(await upload(name, file)).toMatchObject({ status: 200 });
    const started = await api(daemon, site.apiKey, "/start-sync", { method: "POST" });
    expect(await started.text()).toBe("OK: Auto apply disabled; must apply manually.");
    // the ready run waits for a person: its page offers "Apply"
    const ready = (await (await api(daemon, site.apiKey, "/status")).json()) as { id: number; status: string };
    expect(ready.status).toBe("ready");
    await page.goto(`${daemon.url}/runs/${ready.id}`);
    expect(await page.locator(".run-actions a").allTextContents()).toEqual(["Apply", "Cancel", "Dry-run against today (replay)"]);
    await page.goto(`${daemon.url}/audit`);
    const line = page.locator("tr", { hasText: "config-changed" }).first();
    await expect(line.textContent()).resolves.toContain(ADMIN.name);
  }, 60_000);

  test("a viewer sees no action and a direct post is refused; a post without the CSRF token is refused", async () => {
    const asViewer = await (await viewer.get(`/runs/${heldRunId}`)).text();
    expect(asViewer).toContain(`Run ${heldRunId}`);
    expect(asViewer).not.toContain("/confirm/");
    expect((await viewer.get(`/runs/${heldRunId}/confirm/revert`)).status).toBe(403);
    expect((await viewer.post(`/runs/${heldRunId}/revert`, {})).status).toBe(403);
    expect((await admin.post(`/runs/${heldRunId}/revert`, {}, { csrf: false })).status).toBe(403);
    const configPage = await (await viewer.get("/config")).text();
    expect(configPage).toContain("Configuration");
    expect(configPage).not.toContain("config-form");
    expect((await viewer.post("/config", { "sync.autoApply": "true" })).status).toBe(403);
    const uploaders = await (await viewer.get("/uploaders")).text();
    expect(uploaders).toContain("API keys");
    expect(uploaders).not.toContain("Revoke…");
    expect(uploaders).not.toContain("/uploaders/api-keys");
    expect((await viewer.post("/uploaders/api-keys", { name: "sneaky" })).status).toBe(403);
    expect((await admin.post("/uploaders/api-keys", { name: "no token" }, { csrf: false })).status).toBe(403);
    const asAdmin = await (await admin.get(`/runs/${heldRunId}`)).text();
    expect(asAdmin).toContain(`/runs/${heldRunId}/confirm/reapply`);
  });
});
