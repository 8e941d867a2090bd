// usersync retention run [--dry-run]   (apply usersync.json `retention` now)
import { parseArgs } from "node:util";
import { applyRetention, retentionConfigured } from "../ops/retention.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { num } from "./format.ts";

export const retentionCommand: Command = {
  name: "retention",
  summary: "Delete history older than usersync.json `retention` allows (batch files, received data, logs)",
  usage: `usersync retention run [--dry-run] [--config usersync.json]

Applies the "retention" settings of usersync.json now (the daemon does it once a day):
  batchFilesDays       the stored batch files of runs finished longer ago are deleted (the run keeps
                       their names, sizes and digests; the latest complete run's files are kept);
  receivedRecordsDays  per-user received data older than this, except each user's latest record;
  runLogDays           the log and undo images of runs older than this (the run and its counts stay).
Runs still open (uploading, ready, queued, running, held) are never touched. --dry-run says what
would be deleted and deletes nothing. Without "retention" settings history is kept forever.`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { "dry-run": { type: "boolean" }, config: { type: "string" } } });
    if (positionals[0] !== "run" || positionals.length > 1) throw new UsageError(positionals[0] ? `Unknown action "${positionals.join(" ")}": use run` : "Say what to do: usersync retention run");
    return withContext(values.config, async ({ store, config }) => {
      if (!retentionConfigured(config.retention)) {
        console.log(`No retention is configured${config.source ? ` in ${config.source}` : ""}: history is kept forever.`);
        return EXIT.ok;
      }
      const dryRun = values["dry-run"] === true;
      const r = await applyRetention(store, config.retention, { dryRun, actor: `cli:${process.env.USER ?? "?"}` });
      const verb = dryRun ? "would delete" : "deleted";
      console.log(`${dryRun ? "Dry run: " : ""}retention ${verb}:`);
      if (config.retention.batchFilesDays)
        console.log(`  batch files older than ${config.retention.batchFilesDays} days: ${num(r.batchFiles.files)} file(s), ${num(r.batchFiles.bytes)} bytes, from ${num(r.batchFiles.runs)} run(s)`);
      if (config.retention.receivedRecordsDays) console.log(`  received records older than ${config.retention.receivedRecordsDays} days: ${num(r.receivedRecords)}`);
      if (config.retention.runLogDays)
        console.log(`  logs of runs older than ${config.retention.runLogDays} days: ${num(r.runEvents)} log line(s), ${num(r.runChanges)} undo image(s)`);
      return EXIT.ok;
    });
  },
};
