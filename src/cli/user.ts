// usersync user USERNAME   (everything about one user, and why they are in their state)
import { parseArgs } from "node:util";
import { explainUser, findUsername } from "../engine/explain.ts";
import { UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { time } from "./format.ts";

function valueText(v: unknown): string {
  if (v !== null && typeof v === "object" && "v" in v) {
    const tv = v as { v: unknown; q?: string };
    const text = typeof tv.v === "object" ? JSON.stringify(tv.v) : String(tv.v);
    return tv.q ? `${text} [${tv.q}]` : text;
  }
  return JSON.stringify(v);
}

export const userCommand: Command = {
  name: "user",
  summary: "Show one user: account, groups, profile, ledger, last record received, and why",
  usage: `usersync user USERNAME|EMAIL [--json] [--config usersync.json]

Shows the account, its groups (managed or not), the profile object, the sync's ledger, the last
record received for the user, and why the user is in their current state.`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: "boolean" }, config: { type: "string" } } });
    const lookup = positionals[0];
    if (!lookup) throw new UsageError("Give a username or an email address");
    return withContext(values.config, async ({ store, settings }) => {
      const username = await findUsername(store.db, lookup);
      const report = username ? await explainUser(store.db, username, settings.blockAfterAbsentRuns) : null;
      if (!report) {
        console.error(`No user found for ${lookup}.`);
        return 2;
      }
      if (values.json) {
        console.log(JSON.stringify(report, null, 2));
        return 0;
      }
      const { user, ledger, profile } = report;
      console.log(`${user.username} — ${[user.title, user.nameFirst, user.nameLast].filter(Boolean).join(" ")} <${user.email ?? ""}>`);
      console.log(`  ${report.state.summary}`);
      for (const d of report.state.details) console.log(`  ${d}`);
      console.log(`\nAccount: ${user.active ? "active" : `blocked (by ${user.blockedBy ?? "?"}${user.blockedAt ? `, ${time(user.blockedAt)}` : ""})`}; created ${time(user.createdAt)}, updated ${time(user.updatedAt)}`);
      if (Object.keys(user.tags).length) console.log(`  tags: ${Object.entries(user.tags).map(([k, v]) => `${k}=${v}`).join(", ")}`);
      console.log(`\nGroups:${report.groups.length ? "" : " none"}`);
      for (const g of report.groups)
        console.log(`  ${g.code}${g.title && g.title !== g.code ? ` (${g.title})` : ""} — ${g.managed ? "managed: follows the feed" : "not managed: never removed by the sync"}; added by ${g.addedBy}${g.addedRunId ? ` in run ${g.addedRunId}` : ""}`);
      console.log(`\nProfile:${profile ? "" : " none"}`);
      if (profile) {
        console.log(`  #${profile.id} "${profile.title}", type ${profile.types.join(", ")}, version ${profile.version}`);
        for (const [code, values] of Object.entries(profile.attributes)) console.log(`  ${code}: ${(values as unknown[]).map(valueText).join("; ")}`);
      }
      console.log(`\nSync ledger:${ledger ? "" : " not managed by the sync"}`);
      if (ledger)
        console.log(
          `  in feed: ${ledger.inFeed ? "yes" : "no"}; error: ${ledger.error ? "yes" : "no"}; absent runs: ${ledger.absentRuns}; ` +
            `created in run ${ledger.createdRunId ?? "-"}; last changed in run ${ledger.lastRunId ?? "-"}; digest ${ledger.digest}`,
        );
      if (report.recentProblems.length) {
        console.log(`\nProblems in run ${report.recentProblems[0]!.runId}:`);
        for (const p of report.recentProblems) console.log(`  ${p.message}`);
      }
      if (report.lastReceived) {
        const r = report.lastReceived;
        console.log(`\nLast record received (run ${r.runId}, ${r.fileName ?? "?"} record ${r.recordNumber ?? "?"}; ${report.timelineLength} distinct record(s) in the timeline):`);
        console.log(JSON.stringify(r.raw, null, 2).replace(/^/gm, "  "));
      }
      return 0;
    });
  },
};
