// The background worker: applies queued runs one at a time. The queue is the runs table itself
// (status 'queued'), so a run queued before a restart is applied after it, and several daemons on
// one PostgreSQL database share the queue (claimQueuedRun hands each run to exactly one).
import { claimQueuedRun, queueRetry } from "../batch/index.ts";
import { DEFAULT_RETRY_AFTER_SECONDS } from "../config/index.ts";
import { describeDatabaseError, isTransientDatabaseError } from "../store/index.ts";
import { executeRun, FailureNotRecorded, type EngineSettings, type SafetyVerdict } from "../engine/index.ts";
import { markFailed } from "../engine/outcome.ts";
import { planSafetyCheck, type SafetySettings } from "../engine/safety.ts";
import type { Store } from "../store/index.ts";
import { notifyAfterRun, type NotifyContext } from "../notify/index.ts";
import type { Metrics } from "../observe/index.ts";
import type { Logger } from "../util/log.ts";

export interface Worker {
  /** Look at the queue now (a run was just queued). */
  wake(): void;
  /** Take no more runs; resolves once the run being applied (if any) has finished or rolled back. */
  stop(): Promise<void>;
}

/** The plan's verdict, held: with the preflight's tripped checks that the plan's checks did not repeat. */
export function holdAnyway(plan: SafetyVerdict, preflight: SafetyVerdict): SafetyVerdict {
  if (plan.held) return plan;
  const names = new Set(plan.checks.map((c) => c.name));
  return { ...plan, held: true, hold: "run", checks: [...plan.checks, ...preflight.checks.filter((c) => c.tripped && !names.has(c.name))] };
}

export interface WorkerOptions {
  store: Store;
  settings: EngineSettings;
  safety: SafetySettings;
  log: Logger;
  metrics?: Metrics;
  /** where run reports go (email, webhooks); absent: none */
  notify?: NotifyContext;
  pollMs?: number;
  /**
   * A run the database failed (connection lost, read-only, disk full) is tried again by itself
   * after each of these delays in turn, then stays failed. [] never retries.
   */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = DEFAULT_RETRY_AFTER_SECONDS.map((seconds) => seconds * 1000);

export function startWorker(options: WorkerOptions): Worker {
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

  /**
   * Runs this worker was applying whose failure the database refused to record (it went read-only,
   * or away, mid-apply): without this they stayed 'running' until the next restart. Their apply
   * never committed; the failure is recorded as soon as the database takes writes again.
   */
  const unrecorded = new Map<number, { message: string; reason: string; retryable: boolean }>();
  const recordFailures = async () => {
    for (const [runId, { message, reason, retryable }] of unrecorded) {
      const [row] = await store.db.query<{ status: string; attempts: number }>("SELECT status, attempts FROM runs WHERE id = $1", [runId]);
      if (row?.status === "running") await markFailed(store, runId, message, null, { keepLog: Number(row.attempts) > 0 });
      unrecorded.delete(runId);
      log.error("run.finished", { runId, status: "failure", message });
      if (retryable) await retryLater(runId, reason);
    }
  };

  /** A run the database failed goes back to the queue, to be tried again after a delay (lifecycle.ts queueRetry). */
  const retryLater = async (runId: number, reason: string) => {
    const at = await queueRetry(store.db, runId, reason, options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS);
    if (at) {
      log.warn("run.retry-queued", { runId, at: at.toISOString(), reason });
      // look at the queue when it is due, not at the next poll (queued retries survive a restart: the queue is the runs table)
      setTimeout(() => wakeUp?.(), Math.max(0, at.getTime() - Date.now()) + 50).unref?.();
    }
    else log.error("run.gave-up", { runId, reason });
  };

  const applyNext = async (): Promise<boolean> => {
    if (unrecorded.size) await recordFailures();
    const run = await claimQueuedRun(store.db);
    if (!run) return false;
    log.info("run.started", { runId: run.id, kind: run.kind });
    // A person approved the held run, or asked for a re-apply (as Haplo's re-apply bypassed its
    // size check): the checks are still run and recorded, but do not hold it.
    const approvedBy = run.approvedBy ?? (run.kind === "reapply" ? "re-apply" : null);
    const planChecks = planSafetyCheck(options.safety);
    const preflight = run.preflight;
    let outcome;
    try {
      outcome = await executeRun(store, run.id, {
        settings: options.settings,
        // held by start-sync's preflight: planned so a person sees what it would do, and held whatever the plan's checks say
        safety: preflight ? async (input) => holdAnyway(await planChecks(input), preflight) : planChecks,
        approval: approvedBy ? { by: approvedBy } : undefined,
        actor: "daemon",
        onProgress: (state) => log.debug("run.progress", { runId: run.id, phase: state.phase, done: state.done, total: state.total }),
      });
    } catch (error) {
      // the run failed and even marking it failed did (see `unrecorded`): recorded at the next poll that can
      // the run's own reason (the apply's error), not the error of recording it
      const reason = error instanceof FailureNotRecorded ? error.reason : describeDatabaseError(error);
      const retryable = error instanceof FailureNotRecorded ? error.retryable : isTransientDatabaseError(error);
      const retries = retryable && (options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS).length > 0;
      const message = `The run could not be finished, nor its failure recorded at once: ${reason}. Nothing of it was applied${retries ? "" : `; apply it again (usersync reapply ${run.id})`}.`;
      unrecorded.set(run.id, { message, reason, retryable });
      log.error("run.failure-unrecorded", { runId: run.id, error });
      return false;
    }
    options.metrics?.runFinished(outcome.status, outcome.durationMs / 1000);
    // the report for a finished run, the notice for a held one; a failed delivery is logged, never fatal
    if (options.notify) await notifyAfterRun(options.notify, outcome).catch((error: unknown) => log.error("notify.failed", { runId: run.id, error }));
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
    if (outcome.status === "failure" && outcome.retryable) await retryLater(run.id, outcome.message ?? "the database failed");
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
