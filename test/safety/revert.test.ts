// Undo a run: every user, profile, membership and ledger row the run changed goes back exactly as
// it was before the run (full dumps of the affected rows compared); a revert is a run that can be
// reverted; later changes to the same users make it refuse unless forced. On PGlite and PostgreSQL.
import { expect, test } from "bun:test";
import { revertRun, RevertError } from "../../src/engine/index.ts";
import { applyFeed, dumpStore, json, logOf, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";
import { AFFECTED, people } from "./helpers.ts";

const GROUPS = [
  { code: "staff", managed: true, profileType: "test:type:staff", pastProfileType: "test:type:staff-past" },
  { code: "students", managed: true, profileType: "test:type:student", pastProfileType: "test:type:student-past" },
  { code: "ethics-panel", managed: false },
];
const CONTROL = simpleControl([{ source: "job", destination: "profile", name: "std:attribute:job-title" }]);
const settings = { blockAfterAbsentRuns: 2 };

describeEachBackend("revert", GROUPS, (t) => {
  const store = () => t().store;
  const db = () => t().store.db;
  const dump = () => dumpStore(store(), AFFECTED);
  const user = async (username: string): Promise<any> => (await db().query<Record<string, any>>("SELECT * FROM users WHERE username = $1", [username]))[0];

  const everyone = () => [
    ...people(4, 1, (n) => ({ job: `Job ${n}` })),
    person("A"),
    person("B"),
    person("R"),
    person("X"),
    person("E"),
    person("W", { note: "unread by the control file" }),
  ];
  const without = (...ids: string[]) => everyone().filter((p) => !ids.includes(p.id));

  /** Runs 1–3 set the scene; run 4 does a bit of everything the engine can do. Returns run 4. */
  async function busyRun() {
    await applyFeed(store(), CONTROL, { staff: json(everyone()) }, { settings });
    await applyFeed(store(), CONTROL, { staff: json(without("R")) }, { settings });
    await applyFeed(store(), CONTROL, { staff: json(without("R", "A")) }, { settings }); // R blocked, A pending
    expect((await user("r")).active).toBe(false);
    await db().query("UPDATE users SET profile_id = NULL WHERE username = 'x'"); // a user whose profile went missing
    const before = await dump();
    const feed = [
      ...people(4, 1, (n) => (n === 1 ? { job: "Job 1", last: "Renamed" } : n === 2 ? { job: "Job 2", groups: ["students"] } : { job: `Job ${n}` })),
      person("R"), // comes back: unblocked
      person("X", { last: "Changed" }), // updated, and gets a new profile object (its own went missing)
      person("E", { email: "broken" }), // rejected: keeps their last good state, flagged in error
      person("W", { note: "changed, but not read" }), // raw record changed only
      person("NEW1", { groups: ["staff", "ethics-panel"] }), // created
      // A absent twice: blocked; B absent once: pending leaver
    ];
    const run = await applyFeed(store(), CONTROL, { staff: json(feed) }, { settings });
    expect(run.counts).toMatchObject({ create: 1, update: 3, unblock: 1, block: 1, pendingLeaver: 1, reject: 1 });
    return { run, before, after: await dump() };
  }

  test("a revert puts every user, profile, membership and ledger row back exactly as before the run", async () => {
    const { run, before, after } = await busyRun();
    expect(after).not.toBe(before);
    const revert = await revertRun(store(), run.runId, { by: "alice" });
    expect(revert).toMatchObject({ status: "complete", targetRunId: run.runId, counts: { deleted: 1, recreated: 0 }, conflicts: [] });
    expect(revert.counts.restored).toBeGreaterThanOrEqual(8);
    expect(await dump()).toBe(before);
    const log = await logOf(store(), revert.runId);
    expect(log).toContain(`revert new1: delete the user and their profile (created by run ${run.runId})`);
    expect(log).toContain(`revert a: back to the state before run ${run.runId}`);
    const [row] = await db().query<any>("SELECT kind, status, based_on_run_id FROM runs WHERE id = $1", [revert.runId]);
    expect(row).toEqual({ kind: "revert", status: "complete", based_on_run_id: run.runId });
  });

  test("a dry run of the revert shows field by field what would go back, and changes nothing", async () => {
    const { run, after } = await busyRun();
    const dry = await revertRun(store(), run.runId, { by: "alice", dryRun: true });
    expect(dry.status).toBe("dry-run");
    expect(await dump()).toBe(after);
    const [event] = await db().query<{ detail: any }>("SELECT detail FROM run_events WHERE run_id = $1 AND username = 'a' AND action = 'revert'", [dry.runId]);
    expect(event!.detail.changes).toMatchObject({ active: [false, true], blocked_by: ["sync", null], "ledger.in_feed": [false, true], "profile.types": [["test:type:staff-past"], ["test:type:staff"]] });
    const [u2] = await db().query<{ detail: any }>("SELECT detail FROM run_events WHERE run_id = $1 AND username = 'u0002'", [dry.runId]);
    expect(u2!.detail.changes.groups).toEqual([["students"], ["staff"]]);
    expect((await logOf(store(), dry.runId)).at(-1)).toContain("Dry run: nothing was applied.");
    // the real revert still works afterwards
    expect((await revertRun(store(), run.runId, { by: "alice" })).status).toBe("complete");
  });

  test("a revert is itself a run that can be reverted: undoing it brings back the state after the run", async () => {
    const { run, after } = await busyRun();
    const revert = await revertRun(store(), run.runId, { by: "alice" });
    const undo = await revertRun(store(), revert.runId, { by: "alice" });
    expect(undo.counts).toMatchObject({ recreated: 1, deleted: 0 });
    expect(await dump()).toBe(after);
  });

  test("a revert is refused when a later run changed the same users, names the runs, and goes ahead with force", async () => {
    const { run } = await busyRun();
    const later = await applyFeed(store(), CONTROL, { staff: json([person("U0001", { job: "Job 1", last: "Again" })]) }, { settings });
    let error: unknown;
    try {
      await revertRun(store(), run.runId, { by: "alice" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RevertError);
    expect((error as Error).message).toMatch(new RegExp(`^Some users of run ${run.runId} changed after it: \\d+ changed again by run ${later.runId}\\. Reverting would undo those later changes too, so the revert is refused\\.`));
    expect((await user("u0001")).name_last).toBe("Again");
    const dry = await revertRun(store(), run.runId, { by: "alice", dryRun: true });
    expect(dry.conflicts[0]).toMatchObject({ runId: later.runId });

    const forced = await revertRun(store(), run.runId, { by: "alice", force: true });
    expect(forced.status).toBe("complete");
    expect((await user("u0001")).name_last).toBe("Last U0001");
    expect((await logOf(store(), forced.runId)).some((l) => l.startsWith("WARNING: Some users of run") && l.includes("Forced:"))).toBe(true);
    // a user the later run did not touch is back as before run 4 too
    expect(await user("a")).toMatchObject({ active: true, blocked_by: null });
  });

  test("a revert is refused when an account was changed outside the sync since the run", async () => {
    const { run } = await busyRun();
    // u0003 was not changed by the run: editing it is no conflict; u0001 was
    await db().query("UPDATE users SET title = 'Dr', updated_at = now() + interval '1 second' WHERE username IN ('u0001', 'u0003')");
    await expect(revertRun(store(), run.runId, { by: "alice" })).rejects.toThrow(
      `Some users of run ${run.runId} changed after it: 1 changed outside the sync since. Reverting would undo those later changes too, so the revert is refused.`,
    );
    expect((await user("u0001")).title).toBe("Dr");
  });

  test("a run that changed nothing, or was reverted already, is not reverted (again)", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(3)) });
    const same = await applyFeed(store(), CONTROL, { staff: json(people(3)) });
    await expect(revertRun(store(), same.runId, { by: "alice" })).rejects.toThrow(`Run ${same.runId} (complete) changed no user: there is nothing to revert`);
    const changed = await applyFeed(store(), CONTROL, { staff: json(people(2)) });
    const revert = await revertRun(store(), changed.runId, { by: "alice" });
    await expect(revertRun(store(), changed.runId, { by: "alice" })).rejects.toThrow(
      `Run ${changed.runId} was already reverted by run ${revert.runId}; to undo that revert, revert run ${revert.runId}`,
    );
    await expect(revertRun(store(), 999, { by: "alice" })).rejects.toThrow("There is no run 999");
  });

  test("after a revert, the next run of the same feed applies it again, and the received-data timeline is kept", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(3)) });
    const change = await applyFeed(store(), CONTROL, { staff: json(people(3, 1, () => ({ job: "Changed" }))) });
    const timeline = await db().query("SELECT * FROM received_records ORDER BY id");
    await revertRun(store(), change.runId, { by: "alice" });
    expect(await db().query("SELECT * FROM received_records ORDER BY id")).toEqual(timeline);
    const again = await applyFeed(store(), CONTROL, { staff: json(people(3, 1, () => ({ job: "Changed" }))) });
    expect(again.counts).toMatchObject({ update: 3 });
    expect(await db().query("SELECT * FROM received_records ORDER BY id")).toEqual(timeline);
  });
});
