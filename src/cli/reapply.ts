// usersync reapply RUN [--by NAME] [--queue]   (apply a finished run's files again, as a new run)
import { parseArgs } from "node:util";
import { claimQueuedRun, reapplyRun, ReapplyError } from "../batch/index.ts";
import { executeRun, planSafetyCheck } from "../engine/index.ts";
import { exitCodeFor, planLimit, summaryLines } from "./apply.ts";
import { actorName, runIdArgument } from "./approve.ts";
import { EXIT, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { terminalProgress } from "./format.ts";
import { planLines } from "./plan.ts";

export const reapplyCommand: Command = {
  name: "reapply",
  summary: "Apply a finished run's files again, as a new run (e.g. after a failure)",
  usage: `usersync reapply RUN [--by NAME] [--queue] [--limit N] [--config usersync.json]

Takes the files of RUN — the same stored bytes and the same control file — and applies them as a
NEW run (kind "reapply"), planned against the store as it is now. This is how a run that failed
(the database went away, the daemon was killed) is completed: nothing of a failed run was
applied, so applying it again is always safe. A person asked for it, so the safety checks are
recorded but do not hold it (as Haplo's re-apply bypassed its size check).

The new run is applied here and now; with --queue it is only queued, for the daemon's worker.

Exit code: 0 applied (or queued); 1 applied, some records had errors; 2 refused or failed.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        by: { type: "string" },
        queue: { type: "boolean" },
        limit: { type: "string", short: "n" },
        quiet: { type: "boolean", short: "q" },
        config: { type: "string" },
      },
    });
    const runId = runIdArgument(positionals, "usersync reapply RUN");
    const by = actorName(values.by);
    const limit = planLimit(values.limit);
    return withContext(values.config, async ({ store, settings, safety }) => {
      let newId: number;
      try {
        newId = await reapplyRun(store, runId, `cli:${by}`);
      } catch (error) {
        if (!(error instanceof ReapplyError)) throw error;
        console.error(`usersync reapply: ${error.message}`);
        return EXIT.failure;
      }
      if (values.queue) {
        console.log(`Run ${newId} queued: the files of run ${runId}, for the daemon to apply.`);
        return EXIT.ok;
      }
      // claim it, as the daemon's worker would: a daemon on the same PostgreSQL may have taken it already
      if (!(await claimQueuedRun(store.db, newId))) {
        console.log(`Run ${newId} (the files of run ${runId}) was taken by a running daemon: see usersync runs.`);
        return EXIT.ok;
      }
      const outcome = await executeRun(store, newId, {
        settings,
        safety: planSafetyCheck(safety),
        approval: { by },
        actor: "cli",
        onProgress: values.quiet ? undefined : terminalProgress(),
      });
      console.log(`Run ${newId} re-applied the files of run ${runId}.`);
      for (const line of summaryLines(outcome)) console.log(line);
      if (outcome.counts) for (const line of await planLines(store.db, newId, limit)) console.log(line);
      return exitCodeFor(outcome);
    });
  },
};
