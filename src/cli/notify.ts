// usersync notify [RUN]   (send a run's report now: checks the notification settings end to end)
import { parseArgs } from "node:util";
import { notifyRunFinished, notifyRunHeld } from "../notify/index.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";

export const notifyCommand: Command = {
  name: "notify",
  summary: "Send a run's report to the configured email and webhooks now (to check the settings)",
  usage: `usersync notify [RUN] [--config usersync.json]

Sends the report of run RUN (default: the latest finished run) to everything usersync.json
"notifications" configures — the email and every webhook — exactly as the daemon does after a
run, and says what each delivery did. A held run is sent as the held notice.

Exit code: 0 every delivery succeeded; 2 one failed, or nothing is configured, or there is no such run.`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: "string" } } });
    if (positionals.length > 1) throw new UsageError("Give at most one run number");
    const asked = positionals[0] === undefined ? null : Number(positionals[0]);
    if (asked !== null && (!Number.isInteger(asked) || asked <= 0)) throw new UsageError(`"${positionals[0]}" is not a run number`);
    return withContext(values.config, async (ctx) => {
      const { notifications } = ctx.config;
      if (!notifications.email && !notifications.webhooks?.length) {
        console.error(`Nothing to send: no "notifications" email or webhooks in ${ctx.config.source ?? "the configuration (no usersync.json found)"}.`);
        return EXIT.failure;
      }
      const [run] = await ctx.store.db.query<{ id: number; status: string }>(
        asked === null
          ? "SELECT id, status FROM runs WHERE status IN ('complete', 'failure', 'held') ORDER BY id DESC LIMIT 1"
          : "SELECT id, status FROM runs WHERE id = $1",
        asked === null ? [] : [asked],
      );
      if (!run) {
        console.error(asked === null ? "There is no finished run to report yet." : `There is no run ${asked}.`);
        return EXIT.failure;
      }
      const forced = { ...ctx, config: { notifications: { ...notifications, events: undefined } } };
      const { deliveries } = run.status === "held" ? await notifyRunHeld(forced, Number(run.id)) : await notifyRunFinished(forced, Number(run.id));
      for (const d of deliveries) console.log(`${d.ok ? "sent" : "FAILED"}  ${d.channel} to ${d.target}${d.error ? `: ${d.error}` : ""}`);
      return deliveries.every((d) => d.ok) ? EXIT.ok : EXIT.failure;
    });
  },
};
