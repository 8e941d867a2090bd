// Access to the web UI: sign-in, sessions, throttling, CSRF, roles, security headers, and no
// secret on any page. Plain HTTP against the real server (and curl for the CSRF refusal), on
// PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSession, tokenDigest } from "../../src/web/auth/index.ts";
import { safeNext } from "../../src/web/ui/security.ts";
import { BACKENDS } from "../helpers/store.ts";
import { ADMIN, VIEWER, XSS } from "./demo-data.ts";
import { hiddenField, postLogin, signIn } from "./server.ts";
import { openWebEnv, type WebEnv } from "./setup.ts";

const cookieOf = (r: Response, name: string) =>
  r.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(";")[0]!
    .slice(name.length + 1);

async function curl(args: string[]): Promise<{ code: string; body: string }> {
  const proc = Bun.spawn(["curl", "-s", "-w", "\n%{http_code}", ...args], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const at = out.lastIndexOf("\n");
  return { body: out.slice(0, at), code: out.slice(at + 1) };
}

for (const backend of BACKENDS) {
  describe(`web UI access [${backend}]`, () => {
    let env: WebEnv;
    let url: string;
    beforeAll(async () => {
      env = await openWebEnv(backend);
      url = env.ui.url;
    }, 120_000);
    afterAll(async () => {
      await env?.close();
    });

    test("every page but sign-in sends a visitor without a session to sign in, and back to that page afterwards", async () => {
      const r = await fetch(`${url}/runs/2/log?level=error`, { redirect: "manual" });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/runs/2/log?level=error")}`);
      const signedIn = await postLogin(url, ADMIN.name, ADMIN.password, { next: "/runs/2/log?level=error" });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.get("location")).toBe("/runs/2/log?level=error");
      // a non-page request (an image) is refused rather than redirected
      const icon = await fetch(`${url}/runs`, { redirect: "manual", headers: { "sec-fetch-dest": "image" } });
      expect(icon.status).toBe(401);
    });

    test("signing in sets an HttpOnly, SameSite session cookie whose token the database keeps only as a SHA-256", async () => {
      const r = await postLogin(url, ADMIN.name, ADMIN.password);
      expect(r.status).toBe(303);
      const header = r.headers.getSetCookie().find((c) => c.startsWith("usersync_session="))!;
      expect(header).toContain("HttpOnly");
      expect(header).toContain("SameSite=Lax");
      expect(header).toContain("Path=/");
      expect(header).not.toContain("Secure"); // plain http here; see the https test
      const token = cookieOf(r, "usersync_session")!;
      expect(token.length).toBeGreaterThanOrEqual(43);
      const rows = await env.ts.store.db.query<{ id: string }>("SELECT id FROM sessions");
      expect(rows.map((s) => s.id)).toContain(tokenDigest(token));
      expect(rows.map((s) => s.id)).not.toContain(token);
    });

    test("a wrong password and an unknown account get the same refusal", async () => {
      const wrong = await postLogin(url, ADMIN.name, "not the password at all");
      const unknown = await postLogin(url, "nobody-here", "not the password at all");
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(await wrong.text()).toContain("Wrong account name or password");
      expect(await unknown.text()).toContain("Wrong account name or password");
      expect(cookieOf(wrong, "usersync_session")).toBeUndefined();
    });

    test("after 5 failures an account is refused for 15 minutes even with the right password, then accepted", async () => {
      const { createAdmin } = await import("../../src/web/auth/index.ts");
      await createAdmin(env.ts.store.db, "throttled", "the right password 1");
      for (let i = 0; i < 5; i++) expect((await postLogin(url, "throttled", `wrong ${i}`)).status).toBe(401);
      const blocked = await postLogin(url, "throttled", "the right password 1");
      expect(blocked.status).toBe(429);
      expect(await blocked.text()).toContain("Too many failed sign-ins. Try again in 15 minutes.");
      // other accounts from the same address are not locked out by it
      expect((await postLogin(url, ADMIN.name, ADMIN.password)).status).toBe(303);
      env.clock.now += 15 * 60_000 + 1000;
      expect((await postLogin(url, "throttled", "the right password 1")).status).toBe(303);
      const audit = await env.ts.store.db.query<{ action: string }>("SELECT action FROM audit_log WHERE actor = 'throttled' ORDER BY id");
      expect(audit.map((a) => a.action)).toEqual([...Array(5).fill("login-failed"), "login-throttled", "login"]);
    });

    test("after 20 failures from one address, that address is refused whatever the account", async () => {
      for (let i = 0; i < 20; i++) await postLogin(url, `someone-${i}`, "guessing");
      expect((await postLogin(url, ADMIN.name, ADMIN.password)).status).toBe(429);
      env.clock.now += 15 * 60_000 + 1000;
      expect((await postLogin(url, ADMIN.name, ADMIN.password)).status).toBe(303);
    });

    test("the sign-in form is refused without the token of its own cookie", async () => {
      const form = await fetch(`${url}/login`);
      const html = await form.text();
      const body = new URLSearchParams({ _csrf: hiddenField(html, "_csrf"), username: ADMIN.name, password: ADMIN.password, next: "/" });
      const noCookie = await fetch(`${url}/login`, { method: "POST", body, redirect: "manual" });
      expect(noCookie.status).toBe(403);
      const otherCookie = await fetch(`${url}/login`, { method: "POST", body, redirect: "manual", headers: { cookie: "usersync_login=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } });
      expect(otherCookie.status).toBe(403);
    });

    test("after signing in, only a path on this site is followed (no open redirect)", async () => {
      for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "http:/evil.example", "/%0d%0aLocation:evil", "javascript:alert(1)"]) {
        const r = await postLogin(url, ADMIN.name, ADMIN.password, { next });
        expect(r.status).toBe(303);
        const location = r.headers.get("location")!;
        expect(location.startsWith("/")).toBe(true);
        expect(location.startsWith("//")).toBe(false);
        expect(new URL(location, url).origin).toBe(new URL(url).origin);
      }
      expect(safeNext("//evil.example")).toBe("/");
      expect(safeNext("/\\evil.example")).toBe("/");
      expect(safeNext("/users?q=a")).toBe("/users?q=a");
    });

    test("a session token planted before signing in is dropped: signing in always makes a new one", async () => {
      const [alice] = await env.ts.store.db.query<{ id: number }>("SELECT id FROM admins WHERE username = 'alice'");
      for (const planted of [(await createSession(env.ts.store.db, alice!.id)).token, "attacker-chosen-token-aaaaaaaaaaaaaaaaaaaaaaa"]) {
        // the form is fetched clean; the planted cookie rides along with the post
        const form = await fetch(`${url}/login`);
        const body = new URLSearchParams({ _csrf: hiddenField(await form.text(), "_csrf"), username: ADMIN.name, password: ADMIN.password, next: "/" });
        const r = await fetch(`${url}/login`, {
          method: "POST",
          body,
          redirect: "manual",
          headers: { cookie: `usersync_login=${cookieOf(form, "usersync_login")}; usersync_session=${planted}` },
        });
        expect(r.status).toBe(303);
        const fresh = cookieOf(r, "usersync_session")!;
        expect(fresh.length).toBeGreaterThanOrEqual(43);
        expect(fresh).not.toBe(planted);
        expect((await fetch(`${url}/`, { headers: { cookie: `usersync_session=${fresh}` }, redirect: "manual" })).status).toBe(200);
        expect((await fetch(`${url}/`, { headers: { cookie: `usersync_session=${planted}` }, redirect: "manual" })).status).toBe(303);
      }
    });

    test("signing out ends the session: its cookie no longer opens any page", async () => {
      const client = await signIn(url, ADMIN.name, ADMIN.password);
      expect((await client.get("/")).status).toBe(200);
      const out = await client.post("/logout", {});
      expect(out.status).toBe(303);
      expect(out.headers.get("location")).toBe("/login?signed-out");
      expect((await client.get("/")).status).toBe(303);
    });

    test("a form post without the CSRF token is refused and changes nothing (curl)", async () => {
      const client = await signIn(url, ADMIN.name, ADMIN.password);
      const target = `${url}/users/${env.demo.changed}/block`;
      const without = await curl(["-X", "POST", "-b", client.cookie, "-d", "confirm=1", target]);
      expect(without.code).toBe("403");
      expect(without.body).toContain("did not come from this site");
      const forged = await curl(["-X", "POST", "-b", client.cookie, "-d", "_csrf=forged-token-value", target]);
      expect(forged.code).toBe("403");
      const crossSite = await curl(["-X", "POST", "-b", client.cookie, "-H", "Sec-Fetch-Site: cross-site", "-d", `_csrf=${client.csrf}`, target]);
      expect(crossSite.code).toBe("403");
      const json = await curl(["-X", "POST", "-b", client.cookie, "-H", "Content-Type: application/json", "-d", `{"_csrf":"${client.csrf}"}`, target]);
      expect(json.code).toBe("403");
      const [user] = await env.ts.store.db.query<{ active: boolean }>("SELECT active FROM users WHERE username = $1", [env.demo.changed]);
      expect(user!.active).toBe(true);
      expect(await env.ts.store.db.query("SELECT 1 FROM audit_log WHERE action = 'user.block'")).toEqual([]);
    });

    test("another session's CSRF token does not pass", async () => {
      const a = await signIn(url, ADMIN.name, ADMIN.password);
      const b = await signIn(url, ADMIN.name, ADMIN.password);
      expect(a.csrf).not.toBe(b.csrf);
      const r = await a.post(`/users/${env.demo.changed}/reprocess`, { _csrf: b.csrf });
      expect(r.status).toBe(403);
    });

    test("a viewer sees the pages but no action, and every change they post is refused", async () => {
      const viewer = await signIn(url, VIEWER.name, VIEWER.password);
      const page = await (await viewer.get(`/users/${env.demo.changed}`)).text();
      expect(page).toContain("victor");
      expect(page).not.toContain("Block account");
      expect(page).not.toContain("Re-process in the next run");
      expect((await viewer.get(`/users/${env.demo.changed}/confirm/block`)).status).toBe(403);
      for (const action of ["block", "unblock", "reprocess"]) {
        const r = await viewer.post(`/users/${env.demo.changed}/${action}`, {});
        expect(r.status).toBe(403);
        expect(await r.text()).toContain("role: viewer");
      }
      const [user] = await env.ts.store.db.query<{ active: boolean }>("SELECT active FROM users WHERE username = $1", [env.demo.changed]);
      expect(user!.active).toBe(true);
      // signing out is allowed
      expect((await viewer.post("/logout", {})).status).toBe(303);
    });

    test("pages carry security headers: no script allowed, no framing, no sniffing, not cached", async () => {
      const client = await signIn(url, ADMIN.name, ADMIN.password);
      for (const path of ["/", "/login", `/users/${encodeURIComponent(XSS)}`]) {
        const r = path === "/login" ? await fetch(`${url}/login`) : await client.get(path);
        const csp = r.headers.get("content-security-policy")!;
        expect(csp).toContain("default-src 'none'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toContain("script-src");
        expect(csp).not.toContain("unsafe-inline");
        expect(r.headers.get("x-content-type-options")).toBe("nosniff");
        expect(r.headers.get("x-frame-options")).toBe("DENY");
        expect(r.headers.get("cache-control")).toBe("no-store");
        expect(r.headers.get("strict-transport-security")).toBeNull();
      }
    });

    test("a disabled account's sessions end at once", async () => {
      const { createAdmin, setAdminDisabled } = await import("../../src/web/auth/index.ts");
      await createAdmin(env.ts.store.db, "leaving", "leaving password 1");
      const client = await signIn(url, "leaving", "leaving password 1");
      expect((await client.get("/")).status).toBe(200);
      await setAdminDisabled(env.ts.store.db, "leaving", true);
      expect((await client.get("/")).status).toBe(303);
      expect((await postLogin(url, "leaving", "leaving password 1")).status).toBe(401);
    });

    test("no secret reaches any page: passwords, hashes and keys stay out", async () => {
      const { db } = env.ts.store;
      const sftpHash = await Bun.password.hash("sftp password", { algorithm: "argon2id" });
      await db.query("INSERT INTO sftp_accounts (name, password_hash, public_keys) VALUES ('hr-upload', $1, $2::text[])", [
        sftpHash,
        ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHf3Zl0kXzEJm5ZRjt+vl4lqjYeZYq0I8qZJZ5iP3WOw hr@example"],
      ]);
      await db.query("INSERT INTO api_keys (name, key_hash, key_prefix) VALUES ('hr system', $1, 'hk_3f9a')", [tokenDigest("hk_3f9a-the-whole-secret-key")]);
      const client = await signIn(url, ADMIN.name, ADMIN.password);
      const pages = ["/", "/config", "/uploaders", "/audit", "/runs", "/users", `/users/${env.demo.changed}`, "/control", "/model"];
      const [admin] = await db.query<{ password_hash: string }>("SELECT password_hash FROM admins WHERE username = 'alice'");
      const sessions = await db.query<{ id: string; csrf_token: string }>("SELECT id, csrf_token FROM sessions");
      for (const path of pages) {
        const html = await (await client.get(path)).text();
        for (const secret of ["s3cret-never-shown", sftpHash, tokenDigest("hk_3f9a-the-whole-secret-key"), "the-whole-secret-key", admin!.password_hash, ADMIN.password, ...sessions.map((s) => s.id)])
          expect(html).not.toContain(secret);
        // the only session-derived value on a page is the form token of the page's own session
        for (const s of sessions) if (s.csrf_token !== client.csrf) expect(html).not.toContain(s.csrf_token);
      }
      const uploaders = await (await client.get("/uploaders")).text();
      expect(uploaders).toContain("hr-upload");
      expect(uploaders).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
      expect(uploaders).toContain("hk_3f9a…");
      const config = await (await client.get("/config")).text();
      expect(config).toContain("(hidden)");
      expect(config).toContain("ops@example.org");
    });
  });
}

describe("web UI behind https (a trusted proxy)", () => {
  let env: WebEnv;
  beforeAll(async () => {
    env = await openWebEnv("pglite", (c) => ({ ...c, http: { ...c.http, trustProxy: true } }));
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  test("the session cookie is Secure and pages send HSTS when the proxy says https", async () => {
    const r = await postLogin(env.ui.url, ADMIN.name, ADMIN.password, { headers: { "x-forwarded-proto": "https" } });
    expect(r.status).toBe(303);
    expect(r.headers.getSetCookie().find((c) => c.startsWith("usersync_session="))).toContain("Secure");
    expect(r.headers.get("strict-transport-security")).toBe("max-age=31536000");
  });
});
