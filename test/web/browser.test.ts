// The web UI in a real browser (Debian's Chromium driven by playwright-core), as a new admin
// meets it: sign in, the dashboard, a run and its log, a user and why they are in their state,
// a file download, an action with its confirmation and its line in the audit log — plus the
// escaping of a hostile username on every page that shows usernames, a viewer who cannot
// change anything, and screenshots of the main pages at laptop and phone widths
// (test/artifacts/, not committed). On PGlite; the same pages are checked over HTTP on both
// databases in pages.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createAdmin } from "../../src/web/auth/index.ts";
import { ROOT } from "../helpers/cli.ts";
import { hasChromium, LAPTOP, launchBrowser, PHONE } from "./browser.ts";
import { ADMIN, VIEWER, XSS } from "./demo-data.ts";
import { openWebEnv, type WebEnv } from "./setup.ts";

const ARTIFACTS = join(ROOT, "test", "artifacts");

describe.skipIf(!hasChromium)("web UI in Chromium", () => {
  let env: WebEnv;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];

  async function signInAs(p: Page, name: string, password: string) {
    await p.goto(`${env.ui.url}/`);
    await p.fill("#username", name);
    await p.fill("#password", password);
    // wait for the answer to the post: the next navigation must not cut it short
    await Promise.all([p.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login"), p.click("button[type=submit]")]);
    await p.waitForLoadState();
  }

  beforeAll(async () => {
    env = await openWebEnv("pglite");
    await createAdmin(env.ts.store.db, "carol", "carol's long password");
    ({ browser, close: closeBrowser } = await launchBrowser());
    context = await browser.newContext({ viewport: LAPTOP, acceptDownloads: true });
    page = await context.newPage();
    page.on("dialog", async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await env?.close();
  });

  test("a wrong password is refused, and repeated failures lock the account for a while", async () => {
    await signInAs(page, "carol", "not carol's password");
    await expect(page.locator(".notice.bad").textContent()).resolves.toBe("Wrong account name or password (or the account is disabled).");
    for (let i = 0; i < 4; i++) await signInAs(page, "carol", `wrong ${i}`);
    await signInAs(page, "carol", "carol's long password");
    await expect(page.locator(".notice.bad").textContent()).resolves.toContain("Too many failed sign-ins. Try again in 15 minutes.");
    expect(new URL(page.url()).pathname).toBe("/login");
  });

  test("an admin signs in and the dashboard shows the held run first, then the last run", async () => {
    await signInAs(page, ADMIN.name, ADMIN.password);
    expect(new URL(page.url()).pathname).toBe("/");
    await expect(page.locator("h1").textContent()).resolves.toBe("Dashboard");
    const first = page.locator(".notice.warn").first();
    await expect(first.locator("h2").textContent()).resolves.toBe("A run is held and needs a decision");
    await expect(first.textContent()).resolves.toContain("users would be blocked, more than the limit of 10% of the feed");
    await expect(page.locator("#last-run").isVisible()).resolves.toBe(true);
    expect(await page.locator("figure.chart").count()).toBe(5);
  });

  test("from the runs list to a held run: why it is held and what it would change", async () => {
    await page.click("nav.nav >> text=Runs");
    await page.waitForLoadState();
    await page.click(`table >> a[href="/runs/${env.demo.runs.held}"]`);
    await page.waitForLoadState();
    await expect(page.locator("h1").textContent()).resolves.toBe(`Run ${env.demo.runs.held} held`);
    const tripped = page.locator("#safety + .scroll tr.row-warn");
    await expect(tripped.textContent()).resolves.toContain("block-threshold");
    await expect(page.locator("#plan").textContent()).resolves.toBe("The plan: what applying this run would change");
    expect(await page.locator(".card:has(#plan) table.log tr").count()).toBe(30);
  });

  test("a run's log, filtered by level and action, pages forward and back", async () => {
    await page.goto(`${env.ui.url}/runs/${env.demo.runs.second}`);
    await page.click("nav.facets >> text=/^Log/");
    await page.waitForLoadState();
    await page.selectOption("#level", "error");
    await page.click("form[role=search] button[type=submit]");
    await page.waitForLoadState();
    expect(new URL(page.url()).searchParams.get("level")).toBe("error");
    const errors = await page.locator("table.log tr").allTextContents();
    expect(errors.length).toBeGreaterThanOrEqual(3);
    for (const line of errors) expect(line).toContain("ERROR");

    await page.goto(`${env.ui.url}/runs/${env.demo.runs.first}/log`);
    await page.selectOption("#action", "create");
    await page.click("form[role=search] button[type=submit]");
    await page.waitForLoadState();
    const firstPage = await page.locator("table.log tr").evaluateAll((rows) => rows.map((r) => Number(r.id.slice(1))));
    expect(firstPage.length).toBe(200);
    await page.click("text=Next lines →");
    await page.waitForLoadState();
    const secondPage = await page.locator("table.log tr").evaluateAll((rows) => rows.map((r) => Number(r.id.slice(1))));
    expect(secondPage.length).toBeGreaterThan(0);
    expect(secondPage[0]!).toBeGreaterThan(firstPage.at(-1)!);
    await expect(page.locator("table.log").textContent()).resolves.not.toContain("START:");
    await page.click("text=← Previous lines");
    await page.waitForLoadState();
    expect(await page.locator("table.log tr").evaluateAll((rows) => rows.map((r) => Number(r.id.slice(1))))).toEqual(firstPage);
  });

  test("a user's page answers why they are in their state, and shows the timeline of what was received", async () => {
    await page.click("nav.nav >> text=Users");
    await page.waitForLoadState();
    await page.fill("#q", env.demo.removed);
    await page.press("#q", "Enter");
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe(`/users/${env.demo.removed}`);
    await expect(page.locator(".notice:has-text('Why this state')").textContent()).resolves.toContain("Blocked by the sync in run 2: they were no longer in the feed.");
    await page.goto(`${env.ui.url}/users/u001`);
    const timeline = page.locator("ol.timeline > li");
    expect(await timeline.count()).toBe(2);
    await expect(timeline.first().textContent()).resolves.toContain("Head of Department");
    await timeline.first().locator("summary", { hasText: "Record as received" }).click();
    await expect(timeline.first().locator("pre").first().textContent()).resolves.toContain('"job": "Head of Department"');
  });

  test("a batch file downloads with exactly the bytes stored", async () => {
    await page.goto(`${env.ui.url}/runs/2`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(`a[href="/runs/2/files/staff"]`)]);
    expect(download.suggestedFilename()).toBe("run-2-staff");
    const [file] = await env.ts.store.db.query<{ digest: string }>("SELECT digest FROM run_files WHERE run_id = 2 AND name = 'staff'");
    const got = new Uint8Array(await Bun.file((await download.path())!).arrayBuffer());
    const stored = new Uint8Array(await Bun.file(env.ts.store.files.pathOf(file!.digest)).arrayBuffer());
    expect(got.length).toBe(stored.length);
    expect(got).toEqual(stored);
  });

  test("an admin blocks a user after confirming, and the audit log shows who did it", async () => {
    await page.goto(`${env.ui.url}/users/u007`);
    await page.click("text=Block account");
    await page.waitForLoadState();
    await expect(page.locator("h1").textContent()).resolves.toBe("Block u007?");
    await page.click("button:has-text('Block the account')");
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe("/users/u007");
    await expect(page.locator(".notice.ok").textContent()).resolves.toContain("Done: the account is blocked by an admin.");
    await expect(page.locator("h1 .badge").textContent()).resolves.toBe("blocked by an admin");
    await page.click("nav.nav >> text=Audit log");
    await page.waitForLoadState();
    const row = page.locator("tbody tr").first();
    await expect(row.textContent()).resolves.toMatch(/alice\s*user\.block\s*u007/);
  });

  test(`the username ${XSS} is text on every page that shows usernames, and no script runs`, async () => {
    const paths = [
      "/",
      `/runs/${env.demo.runs.held}`,
      `/runs/${env.demo.runs.held}/log`,
      `/runs/${env.demo.runs.first}/log?size=1000`,
      "/runs/2/files/staff/diff",
      "/users",
      `/users?q=${encodeURIComponent("<")}`,
      `/users/${encodeURIComponent(XSS)}`,
      "/audit",
    ];
    await page.goto(`${env.ui.url}/users/${encodeURIComponent(XSS)}/confirm/block`);
    await page.click("button:has-text('Block the account')"); // so that the audit log names the user too
    await page.waitForLoadState();
    for (const path of paths) {
      await page.goto(`${env.ui.url}${path}`);
      if (path !== "/") expect(await page.getByText(XSS, { exact: false }).count()).toBeGreaterThan(0);
      expect(await page.locator("script").count()).toBe(0);
      expect(await page.locator("img").count()).toBe(0);
    }
    expect(dialogs).toEqual([]);
  });

  test("a viewer sees everything but no action, and a change posted anyway is refused", async () => {
    const viewerContext = await browser.newContext({ viewport: LAPTOP });
    const viewer = await viewerContext.newPage();
    await signInAs(viewer, VIEWER.name, VIEWER.password);
    await viewer.goto(`${env.ui.url}/users/u008`);
    expect(await viewer.locator("text=Block account").count()).toBe(0);
    const csrf = await viewer.locator("input[name=_csrf]").first().inputValue();
    const refused = await viewer.request.post(`${env.ui.url}/users/u008/block`, { form: { _csrf: csrf } });
    expect(refused.status()).toBe(403);
    const [user] = await env.ts.store.db.query<{ active: boolean }>("SELECT active FROM users WHERE username = 'u008'");
    expect(user!.active).toBe(true);
    await viewerContext.close();
  });

  test("screenshots of the main pages at laptop and phone widths", async () => {
    const shots: [string, string][] = [
      ["dashboard", "/"],
      ["runs", "/runs"],
      ["run-held", `/runs/${env.demo.runs.held}`],
      ["run-complete", "/runs/2"],
      ["log", "/runs/2/log?changes=1"],
      ["file-diff", "/runs/2/files/staff/diff"],
      ["users", "/users"],
      ["user", "/users/u001"],
      ["user-blocked", `/users/${env.demo.removed}`],
      ["model", "/model"],
      ["control-files", "/control"],
      ["configuration", "/config"],
      ["uploaders", "/uploaders"],
      ["audit", "/audit"],
    ];
    for (const [width, viewport] of [["laptop", LAPTOP], ["phone", PHONE]] as const) {
      const ctx = await browser.newContext({ viewport });
      const p = await ctx.newPage();
      await p.goto(`${env.ui.url}/login`);
      await p.screenshot({ path: join(ARTIFACTS, `${width}-login.png`) });
      await signInAs(p, ADMIN.name, ADMIN.password);
      for (const [name, path] of shots) {
        await p.goto(`${env.ui.url}${path}`);
        // nothing may be wider than the screen but the scrollable tables
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect({ page: name, width, overflow }).toEqual({ page: name, width, overflow: 0 });
        await p.screenshot({ path: join(ARTIFACTS, `${width}-${name}.png`), fullPage: true });
      }
      await ctx.close();
    }
  }, 120_000);
});
