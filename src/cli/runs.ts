// usersync runs   (the latest sync runs)
import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { withContext } from "./context.ts";
import { num, table, time } from "./format.ts";

interface RunRow {
  id: number;
  status: string;
  kind: string;
  source: string | null;
  created_at: Date;
  duration_ms: number | null;
  error_count: number;
  counts: Record<string, number>;
}

export const runsCommand: Command = {
  name: "runs",
  summary: "List the latest sync runs with their counts",
  usage: `usersync runs [--limit N] [--config usersync.json]

Lists sync runs, newest first: status, source, what each did (created, updated, unblocked,
unchanged, blocked, rejected) and its error count.`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { limit: { type: "string", short: "n" }, config: { type: "string" } } });
    const limit = Math.max(1, Math.min(1000, Number(values.limit ?? 20) || 20));
    return withContext(values.config, async ({ store }) => {
      const rows = await store.db.query<RunRow>(
        "SELECT id, status, kind, source, created_at, duration_ms, error_count, counts FROM runs ORDER BY id DESC LIMIT $1",
        [limit],
      );
      if (!rows.length) {
        console.log("No sync runs yet.");
        return 0;
      }
      console.log(
        table(
          ["RUN", "STATUS", "SOURCE", "CREATED", "RECORDS", "CREATE", "UPDATE", "UNBLOCK", "UNCHANGED", "BLOCK", "REJECT", "ERRORS", "SECONDS"],
          rows.map((r) => [
            r.id,
            r.status,
            r.kind === "feed" ? r.source : `${r.kind} (${r.source})`,
            time(r.created_at),
            num(r.counts.records),
            num(r.counts.create),
            num(r.counts.update),
            num(r.counts.unblock),
            num(r.counts.unchanged),
            num(r.counts.block),
            num(r.counts.reject),
            num(r.error_count),
            r.duration_ms === null ? "" : (r.duration_ms / 1000).toFixed(1),
          ]),
        ),
      );
      return 0;
    });
  },
};
