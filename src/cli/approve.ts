// usersync approve RUN [--by NAME]   (apply a held run, its plan computed again against the store as it is now)
import { parseArgs } from "node:util";
import { ApprovalError, approveRun } from "../engine/index.ts";
import { exitCodeFor, planLimit, summaryLines } from "./apply.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { terminalProgress } from "./format.ts";
import { planLines } from "./plan.ts";

export function runIdArgument(positionals: string[], usage: string): number {
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`Give the run's number: ${usage}`);
  return id;
}

/** Who a person is, for the log: --by, else the login name. */
export function actorName(by: string | undefined): string {
  const name = (by ?? process.env.USER ?? process.env.LOGNAME ?? "cli").trim();
  if (!name) throw new UsageError("--by needs a name");
  return name;
}

export const approveCommand: Command = {
  name: "approve",
  summary: "Approve a held run: plan it again against the store as it is now, and apply it",
  usage: `usersync approve RUN [--by NAME] [--force] [--limit N] [--config usersync.json]

A run held by a safety check applied nothing (or, held in part, only its safe part). Approving
it plans its files again against the store AS IT IS NOW — not the plan of the moment it was
held — records the safety checks without letting them hold, and applies the plan. The run's log
keeps why it was held, and says who approved it (--by NAME; default: your login name).

If a newer run has been applied since, approving would put older data over newer: refused
unless --force. A mistaken approval is undone with usersync revert RUN.

Exit code: 0 applied; 1 applied, some records had errors; 2 refused or failed (nothing applied).`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        by: { type: "string" },
        force: { type: "boolean" },
        limit: { type: "string", short: "n" },
        quiet: { type: "boolean", short: "q" },
        config: { type: "string" },
      },
    });
    const runId = runIdArgument(positionals, "usersync approve RUN");
    const by = actorName(values.by);
    const limit = planLimit(values.limit);
    return withContext(values.config, async ({ store, settings, safety }) => {
      let outcome;
      try {
        outcome = await approveRun(store, runId, { by, settings, safety, force: values.force === true, onProgress: values.quiet ? undefined : terminalProgress() });
      } catch (error) {
        if (!(error instanceof ApprovalError)) throw error;
        console.error(`usersync approve: ${error.message}`);
        return EXIT.failure;
      }
      for (const line of summaryLines(outcome)) console.log(line);
      if (outcome.counts) for (const line of await planLines(store.db, runId, limit)) console.log(line);
      return exitCodeFor(outcome);
    });
  },
};
