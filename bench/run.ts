// The benchmark (issue 9): `make bench` or `bun bench/run.ts [--sizes 10k,100k,1m] [--pglite-max 100k] [--out FILE]`.
//
// For each size it generates a feed (3 files, JSON + TSV) and day-2 variants at 1 % and 5 % churn,
// measures the FLOOR on PostgreSQL (bench/floor.ts: parse + hash + COPY + one set-based statement),
// then runs usersync's scenarios on PostgreSQL and on PGlite, each scenario in its own process:
// initial load, unchanged rerun, day 2 at 1 %, day 2 at 5 %. Results — wall time, records/s, peak
// RSS, time per phase, and the ratio to the floor — go to stdout and docs/PERFORMANCE.md.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { feedControl, feedGroups, nextDay, population, writeFeed, writeFlatJson, type Churn } from "./feed.ts";

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;
const PG_ADMIN = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    sizes: { type: "string", default: "10k,100k,1m" },
    "pglite-max": { type: "string", default: "100k" },
    out: { type: "string", default: join(ROOT, "docs", "PERFORMANCE.md") },
    backends: { type: "string", default: "postgres,pglite" },
    "no-write": { type: "boolean" },
    /** each timed figure is the median of this many runs (the initial load excepted: one run) */
    repeat: { type: "string", default: "3" },
  },
});

function parseSize(s: string): number {
  const m = /^(\d+)(k|m)?$/i.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * (m[2]?.toLowerCase() === "m" ? 1_000_000 : m[2] ? 1000 : 1);
}
const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

/** P % churn as the floor measured it: one fifth removed, one fifth added, three fifths changed. */
function churn(n: number, percent: number): Churn {
  const total = Math.round((n * percent) / 100);
  const removed = Math.round(total / 5);
  return { removed, added: removed, changed: total - 2 * removed };
}

const FEEDS = join(import.meta.dir, "feeds");
/** What profiling found and what changed, by hand: appended to the generated report. */
const FINDINGS = join(import.meta.dir, "findings.md");

async function feedsFor(n: number) {
  const dir = join(FEEDS, label(n));
  const done = join(dir, ".complete");
  const paths = {
    day1: join(dir, "day1"),
    churn1: join(dir, "day2-1pc"),
    churn5: join(dir, "day2-5pc"),
    floor1: join(dir, "floor-day1.json"),
    floor5: join(dir, "floor-day2-5pc.json"),
  };
  if (!existsSync(done)) {
    console.log(`generating feeds for ${label(n)} users…`);
    await writeFeed(paths.day1, population(n));
    await writeFeed(paths.churn1, nextDay(n, churn(n, 1), 11));
    await writeFeed(paths.churn5, nextDay(n, churn(n, 5), 55));
    await writeFlatJson(paths.floor1, population(n));
    await writeFlatJson(paths.floor5, nextDay(n, churn(n, 5), 55));
    writeFileSync(done, new Date().toISOString());
  }
  const files = (day: string) => ({ staff: join(day, "staff.json"), students: join(day, "students.tsv"), others: join(day, "others.json") });
  return { ...paths, files };
}

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `usersync_bench_${process.pid}_${Date.now() % 100000}`;
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function child(args: string[]): Promise<any> {
  const proc = Bun.spawn([BUN, ...args], { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}: ${out}`);
  return JSON.parse(out.trim().split("\n").pop()!);
}

interface Result {
  backend: string;
  size: number;
  scenario: string;
  seconds: number;
  records: number;
  peakRssMB: number;
  timings: Record<string, number>;
  counts: Record<string, number>;
  floor: number;
}

const REPEAT = Math.max(1, Number(values.repeat) || 1);
/** The run with the median time (its phases and memory with it). */
function median<T extends { seconds: number }>(runs: T[]): T {
  return runs.slice().sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
}

const results: Result[] = [];
const floors: { size: number; seconds: number; phases: Record<string, number> }[] = [];
/** bench/write-floor.ts after each initial load on PostgreSQL: writing the rows alone. */
type Timed = { seconds: number; tables: Record<string, number> };
const writeFloors: (Timed & { size: number; bytes: number; indexesAfter: Timed })[] = [];
const controlPath = join(FEEDS, "control.json");
mkdirSync(FEEDS, { recursive: true });
writeFileSync(controlPath, feedControl());
const groups = feedGroups();
const sizes = values.sizes!.split(",").map(parseSize);
const pgliteMax = parseSize(values["pglite-max"]!);
const backends = values.backends!.split(",");

for (const n of sizes) {
  const feeds = await feedsFor(n);
  const floorRuns: { seconds: number; phases: Record<string, number> }[] = [];
  for (let i = 0; i < REPEAT; i++) floorRuns.push(await withDatabase((url) => child(["bench/floor.ts", url, feeds.floor1, feeds.floor5])));
  const floor = median(floorRuns);
  floors.push({ size: n, seconds: floor.seconds, phases: floor.phases });
  console.log(`floor ${label(n)}: ${floor.seconds.toFixed(2)} s (median of ${floorRuns.map((r) => r.seconds.toFixed(2)).join(", ")})`);
  for (const backend of backends) {
    if (backend === "pglite" && n > pgliteMax) continue;
    const run = async (url: string | null) => {
      const dataDir = join(import.meta.dir, "out", `${backend}-${label(n)}`);
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true });
      const once = async (name: string, day: Record<string, string>) => {
        const r = await child(["bench/scenario.ts", JSON.stringify({ dataDir, databaseUrl: url, control: controlPath, groups, files: day })]);
        if (r.status !== "complete") throw new Error(`${backend} ${label(n)} ${name}: ${r.status} ${r.message ?? ""}`);
        return r;
      };
      /**
       * Before each timed run on PostgreSQL, a CHECKPOINT (untimed): feeds come a day apart, and in a
       * day the server's own checkpoints (every 5 minutes by default) have written out what the run
       * before left dirty — as the floor checkpoints before it is measured. Without it, a run
       * right after its set-up paid for writing the set-up's pages.
       */
      const settle = async () => {
        if (!url) return;
        const client = postgres(url, { max: 1, onnotice: () => {} });
        await client.unsafe("CHECKPOINT");
        await client.end();
      };
      /** `before` (untimed) puts the store back where the scenario starts from, before each of its runs */
      const scenario = async (name: string, day: Record<string, string>, repeat = 1, before?: Record<string, string>) => {
        const runs = [];
        for (let i = 0; i < repeat; i++) {
          if (before) await once(`${name} (set-up)`, before);
          await settle();
          runs.push(await once(name, day));
        }
        const r = median(runs);
        const result: Result = { backend, size: n, scenario: name, seconds: r.seconds, records: r.counts.records, peakRssMB: Math.max(...runs.map((x) => x.peakRssMB)), timings: r.timings, counts: r.counts, floor: floor.seconds };
        results.push(result);
        const all = runs.length > 1 ? ` (median of ${runs.map((x) => x.seconds.toFixed(2)).join(", ")})` : "";
        console.log(`${backend} ${label(n)} ${name}: ${r.seconds.toFixed(2)} s (${(r.seconds / floor.seconds).toFixed(2)}× floor)${all}, peak RSS ${Math.round(r.peakRssMB)} MB`);
      };
      await scenario("initial load", feeds.files(feeds.day1));
      if (url) {
        const w = await child(["bench/write-floor.ts", url]);
        writeFloors.push({ size: n, seconds: w.seconds, tables: w.tables, bytes: w.bytes, indexesAfter: w.indexesAfter });
        console.log(`write floor ${label(n)}: ${w.seconds.toFixed(2)} s (indexes built after the rows: ${w.indexesAfter.seconds.toFixed(2)} s)`);
      }
      await scenario("unchanged rerun", feeds.files(feeds.day1), REPEAT);
      await scenario("day 2, 1 % churn", feeds.files(feeds.churn1), REPEAT, feeds.files(feeds.day1));
      await scenario("day 2, 5 % churn", feeds.files(feeds.churn5), REPEAT, feeds.files(feeds.day1));
      rmSync(dataDir, { recursive: true, force: true });
    };
    if (backend === "postgres") await withDatabase(run);
    else await run(null);
  }
}

// ---- report ----
/** The issue's targets, checked against this run's own figures. */
function targetLines(): string {
  const find = (backend: string, size: number, scenario: string) => results.find((r) => r.backend === backend && r.size === size && r.scenario === scenario);
  const big = Math.max(...sizes.filter((n) => backends.includes("postgres")));
  const lines: string[] = [];
  const check = (what: string, r: Result | undefined, bound: number) => {
    if (!r) return;
    const ratio = r.seconds / r.floor;
    lines.push(`| ${what} (${label(r.size)}, PostgreSQL) | ${fmt(r.seconds)} s = ${ratio.toFixed(2)}× floor | ≤ ${bound}× | ${ratio <= bound ? "met" : "**not met**"} |`);
  };
  check("day 2, 5 % churn", find("postgres", big, "day 2, 5 % churn"), 3);
  check("unchanged rerun", find("postgres", big, "unchanged rerun"), 2);
  check("initial load", find("postgres", big, "initial load"), 5);
  const load = find("postgres", big, "initial load");
  const wf = writeFloors.find((w) => w.size === big);
  if (load && wf)
    lines.push(
      `| initial load against the write floor (${label(big)}): writing its rows alone is ${(wf.seconds / load.floor).toFixed(2)}× the floor, ${(wf.indexesAfter.seconds / load.floor).toFixed(2)}× with the indexes built after them | ${fmt(load.seconds)} s = ${(load.seconds / wf.seconds).toFixed(2)}× the write floor (${fmt(wf.seconds)} s) | — | see below |`,
    );
  const peak = Math.max(...results.filter((r) => r.backend === "postgres" && r.size === big).map((r) => r.peakRssMB));
  if (Number.isFinite(peak)) lines.push(`| peak RSS (${label(big)}, PostgreSQL, any scenario) | ${Math.round(peak)} MB | ≤ 500 MB | ${peak <= 500 ? "met" : "**not met**"} |`);
  const pgl = find("pglite", pgliteMax, "day 2, 5 % churn");
  const pg = find("postgres", pgliteMax, "day 2, 5 % churn");
  if (pgl && pg) lines.push(`| PGlite day 2, 5 % (${label(pgliteMax)}) vs PostgreSQL | ${fmt(pgl.seconds)} s vs ${fmt(pg.seconds)} s = ${(pgl.seconds / pg.seconds).toFixed(2)}× | ≤ 3× | ${pgl.seconds <= 3 * pg.seconds ? "met" : "**not met**"} |`);
  for (const scenario of ["initial load", "day 2, 5 % churn"]) {
    const rs = sizes.map((n) => find("postgres", n, scenario)).filter((r): r is Result => !!r);
    for (let i = 1; i < rs.length; i++) {
      const step = rs[i]!.seconds / rs[i - 1]!.seconds;
      lines.push(`| ${scenario}: ${label(rs[i - 1]!.size)} → ${label(rs[i]!.size)} (PostgreSQL) | ${step.toFixed(1)}× the time for ${rs[i]!.size / rs[i - 1]!.size}× the users | ≤ 12× | ${step <= 12 ? "met" : "**not met**"} |`);
    }
  }
  if (!lines.length) return "";
  return `\n## Targets (issue 9), from this run\n\n| target | measured | bound | |\n|---|---|---|---|\n${lines.join("\n")}\n`;
}

const fmt = (s: number | undefined) => (s === undefined ? "" : s.toFixed(2));
const rows = results.map((r) => {
  const t = r.timings;
  return `| ${r.backend} | ${label(r.size)} | ${r.scenario} | ${fmt(r.seconds)} | ${Math.round(r.records / r.seconds).toLocaleString("en-US")} | **${(r.seconds / r.floor).toFixed(2)}×** | ${Math.round(r.peakRssMB)} | ${fmt(t.read)} | ${fmt(t.classify)} | ${fmt(t.prepare)} | ${fmt((t.check ?? 0) + (t.apply ?? 0))} | ${fmt(t.events)} | ${fmt(t.maintain)} |`;
});
const writeFloorRows = writeFloors.map((w) => {
  const floor = floors.find((f) => f.size === w.size)?.seconds ?? NaN;
  const tables = (t: Timed) => Object.entries(t.tables).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ");
  const after = w.indexesAfter;
  return `| ${label(w.size)} | ${fmt(w.seconds)} | ${(w.seconds / floor).toFixed(2)}× | ${tables(w)} | ${fmt(after.seconds)} | ${(after.seconds / floor).toFixed(2)}× | ${tables(after)} | ${Math.round(w.bytes / 1048576)} MB |`;
});
const floorRows = floors.map((f) => `| ${label(f.size)} | ${fmt(f.seconds)} | ${Object.entries(f.phases).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")} |`);
const machine = `${(await Bun.file("/proc/cpuinfo").text()).match(/model name\s*:\s*(.*)/)?.[1] ?? "?"}, ${navigator.hardwareConcurrency} cores`;
const report = `# Performance

Measured by \`make bench\` (\`bun bench/run.ts --sizes ${values.sizes}\`) on ${new Date().toISOString().slice(0, 10)}, ${machine}.
Each figure is the median of ${REPEAT} run${REPEAT > 1 ? "s" : ""} (\`--repeat\`; the initial load and the write floor: one run each, on a new
database); expect ±20 % between runs on a shared machine, which is why results are given as **ratios to the floor**
measured in the same run. Before each day-2 run the store is put back to day 1 (untimed), and before every timed
run on PostgreSQL the server is CHECKPOINTed (untimed), as the floor is: feeds come a day apart, and by then the
server's own checkpoints have written out what the run before left dirty.

**The floor** (bench/floor.ts) is the raw ingredients of a reconcile on this machine: read and JSON.parse the day-2
file (5 % churn, one JSON file), hash each record, COPY (username, digest), classify with one full join, COPY the data
of the changed rows, apply insert/update/mark-missing, commit — on PostgreSQL. It does nothing else a real run does.

| users | floor (s) | phases (s) |
|---|---|---|
${floorRows.join("\n")}

**The write floor** (bench/write-floor.ts, measured right after each initial load on PostgreSQL) is what writing the
rows of that initial load costs PostgreSQL alone: the seven tables it fills (profile objects, users, memberships,
ledger, undo records, received-data timeline, the run's log), with their indexes, in one transaction, by COPY from
files the server reads itself. Nothing is read, mapped, staged or planned: no engine can load this data model faster.
It is measured twice: with the indexes kept up row by row, as a run does (other sessions may read the tables meanwhile),
and with the indexes (all but the primary keys) dropped first and built after the rows — what a loader that locked the
empty tables for the whole load could do, the lowest figure.

| users | write floor (s) | vs floor | per table (s) | indexes built after (s) | vs floor | per table (s) | COPY text |
|---|---|---|---|---|---|---|---|
${writeFloorRows.join("\n")}

**usersync** runs everything a real run does, in one transaction: the control file's mapping, users + groups + profile
objects + ledger + per-user history + the run's log, with before-images for undo. Each scenario runs in its own process
(peak RSS is that process's). Phases (s): read = read, transform, digest and stage every record; classify = the plan;
prepare = transform the changed users against their stored profiles; apply = the set-based writes (and the safety
check); log = the run's events; tidy = CHECKPOINT + VACUUM (PGlite only).

| database | users | scenario | seconds | records/s | vs floor | peak RSS (MB, highest of the runs) | read | classify | prepare | apply | log | tidy |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

Churn P % = P/5 % removed, P/5 % added, 3P/5 % changed (the floor's 1 / 1 / 3 at 5 %).
PGlite is measured up to ${label(pgliteMax)} users (\`--pglite-max\`).
${targetLines()}
${existsSync(FINDINGS) ? "\n" + readFileSync(FINDINGS, "utf8") : ""}`;
console.log("\n" + report);
if (!values["no-write"]) writeFileSync(values.out!, report);
