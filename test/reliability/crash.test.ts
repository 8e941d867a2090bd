// Crash safety: the real daemon on a real PostgreSQL database, killed with SIGKILL at seeded random
// points while it applies a run that creates, updates and blocks thousands of users. After every
// kill the store is exactly as before the run or exactly as after it (a digest of users, profile
// objects, memberships and the ledger, against a clean reference run), never in between; the
// restarted daemon marks the interrupted run failed, and the run re-applied ends in the "after" state.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import postgres from "postgres";
import { feedControl, nextDay, population, writeFeed } from "../../bench/feed.ts";
import { reapplyRun } from "../../src/batch/index.ts";
import { openStore } from "../../src/store/index.ts";
import { api, createSite, upload, type RunningDaemon, type Site } from "../daemon/helpers.ts";
import { BACKENDS } from "../helpers/store.ts";
import { adminSql, dbName, dbUrl, mulberry32, recordFigures, SEED, storeDigest, waitNoSessions } from "./helpers.ts";

/** The brief's 20–50k: the apply takes 1.6 s here, and 20 kills with their restarts about 90 s. */
const USERS = Number(process.env.RELIABILITY_CRASH_USERS ?? 20_000);
const KILLS = Number(process.env.RELIABILITY_KILLS ?? 20);
const NO_SAFETY = Object.fromEntries(
  ["firstRun", "emptyFeed", "blocks", "fileChange", "schemaDrift", "fieldChange", "errors", "duplicates"].map((k) => [k, { enabled: false }]),
);

describe.skipIf(!BACKENDS.includes("postgres"))("crash safety: SIGKILL during an apply [postgres]", () => {
  let site: Site;
  let base: string;
  const copies: string[] = [];
  let before: Awaited<ReturnType<typeof storeDigest>>;
  let after: Awaited<ReturnType<typeof storeDigest>>;
  let applyMs = 0;
  const RUN = 2;

  const copy = async (label: string) => {
    const name = `${base}_${label}`;
    const sql = adminSql();
    await sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${base}`);
    await sql.end();
    copies.push(name);
    return name;
  };
  const drop = async (name: string) => {
    const sql = adminSql();
    await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await sql.end();
  };
  const runRow = async (name: string, id: number) => {
    const db = postgres(dbUrl(name), { max: 1, onnotice: () => {} });
    try {
      const [row] = await db<{ status: string; message: string | null }[]>`SELECT status, message FROM runs WHERE id = ${id}`;
      return row ?? null;
    } finally {
      await db.end();
    }
  };

  beforeAll(async () => {
    site = await createSite("postgres", { config: { http: { maxUploadBytes: 256 * 1024 * 1024 }, safety: NO_SAFETY } });
    base = dbName(site.env.DATABASE_URL!);
    const day1 = join(site.dir, "day1");
    const day2 = join(site.dir, "day2");
    await writeFeed(day1, population(USERS));
    // the run under test creates, updates, blocks and unblocks nothing by halves: 30 % changed, 5 % gone, 5 % new
    await writeFeed(day2, nextDay(USERS, { removed: USERS / 20, added: USERS / 20, changed: (USERS * 3) / 10 }, SEED));
    const control = join(site.dir, "control.json");
    await Bun.write(control, feedControl());
    const daemon = await site.start();
    await upload(daemon, site.apiKey, "_control", control);
    for (const [name, file] of [["staff", "staff.json"], ["students", "students.tsv"], ["others", "others.json"]]) await upload(daemon, site.apiKey, name!, join(day1, file!));
    expect((await api(daemon, site.apiKey, "/start-sync", { method: "POST" })).status).toBe(200);
    const first = await daemon.waitForLog((l) => l.event === "run.finished" && l.runId === 1, 120_000);
    expect(first.status).toBe("complete");
    // day 2 is uploaded and left ready; the template has it queued, as start-sync leaves it
    for (const [name, file] of [["staff", "staff.json"], ["students", "students.tsv"], ["others", "others.json"]]) await upload(daemon, site.apiKey, name!, join(day2, file!));
    expect(await daemon.stop()).toBe(0);
    const db = postgres(site.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    const [queued] = await db`UPDATE runs SET status = 'queued' WHERE id = ${RUN} AND status = 'ready' RETURNING id`;
    await db.end();
    expect(queued).toBeDefined();
    before = await storeDigest(site.env.DATABASE_URL!);

    // the reference: the same run applied without a kill
    const reference = await copy("ref");
    const clean = await site.start({ DATABASE_URL: dbUrl(reference) });
    const finished = await clean.waitForLog((l) => l.event === "run.finished" && l.runId === RUN, 120_000);
    expect(finished.status).toBe("complete");
    applyMs = finished.durationMs as number;
    expect(await clean.stop()).toBe(0);
    after = await storeDigest(dbUrl(reference));
    await drop(reference);
    expect(after.digest).not.toBe(before.digest);
  }, 300_000);

  afterAll(async () => {
    for (const name of copies) await drop(name).catch(() => {});
    await site?.cleanup();
  });

  test(`${KILLS} kills at random points of the apply: the store is before or after, never between; re-applied, it ends after`, async () => {
    const random = mulberry32(SEED);
    const outcomes: { kill: number; delayMs: number; phase: string | null; found: "before" | "after"; recovered: boolean; reapplied: boolean }[] = [];
    for (let i = 1; i <= KILLS; i++) {
      const name = await copy(`k${i}`);
      const url = dbUrl(name);
      const daemon = await site.start({ DATABASE_URL: url, USERSYNC_LOG_LEVEL: "debug" });
      await daemon.waitForLog((l) => l.event === "run.started" && l.runId === RUN, 60_000);
      // anywhere from the start of the run to a little past its usual end (the commit and after)
      const delayMs = Math.round(random() * applyMs * 1.1);
      await Bun.sleep(delayMs);
      daemon.kill();
      await daemon.exited;
      const phase = (daemon.logs.filter((l) => l.event === "run.progress").at(-1)?.phase as string | undefined) ?? null;
      // the killed client's backend ends its transaction (commit already sent, or rollback)
      await waitNoSessions(name);
      const state = await storeDigest(url);
      expect([before.digest, after.digest]).toContain(state.digest);
      const found = state.digest === before.digest ? "before" : "after";

      // restart: an interrupted run is marked failed, with the reason
      const again = await site.start({ DATABASE_URL: url });
      let recovered = false;
      let reapplied = false;
      const run = await runRow(name, RUN);
      if (found === "before") {
        expect(run?.status).toBe("failure");
        expect(run?.message).toContain("Interrupted");
        recovered = again.logs.some((l) => l.event === "run.recovered" && l.runId === RUN);
        expect(recovered).toBe(true);
        expect((await storeDigest(url)).digest).toBe(before.digest);
        // re-applied (a new run with the same stored files), it completes: the upload was not lost
        expect(await again.stop()).toBe(0);
        const store = await openStore({ dataDir: site.env.USERSYNC_DATA!, databaseUrl: url, filesDir: join(site.env.USERSYNC_DATA!, "files") });
        const newRun = await reapplyRun(store, RUN, "test");
        await store.close();
        const third = await site.start({ DATABASE_URL: url });
        const done = await third.waitForLog((l) => l.event === "run.finished" && l.runId === newRun, 120_000);
        expect(done.status).toBe("complete");
        expect(await third.stop()).toBe(0);
        reapplied = true;
      } else {
        expect(run?.status).toBe("complete");
        expect(await again.stop()).toBe(0);
      }
      expect((await storeDigest(url)).digest).toBe(after.digest);
      outcomes.push({ kill: i, delayMs, phase, found, recovered, reapplied });
      await drop(name);
      copies.splice(copies.indexOf(name), 1);
    }
    const phases: Record<string, number> = {};
    for (const o of outcomes) phases[o.phase ?? "before-progress"] = (phases[o.phase ?? "before-progress"] ?? 0) + 1;
    recordFigures("crash", "SIGKILL during an apply", {
      users: USERS,
      runChanges: "30 % changed, 5 % removed (blocked), 5 % added",
      referenceApplyMs: applyMs,
      kills: outcomes.length,
      foundBefore: outcomes.filter((o) => o.found === "before").length,
      foundAfter: outcomes.filter((o) => o.found === "after").length,
      foundBetween: 0,
      reapplied: outcomes.filter((o) => o.reapplied).length,
      killPhases: phases,
      before: { users: before.users, active: before.active, memberships: before.memberships },
      after: { users: after.users, active: after.active, memberships: after.memberships },
      lost: "nothing",
      outcomes,
    });
  }, 600_000);
});
