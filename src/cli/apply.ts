// usersync apply --control C.json NAME=PATH ...   (reconcile a feed from the command line)
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createRunFromFiles, recoverInterruptedRuns } from "../batch/index.ts";
import { ControlFileError, formatProblem, loadControl } from "../control/index.ts";
import { executeRun, planSafetyCheck, type RunOutcome } from "../engine/index.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { terminalProgress } from "./format.ts";
import { countLines, planLines, safetyLines } from "./plan.ts";

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

export function summaryLines(outcome: RunOutcome, options: { allChecks?: boolean } = {}): string[] {
  const lines = [`Run ${outcome.runId}: ${outcome.status}${outcome.message ? ` — ${outcome.message}` : ""}`];
  lines.push(...countLines(outcome));
  lines.push(...safetyLines(outcome.runId, outcome.safety, { all: options.allChecks, dryRun: outcome.status === "dry-run" }));
  lines.push(`  ${(outcome.durationMs / 1000).toFixed(1)} s`);
  return lines;
}

/** Limit for the per-user plan lines: --limit N, default 200. */
export function planLimit(value: string | undefined): number {
  if (value === undefined) return 200;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit must be a whole number of lines, not "${value}"`);
  return n;
}

export function exitCodeFor(outcome: RunOutcome): number {
  if (outcome.status === "failure") return EXIT.failure;
  if (outcome.status === "held") return EXIT.held;
  return outcome.errorCount > 0 ? EXIT.runErrors : EXIT.ok;
}

export const applyCommand: Command = {
  name: "apply",
  summary: "Reconcile a feed given as files: usersync apply --control C.json NAME=PATH ...",
  usage: `usersync apply --control CONTROL.json [--dry-run] [--limit N] [--config usersync.json] NAME=PATH ...

Reads every file through the control file and reconciles the users in one transaction:
creates, updates, blocks users absent from the feed, unblocks returners. NAME is the file's
name in the control file's "files" (e.g. staff=./staff.json).

Every run is planned first and its plan checked by the safety checks (usersync.json "safety"):
the very first run, an empty or unreadable file, too many blocks, a file that shrank or grew,
a vanished column, a mass change of one field, a surge of errors or duplicates. A tripped check
HOLDS the run (nothing applied, or only its safe part): approve it with usersync approve RUN,
or reject it with usersync reject RUN.

With --dry-run nothing is written to the users: the plan is shown — per user, the action and
the field-level changes (the first --limit N lines, default 200) — with the safety checks'
verdict, and kept in the run's log.

Exit code: 0 applied without errors; 1 applied, some records had errors; 2 failed or invalid
input (nothing applied); 3 held by a safety check (nothing applied, or only its safe part).`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        control: { type: "string", short: "c" },
        config: { type: "string" },
        "dry-run": { type: "boolean" },
        limit: { type: "string", short: "n" },
        quiet: { type: "boolean", short: "q" },
      },
    });
    const limit = planLimit(values.limit);
    if (!values.control) throw new UsageError("--control is required");
    if (!existsSync(values.control)) throw new UsageError(`Control file not found: ${values.control}`);
    const files = parseFileArgs(positionals);
    if (!files.length) throw new UsageError("Name at least one file: NAME=PATH");
    return withContext(values.config, async ({ store, settings, safety }) => {
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
      const dryRun = values["dry-run"] === true;
      const outcome = await executeRun(store, runId, {
        settings,
        dryRun,
        safety: planSafetyCheck(safety),
        onProgress: values.quiet ? undefined : terminalProgress(),
        actor: "cli",
      });
      for (const line of summaryLines(outcome, { allChecks: dryRun })) console.log(line);
      // The plan is what a person must see before applying: on a dry run, and on a held run.
      if (outcome.counts && (dryRun || outcome.status === "held")) for (const line of await planLines(store.db, runId, limit)) console.log(line);
      if (outcome.status !== "failure" && outcome.errorCount > 0) console.log(`  see the errors: usersync run ${runId} --errors`);
      return exitCodeFor(outcome);
    });
  },
};
