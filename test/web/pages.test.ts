// What the pages show and do, over HTTP against the real server, with a history made by real
// feeds through the engine — on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkControlText, compileEnvironment } from "../../src/control/index.ts";
import { BACKENDS } from "../helpers/store.ts";
import { applyFeed, json, person } from "../helpers/feeds.ts";
import { ADMIN, CONTROL_V2, FORMULA, PEOPLE, XSS } from "./demo-data.ts";
import { signIn, type Client } from "./server.ts";
import { openWebEnv, type WebEnv } from "./setup.ts";

/** The text of a page with tags removed and entities decoded, to read it as a person would. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

for (const backend of BACKENDS) {
  describe(`web UI pages [${backend}]`, () => {
    let env: WebEnv;
    let admin: Client;
    const page = async (path: string) => {
      const r = await admin.get(path);
      expect(r.status).toBe(200);
      return r.text();
    };
    beforeAll(async () => {
      env = await openWebEnv(backend);
      admin = await signIn(env.ui.url, ADMIN.name, ADMIN.password);
    }, 120_000);
    afterAll(async () => {
      await env?.close();
    });

    test("the dashboard puts the held run first, with the check that tripped, then the last run", async () => {
      const text = textOf(await page("/"));
      expect(text).toContain("A run is held and needs a decision");
      expect(text).toMatch(/Run 4 .*users would be blocked, more than the limit of 10% of the feed/);
      expect(text.indexOf("held and needs a decision")).toBeLessThan(text.indexOf("Last run"));
      expect(text).toContain("Failed — nothing was applied. File staff");
      expect(text).toContain("No schedule configured");
      expect(text).toContain(`Users in feed`);
    });

    test("the runs list shows each run's counts and the change in errors against the previous run", async () => {
      const html = await page("/runs");
      const text = textOf(html);
      // run 2: 1 created (u241) + 1 (=2+3), errors went from 0 to 4 (u003 rejected, u004 and =2+3 duplicates, …)
      const [run2] = await env.ts.store.db.query<{ error_count: number }>("SELECT error_count FROM runs WHERE id = 2");
      expect(run2!.error_count).toBeGreaterThan(0);
      expect(html).toContain(`<span class="delta-up" title="more errors than the previous run (0)">+<!-- -->${run2!.error_count}</span>`.replace("<!-- -->", ""));
      expect(text).toContain("held");
      const held = textOf(await page("/runs?status=held"));
      expect(held).toContain("Run 4");
      expect(held).not.toContain("Run 2 ");
    });

    test("a held run shows the safety verdict with its figures, and the plan of what it would change", async () => {
      const text = textOf(await page(`/runs/${env.demo.runs.held}`));
      expect(text).toContain("Held by a safety check — nothing was applied.");
      expect(text).toContain("block-threshold tripped");
      expect(text).toMatch(/limitPercent: 10/);
      expect(text).toContain("The plan: what applying this run would change");
      expect(text).toMatch(/block \(\d+\)/);
      expect(text).toContain("block u152");
    });

    test("the log filters by level, action and username, and pages forward and back", async () => {
      const id = env.demo.runs.first;
      const all = await page(`/runs/${id}/log?size=50`);
      const seqs = (html: string) => [...html.matchAll(/<tr class="(?:info|warn|error)" id="l(\d+)"/g)].map((m) => Number(m[1]));
      const first = seqs(all);
      expect(first.length).toBe(50);
      const next = all.match(/href="([^"]*after=\d+[^"]*)"/)![1]!.replace(/&amp;/g, "&");
      const second = seqs(await page(next));
      expect(second.length).toBe(50);
      expect(second[0]!).toBeGreaterThan(first.at(-1)!);
      const back = (await page(next)).match(/href="([^"]*before=\d+[^"]*)"/)![1]!.replace(/&amp;/g, "&");
      expect(seqs(await page(back))).toEqual(first);

      const creates = await page(`/runs/${id}/log?action=create&size=1000`);
      expect(seqs(creates).length).toBe(PEOPLE + 1);
      const errors = textOf(await page(`/runs/${env.demo.runs.second}/log?level=error`));
      expect(errors).toContain("ERROR: Missing values in user: nameLast (record 1, user u003)");
      expect(errors).toContain(`Duplicate username: ${FORMULA}`);
      expect(errors).not.toContain("update u001");
      const one = textOf(await page(`/runs/${env.demo.runs.second}/log?user=U001&changes=1`));
      expect(one).toContain("1 of");
      expect(one).toContain("update u001");
      expect(one).toContain("HEAD OF DEPARTMENT");
      expect(one).toContain("+44 7700 900999 (mobile)");
    });

    test("the errors download as CSV, quoted, with cells a spreadsheet would run as formulas defused", async () => {
      const r = await admin.get(`/runs/${env.demo.runs.second}/errors.csv`);
      expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(r.headers.get("content-disposition")).toBe(`attachment; filename="run-${env.demo.runs.second}-errors.csv"; filename*=UTF-8''run-${env.demo.runs.second}-errors.csv`);
      const csv = await r.text();
      const lines = csv.replace(/^\ufeff/, "").trim().split("\r\n");
      expect(lines[0]).toBe('"run","line","level","action","username","file","record","file line","message"');
      expect(lines.some((l) => l.includes(`"'${FORMULA}"`))).toBe(true);
      expect(lines.some((l) => l.includes(`,"${FORMULA}"`))).toBe(false);
      expect(lines.some((l) => l.startsWith(`"${env.demo.runs.second}",`) && l.includes('"u003"') && l.includes('"ERROR: Missing values in user: nameLast (record 1, user u003)"'))).toBe(true);
    });

    test("a batch file downloads with exactly the stored bytes and a safe file name", async () => {
      const [file] = await env.ts.store.db.query<{ digest: string }>("SELECT digest FROM run_files WHERE run_id = 2 AND name = 'staff'");
      const r = await admin.get("/runs/2/files/staff");
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("application/octet-stream");
      expect(r.headers.get("content-disposition")).toBe(`attachment; filename="run-2-staff"; filename*=UTF-8''run-2-staff`);
      const bytes = new Uint8Array(await r.arrayBuffer());
      expect(bytes).toEqual(new Uint8Array(await Bun.file(env.ts.store.files.pathOf(file!.digest)).arrayBuffer()));
      const control = await admin.get("/runs/2/files/_control");
      expect(await control.text()).toBe(CONTROL_V2);
      // an uploaded file name with quotes, a line break and a path cannot break the header
      await env.ts.store.db.query(`UPDATE run_files SET original_filename = $1 WHERE run_id = 1 AND name = 'staff'`, ['../evil"\r\nX-Injected: 1; "é.json']);
      const evil = await admin.get("/runs/1/files/staff");
      expect(evil.status).toBe(200);
      expect(evil.headers.get("x-injected")).toBeNull();
      const disposition = evil.headers.get("content-disposition")!;
      expect(disposition).toMatch(/^attachment; filename="[A-Za-z0-9._-]+"; filename\*=UTF-8''[A-Za-z0-9%._-]+$/);
      expect(decodeURIComponent(disposition.split("''")[1]!)).toBe('run-1-evil"\r\nX-Injected: 1; "é.json');
      expect((await admin.get("/runs/2/files/nothing")).status).toBe(404);
    });

    test("a file's diff against the previous run lists the records added, removed and changed, field by field", async () => {
      const text = textOf(await page("/runs/2/files/staff/diff"));
      expect(text).toContain("staff : changes since run 1");
      expect(text).toMatch(/Added 2 Removed 1 Changed 3/);
      expect(text).toContain("u241");
      expect(text).toContain("u002");
      expect(text).toMatch(/u001 Field Before After job Lecturer Head of Department phone 07700 900101 07700 900999 groups\[1\] \(absent\) students/);
      expect(text).toContain("repeated username(s)");
      const control = textOf(await page("/runs/2/files/_control/diff"));
      expect(control).toContain("4 lines added, 1 removed");
      expect(control).toContain('"haplo:to-upper-case"');
    });

    test("users are found by username prefix, by exact email (straight to the page) and by the start of their names", async () => {
      const byPrefix = textOf(await page("/users?q=U00"));
      expect(byPrefix).toContain("u001");
      expect(byPrefix).toContain("u009");
      const byEmail = await admin.get("/users?q=U001%40Example.org");
      expect(byEmail.status).toBe(303);
      expect(byEmail.headers.get("location")).toBe("/users/u001");
      const byName = textOf(await page("/users?q=first%20last%20u01"));
      expect(byName).toContain("u010");
      const none = textOf(await page("/users?q=zzz"));
      expect(none).toContain("Nothing matches “zzz”");
      const blocked = textOf(await page("/users?state=blocked-sync"));
      expect(blocked).toContain("u002");
      expect(blocked).not.toContain("u001");
      const inError = textOf(await page("/users?state=error"));
      expect(inError).toContain("u003");
    });

    test("a user's page says why they are in their state, with groups, profile, ledger and the timeline of received data", async () => {
      const removed = textOf(await page(`/users/${env.demo.removed}`));
      expect(removed).toContain("Why this state Blocked by the sync in run 2: they were no longer in the feed.");
      const text = textOf(await page("/users/u001"));
      expect(text).toContain("Active: in the feed since run 1.");
      expect(text).toMatch(/staff managed follows the feed exactly/);
      expect(text).toContain("Organisation the person works for Department of Physics (object 1)");
      expect(text).toContain("Telephone number +44 7700 900999 (mobile)");
      expect(text).toContain("2 distinct record(s)");
      expect(text).toMatch(/run 2 · staff, record 1 Field Before After job Lecturer Head of Department/);
      expect(text).toContain("First record received.");
      const rejected = textOf(await page(`/users/${env.demo.rejected}`));
      expect(rejected).toContain("The last record received for this user was rejected");
      // usernames are normalised: a link typed in capitals lands on the user
      const r = await admin.get("/users/U001");
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe("/users/u001");
      expect((await admin.get("/users/nobody")).status).toBe(404);
    });

    test("an admin blocks a user after a confirmation; it is audited, and the sync leaves the block alone", async () => {
      const confirm = textOf(await page("/users/u005/confirm/block"));
      expect(confirm).toContain("Block u005?");
      expect(confirm).toContain("the sync will not unblock them");
      const r = await admin.post("/users/u005/block", {});
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe("/users/u005?done=block");
      const after = textOf(await page("/users/u005?done=block"));
      expect(after).toContain("Done: the account is blocked by an admin.");
      expect(after).toContain("Blocked by an administrator");
      const [audit] = await env.ts.store.db.query<Record<string, any>>("SELECT * FROM audit_log WHERE action = 'user.block' AND target = 'u005'");
      expect(audit!.actor).toBe("alice");
      expect(audit!.detail).toEqual({ before: { active: true, blockedBy: null } });
      // the next feed (u005 still in it) does not unblock them
      const day = [person("u005", { groups: ["staff"] })];
      await applyFeed(env.ts.store, CONTROL_V2, { staff: json(day) }, { dryRun: true });
      const [user] = await env.ts.store.db.query<{ active: boolean; blocked_by: string }>("SELECT active, blocked_by FROM users WHERE username = 'u005'");
      expect(user).toEqual({ active: false, blocked_by: "admin" });
      // and unblocking is audited too
      expect((await admin.post("/users/u005/unblock", {})).status).toBe(303);
      const [again] = await env.ts.store.db.query<{ active: boolean; blocked_by: string | null }>("SELECT active, blocked_by FROM users WHERE username = 'u005'");
      expect(again).toEqual({ active: true, blocked_by: null });
      const auditPage = textOf(await page("/audit"));
      expect(auditPage).toMatch(/alice user\.unblock u005/);
      expect(auditPage).toMatch(/alice user\.block u005/);
    });

    test("unblocking a user the sync blocked is allowed; the page says what the sync will do next", async () => {
      const confirm = textOf(await page(`/users/${env.demo.removed}/confirm/unblock`));
      expect(confirm).toMatch(/They are not in the feed ?\. The sync will leave them active while they stay out of it/);
      expect((await admin.post(`/users/${env.demo.removed}/unblock`, {})).status).toBe(303);
      const [user] = await env.ts.store.db.query<{ active: boolean; blocked_by: string | null }>("SELECT active, blocked_by FROM users WHERE username = $1", [env.demo.removed]);
      expect(user).toEqual({ active: true, blocked_by: null });
      expect(textOf(await page(`/users/${env.demo.removed}`))).toContain("but active: an administrator unblocked them, and the sync leaves that alone.");
    });

    test("re-process next run sets the ledger's error flag, once, audited", async () => {
      expect((await admin.post("/users/u006/reprocess", {})).status).toBe(303);
      const [ledger] = await env.ts.store.db.query<{ error: boolean }>("SELECT error FROM sync_ledger WHERE username = 'u006'");
      expect(ledger!.error).toBe(true);
      expect(textOf(await page("/users/u006"))).not.toContain("Re-process in the next run");
      const second = await admin.post("/users/u006/reprocess", {});
      expect(second.headers.get("location")).toBe("/users/u006");
      const audits = await env.ts.store.db.query("SELECT 1 FROM audit_log WHERE action = 'user.reprocess' AND target = 'u006'");
      expect(audits.length).toBe(1);
    });

    test("the model lists every destination and name with type, required and multivalue, and the managed groups", async () => {
      const text = textOf(await page("/model"));
      expect(text).toContain("Model haplo:user-sync");
      expect(text).toMatch(/username text yes Unique, never-changing identifier/);
      expect(text).toMatch(/groups replace all groups text yes Group codes/);
      expect(text).toMatch(/std:attribute:telephone telephone-number yes Telephone number/);
      expect(text).toContain('{"destination":"value:person-name"}');
      expect(text).toMatch(/staff Managed std:type:person:staff std:type:person:staff-past/i);
      expect(text).toMatch(/ethics-panel ethics-panel not managed/);
    });

    test("the generator makes a starting control file from the names ticked", async () => {
      const html = await page("/model/generate?pick=user%5Eemail&pick=profile%5Estd%3Aattribute%3Atelephone&pick=profile%5Edc%3Aattribute%3Atitle&pick=user%5Egroups&mv=user%5Egroups");
      const text = textOf(html);
      const json = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1));
      expect(json.model).toBe("haplo:user-sync");
      expect(json.instructions[0]).toEqual({ source: "TODO-USERNAME", destination: "user", name: "username" });
      expect(json.instructions).toContainEqual({ source: "TODO-TELEPHONE", destination: "profile", name: "std:attribute:telephone", country: "GB" });
      expect(json.instructions).toContainEqual({ action: "remove-values", destination: "user", name: "groups" });
      expect(json.instructions).toContainEqual({ action: "field-structured", structured: "value:person-name", destination: "profile", name: "dc:attribute:title" });
      const check = checkControlText(JSON.stringify(json), compileEnvironment());
      expect(check.ok ? [] : check.problems).toEqual([]);
      const download = await admin.get("/model/generate?pick=user%5Eemail&download=1");
      expect(download.headers.get("content-disposition")).toContain('filename="control.json"');
    });

    test("control files: the current one, which version processed which run, and a diff between versions", async () => {
      const { setCurrentControl } = await import("../../src/batch/index.ts");
      await setCurrentControl(env.ts.store.db, 2, "alice");
      const text = textOf(await page("/control"));
      expect(text).toContain("Version 2 current");
      expect(text).toMatch(/version 1 .* 1 run: 1/);
      expect(text).toMatch(/version 2 current .* \d+ runs: 2 to \d+/);
      const diff = textOf(await page("/control/diff?from=1&to=2"));
      expect(diff).toContain("4 line(s) added, 1 removed");
      expect(diff).toContain('added: + "haplo:to-upper-case"');
      expect((await admin.get("/control/1/download")).headers.get("content-disposition")).toContain('filename="control-1.json"');
    });

    test(`a username like ${XSS} is text on every page that shows it`, async () => {
      const paths = ["/runs/1/log?size=1000", "/runs/2/log?size=1000", "/runs/4", `/users/${encodeURIComponent(XSS)}`, "/users?q=%3C", "/users", "/runs/2/files/staff/diff", `/runs/4/log?action=block`];
      for (const path of paths) {
        const html = await page(path);
        expect(html).not.toContain("<script>");
        expect(html).not.toContain("<img src=x");
        expect(html).toMatch(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      }
    });

    test("a run the database failed, queued to be tried again, says which attempt failed, why, and when the next one starts", async () => {
      const message = "Attempt 1 failed: the database is read-only (cannot execute UPDATE in a read-only transaction). It will be tried again at 10:00:00 (attempt 2 of 6).";
      const [run] = await env.ts.store.db.query<{ id: number }>(
        "INSERT INTO runs (status, kind, source, attempts, retry_at, message) VALUES ('queued', 'feed', 'http', 1, now() + interval '1 hour', $1) RETURNING id",
        [message],
      );
      try {
        const html = await page(`/runs/${run!.id}`);
        // in the notice at the top of the page, not only in the run's details further down
        const notice = textOf(/<div class="notice info"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? "");
        expect(notice).toContain("Waiting in the queue to be applied.");
        expect(notice).toContain(message);
      } finally {
        await env.ts.store.db.query("DELETE FROM runs WHERE id = $1", [run!.id]);
      }
    });
  });
}
