// The background worker: applies queued runs one at a time. The queue is the runs table itself
// (status 'queued'), so a run queued before a restart is applied after it, and several daemons on
// one PostgreSQL database share the queue (claimQueuedRun hands each run to exactly one).
import { claimQueuedRun } from "../batch/index.ts";
import { executeRun, type EngineSettings } from "../engine/index.ts";
import { planSafetyCheck, type SafetySettings } from "../engine/safety.ts";
import type { Store } from "../store/index.ts";
import type { Logger } from "../util/log.ts";

export interface Worker {
  /** Look at the queue now (a run was just queued). */
  wake(): void;
  /** Take no more runs; resolves once the run being applied (if any) has finished or rolled back. */
  stop(): Promise<void>;
}

export function startWorker(options: { store: Store; settings: EngineSettings; safety: SafetySettings; log: Logger; pollMs?: number }): Worker {
  const { store, log } = options;
  let stopping = false;
  let wakeUp: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  const applyNext = async (): Promise<boolean> => {
    const run = await claimQueuedRun(store.db);
    if (!run) return false;
    log.info("run.started", { runId: run.id, kind: run.kind });
    const outcome = await executeRun(store, run.id, {
      settings: options.settings,
      // A person asked for a re-apply or approved the run: the plan's safety checks have had their say.
      safety: run.kind === "reapply" || run.approved ? undefined : planSafetyCheck(options.safety),
      actor: "daemon",
      onProgress: (state) => log.debug("run.progress", { runId: run.id, phase: state.phase, done: state.done, total: state.total }),
    });
    const level = outcome.status === "failure" ? "error" : outcome.status === "held" ? "warn" : "info";
    log[level]("run.finished", {
      runId: run.id,
      status: outcome.status,
      errors: outcome.errorCount,
      message: outcome.message,
      counts: outcome.counts && {
        records: outcome.counts.records,
        create: outcome.counts.create,
        update: outcome.counts.update,
        unblock: outcome.counts.unblock,
        unchanged: outcome.counts.unchanged,
        block: outcome.counts.block,
        reject: outcome.counts.reject,
      },
      durationMs: outcome.durationMs,
    });
    return true;
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        if (await applyNext()) continue;
      } catch (error) {
        log.error("worker.error", { error });
      }
      if (!stopping) await sleep(options.pollMs ?? 5000);
    }
  })();

  return {
    wake: () => wakeUp?.(),
    async stop() {
      stopping = true;
      wakeUp?.();
      await loop;
    },
  };
}
