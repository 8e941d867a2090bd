// The daemon's periodic chores: the stale-feed check and retention run on their timers, alert once,
// and stop cleanly.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startHousekeeping } from "../../src/ops/housekeeping.ts";
import { applyFeed, json, person, simpleControl } from "../helpers/feeds.ts";
import { openTestStore, resetStore, type TestStore } from "../helpers/store.ts";

let ts: TestStore;
let web: ReturnType<typeof Bun.serve>;
const received: string[] = [];

beforeAll(async () => {
  ts = await openTestStore("pglite");
  await resetStore(ts.store, [{ code: "staff", managed: true }]);
  web = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: async (r) => (received.push(await r.text()), new Response("ok")) });
}, 60_000);
afterAll(async () => {
  web.stop(true);
  await ts.close();
});

test("runs the stale-feed check and retention on their timers; the alert goes out once", async () => {
  const { store } = ts;
  const old = await applyFeed(store, simpleControl(), { staff: json([person("ann")]) });
  await applyFeed(store, simpleControl(), { staff: json([person("ann", { last: "New" })]) });
  // The last complete run finished ten days ago: every daily deadline since has been missed.
  await store.db.query("UPDATE runs SET created_at = now() - interval '10 days', finished_at = now() - interval '10 days'");
  const housekeeping = startHousekeeping({
    store,
    config: {
      notifications: { hostname: "h", webhooks: [{ url: `http://127.0.0.1:${web.port}/`, format: "json" }], staleFeed: { expectBy: "0 6 * * *" } },
      retention: { batchFilesDays: 5 },
    },
    staleCheckEveryMs: 30,
    retentionFirstAfterMs: 10,
    retentionEveryMs: 40,
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [retained] = await store.db.query("SELECT 1 FROM audit_log WHERE action = 'retention' LIMIT 1");
    if (retained && received.length) break;
    await Bun.sleep(20);
  }
  await Bun.sleep(200); // several more checks
  await housekeeping.stop();
  expect(received.length).toBe(1);
  expect(JSON.parse(received[0]!)).toMatchObject({ event: "stale-feed", status: "stale" });
  const files = await store.db.query<{ run_id: number; removed_reason: string | null }>("SELECT run_id, removed_reason FROM run_files ORDER BY run_id, name");
  expect(files.filter((f) => f.run_id === old.runId).map((f) => f.removed_reason)).toEqual(["retention", "retention"]);
  expect(files.filter((f) => f.run_id !== old.runId).map((f) => f.removed_reason)).toEqual([null, null]); // the latest complete run's
  // Stopped means stopped.
  const audits = (await store.db.query("SELECT 1 FROM audit_log WHERE action = 'retention'")).length;
  await Bun.sleep(150);
  expect((await store.db.query("SELECT 1 FROM audit_log WHERE action = 'retention'")).length).toBe(audits);
}, 60_000);
