// The hook for notifications of held runs: whoever delivers notifications (email, a monitoring
// endpoint — later work) registers a listener once; the engine calls every listener after a held
// run has been committed, and the daemon calls notifyRunHeld when its preflight holds a run.
// A listener that fails never fails the run: its error goes to stderr.
import type { RunCounts, SafetyVerdict } from "./run.ts";

export interface HeldRunEvent {
  runId: number;
  /** "run": nothing was applied; "risky": the safe part was applied, the risky part waits. */
  hold: "run" | "risky";
  verdict: SafetyVerdict;
  /** null when the run was held before it was planned (preflight) or could not be read */
  counts: RunCounts | null;
}

export type HeldRunListener = (event: HeldRunEvent) => void | Promise<void>;

const listeners = new Set<HeldRunListener>();

/** Register a listener for held runs; returns the function that removes it. */
export function onRunHeld(listener: HeldRunListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function notifyRunHeld(event: HeldRunEvent): Promise<void> {
  for (const listener of [...listeners]) {
    try {
      await listener(event);
    } catch (error) {
      process.stderr.write(`usersync: a held-run notification for run ${event.runId} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}
