// The real daemon in tests: `bun src/cli/main.ts serve` with ports 0 and a temporary data folder,
// its chosen ports read from its JSON log; real OpenSSH `sftp`, real curl; PGlite or PostgreSQL.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { feedControl, feedGroups, population, writeFeed } from "../../bench/feed.ts";
import { openStore } from "../../src/store/index.ts";
import { BUN, cli, MAIN } from "../helpers/cli.ts";
import { createPostgresDatabase, type Backend } from "../helpers/store.ts";

export interface LogLine {
  event: string;
  level: string;
  [key: string]: unknown;
}

export interface RunningDaemon {
  pid: number;
  /** the exit code, once the process has gone */
  exited: Promise<number>;
  http: number;
  sftp: number;
  url: string;
  logs: LogLine[];
  /** Resolves with the first log line (already seen or to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
  kill(): void;
}

export interface Site {
  dir: string;
  env: Record<string, string | undefined>;
  feedDir: string;
  /** A key for the HTTP API, created before the daemon starts. */
  apiKey: string;
  /** OpenSSH key pair of the SFTP account "alice" (key login). */
  clientKey: string;
  /** Password of the SFTP account "bob" (password login). */
  password: string;
  start(extraEnv?: Record<string, string>): Promise<RunningDaemon>;
  cleanup(): Promise<void>;
}

export const FEED_USERS = 120;

/**
 * A daemon's world: data folder, usersync.json, SFTP accounts, an API key and a generated 3-file feed.
 * On PostgreSQL the database is a new one on the shared server, dropped at cleanup, unless
 * `databaseUrl` names one the caller owns (test/reliability/postgres-server.test.ts: a private
 * server it restarts and fills).
 */
export async function createSite(backend: Backend, options: { config?: Record<string, unknown>; watch?: boolean; databaseUrl?: string } = {}): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), `usersync-daemon-${backend}-`));
  const feedDir = join(dir, "feed");
  await writeFeed(feedDir, population(FEED_USERS));
  writeFileSync(join(feedDir, "_control.json"), feedControl());
  const clientKey = join(dir, "client_ed25519");
  await Bun.spawn(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", clientKey]).exited;
  const password = "correct horse battery staple";
  const config = {
    groups: feedGroups(),
    sftp: {
      accounts: [
        { name: "alice", publicKeys: [await Bun.file(`${clientKey}.pub`).text()] },
        { name: "bob", passwordHash: await Bun.password.hash(password, { algorithm: "argon2id" }) },
      ],
      maxFileBytes: 1024 * 1024,
    },
    http: { maxUploadBytes: 1024 * 1024 },
    watch: options.watch ? { dir: join(dir, "watch"), stabilityMs: 300 } : undefined,
    loginThrottle: { maxFailures: 50 },
    // These tests are about getting files in: the first-run gate (held for a person's approval)
    // is tested in test/safety and, through the UI, in test/web.
    safety: { firstRun: { enabled: false } },
    ...options.config,
  };
  writeFileSync(join(dir, "usersync.json"), JSON.stringify(config, null, 2));
  let dropDb: (() => Promise<void>) | null = null;
  const env: Record<string, string | undefined> = { USERSYNC_DATA: join(dir, "data"), USERSYNC_CONFIG: undefined, DATABASE_URL: undefined, USERSYNC_WATCH_DIR: undefined };
  if (backend === "postgres" && options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else if (backend === "postgres") {
    const db = await createPostgresDatabase();
    env.DATABASE_URL = db.url;
    dropDb = db.drop;
  }
  const created = await cli(["api-key", "create", "--name", "test uploader"], { cwd: dir, env });
  if (created.code !== 0) throw new Error(`api-key create failed: ${created.stderr}`);
  const daemons: RunningDaemon[] = [];
  return {
    dir,
    env,
    feedDir,
    apiKey: created.stdout.trim(),
    clientKey,
    password,
    async start(extraEnv = {}) {
      const daemon = await startDaemon(dir, { ...env, ...extraEnv });
      daemons.push(daemon);
      return daemon;
    },
    async cleanup() {
      for (const d of daemons) d.kill();
      await dropDb?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startDaemon(cwd: string, env: Record<string, string | undefined>): Promise<RunningDaemon> {
  const proc = Bun.spawn([BUN, MAIN, "serve"], {
    cwd,
    env: { ...process.env, ...env, USERSYNC_HTTP_PORT: "0", USERSYNC_SFTP_PORT: "0", USERSYNC_LOG_LEVEL: env.USERSYNC_LOG_LEVEL ?? "info" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const logs: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let stderr = "";
  void new Response(proc.stderr).text().then((t) => (stderr = t));
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk);
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text);
        } catch {
          line = { event: "non-json", level: "error", text };
        }
        logs.push(line);
        for (const w of [...waiters]) if (w.match(line)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(line);
      }
    }
  })();
  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = logs.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}\nlog:\n${logs.map((l) => JSON.stringify(l)).join("\n")}`)), timeoutMs);
      waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  const ready = await Promise.race([
    waitForLog((l) => l.event === "daemon.ready", 60_000),
    proc.exited.then(async (code) => {
      await Bun.sleep(50);
      throw new Error(`the daemon exited with ${code}: ${stderr}`);
    }),
  ]);
  const http = ready.http as number;
  return {
    pid: proc.pid,
    exited: proc.exited,
    http,
    sftp: ready.sftp as number,
    url: `http://127.0.0.1:${http}`,
    logs,
    waitForLog,
    async stop() {
      proc.kill("SIGTERM");
      return proc.exited;
    },
    kill: () => proc.kill("SIGKILL"),
  };
}

/** Run OpenSSH `sftp -b` with a batch of commands; returns exit code and output. */
export async function sftpBatch(
  daemon: RunningDaemon,
  user: string,
  commands: string[],
  auth: { key: string } | { password: string },
  cwd: string,
): Promise<{ code: number; output: string }> {
  const batch = join(cwd, `batch-${crypto.randomUUID()}.txt`);
  writeFileSync(batch, `${commands.join("\n")}\n`);
  const common = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-P", String(daemon.sftp)];
  let args: string[];
  const env: Record<string, string | undefined> = { ...process.env };
  if ("key" in auth) args = ["sftp", ...common, "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-i", auth.key, "-b", batch, `${user}@127.0.0.1`];
  else {
    // -b forces BatchMode=yes (no password prompt): BatchMode=no must come first, the password from askpass (toolchain.md §2)
    const askpass = join(cwd, `askpass-${crypto.randomUUID()}.sh`);
    writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' '${auth.password.replace(/'/g, "'\\''")}'\n`);
    chmodSync(askpass, 0o700);
    Object.assign(env, { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: ":0" });
    args = ["sftp", "-o", "BatchMode=no", "-o", "PubkeyAuthentication=no", ...common, "-b", batch, `${user}@127.0.0.1`];
  }
  const proc = Bun.spawn(["timeout", "60", ...args], { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: out + err };
}

/** The commands that upload a feed folder with the .part-then-rename convention (docs/UPLOAD.md). */
export function feedBatch(feedDir: string, files = ["_control.json", "staff.json", "students.tsv", "others.json"]): string[] {
  return files.flatMap((f) => [`put ${join(feedDir, f)} ${f}.part`, `rename ${f}.part ${f}`]);
}

export async function api(daemon: RunningDaemon, key: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Basic ${Buffer.from(`haplo:${key}`).toString("base64")}`);
  return fetch(`${daemon.url}/api/haplo-user-sync${path}`, { ...init, headers });
}

/** curl, the real client, with the HTTP status read from the last line of its output. */
export async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const proc = Bun.spawn(["curl", "-sS", "-w", "\n%{http_code}", ...args], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const cut = out.lastIndexOf("\n");
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

/** Upload one file of a feed over the HTTP API (multipart, as curl -F does); throws unless it answers 200. */
export async function upload(daemon: RunningDaemon, key: string, name: string, path: string): Promise<void> {
  const form = new FormData();
  form.append("name", name);
  form.append("file", Bun.file(path), path.split("/").pop());
  const response = await api(daemon, key, "/upload-file", { method: "POST", body: form });
  if (response.status !== 200) throw new Error(`upload ${name}: ${response.status} ${await response.text()}`);
}

export interface RunJson {
  id: number;
  status: string;
  files: { name: string; uploadedVia: string | null }[];
  missingFiles: string[] | null;
  counts: Record<string, number>;
  errorCount: number;
  message: string | null;
}

/** Poll a run (or the current one) until it reaches a final status. */
export async function waitForRun(daemon: RunningDaemon, key: string, runId: number | "current", timeoutMs = 60_000): Promise<RunJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api(daemon, key, runId === "current" ? "/status" : `/run/${runId}`);
    if (response.status === 200) {
      const run = (await response.json()) as RunJson;
      if (["complete", "failure", "held", "dry-run", "cancelled"].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${run.id} is still ${run.status}`);
    } else if (Date.now() > deadline) throw new Error(`status: HTTP ${response.status}`);
    await Bun.sleep(200);
  }
}

/** Everything about the users that the sync decides, without ids or times: to compare two stores. */
export async function usersOf(site: Site): Promise<string> {
  const store = await openStore({ dataDir: site.env.USERSYNC_DATA!, databaseUrl: site.env.DATABASE_URL ?? null, filesDir: join(site.env.USERSYNC_DATA!, "files") });
  try {
    const rows = await store.db.query<Record<string, unknown>>(
      `SELECT u.username, u.email, u.name_first, u.name_last, u.title, u.active, o.types, o.title AS profile_title, o.attributes::text AS attributes,
              (SELECT string_agg(g.code, ',' ORDER BY g.code) FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = u.id) AS groups
       FROM users u LEFT JOIN objects o ON o.id = u.profile_id ORDER BY u.username`,
    );
    return rows.map((r) => JSON.stringify(r)).join("\n");
  } finally {
    await store.close();
  }
}

export function writeFile(path: string, content: string | Uint8Array): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
}
