// Zip-bomb-like repetition: small or highly repetitive input that could cost far more than its
// size — one record repeated 100,000 times (a file that compresses to almost nothing), one record
// whose group list names the same group 100,000 times — applied by the engine on both databases:
// each costs in proportion to its bytes, once, and ends in a bounded log and a bounded store.
import { afterAll, expect, test } from "bun:test";
import { applyFeed, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";
import { recordFigures } from "./helpers.ts";

const REPEATS = 100_000;
const figures: Record<string, unknown> = {};
afterAll(() => recordFigures("repetition", "zip-bomb-like repetition", figures));

function rssMB(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}

describeEachBackend("zip-bomb-like repetition", [{ code: "staff", managed: true }], (t) => {
  test(`one record repeated ${REPEATS.toLocaleString("en")} times: one user, every other record a duplicate in the log, memory bounded`, async () => {
    const { store, backend } = t();
    const record = JSON.stringify(person("same"));
    const file = `[${Array(REPEATS).fill(record).join(",\n")}]`;
    const gzipped = Bun.gzipSync(new TextEncoder().encode(file)).length;
    Bun.gc(true);
    const before = rssMB();
    const started = performance.now();
    const outcome = await applyFeed(store, simpleControl(), { staff: file });
    const seconds = (performance.now() - started) / 1000;
    const growth = rssMB() - before;
    expect(outcome.status).toBe("complete");
    expect(outcome.counts!.create).toBe(1);
    expect(outcome.counts!.duplicates).toBe(REPEATS - 1);
    const [{ users }] = (await store.db.query<{ users: number }>("SELECT count(*)::int AS users FROM users")) as [{ users: number }];
    expect(users).toBe(1);
    // one line per duplicate, as Haplo logged them: the log grows with the file, never faster
    const [{ lines, bytes }] = (await store.db.query<{ lines: number; bytes: number }>(
      "SELECT count(*)::int AS lines, coalesce(sum(length(message)), 0)::int AS bytes FROM run_events WHERE run_id = $1",
      [outcome.runId],
    )) as [{ lines: number; bytes: number }];
    expect(lines).toBeGreaterThanOrEqual(REPEATS - 1);
    expect(bytes).toBeLessThan(file.length);
    expect(growth).toBeLessThan(500);
    figures[`${backend}: one record repeated`] = {
      records: REPEATS,
      fileMB: Math.round(file.length / 1048576),
      gzippedKB: Math.round(gzipped / 1024),
      usersCreated: 1,
      duplicatesLogged: outcome.counts!.duplicates,
      logLines: lines,
      logMB: Math.round((bytes / 1048576) * 10) / 10,
      seconds: Math.round(seconds * 10) / 10,
      rssGrowthMB: growth,
      boundMB: 500,
    };
  }, 120_000);

  test(`one record naming the same group ${REPEATS.toLocaleString("en")} times: one membership`, async () => {
    const { store, backend } = t();
    const file = JSON.stringify([person("many", { groups: Array(REPEATS).fill("staff") }), person("other")]);
    const started = performance.now();
    const outcome = await applyFeed(store, simpleControl(), { staff: file });
    const seconds = (performance.now() - started) / 1000;
    expect(outcome.status).toBe("complete");
    expect(outcome.counts!.create).toBe(2);
    const [{ memberships }] = (await store.db.query<{ memberships: number }>(
      "SELECT count(*)::int AS memberships FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'many'",
    )) as [{ memberships: number }];
    expect(memberships).toBe(1);
    figures[`${backend}: one group named repeatedly`] = { groupValues: REPEATS, fileKB: Math.round(file.length / 1024), memberships, seconds: Math.round(seconds * 10) / 10 };
  }, 120_000);
});
