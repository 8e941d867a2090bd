// Retention (usersync.json `retention`): old batch files, per-user history and run logs age out;
// open runs, the latest complete run's files and each user's latest record never do.
import { expect, test } from "bun:test";
import { applyRetention } from "../../src/ops/retention.ts";
import type { Store } from "../../src/store/index.ts";
import { applyFeed, json, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";

const DAY = 86_400_000;
const settings = { batchFilesDays: 30, receivedRecordsDays: 30, runLogDays: 30 };

async function age(store: Store, runIds: number[], days: number) {
  const at = new Date(Date.now() - days * DAY).toISOString();
  for (const id of runIds) {
    await store.db.query("UPDATE runs SET created_at = $2::timestamptz, finished_at = $2::timestamptz WHERE id = $1", [id, at]);
    await store.db.query("UPDATE received_records SET created_at = $2::timestamptz WHERE run_id = $1", [id, at]);
  }
}

async function filesOf(store: Store, runId: number) {
  return store.db.query<{ name: string; digest: string; removed_at: Date | null; removed_reason: string | null }>(
    "SELECT name, digest, removed_at, removed_reason FROM run_files WHERE run_id = $1 ORDER BY name",
    [runId],
  );
}

describeEachBackend("retention", [{ code: "staff", managed: true }], (t) => {
  async function threeRuns() {
    const { store } = t();
    const r1 = await applyFeed(store, simpleControl(), { staff: json([person("ann", { last: "One" }), person("bob")]) });
    const r2 = await applyFeed(store, simpleControl(), { staff: json([person("ann", { last: "Two" }), person("bob")]) });
    const r3 = await applyFeed(store, simpleControl(), { staff: json([person("ann", { last: "Three" }), person("bob")]) });
    return [r1.runId, r2.runId, r3.runId] as const;
  }

  test("deletes the batch files, old received records and logs of runs past the limit; the run and its counts stay", async () => {
    const { store } = t();
    const [r1, r2, r3] = await threeRuns();
    await age(store, [r1, r2], 100);
    const staff1 = (await filesOf(store, r1)).find((f) => f.name === "staff")!;
    const control = (await filesOf(store, r3)).find((f) => f.name === "_control")!;

    const dry = await applyRetention(store, settings, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, batchFiles: { runs: 2, files: 2 }, receivedRecords: 2 });
    expect(dry.runEvents).toBeGreaterThan(0);
    expect(store.files.has(staff1.digest)).toBe(true);
    expect((await filesOf(store, r1)).every((f) => f.removed_at === null)).toBe(true);

    const done = await applyRetention(store, settings);
    expect(done).toEqual({ ...dry, dryRun: false });
    // Runs 1 and 2: their files are marked removed; unique bytes deleted; the control file, shared with run 3, kept.
    for (const id of [r1, r2]) expect((await filesOf(store, id)).map((f) => f.removed_reason)).toEqual(["retention", "retention"]);
    expect(store.files.has(staff1.digest)).toBe(false);
    expect(store.files.has(control.digest)).toBe(true);
    expect((await filesOf(store, r3)).every((f) => f.removed_at === null && store.files.has(f.digest))).toBe(true);
    // Received data: ann's two old records went; her latest and bob's only record (old, but his latest) stay.
    const received = await store.db.query<{ username: string; run_id: number }>("SELECT username, run_id FROM received_records ORDER BY username, run_id");
    expect(received).toEqual([
      { username: "ann", run_id: r3 },
      { username: "bob", run_id: r1 },
    ]);
    // Logs of the old runs are gone, the runs and their counts are not.
    const events = await store.db.query<{ run_id: number }>("SELECT DISTINCT run_id FROM run_events ORDER BY run_id");
    expect(events.map((e) => e.run_id)).toEqual([r3]);
    const runs = await store.db.query<{ id: number; counts: { records: number } }>("SELECT id, counts FROM runs ORDER BY id");
    expect(runs.map((r) => [r.id, r.counts.records])).toEqual([[r1, 2], [r2, 2], [r3, 2]]);
    const [audit] = await store.db.query<{ action: string }>("SELECT action FROM audit_log WHERE action = 'retention'");
    expect(audit).toBeDefined();
    // Applying again finds nothing more to do.
    expect(await applyRetention(store, settings)).toMatchObject({ batchFiles: { files: 0, runs: 0 }, receivedRecords: 0, runEvents: 0, runChanges: 0 });
  });

  test("never deletes the latest complete run's files, nor anything of a run still held", async () => {
    const { store } = t();
    const [r1, r2, r3] = await threeRuns();
    const held = await applyFeed(store, simpleControl(), { staff: json([person("ann")]) }, { safety: async () => ({ held: true, checks: [] }) });
    await age(store, [r1, r2, r3, held.runId], 400);
    await applyRetention(store, settings);
    expect((await filesOf(store, r3)).map((f) => f.removed_at)).toEqual([null, null]);
    expect((await filesOf(store, held.runId)).map((f) => f.removed_at)).toEqual([null, null]);
    expect((await filesOf(store, r2)).map((f) => f.removed_reason)).toEqual(["retention", "retention"]);
    const events = await store.db.query<{ run_id: number }>("SELECT DISTINCT run_id FROM run_events ORDER BY run_id");
    expect(events.map((e) => e.run_id)).toEqual([held.runId]);
  });
});
