// Safety checks: decide, before anything is written, whether a run's plan may be applied.
//
// INTERFACE ONLY for now (issue 6 implements it): the daemon's start-sync and worker call these,
// so the two pieces of work can proceed in parallel. Until then, nothing is held.
import type { Sql } from "../store/index.ts";
import type { SafetyCheck, SafetyVerdict } from "./run.ts";

/** Thresholds and options, from usersync.json `safety` (and later the UI). */
export type SafetySettings = Record<string, unknown>;

export function resolveSafetySettings(raw: Record<string, unknown> | undefined): SafetySettings {
  return { ...(raw ?? {}) };
}

/**
 * Checks that need no plan — the first run of a feed, a file whose size or record count swung
 * too far — so that start-sync can answer "unsafe" at once, as Haplo's does.
 */
export async function preflightChecks(_db: Sql, _runId: number, _settings: SafetySettings): Promise<SafetyVerdict> {
  return { held: false, checks: [] };
}

/** The checks on a computed plan, run inside the apply transaction (see RunOptions.safety). */
export function planSafetyCheck(_settings: SafetySettings): SafetyCheck {
  return async () => ({ held: false, checks: [] });
}
