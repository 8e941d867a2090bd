// usersync revert RUN [--dry-run] [--force]   (undo a run: every user it changed back as before it)
import { parseArgs } from "node:util";
import { revertRun, RevertError } from "../engine/index.ts";
import { planLimit } from "./apply.ts";
import { actorName, runIdArgument } from "./approve.ts";
import { EXIT, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { num } from "./format.ts";
import { planLines } from "./plan.ts";

export const revertCommand: Command = {
  name: "revert",
  summary: "Undo a run: put every user, profile and membership it changed back as before it",
  usage: `usersync revert RUN [--dry-run] [--force] [--by NAME] [--limit N] [--config usersync.json]

Puts every user, profile object, group membership and ledger entry that run RUN changed back to
its state before the run, from the before-images the run kept; users it created are deleted with
their profiles. The revert is a run of its own (kind "revert") with its own log, so it can be
reverted too. The received-data timeline and the runs' logs are kept.

Start with --dry-run: it shows, per user, what would be put back (field by field), and writes
nothing to the users.

If later runs (or someone outside the sync) changed some of the same users since, reverting
would undo those later changes too: the revert is refused and says which runs and how many
users. --force reverts anyway.

Exit code: 0 reverted (or dry run shown); 2 refused or failed (nothing changed).`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "dry-run": { type: "boolean" },
        force: { type: "boolean" },
        by: { type: "string" },
        limit: { type: "string", short: "n" },
        config: { type: "string" },
      },
    });
    const runId = runIdArgument(positionals, "usersync revert RUN");
    const by = actorName(values.by);
    const limit = planLimit(values.limit);
    return withContext(values.config, async ({ store }) => {
      try {
        const outcome = await revertRun(store, runId, { by, dryRun: values["dry-run"] === true, force: values.force === true, source: "cli" });
        const c = outcome.counts;
        const what = `${num(c.restored)} users put back, ${num(c.deleted)} deleted (created by run ${runId}), ${num(c.recreated)} created again`;
        console.log(`Run ${outcome.runId}: ${outcome.status} — revert of run ${runId}: ${outcome.status === "dry-run" ? `would have ${what}; nothing was changed` : what}`);
        for (const conflict of outcome.conflicts)
          console.log(`  WARNING: ${num(conflict.users)} of these users ${conflict.runId === null ? "were changed outside the sync since" : `were changed again by run ${conflict.runId}`}${outcome.status === "dry-run" ? " (a revert would be refused without --force)" : " (undone too: --force)"}`);
        for (const line of await planLines(store.db, outcome.runId, limit)) console.log(line);
        return EXIT.ok;
      } catch (error) {
        if (!(error instanceof RevertError)) throw error;
        console.error(`usersync revert: ${error.message}`);
        return EXIT.failure;
      }
    });
  },
};
