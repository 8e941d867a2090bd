// Scale-out on PostgreSQL: several processes against one database and one shared folder of batch
// files. Only one applies a run at a time (pg_advisory_xact_lock(APPLY_LOCK) around the apply
// transaction), so the same feed applied by two processes at once is applied once: the first
// creates the users, the second finds them unchanged.
//
// (The daemon-level test — two `usersync serve` against one server, uploads to both — is
// test/ops/two-daemons.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createRunFromFiles } from "../../src/batch/index.ts";
import { loadControl } from "../../src/control/index.ts";
import { applyConfigGroups } from "../../src/engine/index.ts";
import { APPLY_LOCK, openStore, type Store } from "../../src/store/index.ts";
import { DEFAULT_SETTINGS, json, person, simpleControl } from "../helpers/feeds.ts";
import { BACKENDS, createPostgresDatabase } from "../helpers/store.ts";

const N = 3000;
const WORKER = join(import.meta.dir, "apply-run-worker.ts");

describe.skipIf(!BACKENDS.includes("postgres"))("two processes applying runs against one PostgreSQL", () => {
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  let store: Store;
  let admin: postgres.Sql;
  /** A second connection: `admin` is busy holding the lock inside its transaction. */
  let watch: postgres.Sql;
  let feedPath: string;

  beforeAll(async () => {
    db = await createPostgresDatabase();
    dir = mkdtempSync(join(tmpdir(), "usersync-scale-"));
    // Two "instances": each has its own data folder, both share the database and the files folder.
    store = await openStore({ dataDir: join(dir, "a"), databaseUrl: db.url, filesDir: join(dir, "shared-files") });
    await applyConfigGroups(store.db, [{ code: "staff", managed: true }]);
    feedPath = join(dir, "staff.json");
    writeFileSync(feedPath, json(Array.from({ length: N }, (_, i) => person(`u${i}`))));
    admin = postgres(db.url, { max: 1, onnotice: () => {} });
    watch = postgres(db.url, { max: 1, onnotice: () => {} });
  }, 60_000);

  afterAll(async () => {
    await admin.end();
    await watch.end();
    await store.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const newRun = () => createRunFromFiles(store, loadControl(simpleControl(), DEFAULT_SETTINGS), [{ name: "staff", path: feedPath }], { source: "test" });

  function spawnApply(runId: number, instance: string) {
    return Bun.spawn([process.execPath, WORKER, String(runId)], {
      env: { ...process.env, DATABASE_URL: db.url, USERSYNC_DATA: join(dir, instance), USERSYNC_FILES_DIR: join(dir, "shared-files") },
      stdout: "pipe",
      stderr: "pipe",
    });
  }
  async function outcomeOf(proc: ReturnType<typeof spawnApply>) {
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`worker exited ${code}: ${err}`);
    return JSON.parse(out) as { runId: number; status: string; counts: Record<string, number> };
  }
  async function waitersOnApplyLock(): Promise<number> {
    const [row] = await watch`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = ${APPLY_LOCK} AND a.datname = current_database()`;
    return row!.n as number;
  }
  async function until(check: () => Promise<boolean>, what: string) {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(25);
    }
  }

  test("a process waits for the apply lock another instance holds, applying nothing until it is released", async () => {
    const runId = await newRun();
    let proc: ReturnType<typeof spawnApply> | null = null;
    await admin.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${APPLY_LOCK})`; // "another daemon" is mid-apply
      proc = spawnApply(runId, "b");
      await until(async () => (await waitersOnApplyLock()) === 1, "the process to wait on the apply lock");
      const [run] = await tx`SELECT status FROM runs WHERE id = ${runId}`;
      expect(run!.status).toBe("running");
      expect((await tx`SELECT count(*)::int AS n FROM users`)[0]!.n).toBe(0);
    });
    const outcome = await outcomeOf(proc!);
    expect(outcome.status).toBe("complete");
    expect(outcome.counts.create).toBe(N);
    expect((await admin`SELECT count(*)::int AS n FROM users`)[0]!.n).toBe(N);
  }, 60_000);

  test("the same feed applied by two processes at once is applied once: one changes everything, the other nothing", async () => {
    await store.db.exec("TRUNCATE users, objects, memberships, sync_ledger, received_records, run_changes CASCADE");
    const first = await newRun();
    const second = await newRun();
    let procs: ReturnType<typeof spawnApply>[] = [];
    // Hold the lock until BOTH processes are inside executeRun and waiting for it, so that they
    // really overlap; then let them race.
    await admin.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${APPLY_LOCK})`;
      procs = [spawnApply(first, "a2"), spawnApply(second, "b2")];
      await until(async () => (await waitersOnApplyLock()) === 2, "both processes to wait on the apply lock");
    });
    const outcomes = await Promise.all(procs.map(outcomeOf));
    expect(outcomes.map((o) => o.status)).toEqual(["complete", "complete"]);
    const creates = outcomes.map((o) => o.counts.create).sort();
    expect(creates).toEqual([0, N]);
    expect(outcomes.map((o) => o.counts.unchanged).sort()).toEqual([0, N]);
    expect((await admin`SELECT count(*)::int AS n FROM users`)[0]!.n).toBe(N);
    expect((await admin`SELECT count(*)::int AS n FROM sync_ledger`)[0]!.n).toBe(N);
    // (That the second found all N unchanged shows it classified only after the first had committed:
    // the lock, not luck, ordered them — both were already waiting on it when it was released.)
  }, 120_000);
});
