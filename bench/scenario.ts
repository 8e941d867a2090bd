// One benchmark scenario in its own process, so its peak memory is its own: apply one feed to a
// store and print one JSON line — wall time, time per phase, counts, peak RSS.
//
//   bun bench/scenario.ts '{"dataDir":…,"databaseUrl":…,"control":…,"groups":[…],"files":{"staff":"…"}}'
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRunFromFiles } from "../src/batch/index.ts";
import { loadControl } from "../src/control/index.ts";
import { applyConfigGroups, executeRun, type EngineSettings } from "../src/engine/index.ts";
import { openStore } from "../src/store/index.ts";

interface ScenarioInput {
  dataDir: string;
  databaseUrl: string | null;
  control: string;
  groups: { code: string; managed?: boolean; profileType?: string; pastProfileType?: string }[];
  files: Record<string, string>;
}

function peakRssMB(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

const input = JSON.parse(process.argv[2]!) as ScenarioInput;
const settings: EngineSettings = { defaultType: "std:type:person", profileAttributes: [], userTags: [], onRecordError: "keep", blockAfterAbsentRuns: 1 };
const store = await openStore({ dataDir: input.dataDir, databaseUrl: input.databaseUrl, filesDir: join(input.dataDir, "files") });
await applyConfigGroups(store.db, input.groups);
const control = loadControl(readFileSync(input.control, "utf8"), settings);
// storing the files is intake's work, not the reconcile's: untimed, as the floor's file is already on disk
const runId = await createRunFromFiles(store, control, Object.entries(input.files).map(([name, path]) => ({ name, path })), { source: "bench" });
const started = performance.now();
// BENCH_MEMORY=1: the peak RSS of each phase, on stderr (where the peak comes from)
let phase = "start";
const peaks: Record<string, number> = {};
const sampler = process.env.BENCH_MEMORY
  ? setInterval(() => {
      const mb = Math.round(process.memoryUsage.rss() / 1048576);
      if (mb > (peaks[phase] ?? 0)) peaks[phase] = mb;
    }, 20)
  : null;
// BENCH_CPU=1: per phase, wall time and this process's CPU time, on stderr (JavaScript-bound or waiting for the database?)
const cpu: Record<string, { wall: number; cpu: number }> = {};
let mark = { phase: "start", at: performance.now(), cpu: process.cpuUsage() };
const cpuPhase = (next: string) => {
  const used = process.cpuUsage(mark.cpu);
  const entry = (cpu[mark.phase] ??= { wall: 0, cpu: 0 });
  entry.wall += (performance.now() - mark.at) / 1000;
  entry.cpu += (used.user + used.system) / 1e6;
  mark = { phase: next, at: performance.now(), cpu: process.cpuUsage() };
};
const onProgress =
  sampler || process.env.BENCH_CPU
    ? (state: { phase: string }) => {
        if (process.env.BENCH_CPU && state.phase !== mark.phase) cpuPhase(state.phase);
        phase = state.phase;
      }
    : undefined;
const outcome = await executeRun(store, runId, { settings, onProgress });
const seconds = (performance.now() - started) / 1000;
if (process.env.BENCH_CPU) {
  cpuPhase("end");
  console.error(`wall / CPU seconds by phase: ${Object.entries(cpu).map(([k, v]) => `${k} ${v.wall.toFixed(2)}/${v.cpu.toFixed(2)}`).join(", ")}`);
}
if (sampler) {
  clearInterval(sampler);
  console.error(`peak RSS by phase (MB): ${JSON.stringify(peaks)}`);
}
await store.close();
console.log(JSON.stringify({ status: outcome.status, message: outcome.message, seconds, timings: outcome.timings, counts: outcome.counts, peakRssMB: peakRssMB() }));
