// The single binary, as an operator meets it (issue 8): built with `bun build --compile`, copied
// ALONE into an empty folder outside the repository (no node_modules anywhere up the tree), and
// run from there: it answers --version and --help, creates its embedded database from the
// template it carries, applies a feed, lists its runs — and, once the daemon exists, serves the UI.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build, templateKey } from "../../scripts/build.ts";
import { openStore } from "../../src/store/index.ts";
import pkg from "../../package.json";

let dir: string;
let bin: string;
let helpText = "";

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  const proc = Bun.spawn([bin, ...args], {
    cwd: dir,
    // A clean environment: nothing of the test process (DATABASE_URL, USERSYNC_*) leaks in.
    env: { PATH: "/usr/bin:/bin", HOME: dir, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

function nodeModulesAbove(folder: string): string | null {
  for (let d = folder; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules"))) return join(d, "node_modules");
    if (dirname(d) === d) return null;
  }
}

const control = JSON.stringify({
  dataImportControlFileVersion: 0,
  model: "haplo:user-sync",
  files: { staff: { read: "json" } },
  instructions: [
    { source: "id", destination: "user", name: "username" },
    { source: "first", destination: "user", name: "nameFirst" },
    { source: "last", destination: "user", name: "nameLast" },
    { source: "email", destination: "user", name: "email" },
  ],
});
const staff = (ids: string[]) => JSON.stringify(ids.map((id) => ({ id, first: `First ${id}`, last: `Last ${id}`, email: `${id}@example.org` })));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "usersync-binary-"));
  const built = await build({ outfile: join(dir, "build", "usersync"), template: true });
  bin = join(dir, "usersync");
  copyFileSync(built.outfile, bin);
  rmSync(join(dir, "build"), { recursive: true });
  writeFileSync(join(dir, "control.json"), control);
  writeFileSync(join(dir, "day1.json"), staff(["ada", "brian", "chen"]));
  writeFileSync(join(dir, "day2.json"), staff(["ada", "chen", "dara"]));
  helpText = (await run(["--help"])).stdout;
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the compiled binary, alone in an empty folder", () => {
  test("sits in a folder with no node_modules anywhere above it", () => {
    expect(nodeModulesAbove(dir)).toBeNull();
  });

  test("--version prints the version and exits 0", async () => {
    const result = await run(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`usersync ${pkg.version}`);
  });

  test("--help lists every command and the exit codes; no command at all is a usage error (exit 2)", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    for (const name of ["apply", "runs", "run", "user", "notify", "migrate-to-postgres", "retention", "erase-person", "scim-token"])
      expect(result.stdout).toMatch(new RegExp(`^  ${name}\\s`, "m"));
    expect(result.stdout).toContain("Exit codes: 0 success");
    expect((await run([])).code).toBe(2);
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  test("every command listed in --help has its own --help", async () => {
    const names = [...helpText.matchAll(/^ {2}([a-z][a-z-]*)\s{2,}/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThanOrEqual(9);
    for (const name of names) {
      const result = await run([name, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`usersync ${name}`);
    }
  }, 60_000);

  test("creates its embedded database from the template it carries and applies a feed", async () => {
    const env = { USERSYNC_DATA: join(dir, "data") };
    // the very first run is held for a person (exit 3), who approves it
    const first = await run(["apply", "-q", "--control", "control.json", "staff=day1.json"], env);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(3);
    expect(first.stdout).toContain("Run 1: held");
    const approved = await run(["approve", "1", "--by", "operator"], env);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("records 3: 3 created");
    expect(existsSync(join(dir, "data", "pg", "PG_VERSION"))).toBe(true);

    // one of three leaving is more than 10 % of the feed: held by the blocks check, then approved
    const second = await run(["apply", "-q", "--control", "control.json", "staff=day2.json"], env);
    expect(second.code).toBe(3);
    expect(second.stdout).toContain("blocks");
    const approvedSecond = await run(["approve", "2", "--by", "operator"], env);
    expect(approvedSecond.code).toBe(0);
    expect(approvedSecond.stdout).toContain("records 3: 1 created, 0 updated, 0 unblocked, 2 unchanged, 1 blocked");

    const runs = await run(["runs"], env);
    expect(runs.code).toBe(0);
    expect(runs.stdout.split("\n")[1]).toMatch(/^2\s+complete\s+cli\s/);
    expect(runs.stdout.split("\n")[2]).toMatch(/^1\s+complete\s+cli\s/);

    const brian = await run(["user", "brian"], env);
    expect(brian.stdout).toContain("Blocked by the sync in run 2");

    // The database was made from the template built into the binary, not by initdb.
    const store = await openStore({ dataDir: join(dir, "data"), databaseUrl: null, filesDir: join(dir, "data", "files"), pgliteTemplate: null });
    try {
      const [mark] = await store.db.query<{ value: { key: string } }>("SELECT value FROM settings WHERE key = 'store.template'");
      expect(mark?.value.key).toBe(templateKey());
    } finally {
      await store.close();
    }
  }, 60_000);

  test("documented exit codes: 2 for an invalid control file, 1 for a run applied with record errors", async () => {
    // without the first-run gate (exit 3, shown above), so the first run applies
    writeFileSync(join(dir, "no-first-run-gate.json"), JSON.stringify({ safety: { firstRun: { enabled: false } } }));
    const env = { USERSYNC_DATA: join(dir, "data-codes"), USERSYNC_CONFIG: join(dir, "no-first-run-gate.json") };
    writeFileSync(join(dir, "bad-control.json"), '{"dataImportControlFileVersion": 0, "model": "haplo:user-sync", "files": {}}');
    const invalid = await run(["apply", "-q", "--control", "bad-control.json", "staff=day1.json"], env);
    expect(invalid.code).toBe(2);
    writeFileSync(join(dir, "bad-email.json"), JSON.stringify([{ id: "eve", first: "Eve", last: "E", email: "not an email" }, { id: "fay", first: "Fay", last: "F", email: "fay@example.org" }]));
    const withErrors = await run(["apply", "-q", "--control", "control.json", "staff=bad-email.json"], env);
    expect(withErrors.code).toBe(1);
    expect(withErrors.stdout).toContain("1 created");
  }, 60_000);

  // `usersync serve` came with the daemon (issue 5): the binary alone runs it — HTTP API, worker and
  // embedded database — and applies a feed uploaded with curl-like requests. The web UI (issue 7)
  // is checked once it exists (src/web/ui); until then that test is skipped.
  test.skipIf(!/^ {2}serve\s/m.test(Bun.spawnSync([process.execPath, join(import.meta.dir, "../../src/cli/main.ts"), "--help"]).stdout.toString()))(
    "serves /healthz and the upload API from the binary alone, and applies an uploaded feed",
    async () => {
      // the first-run gate needs a person's approval (in the web UI while the daemon holds the database): off here
      writeFileSync(join(dir, "serve.json"), JSON.stringify({ safety: { firstRun: { enabled: false } } }));
      const env = { USERSYNC_DATA: join(dir, "data-serve"), USERSYNC_CONFIG: join(dir, "serve.json") };
      const created = await run(["api-key", "create", "--name", "binary test"], env);
      expect(created.code).toBe(0);
      const key = created.stdout.trim();
      await withDaemon(env, async (base) => {
        const auth = { authorization: `Basic ${btoa(`haplo:${key}`)}` };
        for (const [name, file] of [["_control", "control.json"], ["staff", "day1.json"]]) {
          const form = new FormData();
          form.set("name", name!);
          form.set("file", Bun.file(join(dir, file!)), file);
          const upload = await fetch(`${base}/api/haplo-user-sync/upload-file`, { method: "POST", headers: auth, body: form });
          expect(upload.status).toBe(200);
        }
        const start = await fetch(`${base}/api/haplo-user-sync/start-sync/json`, { method: "POST", headers: auth });
        expect(await start.json()).toMatchObject({ status: "queued-for-apply" });
        const deadline = Date.now() + 30_000;
        let report: { status?: string; counts?: { create?: number } } = {};
        while (Date.now() < deadline && report.status !== "complete") {
          report = await (await fetch(`${base}/api/haplo-user-sync/status`, { headers: auth })).json();
          if (report.status !== "complete") await Bun.sleep(100);
        }
        expect(report).toMatchObject({ status: "complete", counts: { create: 3 } });
      });
    },
    60_000,
  );

  test.skipIf(!existsSync(join(import.meta.dir, "../../src/web/ui")))(
    "serves the web UI from the binary alone (skipped until the web UI exists: issue 7)",
    async () => {
      await withDaemon({ USERSYNC_DATA: join(dir, "data-ui") }, async (base) => {
        const page = await fetch(`${base}/`);
        expect(page.status).toBe(200);
        expect(page.headers.get("content-type") ?? "").toContain("text/html");
        expect(await page.text()).toContain("<html");
      });
    },
    60_000,
  );
});

/** Runs `usersync serve` from the binary until `body` is done; `body` gets the HTTP base address. */
async function withDaemon(env: Record<string, string>, body: (base: string) => Promise<void>): Promise<void> {
  const port = await freePort();
  const proc = Bun.spawn([bin, "serve"], {
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", HOME: dir, USERSYNC_HTTP_PORT: String(port), USERSYNC_SFTP_PORT: String(await freePort()), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 30_000;
    let health: Response | null = null;
    while (Date.now() < deadline && !health?.ok) {
      health = await fetch(`${base}/healthz`).catch(() => null);
      if (!health?.ok) await Bun.sleep(100);
    }
    if (!health?.ok) throw new Error(`usersync serve did not answer /healthz: ${(await Promise.race([output, Bun.sleep(100).then(() => ["", ""])])).join("\n")}`);
    await body(base);
  } finally {
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    await output;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
