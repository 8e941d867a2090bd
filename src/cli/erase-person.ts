// usersync erase-person USERNAME [--dry-run] [--delete-account]   (erase one person from stored history)
import { parseArgs } from "node:util";
import { ErasureError, erasePerson } from "../ops/erasure.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { num } from "./format.ts";

export const erasePersonCommand: Command = {
  name: "erase-person",
  summary: "Erase one person from stored history: received data, log details, records in stored batch files",
  usage: `usersync erase-person USERNAME [--dry-run] [--delete-account] [--config usersync.json]

Erases one person from everything usersync keeps as history, on request (e.g. a GDPR erasure):
  - their received data (each record received for them, raw and mapped);
  - their log lines' usernames and details (the lines stay as "[erased]", so run counts add up),
    and the undo images of their changes;
  - their records in stored batch files: each file holding one is rewritten without it and stored
    under its new SHA-256 (the run keeps the uploaded digest as original_digest); a file whose
    format cannot be rewritten record by record is deleted whole.
The account itself is current data, not history: it stays unless --delete-account is given, which
deletes it (with its profile and memberships) only if the sync has blocked it. If the person is
still in the feed, the next run brings their data back: remove them at the source first.
Backups made before the erasure still hold the data until they expire (docs/OPERATIONS.md).
--dry-run shows what would be erased and changes nothing.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { "dry-run": { type: "boolean" }, "delete-account": { type: "boolean" }, config: { type: "string" } },
    });
    if (positionals.length !== 1) throw new UsageError("Give exactly one username: usersync erase-person USERNAME");
    return withContext(values.config, async ({ store, settings }) => {
      try {
        const r = await erasePerson(store, positionals[0]!, {
          settings,
          dryRun: values["dry-run"] === true,
          deleteAccount: values["delete-account"] === true,
          actor: `cli:${process.env.USER ?? "?"}`,
          onProgress: (searched, files) => {
            if (searched === files || searched % 20 === 0) process.stderr.write(`searching stored batch files: ${searched} of ${files}\n`);
          },
        });
        const verb = r.dryRun ? "Would erase" : "Erased";
        console.log(`${verb} ${r.username} from history:`);
        console.log(`  received records: ${num(r.receivedRecords)}`);
        console.log(`  log lines: ${num(r.logLines)}; undo images: ${num(r.undoImages)}`);
        console.log(`  stored batch files: ${num(r.filesRewritten)} rewritten without their records, ${num(r.filesRemoved)} deleted whole`);
        if (r.accountDeleted) console.log("  the account, its profile and memberships: deleted");
        else if (r.accountExists) console.log("  the account itself is kept (current data; --delete-account once the sync has blocked it)");
        return EXIT.ok;
      } catch (error) {
        if (!(error instanceof ErasureError)) throw error;
        console.error(`usersync erase-person: ${error.message}`);
        return EXIT.failure;
      }
    });
  },
};
