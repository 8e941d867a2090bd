// Safety checks: decide, before anything is written, whether a run's plan may be applied.
//
// Each check compares one figure of the run with a bound from usersync.json `safety` (defaults
// below) and reports both, tripped or not, in the run's verdict (runs.safety) and log. A tripped
// check holds the run — all of it ("hold-run"), or only its risky part ("hold-risky": blocks,
// pending-leaver counts and group removals wait, creates and updates go ahead) — or only warns.
// The checks themselves are in checks.ts; this file holds the settings and puts verdicts together.
//
// Two entry points, because the daemon needs an answer before a run is planned:
//   preflightChecks  — checks that need no plan (first run, file sizes): start-sync's "unsafe";
//   planSafetyCheck  — every check, on the computed plan, inside the run's transaction.
import type { SafetyConfig } from "../config/index.ts";
import type { Sql } from "../store/index.ts";
import {
  blocksCheck,
  duplicatesCheck,
  emptyFeedCheck,
  errorsCheck,
  fieldChangeCheck,
  fileChangeCheck,
  firstRunCheck,
  lastAppliedFiles,
  lastAppliedRun,
  schemaDriftCheck,
  usersInFeed,
  changedFieldCounts,
} from "./checks.ts";
import type { SafetyCheck, SafetyCheckResult, SafetyVerdict } from "./run.ts";
import type { FeedFileError } from "./stage.ts";

/** What a tripped check does. */
export type OnTrip = "hold-run" | "hold-risky" | "warn";

/** Thresholds and options, from usersync.json `safety` (and later the UI), with every default filled in. */
export interface SafetySettings {
  firstRun: { enabled: boolean };
  emptyFeed: { enabled: boolean; onTrip: OnTrip };
  blocks: { enabled: boolean; maxUsers: number; maxPercent: number; onTrip: OnTrip };
  fileChange: { enabled: boolean; maxPercent: number; onTrip: OnTrip };
  schemaDrift: { enabled: boolean; onTrip: OnTrip };
  fieldChange: { enabled: boolean; maxPercent: number; minUsers: number; fields: string[] | null; onTrip: OnTrip };
  errors: { enabled: boolean; maxPercent: number; minRecords: number; onTrip: OnTrip };
  duplicates: { enabled: boolean; maxPercent: number; minRecords: number; onTrip: OnTrip };
}

/** Safe defaults: every check on, every trip holds the whole run. */
export const DEFAULT_SAFETY: SafetySettings = {
  firstRun: { enabled: true },
  emptyFeed: { enabled: true, onTrip: "hold-run" },
  // Haplo had no bound on blocks at all (reference §9 item 1); 500 / 10 % is the default.
  blocks: { enabled: true, maxUsers: 500, maxPercent: 10, onTrip: "hold-run" },
  // Haplo's ±10 % size rule, but against the last APPLIED run (reference §9 item 9).
  fileChange: { enabled: true, maxPercent: 10, onTrip: "hold-run" },
  schemaDrift: { enabled: true, onTrip: "hold-run" },
  fieldChange: { enabled: true, maxPercent: 10, minUsers: 10, fields: null, onTrip: "hold-run" },
  errors: { enabled: true, maxPercent: 5, minRecords: 10, onTrip: "hold-run" },
  duplicates: { enabled: true, maxPercent: 1, minRecords: 10, onTrip: "hold-run" },
};

/** The settings from usersync.json's `safety` (already validated by schema/config.schema.json), over the defaults. */
export function resolveSafetySettings(raw: SafetyConfig | Record<string, unknown> | undefined): SafetySettings {
  const given = (raw ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const out = {} as Record<string, unknown>;
  for (const [name, defaults] of Object.entries(DEFAULT_SAFETY)) out[name] = { ...defaults, ...(given[name] ?? {}) };
  return out as unknown as SafetySettings;
}

/** A verdict from check results: held when a tripped check holds; the whole run if any holds the run. */
export function verdictOf(checks: SafetyCheckResult[]): SafetyVerdict {
  const holding = checks.filter((c) => c.tripped && c.onTrip !== "warn");
  if (!holding.length) return { held: false, checks };
  return { held: true, hold: holding.some((c) => c.onTrip !== "hold-risky") ? "run" : "risky", checks };
}

/**
 * Checks that need no plan — the first run of a feed, a file whose size swung too far against the
 * last applied run — so that start-sync can answer "unsafe" at once, as Haplo's does. The plan
 * check repeats them (with record counts as well), so a run held here is explained again when it runs.
 */
export async function preflightChecks(db: Sql, runId: number, settings: SafetySettings): Promise<SafetyVerdict> {
  const checks: SafetyCheckResult[] = [];
  if (settings.firstRun.enabled) checks.push(firstRunCheck(await lastAppliedRun(db, runId)));
  if (settings.fileChange.enabled) {
    const files = await db.query<{ name: string; size: number }>(
      "SELECT name, size FROM run_files WHERE run_id = $1 AND name <> '_control' ORDER BY name",
      [runId],
    );
    const current = files.map((f) => ({ name: f.name, size: Number(f.size), records: null }));
    checks.push(fileChangeCheck(settings.fileChange, current, await lastAppliedFiles(db, runId)));
  }
  return verdictOf(checks);
}

/** The checks on a computed plan, run inside the apply transaction (see RunOptions.safety). */
export function planSafetyCheck(settings: SafetySettings): SafetyCheck {
  return async ({ tx, runId, counts, stats }) => {
    const checks: SafetyCheckResult[] = [];
    const needBaseline = settings.fileChange.enabled || settings.schemaDrift.enabled;
    const baseline = needBaseline ? await lastAppliedFiles(tx, runId) : new Map();
    const last = await lastAppliedRun(tx, runId);
    if (settings.firstRun.enabled) checks.push(firstRunCheck(last));
    if (settings.emptyFeed.enabled) checks.push(emptyFeedCheck(settings.emptyFeed, stats));
    if (settings.blocks.enabled) checks.push(blocksCheck(settings.blocks, counts, await usersInFeed(tx)));
    if (settings.fileChange.enabled) {
      const current = Object.entries(stats.files).map(([name, f]) => ({ name, size: f.size, records: f.records }));
      checks.push(fileChangeCheck(settings.fileChange, current, baseline));
    }
    if (settings.schemaDrift.enabled) checks.push(schemaDriftCheck(settings.schemaDrift, stats, baseline));
    if (settings.fieldChange.enabled) checks.push(fieldChangeCheck(settings.fieldChange, counts, await changedFieldCounts(tx)));
    if (settings.errors.enabled) checks.push(errorsCheck(settings.errors, counts, last));
    if (settings.duplicates.enabled) checks.push(duplicatesCheck(settings.duplicates, counts, last));
    return verdictOf(checks);
  };
}

/**
 * A file that cannot be read (truncated, mangled, empty where a header is needed) is no feed: the
 * run is held, never failed into "everyone left" and never applied in part (reference §9 item 1).
 */
export function unreadableFileVerdict(error: FeedFileError): SafetyVerdict {
  const { file, cause } = error;
  return {
    held: true,
    hold: "run",
    checks: [
      {
        name: "readable-files",
        tripped: true,
        onTrip: "hold-run",
        message: `${error.message}. Nothing was read from this run, so nothing was applied and no one was blocked.`,
        figures: { file, line: cause.line ?? null, record: cause.record ?? null, problem: cause.message },
        bound: { readable: true },
      },
    ],
  };
}
