// Safety tests: settings that turn on only the checks a test is about, and small feeds.
import type { SafetyConfig } from "../../src/config/index.ts";
import { DEFAULT_SAFETY, planSafetyCheck, resolveSafetySettings, type SafetyCheck, type SafetyCheckResult, type SafetySettings } from "../../src/engine/index.ts";
import { person } from "../helpers/feeds.ts";

/** Only the checks named (each with its settings over the defaults); every other check off. */
export function only(config: SafetyConfig): SafetySettings {
  const off = Object.fromEntries(Object.keys(DEFAULT_SAFETY).map((name) => [name, { enabled: false }]));
  const on = Object.fromEntries(Object.entries(config).map(([name, settings]) => [name, { enabled: true, ...settings }]));
  return resolveSafetySettings({ ...off, ...on });
}

export const checking = (config: SafetyConfig): SafetyCheck => planSafetyCheck(only(config));

/** People U0001 … with usernames u0001 …, all of the same length so files grow in step with their records. */
export function people(count: number, from = 1, more: (n: number) => Record<string, unknown> = () => ({})) {
  return Array.from({ length: count }, (_, i) => person(`U${String(from + i).padStart(4, "0")}`, more(from + i)));
}

export function checkOf(run: { safety: { checks: SafetyCheckResult[] } | null }, name: string): SafetyCheckResult {
  const check = run.safety?.checks.find((c) => c.name === name);
  if (!check) throw new Error(`no ${name} check in ${JSON.stringify(run.safety)}`);
  return check;
}

/** The affected rows a revert puts back, for exact comparisons. */
export const AFFECTED = ["users", "objects", "memberships", "sync_ledger"];
