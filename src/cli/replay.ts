// usersync replay RUN   (what a past run's files would do if they arrived now: a dry run)
import { parseArgs } from "node:util";
import { replayRun, RunError } from "../engine/index.ts";
import { planLimit, summaryLines } from "./apply.ts";
import { runIdArgument } from "./approve.ts";
import { EXIT, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { terminalProgress } from "./format.ts";
import { planLines } from "./plan.ts";

export const replayCommand: Command = {
  name: "replay",
  summary: "Dry-run a past run's files against today's store",
  usage: `usersync replay RUN [--limit N] [--config usersync.json]

Takes run RUN's files — the same stored bytes and the same control file — into a new run
(kind "replay") and executes it as a dry run against the store as it is today: the plan per
user with its field-level changes, and the safety checks' verdict, as if the files had arrived
now. Nothing is applied.

Exit code: 0 shown; 2 failed (the files could not be read, or there is no such run).`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { limit: { type: "string", short: "n" }, quiet: { type: "boolean", short: "q" }, config: { type: "string" } },
    });
    const runId = runIdArgument(positionals, "usersync replay RUN");
    const limit = planLimit(values.limit);
    return withContext(values.config, async ({ store, settings, safety }) => {
      let outcome;
      try {
        outcome = await replayRun(store, runId, { settings, safety, source: "cli", onProgress: values.quiet ? undefined : terminalProgress() });
      } catch (error) {
        if (!(error instanceof RunError)) throw error;
        console.error(`usersync replay: ${error.message}`);
        return EXIT.failure;
      }
      console.log(`Replay of run ${runId} against today's store:`);
      for (const line of summaryLines(outcome, { allChecks: true })) console.log(line);
      if (outcome.counts) for (const line of await planLines(store.db, outcome.runId, limit)) console.log(line);
      return outcome.status === "failure" ? EXIT.failure : EXIT.ok;
    });
  },
};
