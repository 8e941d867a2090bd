// PostgreSQL's own failures while the real daemon applies a run, on a private PostgreSQL server that
// this file creates, restarts, fills and removes (the shared server on 5432 is never touched: other
// work uses it at the same time). The server restarted in the middle of an apply, and the disk under
// the database filling up in the middle of an apply: each time the run fails with a reason an
// operator can act on, nothing of it is kept, the uploaded files are kept, the daemon carries on and
// reconnects by itself, and tries the run again by itself (sync.retryAfterSeconds): it ends with the
// store a clean apply gives.
// The disk-full case while the run stages its records is what found a COPY the server refuses
// hanging the run for ever (src/store/postgres.ts, serverRefusal). (faults.test.ts covers the
// connections terminated, the database read-only and the daemon's own disk full.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { nextDay, population, writeFeed } from "../../bench/feed.ts";
import { APPLY_LOCK } from "../../src/store/locks.ts";
import { openStore } from "../../src/store/index.ts";
import { api, createSite, upload, waitForRun, type RunJson, type RunningDaemon, type Site } from "../daemon/helpers.ts";
import { BACKENDS } from "../helpers/store.ts";
import { recordFigures, runLog, SEED, storeDigest, waitForAutomaticRetry } from "./helpers.ts";

const USERS = 4000;
/** What the run under test changes: thousands of rows written in its one transaction. */
const CHURN = { removed: USERS / 20, added: USERS / 20, changed: (USERS * 3) / 10 };
const TMPFS_MB = 64;
/** Free space left when the run starts, in the "staging" case: its first statements fit, its records do not (a few MB). */
const STAGING_ROOM = 512 * 1024;
// the run under test blocks and changes thousands: the safety checks would hold it, and they are not what is tested here
const NO_SAFETY = Object.fromEntries(
  ["firstRun", "emptyFeed", "blocks", "fileChange", "schemaDrift", "fieldChange", "errors", "duplicates"].map((k) => [k, { enabled: false }]),
);
// a retry 3 s after a failure (the default waits 10 s, then minutes): time to look at the store in between
const RETRY_SECONDS = 3;
const CONFIG = { http: { maxUploadBytes: 64 * 1024 * 1024 }, safety: NO_SAFETY, sync: { retryAfterSeconds: Array(8).fill(RETRY_SECONDS) } };

/** The newest PostgreSQL on this machine (Debian puts each major version under /usr/lib/postgresql/N/bin). */
function postgresBin(): string | null {
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((v) => existsSync(join("/usr/lib/postgresql", v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    return versions[0] ? join("/usr/lib/postgresql", versions[0], "bin") : null;
  } catch {
    return null;
  }
}

const IS_ROOT = process.getuid?.() === 0;

async function run(command: string[]): Promise<string> {
  const proc = Bun.spawn(command, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${command.join(" ")} exited with ${code}: ${out}${err}`);
  return out;
}

async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/**
 * A PostgreSQL server of our own in a temporary folder, on a free port, trust authentication.
 * initdb and postgres refuse to run as root: as root they run as the postgres OS user, who owns
 * the folder. fsync=off: no test here survives an OS crash, and a restart (clean or not) finds every
 * write in the page cache, so it changes nothing but speed. autovacuum=off, as on the shared server:
 * nothing writes to the database but the daemon, so the free space left under it stays as measured.
 */
class PrivateServer {
  readonly dir: string;
  readonly data: string;
  private readonly options: string;
  private constructor(
    private readonly bin: string,
    readonly port: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "usersync-pgserver-"));
    this.data = join(this.dir, "data");
    this.options = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${this.dir}`,
      "-c fsync=off",
      "-c shared_buffers=16MB",
      "-c max_connections=40",
      "-c autovacuum=off",
    ].join(" ");
  }

  static async create(bin: string): Promise<PrivateServer> {
    const server = new PrivateServer(bin, await freePort());
    if (IS_ROOT) await run(["chown", "postgres:postgres", server.dir]);
    await server.as(["initdb", "-D", server.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
    await server.start();
    return server;
  }

  /** A program of the server's, as the postgres user when we are root. */
  as(command: string[]): Promise<string> {
    const [program, ...args] = command;
    return run([...(IS_ROOT ? ["runuser", "-u", "postgres", "--"] : []), join(this.bin, program!), ...args]);
  }

  start(): Promise<string> {
    return this.as(["pg_ctl", "-D", this.data, "-l", join(this.dir, "server.log"), "-o", this.options, "-w", "-t", "60", "start"]);
  }

  stop(mode: "fast" | "immediate" = "fast"): Promise<string> {
    return this.as(["pg_ctl", "-D", this.data, "-m", mode, "-w", "-t", "60", "stop"]);
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  sql(database = "postgres") {
    return postgres(this.url(database), { max: 2, onnotice: () => {} });
  }

  /** The server log's last error that matches, and the statement it logged with it (first line): where a fault hit. */
  lastError(match: RegExp): { error: string; statement: string | null } | null {
    const lines = readFileSync(join(this.dir, "server.log"), "utf8").split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      if (!/ERROR:/.test(lines[i]!) || !match.test(lines[i]!)) continue;
      // HINT, CONTEXT and STATEMENT follow, each with the same "[pid]"
      const pid = /\[\d+\]/.exec(lines[i]!)?.[0] ?? "";
      const statement = lines
        .slice(i + 1, i + 6)
        .filter((l) => l.includes(pid))
        .map((l) => /STATEMENT:\s+(.*)/.exec(l)?.[1])
        .find(Boolean);
      return { error: lines[i]!.replace(/^.*ERROR:\s+/, ""), statement: statement?.trim().slice(0, 120) ?? null };
    }
    return null;
  }

  async destroy(): Promise<void> {
    await this.stop("immediate").catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs / 1000} s: ${what}`);
    await Bun.sleep(10);
  }
}

/**
 * Places a fault at a known point of a run's apply transaction, whose whole work takes a few
 * hundred milliseconds: another session takes a lock that a given statement of the apply needs, and
 * `waitsAt` resolves once the apply waits on it — everything the apply did before that statement is
 * written and not committed. Then the server is stopped, or the disk filled and the lock released.
 */
async function lockHolder(url: string) {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  const holder = await sql.reserve();
  await holder`BEGIN`;
  return {
    sql,
    take: (text: string, params: unknown[] = []) => holder.unsafe(text, params as postgres.ParameterOrJSON<never>[]),
    /** The apply's statement that waits on the lock, once it does (the start of its first line). */
    async waitsAt(prefix: string): Promise<string> {
      let query = "";
      await until(`the apply waiting at ${prefix}`, async () => {
        const rows = await sql<{ query: string }[]>`
          SELECT query FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND ltrim(query) LIKE ${`${prefix}%`}`;
        query = rows[0]?.query ?? "";
        return rows.length > 0;
      });
      const line = query.trim().split("\n")[0]!.trim();
      return line.length > 80 ? `${line.slice(0, 80)}…` : line;
    },
    async release() {
      await holder`COMMIT`;
      holder.release();
      await sql.end();
    },
    /** the server went away: the session ended with it */
    async abandon() {
      holder.release();
      await sql.end({ timeout: 1 }).catch(() => {});
    },
  };
}

/** Writes zeros to a new file until its file system is full (ENOSPC), or `limit` bytes; the bytes written. */
function fillUp(path: string, limit = Infinity): number {
  const fd = openSync(path, "w");
  let written = 0;
  try {
    // big pieces, then page-sized ones for the last of the space
    for (const piece of [Buffer.alloc(1 << 20), Buffer.alloc(4096)]) {
      while (written + piece.length <= limit) {
        try {
          written += writeSync(fd, piece);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

type Feed = { name: string; path: string }[];

/** Uploads a day's feed and starts it; resolves with the run's id once the worker has started it. */
async function startFeed(site: Site, daemon: RunningDaemon, feed: Feed): Promise<number> {
  for (const { name, path } of feed) await upload(daemon, site.apiKey, name, path);
  const start = (await (await api(daemon, site.apiKey, "/start-sync/json", { method: "POST" })).json()) as { status: string };
  expect(start.status).toBe("queued-for-apply");
  const started = await daemon.waitForLog((l) => l.event === "run.started" && !daemon.logs.some((f) => f.event === "run.finished" && f.runId === l.runId), 60_000);
  return started.runId as number;
}

/**
 * A new site on a database of the private server, with the control file uploaded and day 1 applied.
 * The site joins `sites` at once, so that afterAll stops its daemon even when day 1 fails.
 */
async function siteWithDay1(url: string, day1: Feed, sites: Site[]): Promise<{ site: Site; daemon: RunningDaemon }> {
  const site = await createSite("postgres", { databaseUrl: url, config: CONFIG });
  sites.push(site);
  const daemon = await site.start();
  await upload(daemon, site.apiKey, "_control", join(site.feedDir, "_control.json"));
  const runId = await startFeed(site, daemon, day1);
  const finished = await daemon.waitForLog((l) => l.event === "run.finished" && l.runId === runId, 120_000);
  expect(`${finished.status} ${finished.message ?? ""}`.trim()).toBe("complete");
  return { site, daemon };
}

/** The failed run's files, as the API lists them, and whether their bytes are still in the file store. */
async function filesKept(site: Site, daemon: RunningDaemon, runId: number): Promise<{ names: string[]; bytesStored: boolean }> {
  const run = (await (await api(daemon, site.apiKey, `/run/${runId}`)).json()) as RunJson;
  const store = await openStore({ dataDir: site.env.USERSYNC_DATA!, databaseUrl: site.env.DATABASE_URL!, filesDir: join(site.env.USERSYNC_DATA!, "files") });
  try {
    const rows = await store.db.query<{ digest: string }>("SELECT digest FROM run_files WHERE run_id = $1", [runId]);
    return { names: run.files.map((f) => f.name).sort(), bytesStored: rows.length > 0 && rows.every((r) => store.files.has(r.digest)) };
  } finally {
    await store.close();
  }
}

const BIN = postgresBin();

describe.skipIf(!BACKENDS.includes("postgres"))("PostgreSQL's own server restarted, and its disk full, during an apply [private postgres]", () => {
  let server: PrivateServer | null = null;
  let feeds: string;
  let day1: Feed;
  let day2: Feed;
  /** the store after day 1 and day 2 applied cleanly, on a database of its own */
  let reference: Awaited<ReturnType<typeof storeDigest>>;
  let referenceGrowthBytes = 0;
  const sites: Site[] = [];
  const mounts: string[] = [];

  beforeAll(async () => {
    if (!BIN) return;
    server = await PrivateServer.create(BIN);
    feeds = mkdtempSync(join(tmpdir(), "usersync-pgserver-feeds-"));
    day1 = await writeFeed(join(feeds, "day1"), population(USERS));
    day2 = await writeFeed(join(feeds, "day2"), nextDay(USERS, CHURN, SEED));
    const admin = server.sql();
    await admin`CREATE DATABASE reference`;
    await admin.end();
    const { site, daemon } = await siteWithDay1(server.url("reference"), day1, sites);
    const size = async () => {
      const sql = server!.sql("reference");
      const [row] = await sql<{ bytes: number }[]>`SELECT pg_database_size(current_database())::float8 AS bytes`;
      await sql.end();
      return row!.bytes;
    };
    const sizeBefore = await size();
    const runId = await startFeed(site, daemon, day2);
    const finished = await daemon.waitForLog((l) => l.event === "run.finished" && l.runId === runId, 120_000);
    expect(finished.status).toBe("complete");
    referenceGrowthBytes = (await size()) - sizeBefore;
    await daemon.stop();
    reference = await storeDigest(server.url("reference"));
  }, 180_000);

  afterAll(async () => {
    for (const site of sites) await site.cleanup().catch(() => {});
    await server?.destroy();
    for (const at of mounts) Bun.spawnSync(["umount", "-l", at]);
    for (const at of mounts) rmSync(at, { recursive: true, force: true });
    if (feeds) rmSync(feeds, { recursive: true, force: true });
  });

  test("the server restarted mid-apply: the run fails saying the connection was lost, nothing is kept, the daemon reconnects and retries the run by itself: it completes", async () => {
    if (!server) {
      recordFigures("postgres-server", "PostgreSQL restarted mid-apply", { skipped: "no PostgreSQL server binaries under /usr/lib/postgresql" });
      return;
    }
    const admin = server.sql();
    await admin`CREATE DATABASE restarted`;
    await admin.end();
    const url = server.url("restarted");
    const { site, daemon } = await siteWithDay1(url, day1, sites);
    const before = await storeDigest(url);

    const runId = await startFeed(site, daemon, day2);
    // the apply does all its work and waits at its last statement, the UPDATE of the run's status,
    // on the run's row locked by another session: everything it writes is written, nothing committed.
    // The row is locked once the apply holds its advisory lock (its transaction's first statement),
    // so after the run's own UPDATE … 'running', which commits before the transaction starts.
    const hold = await lockHolder(url);
    await until("the apply's advisory lock", async () => {
      const rows = await hold.sql`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = ${APPLY_LOCK} AND objsubid = 1`;
      return rows.length > 0;
    });
    await hold.take("SELECT 1 FROM runs WHERE id = $1 FOR UPDATE", [runId]);
    const waiting = await hold.waitsAt("UPDATE runs SET status = $2");
    const stoppedAt = Date.now();
    await server.stop("fast");
    await hold.abandon();
    // the apply's session ends with "terminating connection due to administrator command"; the worker
    // then cannot even record the failure (the server is down): it logs why and records it later
    const firstReport = await daemon.waitForLog((l) => (l.event === "run.finished" || l.event === "run.failure-unrecorded") && l.runId === runId, 30_000);
    // the daemon answers while its database is down, and says what is wrong
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    const down = await fetch(`${daemon.url}/readyz`);
    const downBody = (await down.json()) as { database: string; problem?: string };
    expect(down.status).toBe(503);
    expect(downBody.database).toBe("unreachable");
    await Bun.sleep(1000); // down for a while: the pool's connections all fail, not only the apply's
    await server.start();
    const downMs = Date.now() - stoppedAt;

    // the failure is recorded once the server is back, with the reason, nothing of the run is kept,
    // and the run is queued to be tried again
    const queued = await daemon.waitForLog((l) => l.event === "run.retry-queued" && l.runId === runId, 30_000);
    const report = (await (await api(daemon, site.apiKey, `/run/${runId}`)).json()) as RunJson;
    expect(report.status).toBe("queued");
    expect(report.message).toMatch(/^Attempt 1 failed: .*the connection to the database was lost: the server restarted or ended the session.* It will be tried again at/);
    // the reason is the apply's own error (its connection closed under it), not the error of
    // recording the failure while the server was down ("the database system is shutting down")
    expect(report.message).not.toContain("shutting down");
    expect((await storeDigest(url)).digest).toBe(before.digest);
    // the pool reconnected by itself: the database answers the daemon again, the daemon never exited
    const up = await fetch(`${daemon.url}/readyz`);
    expect(up.status).toBe(200);
    expect(((await up.json()) as { database: string }).database).toBe("ok");
    expect((await api(daemon, site.apiKey, "/status")).status).toBe(200);
    expect(await Promise.race([daemon.exited.then(() => "exited"), Bun.sleep(10).then(() => "running")])).toBe("running");
    // the upload is not lost: the run's files and their bytes are still stored
    const kept = await filesKept(site, daemon, runId);
    expect(kept).toEqual({ names: ["_control", "others", "staff", "students"], bytesStored: true });

    const retry = await waitForAutomaticRetry(daemon, runId);
    expect(retry.finished.status).toBe("complete");
    expect((await runLog(url, runId)).attempts).toBe(1);
    const after = await storeDigest(url);
    expect(after.digest).toBe(reference.digest);
    expect(after.digest).not.toBe(before.digest);
    recordFigures("postgres-server", "PostgreSQL restarted mid-apply", {
      server: `a private PostgreSQL (${BIN}) on port ${server.port}, stopped with pg_ctl -m fast and started again`,
      users: USERS,
      runChanges: `${CHURN.changed} changed, ${CHURN.removed} removed (blocked), ${CHURN.added} added`,
      stoppedWhile: `the apply waited at its last statement, all its rows written and uncommitted (${waiting})`,
      serverDownMs: downMs,
      firstReport: { event: firstReport.event, message: firstReport.message ?? (firstReport.error as { message?: string } | undefined)?.message },
      readyzWhileDown: { status: down.status, problem: downBody.problem },
      failedWith: report.message,
      retryQueuedFor: queued.at,
      storeAfterFailure: "as before the run (same digest)",
      filesKept: kept.names,
      daemonReconnected: "yes: /readyz 200, the API answers, no restart of the daemon",
      retried: `by the daemon itself ${RETRY_SECONDS} s after the failure was recorded, the same run: complete, the store equal to a clean apply's`,
      lost: "nothing",
    });
  }, 180_000);

  /**
   * The tablespace on a small tmpfs, mounted at the first call: the databases of the disk-full tests
   * live there, so their tables, indexes and temporary tables fill it, while the server's WAL and
   * catalogue stay on the big disk and the server itself keeps running. A reason instead where
   * mount is not allowed.
   */
  let tablespace: Promise<{ at: string } | { skipped: string }> | null = null;
  const smallTablespace = () =>
    (tablespace ??= (async () => {
      const at = mkdtempSync(join(tmpdir(), "usersync-pgserver-tablespace-"));
      const ids = IS_ROOT ? `,uid=${(await run(["id", "-u", "postgres"])).trim()},gid=${(await run(["id", "-g", "postgres"])).trim()}` : "";
      const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${TMPFS_MB}m,mode=0700${ids}`, "tmpfs", at], { stderr: "pipe" });
      if (mount.exitCode !== 0) {
        rmSync(at, { recursive: true, force: true });
        return { skipped: `mount -t tmpfs is not allowed here (${mount.stderr.toString().trim() || "not root"}): the full disk is tested only for the daemon's own files (faults.test.ts)` };
      }
      mounts.push(at);
      const admin = server!.sql();
      await admin.unsafe(`CREATE TABLESPACE small LOCATION '${at}'`);
      await admin.end();
      return { at };
    })());

  /**
   * Day 1 applied on a database in the small tablespace, day 2 uploaded, and the disk filled while
   * day 2 is applied: "staging" fills it before the run starts but for STAGING_ROOM, which the run's
   * first statements fit in and its staging of the records (a COPY) does not; "apply" holds the
   * apply at its first write to the users' tables (the profile objects of the users it creates:
   * nothing writes `objects` before) with another session's lock — by then the run has staged its
   * records and saved its before-images — fills the disk to the last byte and lets the apply go.
   */
  async function diskFull(where: "staging" | "apply") {
    const title = `PostgreSQL's disk full mid-apply: ${where === "staging" ? "while the run stages its records" : "while the apply writes the users"}`;
    if (!server) return recordFigures("postgres-server", title, { skipped: "no PostgreSQL server binaries under /usr/lib/postgresql" });
    const small = await smallTablespace();
    if ("skipped" in small) return recordFigures("postgres-server", title, { skipped: small.skipped });
    const database = `filled_${where}`;
    const admin = server.sql();
    await admin.unsafe(`CREATE DATABASE ${database} TABLESPACE small`);
    await admin.end();
    const url = server.url(database);
    const { site, daemon } = await siteWithDay1(url, day1, sites);
    const before = await storeDigest(url);
    const free = () => {
      const s = statfsSync(small.at);
      return s.bavail * s.bsize;
    };
    const ballast = join(small.at, "ballast");

    for (const { name, path } of day2) await upload(daemon, site.apiKey, name, path);
    const hold = where === "apply" ? await lockHolder(url) : null;
    await hold?.take("LOCK TABLE objects IN EXCLUSIVE MODE"); // reads go on, writes wait
    const ballastBefore = where === "staging" ? fillUp(ballast, free() - STAGING_ROOM) : 0;
    const freeBeforeRun = free();
    const start = (await (await api(daemon, site.apiKey, "/start-sync/json", { method: "POST" })).json()) as { status: string };
    expect(start.status).toBe("queued-for-apply");
    const started = await daemon.waitForLog((l) => l.event === "run.started" && !daemon.logs.some((f) => f.event === "run.finished" && f.runId === l.runId), 60_000);
    const runId = started.runId as number;
    let filledWhile = `the run started with ${Math.round(freeBeforeRun / 1024)} KB free`;
    let ballastBytes = ballastBefore;
    if (hold) {
      const waiting = await hold.waitsAt("INSERT INTO objects");
      filledWhile = `the apply waited at ${waiting}, its records staged and before-images saved (${Math.round((freeBeforeRun - free()) / 1024)} KB written so far)`;
      ballastBytes = fillUp(ballast);
      expect(free()).toBeLessThan(8192); // not one more page of the database's
      await hold.release();
    }

    // recording the failure may itself need a page the disk no longer has: then the worker logs why and records it later
    const firstReport = await daemon.waitForLog((l) => (l.event === "run.finished" || l.event === "run.failure-unrecorded") && l.runId === runId, 60_000);
    const firstMessage = String(firstReport.message ?? (firstReport.error as { message?: string } | undefined)?.message);
    expect(firstMessage).toMatch(/No space left on device/);
    // where it hit, as the server logged it: the staging COPY (which hung the run for ever before
    // src/store/postgres.ts caught the refusal), or one of the apply's writes to the users' tables
    const hit = server.lastError(/No space left on device/);
    expect(hit?.statement).toMatch(where === "staging" ? /^COPY stage / : /^(INSERT INTO|UPDATE) /);
    // the server keeps running, the daemon too, and nothing of the run is kept
    expect((await storeDigest(url)).digest).toBe(before.digest);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);

    // space again: the failure is recorded with the reason, the run is queued to be tried again, and it completes
    unlinkSync(ballast);
    const queued = await daemon.waitForLog((l) => l.event === "run.retry-queued" && l.runId === runId, 30_000);
    expect(String(queued.reason)).toMatch(/the database server's disk is full \(could not (extend|write).*No space left on device/);
    const kept = await filesKept(site, daemon, runId);
    expect(kept).toEqual({ names: ["_control", "others", "staff", "students"], bytesStored: true });
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    const retry = await waitForAutomaticRetry(daemon, runId);
    expect(retry.finished.status).toBe("complete");
    expect((await storeDigest(url)).digest).toBe(reference.digest);
    const usedKB = Math.round((statfsSync(small.at).blocks * statfsSync(small.at).bsize - free()) / 1024);
    // the tmpfs is shared by both cases: this database goes
    expect(await daemon.stop()).toBe(0);
    const dropper = server.sql();
    await dropper.unsafe(`DROP DATABASE ${database} WITH (FORCE)`);
    await dropper.end();
    recordFigures("postgres-server", title, {
      fileSystem: `the database in a tablespace on a tmpfs of ${TMPFS_MB} MB; WAL and catalogue on the main disk`,
      users: USERS,
      runChanges: `${CHURN.changed} changed, ${CHURN.removed} removed (blocked), ${CHURN.added} added`,
      cleanApplyGrowsDatabaseKB: Math.round(referenceGrowthBytes / 1024),
      filledWhile,
      ballastKB: Math.round(ballastBytes / 1024),
      firstReport: { event: firstReport.event, message: firstMessage },
      serverLogged: hit,
      failedWith: queued.reason,
      storeAfterFailure: "as before the run (same digest)",
      filesKept: kept.names,
      retriedAfterBallastRemoved: `by the daemon itself, ${RETRY_SECONDS} s after the failure was recorded, the same run: complete, the store equal to a clean apply's`,
      tmpfsUsedAfterRetryKB: usedKB,
      lost: "nothing",
    });
  }

  test("the database's disk full while the run stages its records: the run fails saying the disk is full, nothing is kept, and once there is space the daemon's retry completes", async () => {
    await diskFull("staging");
  }, 180_000);

  test("the database's disk full while the apply writes the users: the run fails saying the disk is full, nothing is kept, and once there is space the daemon's retry completes", async () => {
    await diskFull("apply");
  }, 180_000);
});
