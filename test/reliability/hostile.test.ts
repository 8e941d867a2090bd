// Hostile clients against the real daemon (SFTP and HTTP), beyond what test/daemon and test/web
// already check: another account's home and symlink creation over SFTP, weak and unknown key types
// (refused when given, never let in), a password brute force
// (throttled), keys of the wrong scope, an oversized body, open redirects and session fixation at
// sign-in, and XSS end to end: a feed whose username is <script>alert(1)</script> and whose fields
// are hostile is ingested, applied, and every page that shows it renders it as escaped text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "ssh2";
import { feedControl } from "../../bench/feed.ts";
import { cli } from "../helpers/cli.ts";
import { cookiesOf, postLogin, signIn } from "../web/server.ts";
import { api, createSite, sftpBatch, waitForRun, type RunningDaemon, type Site } from "../daemon/helpers.ts";
import { recordFigures } from "./helpers.ts";

const XSS = "<script>alert(1)</script>";
const HOSTILE = {
  first: '"><img src=x onerror=alert(2)>',
  last: "</title><script>alert(3)</script>",
  title: "javascript:alert(4)",
  job: "<svg onload=alert(5)>",
  department: "'; DROP TABLE users; --",
};
const figures: Record<string, unknown> = {};

function ssh2(daemon: RunningDaemon, options: Record<string, unknown>): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on("error", reject);
    client.on("ready", () => resolve(client));
    client.connect({ host: "127.0.0.1", port: daemon.sftp, readyTimeout: 10_000, ...options });
  });
}

describe("hostile clients [pglite]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  const ADMIN = { name: "root-admin", password: "a long admin password 123" };

  beforeAll(async () => {
    site = await createSite("pglite", { config: { loginThrottle: { maxFailures: 5, windowSeconds: 60, blockSeconds: 60 } } });
    const added = await cli(["admin", "add", ADMIN.name, "--role", "admin"], { cwd: site.dir, env: site.env, stdin: `${ADMIN.password}\n` });
    expect(added.code).toBe(0);
    daemon = await site.start();
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("SFTP: another account's home, absolute paths and symlink creation stay refused or jailed", async () => {
    const sample = join(site.feedDir, "staff.json");
    const bobHome = join(site.env.USERSYNC_DATA!, "sftp", "bob");
    const aliceHome = join(site.env.USERSYNC_DATA!, "sftp", "alice");
    const r = await sftpBatch(daemon, "alice", [`-put ${sample} ../bob/planted.json.part`, `-put ${sample} /../../bob/planted2.json.part`, "-ls ../bob"], { key: site.clientKey }, site.dir);
    expect(existsSync(join(bobHome, "planted.json.part"))).toBe(false);
    expect(existsSync(join(bobHome, "planted2.json.part"))).toBe(false);
    const client = await ssh2(daemon, { username: "alice", privateKey: readFileSync(site.clientKey) });
    const symlink = await new Promise<string>((resolve) =>
      client.sftp((error, sftp) => {
        if (error) return resolve(String(error));
        sftp.symlink("/etc/passwd", "passwd-link", (error) => resolve(error ? error.message : "created"));
      }),
    );
    client.end();
    expect(symlink).not.toBe("created");
    expect(existsSync(join(aliceHome, "passwd-link"))).toBe(false);
    figures.sftpPaths = { attempts: 4, escaped: 0, symlinkAnswer: symlink, otherHomeWrites: 0, sftpExit: r.code };
  }, 60_000);

  test("SFTP: a password brute force is throttled after 5 failures, the right password included", async () => {
    let refused = 0;
    let throttledAt = -1;
    for (let i = 0; i < 12; i++) {
      const password = i === 8 ? site.password : `guess-${i}`;
      const ok = await ssh2(daemon, { username: "bob", password, tryKeyboard: false }).then(
        (c) => (c.end(), true),
        () => false,
      );
      if (ok) break;
      refused++;
      if (throttledAt < 0 && daemon.logs.some((l) => l.event === "sftp.login-throttled")) throttledAt = i;
    }
    expect(refused).toBe(12); // the right password (attempt 9) was refused too: the address is blocked
    expect(throttledAt).toBeGreaterThanOrEqual(5);
    expect(throttledAt).toBeLessThanOrEqual(6);
    figures.bruteForce = { attempts: 12, refused, throttledFromAttempt: throttledAt + 1, maxFailures: 5, rightPasswordRefusedWhileBlocked: true };
  }, 120_000);
});

describe("SFTP key types [pglite]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    site = await createSite("pglite");
    for (const [name, args] of Object.entries({ dsa: ["-t", "dsa"], rsa1024: ["-t", "rsa", "-b", "1024"], rsa3072: ["-t", "rsa", "-b", "3072"], ecdsa: ["-t", "ecdsa"] })) {
      const path = join(site.dir, `key_${name}`);
      const made = await Bun.spawn(["ssh-keygen", "-q", ...args, "-N", "", "-C", name, "-f", path], { stderr: "pipe" }).exited;
      // OpenSSH 10 no longer makes DSA keys at all: then there is no DSA key to refuse
      if (made === 0) keys[name] = path;
      else expect(name).toBe("dsa");
    }
    // usersync.json is not checked by `usersync sftp-user add`: an account there with every kind of key
    const config = JSON.parse(readFileSync(join(site.dir, "usersync.json"), "utf8"));
    const line = (name: string) => readFileSync(`${keys[name]}.pub`, "utf8").trim();
    const unknownType = `ssh-foo ${Buffer.from("\0\0\0\x07ssh-foo\0\0\0\x04abcd").toString("base64")} unknown`;
    const weak = Object.keys(keys).filter((k) => k === "dsa" || k === "rsa1024");
    config.sftp.accounts.push({ name: "legacy", publicKeys: [...weak.map(line), unknownType, line("rsa3072"), line("ecdsa")] });
    writeFileSync(join(site.dir, "usersync.json"), JSON.stringify(config));
    daemon = await site.start();
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("SFTP: DSA, short RSA and unknown key types are refused when an account is given them, and never let in; ed25519, ECDSA and RSA 3072 are", async () => {
    const refusedAtAdd: Record<string, string> = {};
    const weak = Object.keys(keys).filter((k) => k === "dsa" || k === "rsa1024");
    for (const name of weak) {
      const added = await cli(["sftp-user", "add", `uploader-${name}`, "--key", `${keys[name]}.pub`], { cwd: site.dir, env: { ...site.env, USERSYNC_DATA: join(site.dir, "other-data") } });
      expect(added.code).not.toBe(0);
      refusedAtAdd[name] = added.stderr.trim().split("\n")[0]!;
    }
    if (keys.dsa) expect(refusedAtAdd.dsa).toContain("DSA key (ssh-dss) is too weak");
    expect(refusedAtAdd.rsa1024).toContain("RSA key of 1024 bits is too weak");
    // the daemon said at start which keys of usersync.json cannot be used
    const warned = daemon.logs.filter((l) => l.event === "sftp.bad-account-key" && l.account === "legacy").map((l) => String(l.problem));
    expect(warned.length).toBe(weak.length + 1); // the weak keys and the unknown type
    const login = (name: string) =>
      ssh2(daemon, { username: "legacy", privateKey: readFileSync(keys[name]!), tryKeyboard: false }).then(
        (c) => (c.end(), "logged in"),
        (error: Error) => `refused: ${error.message}`,
      );
    const logins: Record<string, string> = {};
    for (const name of Object.keys(keys)) logins[name] = await login(name);
    if (keys.dsa) expect(logins.dsa).toStartWith("refused");
    expect(logins.rsa1024).toStartWith("refused");
    expect(logins.rsa3072).toBe("logged in");
    expect(logins.ecdsa).toBe("logged in");
    figures.keyTypes = { refusedAtAdd, warnedAtStart: warned, logins };
  }, 60_000);
});

describe("hostile HTTP clients and XSS end to end [pglite]", () => {
  let site: Site;
  let token = "";
  let daemon: RunningDaemon;
  const ADMIN = { name: "root-admin", password: "a long admin password 123" };

  beforeAll(async () => {
    // schema drift would hold a feed without the TSV's group columns: this one is about rendering
    site = await createSite("pglite", { config: { http: { maxUploadBytes: 64 * 1024 }, safety: { firstRun: { enabled: false }, schemaDrift: { enabled: false } } } });
    const added = await cli(["admin", "add", ADMIN.name, "--role", "admin"], { cwd: site.dir, env: site.env, stdin: `${ADMIN.password}\n` });
    expect(added.code).toBe(0);
    // before the daemon starts: it holds the embedded database's lock
    token = (await cli(["scim-token", "create", "idp"], { cwd: site.dir, env: site.env })).stdout.trim();
    expect(token.length).toBeGreaterThan(20);
    daemon = await site.start();
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("API keys: none, wrong, and a SCIM token used for uploads are refused; an upload key does not open SCIM; an oversized body is refused", async () => {
    const status = (path: string, headers: Record<string, string> = {}) => fetch(`${daemon.url}${path}`, { headers }).then((r) => r.status);
    const answers = {
      none: await status("/api/haplo-user-sync/status"),
      wrong: await status("/api/haplo-user-sync/status", { authorization: `Basic ${btoa("haplo:not-a-key-not-a-key-not-a-key-xx")}` }),
      scimTokenOnUploadApi: (await api(daemon, token, "/status")).status,
      uploadKeyOnScim: await status("/scim/v2/Users", { authorization: `Bearer ${site.apiKey}` }),
      scimTokenOnScim: await status("/scim/v2/Users", { authorization: `Bearer ${token}` }),
    };
    expect(answers.none).toBe(403);
    expect(answers.wrong).toBe(403);
    expect(answers.scimTokenOnUploadApi).toBe(403);
    expect(answers.uploadKeyOnScim).toBe(401);
    expect(answers.scimTokenOnScim).toBe(200);
    const form = new FormData();
    form.append("name", "staff");
    form.append("file", new Blob([new Uint8Array(200 * 1024).fill(0x20)]), "staff.json");
    const big = await api(daemon, site.apiKey, "/upload-file", { method: "POST", body: form });
    expect(big.status).toBe(400);
    expect(await big.text()).toContain("larger than the limit");
    figures.apiKeys = { ...answers, oversizedBody: `${big.status} (200 KB against a 64 KB bound)` };
  }, 60_000);

  test("sign-in: no open redirect through next=, and the session id is new at every sign-in (no fixation)", async () => {
    const evil = ["//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", " //evil.example"];
    const locations: string[] = [];
    for (const next of evil) {
      const r = await postLogin(daemon.url, ADMIN.name, ADMIN.password, { next });
      expect(r.status).toBe(303);
      const location = r.headers.get("location")!;
      locations.push(location);
      expect(location.startsWith("/")).toBe(true);
      expect(location.startsWith("//")).toBe(false);
      expect(location.startsWith("/\\")).toBe(false);
      expect(new URL(location, daemon.url).host).toBe(new URL(daemon.url).host);
    }
    // fixation: an attacker-chosen session cookie is neither kept nor honoured
    const planted = "attacker-chosen-session-id-attacker-chosen-session-id";
    const r = await postLogin(daemon.url, ADMIN.name, ADMIN.password, { cookie: `usersync_session=${planted}` });
    const issued = cookiesOf(r).usersync_session!;
    expect(issued).toBeDefined();
    expect(issued).not.toBe(planted);
    const again = cookiesOf(await postLogin(daemon.url, ADMIN.name, ADMIN.password, { cookie: `usersync_session=${issued}` })).usersync_session!;
    expect(again).not.toBe(issued);
    expect((await fetch(`${daemon.url}/users`, { headers: { cookie: `usersync_session=${planted}` }, redirect: "manual" })).status).toBe(303);
    figures.signIn = { openRedirectAttempts: evil.length, redirectedOffSite: 0, locations, fixation: "a planted session id is replaced at sign-in and grants nothing; each sign-in issues a new id" };
  }, 60_000);

  test(`a username ${XSS} and hostile field values are ingested, applied, and rendered escaped on the users and run pages`, async () => {
    const feed = join(site.dir, "xss.json");
    const people = [
      { id: XSS, first: HOSTILE.first, last: HOSTILE.last, title: HOSTILE.title, email: "xss@example.org", groups: ["staff"], job: HOSTILE.job, phone: "+44 20 7946 0000", department: HOSTILE.department },
      { id: "plain", first: "Plain", last: "Person", title: "", email: "plain@example.org", groups: ["staff"], job: "x", phone: "+44 20 7946 0001", department: "D1" },
    ];
    writeFileSync(feed, JSON.stringify(people));
    writeFileSync(join(site.dir, "xss-control.json"), feedControl([{ name: "staff", format: "json" }]));
    for (const [name, path] of [["_control", join(site.dir, "xss-control.json")], ["staff", feed]] as const) {
      const form = new FormData();
      form.append("name", name);
      form.append("file", Bun.file(path), path.split("/").pop());
      expect((await api(daemon, site.apiKey, "/upload-file", { method: "POST", body: form })).status).toBe(200);
    }
    expect((await api(daemon, site.apiKey, "/start-sync", { method: "POST" })).status).toBe(200);
    const run = await waitForRun(daemon, site.apiKey, "current");
    expect(run.status).toBe("complete");
    expect(run.counts.create).toBe(2);

    const admin = await signIn(daemon.url, ADMIN.name, ADMIN.password);
    const pages = [
      "/",
      "/users",
      `/users?q=${encodeURIComponent("<script")}`,
      `/users/${encodeURIComponent(XSS)}`,
      `/runs/${run.id}`,
      `/runs/${run.id}/log`,
      `/runs/${run.id}/files`,
      `/audit`,
    ];
    const checked: Record<string, string> = {};
    let sawEscaped = 0;
    for (const page of pages) {
      const response = await admin.get(page);
      const html = await response.text();
      checked[page] = String(response.status);
      if (response.status !== 200) continue;
      for (const raw of [XSS, "<script>alert", "<img src=x", "<svg onload", "</title><script>"]) expect(html).not.toContain(raw);
      if (html.includes("&lt;script&gt;alert(1)&lt;/script&gt;") || html.includes("&lt;script&gt;")) sawEscaped++;
    }
    // the hostile values did reach pages (escaped): the test looked where they are
    expect(checked["/users"]).toBe("200");
    expect(checked[`/users/${encodeURIComponent(XSS)}`]).toBe("200");
    expect(sawEscaped).toBeGreaterThanOrEqual(2);
    figures.xss = { hostileValues: 1 + Object.keys(HOSTILE).length, pages: checked, pagesShowingEscapedScript: sawEscaped, rawScriptOnAnyPage: 0 };
  }, 90_000);

  afterAll(() => recordFigures("hostile", "hostile SFTP and HTTP clients", figures));
});
