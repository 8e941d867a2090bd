// Held runs: approve (the plan computed again against the store as it is now), reject, partial
// holds (the safe part applied, blocks and group removals wait), the notification hook, and
// explain-why for users a held or approved run concerns. On PGlite and PostgreSQL.
import { expect, test } from "bun:test";
import { ApprovalError, approveRun, explainUser, onRunHeld, rejectRun, type HeldRunEvent } from "../../src/engine/index.ts";
import { applyFeed, DEFAULT_SETTINGS, json, logOf, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";
import { checking, only, people } from "./helpers.ts";

const GROUPS = [
  { code: "staff", managed: true, profileType: "test:type:staff", pastProfileType: "test:type:staff-past" },
  { code: "students", managed: true, profileType: "test:type:student", pastProfileType: "test:type:student-past" },
  { code: "ethics-panel", managed: false },
];
const CONTROL = simpleControl();
const BLOCKS = { blocks: { maxUsers: 500, maxPercent: 10 } };

describeEachBackend("held runs", GROUPS, (t) => {
  const store = () => t().store;
  const db = () => t().store.db;
  const user = async (username: string): Promise<any> => (await db().query<Record<string, any>>("SELECT * FROM users WHERE username = $1", [username]))[0];
  const groupsOf = async (username: string) =>
    (
      await db().query<{ code: string }>(
        "SELECT g.code FROM memberships m JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id WHERE u.username = $1 ORDER BY g.code",
        [username],
      )
    ).map((r) => r.code);
  /** the run's before-images (what a revert would put back), as "action username" */
  const imagesOf = async (runId: number) =>
    (await db().query<{ line: string }>("SELECT action || ' ' || username AS line FROM run_changes WHERE run_id = $1 ORDER BY 1", [runId])).map((r) => r.line);
  const runRow = async (id: number): Promise<any> => (await db().query<Record<string, any>>("SELECT * FROM runs WHERE id = $1", [id]))[0];
  const approve = (runId: number, more: { force?: boolean } = {}) =>
    approveRun(store(), runId, { by: "alice", settings: DEFAULT_SETTINGS, safety: only(BLOCKS), ...more });

  test("approving a held run applies it, records who and when, and keeps the log of the hold above the new one", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const held = await applyFeed(store(), CONTROL, { staff: json(people(5)) }, { safety: checking(BLOCKS) });
    expect(held.status).toBe("held");
    expect((await user("u0010")).active).toBe(true);

    const approved = await approve(held.runId);
    expect(approved.status).toBe("complete");
    expect(approved.safety).toMatchObject({ held: false, approval: { by: "alice", held: { held: true, hold: "run" } } });
    expect(approved.safety!.checks.find((c) => c.name === "blocks")).toMatchObject({ tripped: true });
    expect((await user("u0010")).active).toBe(false);
    const row = await runRow(held.runId);
    expect(row).toMatchObject({ status: "complete", approved_by: "alice" });
    expect(row.approved_at).not.toBeNull();
    expect(row.applied_at).not.toBeNull();
    const log = await logOf(store(), held.runId);
    const heldAt = log.findIndex((l) => l.startsWith("HELD: "));
    const approvedAt = log.findIndex((l) => l.startsWith("APPROVED by alice"));
    expect(heldAt).toBeGreaterThan(-1);
    expect(approvedAt).toBeGreaterThan(heldAt);
    expect(log.slice(approvedAt)).toContain("block u0010");
    expect(log.slice(approvedAt)).toContain("Blocked 5 users");
    expect(log.slice(approvedAt)).toContain(
      "SAFETY blocks: TRIPPED (recorded: the run is approved). The plan blocks 5 users (50.0% of the 10 users in the feed before this run); the bound is 500 users or 10%.",
    );
    const [audit] = await db().query<any>("SELECT actor, action, target FROM audit_log WHERE action = 'run-approved'");
    expect(audit).toEqual({ actor: "alice", action: "run-approved", target: `run ${held.runId}` });
  });

  test("approval plans again against the store as it is now, not as it was when the run was held", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const held = await applyFeed(store(), CONTROL, { staff: json([...people(5), person("NEW1")]) }, { safety: checking(BLOCKS) });
    expect(held.counts).toMatchObject({ create: 1, block: 5 });
    // meanwhile an administrator creates an account named new1 by hand, and blocks u0009
    await db().query("INSERT INTO users (username, email, name_first, name_last) VALUES ('new1', 'own@example.org', 'Own', 'Account')");
    await db().query("UPDATE users SET active = false, blocked_by = 'admin' WHERE username = 'u0009'");
    const approved = await approve(held.runId);
    expect(approved.counts).toMatchObject({ create: 0, collisions: 1, block: 5 });
    expect(await user("new1")).toMatchObject({ email: "own@example.org", name_first: "Own" });
    expect(await user("u0009")).toMatchObject({ active: false, blocked_by: "admin" });
  });

  test("only a held run can be approved; one held before a newer applied run needs --force", async () => {
    const first = await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    await expect(approve(first.runId)).rejects.toThrow(new ApprovalError(`Run ${first.runId} is complete: only a held run can be approved`));
    await expect(approve(999)).rejects.toThrow("There is no run 999");
    const held = await applyFeed(store(), CONTROL, { staff: json(people(2)) }, { safety: checking(BLOCKS) });
    const newer = await applyFeed(store(), CONTROL, { staff: json(people(10)) }, { safety: checking(BLOCKS) });
    expect(newer.status).toBe("complete");
    await expect(approve(held.runId)).rejects.toThrow(`Run ${newer.runId} applied newer files after run ${held.runId} was held`);
    expect((await runRow(held.runId)).status).toBe("held");
    expect((await user("u0009")).active).toBe(true);
    const forced = await approve(held.runId, { force: true });
    expect(forced.status).toBe("complete");
    expect((await user("u0009")).active).toBe(false);
  });

  test("rejecting a held run applies nothing, says who and why, and it can no longer be approved", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const held = await applyFeed(store(), CONTROL, { staff: json(people(1)) }, { safety: checking(BLOCKS) });
    expect(await rejectRun(store(), held.runId, { by: "bob", reason: "truncated export" })).toEqual({ partlyApplied: false });
    expect(await runRow(held.runId)).toMatchObject({ status: "rejected", message: "Rejected by bob: truncated export", applied_at: null });
    expect((await logOf(store(), held.runId)).at(-1)).toBe("REJECTED by bob (truncated export): nothing more of this run will be applied.");
    expect((await db().query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE active"))[0]!.n).toBe(10);
    await expect(approve(held.runId)).rejects.toThrow(`Run ${held.runId} is rejected: only a held run can be approved`);
    await expect(rejectRun(store(), held.runId, { by: "bob" })).rejects.toThrow(`Run ${held.runId} is rejected: only a held run can be rejected`);
  });

  test("partial hold: creates and updates are applied, blocks and group removals wait; approval applies the rest", async () => {
    await applyFeed(store(), CONTROL, {
      staff: json([...people(8), person("MOVER", { groups: ["staff", "ethics-panel"] }), person("CHANGER")]),
    });
    const risky = { blocks: { maxUsers: 500, maxPercent: 10, onTrip: "hold-risky" as const } };
    const feed = json([...people(6), person("MOVER", { groups: ["students"] }), person("CHANGER", { last: "Renamed" }), person("NEWBIE")]);
    const partial = await applyFeed(store(), CONTROL, { staff: feed }, { safety: checking(risky) });
    expect(partial.status).toBe("held");
    expect(partial.safety).toMatchObject({ held: true, hold: "risky", heldPart: { blocks: 2, pendingLeavers: 0, usersWithGroupRemovals: 1, groupRemovals: 1 } });
    expect(partial.message).toBe("Held in part by safety checks (blocks): the safe part was applied; blocks and group removals wait for approval");
    // the safe part
    expect(await user("newbie")).toMatchObject({ active: true });
    expect(await user("changer")).toMatchObject({ name_last: "Renamed" });
    // the risky part waits: no block, and the user leaving a managed group is not touched at all
    expect(await user("u0007")).toMatchObject({ active: true, blocked_by: null });
    expect(await groupsOf("mover")).toEqual(["ethics-panel", "staff"]);
    expect(partial.log).toContain("block u0007 (held for approval)");
    expect(partial.log).toContain("update mover (held for approval)");
    expect(partial.log).toContain("create newbie");
    expect(partial.log.some((l) => l.startsWith("Blocked "))).toBe(false);
    expect((await runRow(partial.runId)).applied_at).not.toBeNull();
    // undo covers what was applied, and only that (the images are saved before the hold is decided)
    expect(await imagesOf(partial.runId)).toEqual(["create newbie", "update changer"]);

    const approved = await approve(partial.runId);
    expect(approved.status).toBe("complete");
    // what waited is applied now; what was applied before is unchanged
    expect(approved.counts).toMatchObject({ create: 0, update: 1, block: 2, groupsRemoved: 1, groupsAdded: 1 });
    expect(await user("u0007")).toMatchObject({ active: false, blocked_by: "sync" });
    expect(await groupsOf("mover")).toEqual(["ethics-panel", "students"]);
    expect(await user("changer")).toMatchObject({ name_last: "Renamed" });
    expect(await imagesOf(partial.runId)).toEqual(["block u0007", "block u0008", "create newbie", "update changer", "update mover"]);
  });

  test("each user a run changes has one undo image, labelled with what the run did to them", async () => {
    const ann = person("ANN"), bob = person("BOB"), cat = person("CAT"), dan = person("DAN"), eve = person("EVE");
    await applyFeed(store(), CONTROL, { staff: json([ann, bob, cat, dan, eve]) });
    await applyFeed(store(), CONTROL, { staff: json([ann, bob, cat, dan]) }); // eve leaves: blocked
    const run = await applyFeed(store(), CONTROL, {
      staff: json([
        { ...ann, last: "Renamed" }, // update
        bob, // unchanged: no image
        { ...cat, shoeSize: 42 }, // a column the control file does not read: unchanged, but its ledger moves on
        { ...eve, last: "Back" }, // returns with a changed record: unblock
        person("FAY"), // create
        { ...dan, email: "not an email" }, // a changed record with an error: reject, dan keeps his state
      ]),
    });
    expect(run.counts).toMatchObject({ create: 1, update: 1, unblock: 1, reject: 1 });
    expect(await imagesOf(run.runId)).toEqual(["create fay", "reject dan", "unblock eve", "unchanged cat", "update ann"]);
    // a dry run saves none
    const dry = await applyFeed(store(), CONTROL, { staff: json([ann]) }, { dryRun: true });
    expect(await imagesOf(dry.runId)).toEqual([]);
  });

  test("rejecting a partially held run keeps its safe part and says so", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const partial = await applyFeed(store(), CONTROL, { staff: json([...people(5), person("NEWBIE")]) }, {
      safety: checking({ blocks: { onTrip: "hold-risky" } }),
    });
    expect(await rejectRun(store(), partial.runId, { by: "bob" })).toEqual({ partlyApplied: true });
    expect((await logOf(store(), partial.runId)).at(-1)).toBe(
      `REJECTED by bob: nothing more of this run will be applied; the safe part applied when it was held stays (usersync revert ${partial.runId} undoes it).`,
    );
    expect(await user("newbie")).toBeDefined();
    expect((await user("u0010")).active).toBe(true);
  });

  test("a hold-risky trip on a plan with nothing risky in it applies in full, and the trip stays recorded", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const grown = await applyFeed(store(), CONTROL, { staff: json(people(15)) }, { safety: checking({ fileChange: { onTrip: "hold-risky" } }) });
    expect(grown.status).toBe("complete");
    expect(grown.safety).toMatchObject({ held: false, heldPart: { blocks: 0, pendingLeavers: 0, usersWithGroupRemovals: 0 } });
    expect(grown.safety!.checks[0]).toMatchObject({ name: "file-change", tripped: true });
    expect(await user("u0015")).toMatchObject({ active: true });
  });

  test("a hold-run check wins over a hold-risky one", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const run = await applyFeed(store(), CONTROL, { staff: json([...people(5), person("NEWBIE")]) }, {
      safety: checking({ blocks: { onTrip: "hold-risky" }, fileChange: { onTrip: "hold-run" } }),
    });
    expect(run.safety).toMatchObject({ held: true, hold: "run" });
    expect(await user("newbie")).toBeUndefined();
    expect(await imagesOf(run.runId)).toEqual([]); // nothing applied, nothing to undo
  });

  test("the held-run hook is called for held runs, with the verdict, and not for others", async () => {
    const events: HeldRunEvent[] = [];
    const stop = onRunHeld((e) => {
      events.push(e);
    });
    const failing = onRunHeld(() => {
      throw new Error("mail server down");
    });
    try {
      await applyFeed(store(), CONTROL, { staff: json(people(10)) }, { safety: checking({ firstRun: {} }) });
      expect(events.map((e) => [e.runId, e.hold])).toEqual([[1, "run"]]);
      expect(events[0]!.verdict.checks[0]).toMatchObject({ name: "first-run", tripped: true });
      expect(events[0]!.counts).toMatchObject({ create: 10 });
      await approve(1);
      await applyFeed(store(), CONTROL, { staff: json(people(10)) }, { safety: checking(BLOCKS) });
      expect(events.length).toBe(1);
    } finally {
      stop();
      failing();
    }
  });

  test("explain-why: blocked in run N, what its block check measured, who approved it; held runs that would change the user", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const held = await applyFeed(store(), CONTROL, { staff: json(people(5)) }, { safety: checking(BLOCKS) });
    let report = await explainUser(db(), "u0010");
    expect(report!.state.code).toBe("active");
    expect(report!.heldRuns).toEqual([{ runId: held.runId, hold: "run", checks: ["blocks"], planned: "block u0010", wasPlanned: true }]);
    expect(report!.state.details).toContain(`Run ${held.runId} is held by safety checks (blocks): it would do "block u0010" once approved.`);
    expect((await explainUser(db(), "u0001"))!.state.details).toContain(`Run ${held.runId} is held by safety checks (blocks): it does not change this user.`);

    await approve(held.runId);
    report = await explainUser(db(), "u0010");
    expect(report!.state.code).toBe("blocked-sync");
    expect(report!.state.summary).toStartWith(`Blocked by the sync in run ${held.runId}: they were no longer in the feed.`);
    expect(report!.state.details).toContain(
      `Run ${held.runId}'s block check: The plan blocks 5 users (50.0% of the 10 users in the feed before this run); the bound is 500 users or 10%.`,
    );
    expect(report!.state.details.some((d) => d.includes(`It had been held by safety checks (blocks) and was approved by alice on `))).toBe(true);
    expect(report!.history[0]).toMatchObject({ runId: held.runId, action: "block", approvedBy: "alice" });
    expect(report!.heldRuns).toEqual([]);
  });

  test("explain-why names the day an administrator blocked a user, on both databases", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(2)) });
    await db().query("UPDATE users SET active = false, blocked_by = 'admin', blocked_at = '2026-03-04T10:00:00Z' WHERE username = 'u0002'");
    const report = await explainUser(db(), "u0002");
    expect(report!.state.summary).toBe(
      "Blocked by an administrator on 2026-03-04. The sync does not unblock users an administrator blocked, whatever the feed says.",
    );
    expect(report!.user.blockedAt).toEqual(new Date("2026-03-04T10:00:00Z"));
  });

  test("explain-why shows a pending leaver with the runs they were absent from", async () => {
    const settings = { blockAfterAbsentRuns: 3 };
    await applyFeed(store(), CONTROL, { staff: json(people(3)) }, { settings });
    const a = await applyFeed(store(), CONTROL, { staff: json(people(2)) }, { settings });
    const b = await applyFeed(store(), CONTROL, { staff: json(people(2)) }, { settings });
    const report = await explainUser(db(), "u0003", 3);
    expect(report!.state.code).toBe("pending-leaver");
    expect(report!.state.summary).toBe(
      `Pending leaver: absent from the last 2 run(s) (run ${a.runId}, ${b.runId}); blocked once absent from 3 consecutive runs (sync.blockAfterAbsentRuns), so 1 more absent run(s) block them.`,
    );
    expect((await user("u0003")).active).toBe(true);
  });
});
