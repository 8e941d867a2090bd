// usersync apply --control C.json NAME=PATH ...   (reconcile a feed from the command line)
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createRunFromFiles, recoverInterruptedRuns } from "../batch/index.ts";
import { ControlFileError, formatProblem, loadControl } from "../control/index.ts";
import { executeRun, type RunOutcome } from "../engine/index.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { num, terminalProgress } from "./format.ts";

export function parseFileArgs(positionals: string[]): { name: string; path: string }[] {
  return positionals.map((arg) => {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new UsageError(`"${arg}" is not NAME=PATH (e.g. staff=./staff.json)`);
    const name = arg.slice(0, eq);
    const path = arg.slice(eq + 1);
    if (!existsSync(path)) throw new UsageError(`File not found for ${name}: ${path}`);
    return { name, path };
  });
}

export function summaryLines(outcome: RunOutcome): string[] {
  const c = outcome.counts;
  const lines = [`Run ${outcome.runId}: ${outcome.status}${outcome.message ? ` — ${outcome.message}` : ""}`];
  if (c) {
    lines.push(
      `  records ${num(c.records)}: ${num(c.create)} created, ${num(c.update)} updated, ${num(c.unblock)} unblocked, ` +
        `${num(c.unchanged)} unchanged, ${num(c.block)} blocked, ${num(c.pendingLeaver)} pending leavers, ${num(c.reject)} rejected`,
    );
    lines.push(`  groups: ${num(c.groupsAdded)} memberships added, ${num(c.groupsRemoved)} removed; errors: ${num(c.errors)}`);
  }
  if (outcome.safety?.held) {
    lines.push("  held by safety checks:");
    for (const check of outcome.safety.checks.filter((k) => k.tripped)) lines.push(`    - ${check.name}: ${check.message}`);
  }
  lines.push(`  ${(outcome.durationMs / 1000).toFixed(1)} s`);
  return lines;
}

export function exitCodeFor(outcome: RunOutcome): number {
  if (outcome.status === "failure") return EXIT.failure;
  if (outcome.status === "held") return EXIT.held;
  return outcome.errorCount > 0 ? EXIT.runErrors : EXIT.ok;
}

export const applyCommand: Command = {
  name: "apply",
  summary: "Reconcile a feed given as files: usersync apply --control C.json NAME=PATH ...",
  usage: `usersync apply --control CONTROL.json [--dry-run] [--config usersync.json] NAME=PATH ...

Reads every file through the control file and reconciles the users in one transaction:
creates, updates, blocks users absent from the feed, unblocks returners. NAME is the file's
name in the control file's "files" (e.g. staff=./staff.json). With --dry-run nothing is written
to the users: the run's plan and log are kept, so you can see what would change.

Exit code: 0 applied without errors; 1 applied, some records had errors; 2 failed or invalid
input (nothing applied); 3 held by a safety check (nothing applied).`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { control: { type: "string", short: "c" }, config: { type: "string" }, "dry-run": { type: "boolean" }, quiet: { type: "boolean", short: "q" } },
    });
    if (!values.control) throw new UsageError("--control is required");
    if (!existsSync(values.control)) throw new UsageError(`Control file not found: ${values.control}`);
    const files = parseFileArgs(positionals);
    if (!files.length) throw new UsageError("Name at least one file: NAME=PATH");
    return withContext(values.config, async ({ store, settings }) => {
      let control;
      try {
        control = loadControl(readFileSync(values.control!, "utf8"), settings);
      } catch (error) {
        if (!(error instanceof ControlFileError)) throw error;
        console.error(`${values.control}: the control file is not valid:`);
        for (const p of error.problems) console.error(`  - ${formatProblem(p)}`);
        return EXIT.failure;
      }
      const expected = Object.keys(control.files);
      const given = files.map((f) => f.name);
      const missing = expected.filter((n) => !given.includes(n));
      const unknown = given.filter((n) => !expected.includes(n));
      if (unknown.length) throw new UsageError(`The control file does not read ${unknown.join(", ")}; it reads ${expected.join(", ")}`);
      if (missing.length) throw new UsageError(`Missing file(s) the control file reads: ${missing.join(", ")}`);
      const recovered = await recoverInterruptedRuns(store);
      for (const id of recovered) console.error(`Run ${id} had been interrupted; it is marked failed (nothing of it was applied).`);
      const runId = await createRunFromFiles(store, control, files, { source: "cli", by: process.env.USER ?? null });
      const outcome = await executeRun(store, runId, {
        settings,
        dryRun: values["dry-run"] === true,
        onProgress: values.quiet ? undefined : terminalProgress(),
        actor: "cli",
      });
      for (const line of summaryLines(outcome)) console.log(line);
      if (outcome.status !== "failure" && outcome.errorCount > 0) console.log(`  see the errors: usersync run ${runId} --errors`);
      return exitCodeFor(outcome);
    });
  },
};
