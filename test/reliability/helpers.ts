// Shared by the reliability suite (docs/RELIABILITY.md): seeded randomness, the figures each test
// records for the report, a digest of what the sync decides in a store, the daemon's RSS, and
// PostgreSQL databases copied from a template.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { ROOT } from "../helpers/cli.ts";
import { PG_ADMIN_URL } from "../helpers/store.ts";
import type { LogLine, RunningDaemon } from "../daemon/helpers.ts";

/** The seed of every random choice in the suite: RELIABILITY_SEED=… replays a failing run. */
export const SEED = Number(process.env.RELIABILITY_SEED ?? 20240610);

export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ARTIFACTS = join(ROOT, "test", "artifacts", "reliability");

/**
 * The figures of one test for the report: merged into test/artifacts/reliability/FILE.json under
 * the test's name (scripts/reliability-report.ts reads them).
 */
export function recordFigures(file: string, test: string, figures: Record<string, unknown>): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${file}.json`);
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(path, "utf8"));
  } catch {}
  all[test] = { ...figures, seed: SEED, recordedAt: new Date().toISOString() };
  writeFileSync(path, `${JSON.stringify(all, null, 2)}\n`);
}

/** Resident memory of a process in KiB, from /proc/PID/status (VmRSS); null once it has gone. */
export function rssKiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; the maximum seen. */
export function sampleRss(pid: number, everyMs = 100): { stop(): { maxKiB: number; samples: number } } {
  let maxKiB = 0;
  let samples = 0;
  const take = () => {
    const v = rssKiB(pid);
    if (v !== null) {
      samples++;
      if (v > maxKiB) maxKiB = v;
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxKiB, samples };
    },
  };
}

export function adminSql() {
  return postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
}

export function dbUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The database's name from its URL. */
export function dbName(url: string): string {
  return new URL(url).pathname.slice(1);
}

/** Other sessions connected to a database (the daemon's, or a killed daemon's not yet gone). */
export async function sessionsOn(name: string): Promise<number> {
  const sql = adminSql();
  try {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${name} AND pid <> pg_backend_pid()`;
    return row!.n;
  } finally {
    await sql.end();
  }
}

/** Waits until nobody is connected to the database (a killed client's backend ends its transaction). */
export async function waitNoSessions(name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await sessionsOn(name)) > 0) {
    if (Date.now() > deadline) throw new Error(`sessions still open on ${name}`);
    await Bun.sleep(50);
  }
}

/**
 * What the sync decides, without surrogate ids, run ids or times: users, their profile objects,
 * memberships, the ledger, and the number of objects. Two stores with the same digest hold the same
 * users in the same state, whatever runs led there.
 */
export async function storeDigest(url: string): Promise<{ digest: string; users: number; active: number; memberships: number; objects: number; ledger: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const hasher = new Bun.CryptoHasher("sha256");
    const parts: [string, string][] = [
      [
        "users",
        `SELECT u.username, u.email, u.name_first, u.name_last, u.title, u.active, u.blocked_by, u.blocked_at IS NOT NULL AS blocked, u.tags::text,
                o.types, o.title AS profile_title, o.attributes::text AS attributes, o.behaviour, o.version
         FROM users u LEFT JOIN objects o ON o.id = u.profile_id ORDER BY u.username`,
      ],
      ["memberships", "SELECT u.username, g.code, m.added_by FROM memberships m JOIN users u ON u.id = m.user_id JOIN groups g ON g.id = m.group_id ORDER BY 1, 2"],
      [
        "ledger",
        "SELECT username, digest::text, raw_digest::text, context, in_feed, error, warned, absent_runs, state_reason FROM sync_ledger ORDER BY username",
      ],
      ["objects", "SELECT types, title, attributes::text, behaviour, version FROM objects ORDER BY title, attributes::text, types"],
    ];
    const counts: Record<string, number> = {};
    for (const [name, query] of parts) {
      hasher.update(`#${name}\n`);
      let n = 0;
      // a cursor: 50,000 rows never sit in memory twice
      await sql.unsafe(query).cursor(2000, (rows) => {
        for (const r of rows) hasher.update(`${JSON.stringify(Object.values(r))}\n`);
        n += rows.length;
      });
      counts[name] = n;
    }
    const [active] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE active`;
    return { digest: hasher.digest("hex"), users: counts.users!, active: active!.n, memberships: counts.memberships!, objects: counts.objects!, ledger: counts.ledger! };
  } finally {
    await sql.end();
  }
}

/**
 * A run the database failed, retried by the daemon by itself (daemon/worker.ts, sync.retryAfterSeconds):
 * the log line that queued the retry, and the run's next end — the same run id, complete.
 */
export async function waitForAutomaticRetry(
  daemon: RunningDaemon,
  runId: number,
  timeoutMs = 90_000,
): Promise<{ queued: LogLine; finished: LogLine; waitedMs: number }> {
  const since = Date.now();
  const queued = await daemon.waitForLog((l) => l.event === "run.retry-queued" && l.runId === runId, timeoutMs);
  const finished = await daemon.waitForLog((l) => l.event === "run.finished" && l.runId === runId && l.status !== "failure", timeoutMs);
  return { queued, finished, waitedMs: Date.now() - since };
}

/** A run's log lines and its attempts, read from the database. */
export async function runLog(databaseUrl: string, runId: number): Promise<{ attempts: number; lines: string[] }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [run] = await sql<{ attempts: number }[]>`SELECT attempts FROM runs WHERE id = ${runId}`;
    const lines = await sql<{ message: string }[]>`SELECT message FROM run_events WHERE run_id = ${runId} ORDER BY seq`;
    return { attempts: run!.attempts, lines: lines.map((l) => l.message) };
  } finally {
    await sql.end();
  }
}
