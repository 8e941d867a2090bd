// usersync run ID   (one run: summary, files and log)
import { parseArgs } from "node:util";
import { UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { num, table, time } from "./format.ts";

interface EventRow {
  level: string;
  action: string;
  username: string | null;
  message: string;
  detail: { changes?: Record<string, [unknown, unknown]>; groupsAdded?: string[]; groupsRemoved?: string[] } | null;
}

export function describeChanges(detail: EventRow["detail"]): string[] {
  if (!detail) return [];
  const out: string[] = [];
  for (const [field, [before, after]] of Object.entries(detail.changes ?? {}))
    out.push(`      ${field}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  if (detail.groupsAdded?.length) out.push(`      groups added: ${detail.groupsAdded.join(", ")}`);
  if (detail.groupsRemoved?.length) out.push(`      groups removed: ${detail.groupsRemoved.join(", ")}`);
  return out;
}

export const runCommand: Command = {
  name: "run",
  summary: "Show one run: its summary, files and log",
  usage: `usersync run ID [--errors] [--changes] [--action A] [--user U] [--limit N] [--config usersync.json]

Shows a run's summary, its files (name, size, SHA-256) and its log, in Haplo's vocabulary
(create u, update u, block u, ERROR: …). --errors shows only errors and warnings; --changes
shows the field-level changes of each update; --action and --user filter the log.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        errors: { type: "boolean" },
        changes: { type: "boolean" },
        action: { type: "string" },
        user: { type: "string" },
        limit: { type: "string", short: "n" },
        config: { type: "string" },
      },
    });
    const id = Number(positionals[0]);
    if (!Number.isInteger(id) || id <= 0) throw new UsageError("Give the run's number: usersync run ID");
    const limit = Math.max(1, Number(values.limit ?? 1000) || 1000);
    return withContext(values.config, async ({ store }) => {
      const [run] = await store.db.query<Record<string, any>>("SELECT * FROM runs WHERE id = $1", [id]);
      if (!run) {
        console.error(`There is no run ${id}.`);
        return 2;
      }
      const c = run.counts ?? {};
      console.log(`Run ${id} — ${run.status}${run.kind !== "feed" ? ` (${run.kind})` : ""}, from ${run.source ?? "?"}`);
      console.log(`  created ${time(run.created_at)}, finished ${time(run.finished_at)}${run.duration_ms ? `, ${(run.duration_ms / 1000).toFixed(1)} s` : ""}`);
      if (run.message) console.log(`  ${run.message}`);
      if (c.records !== undefined)
        console.log(
          `  records ${num(c.records)}: ${num(c.create)} created, ${num(c.update)} updated, ${num(c.unblock)} unblocked, ${num(c.unchanged)} unchanged, ` +
            `${num(c.block)} blocked, ${num(c.pendingLeaver)} pending leavers, ${num(c.reject)} rejected; ${num(run.error_count)} errors`,
        );
      if (run.approved_by) console.log(`  approved by ${run.approved_by} at ${time(run.approved_at)}`);
      if (run.based_on_run_id) console.log(`  ${run.kind} of run ${run.based_on_run_id}`);
      if (run.safety?.checks?.length) {
        console.log("  safety checks:");
        for (const k of run.safety.checks) console.log(`    ${k.tripped ? "TRIPPED" : "ok     "} ${k.name}: ${k.message}`);
      }
      const files = await store.db.query<Record<string, any>>(
        "SELECT name, original_filename, size, digest FROM run_files WHERE run_id = $1 ORDER BY name",
        [id],
      );
      console.log("\nFiles:");
      console.log(table(["NAME", "FILENAME", "BYTES", "SHA-256"], files.map((f) => [f.name, f.original_filename, num(Number(f.size)), f.digest])));
      const where = ["run_id = $1"];
      const params: unknown[] = [id];
      if (values.errors) where.push("level IN ('error', 'warn')");
      if (values.action) {
        params.push(values.action);
        where.push(`action = $${params.length}`);
      }
      if (values.user) {
        params.push(values.user.normalize("NFC").trim().toLowerCase());
        where.push(`username = $${params.length}`);
      }
      params.push(limit);
      const events = await store.db.query<EventRow>(
        `SELECT level, action, username, message, detail FROM run_events WHERE ${where.join(" AND ")} ORDER BY seq LIMIT $${params.length}`,
        params,
      );
      const [{ total }] = (await store.db.query<{ total: number }>(
        `SELECT count(*)::int AS total FROM run_events WHERE ${where.join(" AND ")}`,
        params.slice(0, -1),
      )) as [{ total: number }];
      console.log(`\nLog${total > events.length ? ` (first ${num(events.length)} of ${num(total)} lines; --limit N for more)` : ""}:`);
      for (const e of events) {
        console.log(`  ${e.message}`);
        if (values.changes) for (const line of describeChanges(e.detail)) console.log(line);
      }
      return 0;
    });
  },
};
