// Progress of a run, for the terminal and the UI: which phase, how many records so far, how fast.
export type Phase = "read" | "classify" | "check" | "prepare" | "apply" | "events" | "maintain" | "done";

export interface ProgressUpdate {
  phase: Phase;
  file?: string;
  done?: number;
  total?: number;
}

export interface ProgressState extends ProgressUpdate {
  runId: number;
  startedAt: number;
  phaseStartedAt: number;
  /** records (or rows) per second in this phase */
  rate: number;
  /** seconds spent in each finished phase */
  timings: Partial<Record<Phase, number>>;
}

export interface Progress {
  update(update: ProgressUpdate): void;
  /** The run has ended, applied or not: it is no longer shown as in progress. */
  finish(): void;
  readonly state: ProgressState;
}

/**
 * The runs this process is applying now, with their progress: the web UI served by the same
 * process shows them on the run's page (the daemon runs the worker and the UI together). Another
 * process applying a run — a CLI apply, a second daemon on the same PostgreSQL — is not seen here.
 */
const live = new Map<number, ProgressState>();

/** A copy of the progress of a run this process is applying now, or null. */
export function liveProgress(runId: number): (ProgressState & { elapsed: number; phaseElapsed: number }) | null {
  const state = live.get(runId);
  if (!state) return null;
  const t = performance.now();
  return { ...state, timings: { ...state.timings }, elapsed: (t - state.startedAt) / 1000, phaseElapsed: (t - state.phaseStartedAt) / 1000 };
}

/**
 * Fault injection for crash-safety tests: with USERSYNC_FAULT_PAUSE=<phase>, the process announces
 * "usersync-fault-pause <phase>" on stderr when the run reaches that phase and then stops there for
 * a minute, so a test can kill it at a known point inside the apply transaction. No effect unless set.
 */
function faultPause(phase: Phase): void {
  if (process.env.USERSYNC_FAULT_PAUSE !== phase) return;
  process.stderr.write(`usersync-fault-pause ${phase}\n`);
  Bun.sleepSync(60_000);
}

/** Tracks progress and calls `listener` at most every `intervalMs` (and at every phase change). */
export function createProgress(runId: number, listener?: (state: ProgressState) => void, intervalMs = 250): Progress {
  const now = performance.now();
  const state: ProgressState = { runId, phase: "read", startedAt: now, phaseStartedAt: now, rate: 0, timings: {}, done: 0 };
  let lastEmit = 0;
  live.set(runId, state);
  return {
    state,
    finish() {
      if (live.get(runId) === state) live.delete(runId);
    },
    update(update) {
      const t = performance.now();
      const phaseChanged = update.phase !== state.phase;
      if (phaseChanged) {
        faultPause(update.phase);
        state.timings[state.phase] = (state.timings[state.phase] ?? 0) + (t - state.phaseStartedAt) / 1000;
        state.phaseStartedAt = t;
        state.done = 0;
        state.total = undefined;
        state.file = undefined;
      }
      Object.assign(state, update);
      const elapsed = (t - state.phaseStartedAt) / 1000;
      state.rate = elapsed > 0 && state.done ? state.done / elapsed : 0;
      if (listener && (phaseChanged || t - lastEmit >= intervalMs)) {
        lastEmit = t;
        listener(state);
      }
    },
  };
}
