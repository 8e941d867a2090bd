// How fast the web UI's heaviest pages answer on a large store: a run whose log has over
// 100,000 lines (first, middle and last pages; filtered by level, action and username) and user
// search over 100,000 users. Each page is requested through the UI app itself (routing, queries,
// rendering), 5 times; the median is reported. On PGlite and PostgreSQL.
//
//   bun bench/ui-pages.ts [--users 100000] [--backends pglite,postgres]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRunFromFiles } from "../src/batch/index.ts";
import { resolveConfig } from "../src/config/index.ts";
import { loadControl } from "../src/control/index.ts";
import { applyConfigGroups, executeRun, type EngineSettings } from "../src/engine/index.ts";
import { openStore, type Store } from "../src/store/index.ts";
import { createAdmin, createSession } from "../src/web/auth/index.ts";
import { uiApp } from "../src/web/ui/index.ts";
import { createPostgresDatabase } from "../test/helpers/store.ts";
import { feedControl, feedGroups, makeUser, nextDay, population, writeFeed, type FeedUser } from "./feed.ts";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "100000" },
    backends: { type: "string", default: "pglite,postgres" },
    /** ANALYZE before measuring, as autovacuum will have done on a real server a minute after a run */
    analyze: { type: "boolean", default: false },
    explain: { type: "string" },
  },
});
const N = Number(values.users);
const settings: EngineSettings = { defaultType: "std:type:person", profileAttributes: [], userTags: [], onRecordError: "keep", blockAfterAbsentRuns: 1 };

async function apply(store: Store, dir: string, users: Iterable<FeedUser>): Promise<number> {
  const files = await writeFeed(dir, users);
  const runId = await createRunFromFiles(store, loadControl(feedControl(), settings), files, { source: "bench" });
  const outcome = await executeRun(store, runId, { settings });
  if (outcome.status !== "complete") throw new Error(`run ${runId}: ${outcome.status} ${outcome.message}`);
  return runId;
}

/** Day 2 with some records broken (no last name): sparse errors in a long log. */
function* dayTwo(): Generator<FeedUser> {
  let i = 0;
  for (const u of nextDay(N, { removed: N / 200, added: N / 200, changed: N / 20 })) yield ++i % 1000 === 0 ? { ...u, last: "" } : u;
}

async function median(fn: () => Promise<unknown>, times = 5): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

for (const backend of values.backends!.split(",")) {
  const dir = mkdtempSync(join(tmpdir(), `usersync-ui-bench-${backend}-`));
  const pg = backend === "postgres" ? await createPostgresDatabase() : null;
  const store = await openStore({ dataDir: join(dir, "data"), databaseUrl: pg?.url ?? null, filesDir: join(dir, "data", "files") });
  try {
    await applyConfigGroups(store.db, feedGroups());
    const t = performance.now();
    const first = await apply(store, join(dir, "day1"), population(N));
    const second = await apply(store, join(dir, "day2"), dayTwo());
    const [{ n: lines }] = (await store.db.query<{ n: number }>("SELECT count(*)::int AS n FROM run_events WHERE run_id = $1", [first])) as [{ n: number }];
    console.log(`\n${backend}: ${N.toLocaleString()} users; run ${first} has ${lines.toLocaleString()} log lines (set-up ${((performance.now() - t) / 1000).toFixed(0)} s)`);

    if (values.analyze) await store.db.exec("ANALYZE");
    if (values.explain) {
      const plan = await store.db.query<Record<string, string>>(`EXPLAIN ANALYZE ${values.explain}`);
      console.log(plan.map((r) => Object.values(r)[0]).join("\n"));
    }
    const admin = await createAdmin(store.db, "bench", "bench password 123");
    const { token } = await createSession(store.db, admin.id);
    const app = uiApp({ store, config: resolveConfig({ groups: feedGroups() }, null, { USERSYNC_DATA: dir }) });
    const get = async (path: string) => {
      const r = await app.request(path, { headers: { cookie: `usersync_session=${token}` } });
      if (r.status !== 200 && r.status !== 303) throw new Error(`${path}: ${r.status}`);
      return r.text();
    };
    const sample = makeUser(Math.floor(N / 2));
    const pages: [string, string][] = [
      ["run summary", `/runs/${first}`],
      ["log, first page (200 lines)", `/runs/${first}/log`],
      ["log, page from the middle", `/runs/${first}/log?after=${(Math.floor(N / 2) + 1) * 1000}`],
      ["log, last page", `/runs/${first}/log?before=${Number.MAX_SAFE_INTEGER}`],
      ["log, action=create, with changes open", `/runs/${first}/log?action=create&changes=1`],
      ["log, one username", `/runs/${first}/log?user=${sample.id}`],
      ["log, level=error (none in this run)", `/runs/${first}/log?level=error`],
      ["day-2 log, level=error (sparse)", `/runs/${second}/log?level=error`],
      ["day-2 log, action=update", `/runs/${second}/log?action=update`],
      ["errors CSV of day 2", `/runs/${second}/errors.csv`],
      ["users: username prefix", `/users?q=${sample.id.slice(0, 6)}`],
      ["users: exact email", `/users?q=${encodeURIComponent(sample.email)}`],
      ["users: name words", `/users?q=${encodeURIComponent(`${sample.first.slice(0, 3)} ${sample.last.slice(0, 4)}`)}`],
      ["users: blocked by the sync", "/users?state=blocked-sync"],
      ["users: record rejected", "/users?state=error"],
      ["one user's page", `/users/${sample.id}`],
      ["dashboard", "/"],
    ];
    for (const [label, path] of pages) console.log(`  ${label.padEnd(40)} ${(await median(() => get(path))).toFixed(1).padStart(8)} ms`);
  } finally {
    await store.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
