// usersync reject RUN [--by NAME] [--reason TEXT]   (a held run is never applied)
import { parseArgs } from "node:util";
import { ApprovalError, rejectRun } from "../engine/index.ts";
import { actorName, runIdArgument } from "./approve.ts";
import { EXIT, type Command } from "./command.ts";
import { withContext } from "./context.ts";

export const rejectCommand: Command = {
  name: "reject",
  summary: "Reject a held run: nothing more of it is ever applied",
  usage: `usersync reject RUN [--by NAME] [--reason TEXT] [--config usersync.json]

Marks a held run rejected: nothing more of it is applied, and its log says who rejected it
(--by NAME; default: your login name) and why. A run held in part keeps the safe part that was
applied when it was held; usersync revert RUN undoes that too.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { by: { type: "string" }, reason: { type: "string" }, config: { type: "string" } },
    });
    const runId = runIdArgument(positionals, "usersync reject RUN");
    const by = actorName(values.by);
    return withContext(values.config, async ({ store }) => {
      try {
        const { partlyApplied } = await rejectRun(store, runId, { by, reason: values.reason });
        console.log(`Run ${runId}: rejected by ${by}.${partlyApplied ? ` Its safe part, applied when it was held, stays: usersync revert ${runId} undoes it.` : " Nothing of it was applied."}`);
        return EXIT.ok;
      } catch (error) {
        if (!(error instanceof ApprovalError)) throw error;
        console.error(`usersync reject: ${error.message}`);
        return EXIT.failure;
      }
    });
  },
};
