// Replay: a past run's files, dry-run against today's store. It changes nothing, and its plan is
// what today's store would get. On PGlite and PostgreSQL.
import { expect, test } from "bun:test";
import { DEFAULT_SAFETY, replayRun } from "../../src/engine/index.ts";
import { applyFeed, DEFAULT_SETTINGS, dumpStore, json, logOf, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";
import { checkOf, people } from "./helpers.ts";

const GROUPS = [{ code: "staff", managed: true, profileType: "test:type:staff", pastProfileType: "test:type:staff-past" }];
const CONTROL = simpleControl();

describeEachBackend("replay", GROUPS, (t) => {
  const store = () => t().store;

  test("replaying a past run changes nothing and plans it against today's store, with today's safety verdict", async () => {
    const old = await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    await applyFeed(store(), CONTROL, { staff: json([...people(9), person("LATE")]) }); // today: u0010 blocked, late created
    const before = await dumpStore(store());
    const runsBefore = (await store().db.query("SELECT id FROM runs")).length;

    const replay = await replayRun(store(), old.runId, { settings: DEFAULT_SETTINGS, safety: DEFAULT_SAFETY });
    expect(replay.status).toBe("dry-run");
    expect(await dumpStore(store())).toBe(before);
    expect((await store().db.query("SELECT id FROM runs")).length).toBe(runsBefore + 1);
    // against today's store: u0010 would come back, late would be blocked (10 % of 10 users: within the bound)
    expect(replay.counts).toMatchObject({ create: 0, unblock: 1, block: 1, unchanged: 9 });
    expect(checkOf(replay, "blocks")).toMatchObject({ tripped: false, figures: { blocks: 1, usersInFeed: 10 } });
    const log = await logOf(store(), replay.runId);
    expect(log).toContain("reactivate u0010");
    expect(log).toContain("block late");
    expect(log).toContain("Dry run: nothing was applied");
    const [row] = await store().db.query<any>("SELECT kind, status, based_on_run_id, dry_run, applied_at FROM runs WHERE id = $1", [replay.runId]);
    expect(row).toEqual({ kind: "replay", status: "dry-run", based_on_run_id: old.runId, dry_run: true, applied_at: null });
    const files = await store().db.query<{ name: string; digest: string }>(
      "SELECT name, digest FROM run_files WHERE run_id IN ($1, $2) ORDER BY name, run_id",
      [old.runId, replay.runId],
    );
    expect(files[0]!.digest).toBe(files[1]!.digest); // _control: the same pinned bytes
    expect(files[2]!.digest).toBe(files[3]!.digest); // staff
  });

  test("replaying a run that was held shows whether today's store would still hold it", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const held = await applyFeed(store(), CONTROL, { staff: json(people(3)) }, { safety: async () => ({ held: true, hold: "run", checks: [] }) });
    expect(held.status).toBe("held");
    const replay = await replayRun(store(), held.runId, { settings: DEFAULT_SETTINGS, safety: DEFAULT_SAFETY });
    expect(replay.safety).toMatchObject({ held: true });
    expect(checkOf(replay, "blocks")).toMatchObject({ tripped: true, figures: { blocks: 7 } });
    expect((await store().db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE active"))[0]!.n).toBe(10);
  });

  test("replaying a run that does not exist is an error", async () => {
    await expect(replayRun(store(), 42, { settings: DEFAULT_SETTINGS, safety: DEFAULT_SAFETY })).rejects.toThrow("There is no run 42");
  });
});
