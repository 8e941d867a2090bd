// The control file changed in the UI, against the REAL daemon driven in Debian's Chromium: a
// broken upload shows every problem in place (the JSON's line and column, an instruction's JSON
// path) and keeps the text; a valid one becomes current and is audited; "try it" maps a sample's
// first records and shows their errors; what a viewer, a post without the CSRF token and an
// oversized upload get; and no page with forms overflows a phone's width.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { feedControl } from "../../bench/feed.ts";
import { cli } from "../helpers/cli.ts";
import { api, createSite, type RunningDaemon, type Site } from "../daemon/helpers.ts";
import { hasChromium, LAPTOP, launchBrowser, PHONE } from "./browser.ts";
import { signIn, type Client } from "./server.ts";

const ADMIN = { name: "root", password: "root's long password" };
const VIEWER = { name: "vera", password: "vera's long password" };

/** The feed's control file with a trailing comma after the last instruction. */
function trailingComma(): { text: string; line: number } {
  const text = feedControl().replace(/\}\n {2}\]\n\}$/, "},\n  ]\n}");
  const lines = text.split("\n");
  return { text, line: lines.length - 1 }; // the "]" the comma runs into
}

describe.skipIf(!hasChromium)("the control file in the UI, on the real daemon [pglite]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let admin: Client;
  let viewer: Client;

  async function clickAndWait(p: Page, selector: string) {
    await Promise.all([p.waitForNavigation(), p.click(selector)]);
    await p.waitForLoadState();
  }

  /** A multipart post as a signed-in client (the helpers' post is url-encoded). */
  const multipart = (who: Client, path: string, form: FormData, csrf = true) => {
    if (csrf) form.append("_csrf", who.csrf);
    return fetch(`${daemon.url}${path}`, { method: "POST", body: form, redirect: "manual", headers: { cookie: who.cookie } });
  };

  /** An upload over the HTTP API (curl, as a feed's uploader does); its answer's body. */
  async function apiUpload(name: string, file: string): Promise<string> {
    const proc = Bun.spawn(
      ["curl", "-sS", "-u", `haplo:${site.apiKey}`, "-F", `name=${name}`, "-F", `file=@${join(site.feedDir, file)}`, `${daemon.url}/api/haplo-user-sync/upload-file`],
      { stdout: "pipe" },
    );
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    return out;
  }

  beforeAll(async () => {
    site = await createSite("pglite");
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
    await page.goto(`${daemon.url}/login`);
    await page.fill("#username", ADMIN.name);
    await page.fill("#password", ADMIN.password);
    await clickAndWait(page, "button[type=submit]");
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await site?.cleanup();
  });

  test("a broken control file: the JSON's line and column, then an instruction's path, shown in place with the text kept", async () => {
    await page.goto(`${daemon.url}/control`);
    await page.click("#upload summary");
    const broken = trailingComma();
    await page.fill("#control-text", broken.text);
    await clickAndWait(page, "#upload-form button[type=submit]");
    await expect(page.locator("#upload-problems").textContent()).resolves.toMatch(new RegExp(`Invalid JSON at line ${broken.line}, column 3: a value was expected`));
    await expect(page.locator("#json-excerpt").textContent()).resolves.toBe(`${broken.line} |   ]\n${" ".repeat(`${broken.line} |   `.length)}^`);
    expect(await page.inputValue("#control-text")).toBe(broken.text);

    const control = JSON.parse(feedControl());
    control.instructions[4].destination = "nowhere";
    const text = JSON.stringify(control, null, 2);
    await page.fill("#control-text", text);
    await page.fill("#control-comment", "a <b>bold</b> reason");
    await clickAndWait(page, "#upload-form button[type=submit]");
    const problems = page.locator("#upload-problems li");
    expect(await problems.count()).toBeGreaterThanOrEqual(1);
    const unknown = problems.filter({ hasText: "Unknown destination in field: nowhere" });
    await expect(unknown.locator("code.path").textContent()).resolves.toBe("instructions[4]");
    expect(await page.inputValue("#control-text")).toBe(text);
    expect(await page.inputValue("#control-comment")).toBe("a <b>bold</b> reason");
    // nothing was saved
    expect(await (await admin.get("/audit")).text()).not.toContain("control-file-uploaded");
    await expect(page.locator("main").textContent()).resolves.toContain("No control file has been made current yet");
  }, 60_000);

  test("a valid control file, chosen as a file, becomes current, shows in the history and the audit log", async () => {
    await page.goto(`${daemon.url}/control`);
    await page.click("#upload summary");
    await page.setInputFiles("#control-file", join(site.feedDir, "_control.json"));
    await page.fill("#control-comment", "first version");
    await clickAndWait(page, "#upload-form button[type=submit]");
    expect(new URL(page.url()).pathname).toBe("/control");
    await expect(page.locator(".flash").textContent()).resolves.toContain("Control file version 1 is now current: new runs use it.");
    await expect(page.locator("main h2", { hasText: "Version 1" }).textContent()).resolves.toContain("current");
    const row = page.locator("tr", { hasText: "version 1" });
    await expect(row.textContent()).resolves.toContain("current");
    await expect(row.textContent()).resolves.toContain("first version");
    // a new run starts with it: an upload of a file it does not read is refused
    const refused = await apiUpload("teachers", "staff.json");
    expect(refused).toContain("File teachers is not read by the control file, which reads others, staff, students");
    const digest = new Bun.CryptoHasher("sha256").update(readFileSync(join(site.feedDir, "_control.json"))).digest("hex");
    await page.goto(`${daemon.url}/audit`);
    const line = page.locator("tr", { hasText: "control-file-uploaded" }).first();
    await expect(line.textContent()).resolves.toContain(ADMIN.name);
    const audit = await (await admin.get("/audit")).text();
    expect(audit).toContain(digest);
    expect(audit).not.toContain("std:attribute:job-title"); // the content itself is not dumped
    // the same text again: nothing changes
    await page.goto(`${daemon.url}/control`);
    await page.click("#upload summary");
    await page.setInputFiles("#control-file", join(site.feedDir, "_control.json"));
    await clickAndWait(page, "#upload-form button[type=submit]");
    await expect(page.locator(".flash").textContent()).resolves.toBe("Version 1 is already the current control file: nothing changed.");
  }, 60_000);

  test("try it: a JSON sample of staff and a TSV sample of students, mapped record by record, with a record's error", async () => {
    const staff = [
      { id: "T1", first: "Ann", last: "Lee", email: "ann@example.org", groups: ["Staff"], job: "Teacher <b>", phone: "01234 567890" },
      { id: "t2", first: "Bob", last: "Ray", email: "not an email", groups: ["staff"] },
    ];
    await page.goto(`${daemon.url}/control`);
    await page.selectOption("#try-name", "staff");
    await page.setInputFiles("#try-sample", { name: "staff-sample.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(staff, null, 1)) });
    await clickAndWait(page, "#try-form button[type=submit]");
    const result = page.locator("#try-result");
    await expect(result.locator("h3").first().textContent()).resolves.toBe("staff (staff-sample.json), read as json");
    await expect(result.textContent()).resolves.toContain("2 record(s) read against the current control file (version 1): 1 would be applied, 1 rejected");
    const ann = page.locator("#try-records tr[data-record='1']");
    await expect(ann.locator("td[data-label=Username]").textContent()).resolves.toBe("t1");
    await expect(ann.locator("td[data-label=User]").textContent()).resolves.toContain("ann@example.org");
    await expect(ann.locator("td[data-label=User]").textContent()).resolves.toContain("staff");
    await expect(ann.locator("td[data-label=Profile]").textContent()).resolves.toContain("std:attribute:job-title");
    await expect(ann.locator("td[data-label=Profile]").textContent()).resolves.toContain("Teacher <b>");
    await expect(ann.locator("td[data-label=Errors]").textContent()).resolves.toBe("none");
    const bob = page.locator("#try-records tr[data-record='2']");
    await expect(bob.locator("td[data-label=Errors]").textContent()).resolves.toMatch(/email/i);
    expect(await page.inputValue("#try-name")).toBe("staff");

    const tsv = "id\tfirst\tlast\ttitle\temail\tgroup1\tgroup2\tgroup3\tjob\tphone\tdepartment\ns1\tSue\tOak\t\tsue@example.org\tstudents\t\t\t\t\tHistory\n";
    await page.selectOption("#try-name", "students");
    await page.setInputFiles("#try-sample", { name: "students.tsv", mimeType: "text/tab-separated-values", buffer: Buffer.from(tsv) });
    await clickAndWait(page, "#try-form button[type=submit]");
    await expect(result.textContent()).resolves.toContain("1 record(s) read against the current control file (version 1): 1 would be applied");
    await expect(page.locator("#try-records tr[data-record='1'] td[data-label=Profile]").textContent()).resolves.toContain("History");

    // a file that breaks: the reader's error names the file, the record and the line
    await page.selectOption("#try-name", "staff");
    await page.setInputFiles("#try-sample", { name: "broken.json", mimeType: "application/json", buffer: Buffer.from('[\n{"id": "a1"},\n{"id": "a2",,}\n]') });
    await clickAndWait(page, "#try-form button[type=submit]");
    await expect(page.locator("#try-failure").textContent()).resolves.toMatch(/file staff, record 2, line 3: /);
  }, 60_000);

  test("try it against a pasted, unsaved control file: its file names are offered, its problems listed", async () => {
    const control = JSON.parse(feedControl());
    control.files = { people: { read: "json" } };
    await page.goto(`${daemon.url}/control`);
    await page.click("#try summary");
    await page.fill("#try-control", JSON.stringify(control, null, 2));
    await page.setInputFiles("#try-sample", { name: "people.json", mimeType: "application/json", buffer: Buffer.from('[{"id": "p1", "first": "Pat", "last": "Poe", "email": "p1@example.org", "groups": ["staff"]}]') });
    await clickAndWait(page, "#try-form button[type=submit]");
    // the current version's names were offered: the pasted file's are offered now, with the text kept
    await expect(page.locator("#try-errors").textContent()).resolves.toContain("it reads people");
    expect(await page.locator("#try-name option").allTextContents()).toEqual(["people"]);
    await page.setInputFiles("#try-sample", { name: "people.json", mimeType: "application/json", buffer: Buffer.from('[{"id": "p1", "first": "Pat", "last": "Poe", "email": "p1@example.org", "groups": ["staff"]}]') });
    await clickAndWait(page, "#try-form button[type=submit]");
    await expect(page.locator("#try-result").textContent()).resolves.toContain("1 record(s) read against the pasted control file (not saved): 1 would be applied");
    control.instructions[0].destination = "nowhere";
    await page.fill("#try-control", JSON.stringify(control, null, 2));
    await clickAndWait(page, "#try-form button[type=submit]");
    await expect(page.locator("#try-problems").textContent()).resolves.toContain("instructions[0]: Unknown destination in field: nowhere");
    // nothing was saved
    expect(await (await admin.get("/control")).text()).not.toContain("version 2");
  }, 60_000);

  test("an oversized upload is refused with a message", async () => {
    await page.goto(`${daemon.url}/control`);
    await page.click("#upload summary");
    const big = `{"padding": "${"x".repeat(1_200_000)}"}`;
    await page.setInputFiles("#control-file", { name: "huge.json", mimeType: "application/json", buffer: Buffer.from(big) });
    await clickAndWait(page, "#upload-form button[type=submit]");
    await expect(page.locator(".flash").textContent()).resolves.toBe("Refused: the control file is larger than 1 MB. Nothing was saved or read.");
    // over plain HTTP too: a 303 to the control page, and nothing saved
    const form = new FormData();
    form.append("file", new File([big], "huge.json"));
    const refused = await multipart(admin, "/control/upload", form);
    expect(refused.status).toBe(303);
    expect(refused.headers.get("location")).toBe("/control");
    const history = await (await admin.get("/control")).text();
    expect(history).not.toContain("version 2");
  }, 60_000);

  test("a viewer sees no form and a direct post is refused; a post without the CSRF token is refused", async () => {
    const asViewer = await (await viewer.get("/control")).text();
    expect(asViewer).toContain("Control files");
    expect(asViewer).not.toContain("upload-form");
    expect(asViewer).not.toContain("try-form");
    const form = () => {
      const f = new FormData();
      f.append("text", feedControl());
      return f;
    };
    expect((await multipart(viewer, "/control/upload", form())).status).toBe(403);
    expect((await multipart(viewer, "/control/try", form())).status).toBe(403);
    expect((await multipart(admin, "/control/upload", form(), false)).status).toBe(403);
    expect((await multipart(admin, "/control/try", form(), false)).status).toBe(403);
    expect(await (await admin.get("/control")).text()).not.toContain("version 2");
  });

  test("at a phone's width, the control page, a run page with actions, /config and /uploaders do not overflow", async () => {
    // a run being uploaded, so that its page has an action
    await apiUpload("staff", "staff.json");
    const run = (await (await api(daemon, site.apiKey, "/status")).json()) as { id: number; status: string };
    expect(run.status).toBe("uploading");
    const context = await browser.newContext({ viewport: PHONE, storageState: await page.context().storageState() });
    const phone = await context.newPage();
    for (const path of ["/control", `/runs/${run.id}`, "/config", "/uploaders"]) {
      await phone.goto(`${daemon.url}${path}`);
      if (path.startsWith("/runs/")) expect(await phone.locator(".run-actions a").count()).toBeGreaterThan(0);
      // every form open, as when one was refused
      await phone.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
      const { scrollWidth, innerWidth } = await phone.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      expect({ path, scrollWidth }).toEqual({ path, scrollWidth: Math.min(scrollWidth, innerWidth) });
    }
    await context.close();
  }, 60_000);
});
