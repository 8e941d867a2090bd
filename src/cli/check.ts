// usersync check CONTROL.json [NAME=PATH ...] [--limit N] [--json]
// The control file's development loop: validate it (every problem, with its JSON path), then try
// it on the first records of the given files and show what each becomes — and every error of
// every record, with its place. Nothing is written to any user.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/index.ts";
import {
  ControlFileError,
  formatProblem,
  loadControl,
  tryRecords,
  typedValueText,
  type Control,
  type DescribeRef,
  type Problem,
  type RecordError,
  type TriedRecord,
  type TryResult,
} from "../control/index.ts";
import { parseFileArgs } from "./apply.ts";
import { titleMappingTypes } from "../engine/index.ts";
import { normaliseUsername, openCheckEnvironment, type CheckEnvironment } from "./check-environment.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { num } from "./format.ts";

const DEFAULT_LIMIT = 5;

function where(e: RecordError): string {
  return [`file ${e.file}`, e.record ? `record ${e.record}` : "", e.line !== null ? `line ${e.line}` : ""].filter(Boolean).join(", ");
}

function oneLine(value: unknown, max = 400): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function userText(user: Record<string, unknown>): string {
  const entries = Object.entries(user);
  return entries.length ? entries.map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(", ") : String(v)}`).join("; ") : "(nothing)";
}

function printRecord(r: TriedRecord, describe: DescribeRef): void {
  const status = r.status === "ok" ? "" : `: ${r.status.toUpperCase()}`;
  console.log(`  record ${r.record}${r.line !== null ? ` (line ${r.line})` : ""} — username ${r.username ?? "(none)"}${status}`);
  console.log(`    raw:     ${oneLine(r.raw)}`);
  if (r.status === "no-username" || r.status === "duplicate") {
    for (const e of r.errors) console.log(`    error:   ${e.message}`);
    return;
  }
  console.log(`    user:    ${userText(r.user)}`);
  if (r.tags) console.log(`    tags:    ${userText(r.tags)}`);
  const attributes = Object.entries(r.finished?.profile?.attributes ?? r.profile);
  if (r.finished?.profile) console.log(`    profile: type ${r.finished.profile.types.join(", ")}; title "${r.finished.profile.title}"`);
  else if (!attributes.length) console.log("    profile: (nothing)");
  for (const [i, [code, values]] of attributes.entries()) {
    const label = i === 0 && !r.finished?.profile ? "    profile: " : "             ";
    console.log(`${label}${code}: ${values.map((v) => typedValueText(v, describe)).join(" | ")}`);
  }
  for (const e of r.errors) console.log(`    error:   ${e.message} (${where(e)})`);
}

function printProblems(title: string, problems: Problem[], stream: (line: string) => void): void {
  if (!problems.length) return;
  stream(title);
  for (const p of problems) stream(`  - ${formatProblem(p)}`);
}

function printTry(result: TryResult, describe: DescribeRef, limit: number): void {
  for (const file of result.files) {
    console.log("");
    console.log(`${file.name}${file.source ? ` (${file.source})` : ""}, read as ${file.reader}: ${num(file.records)} record(s)`);
    for (const r of file.shown) printRecord(r, describe);
    if (file.records > file.shown.length) console.log(`  … ${num(file.records - file.shown.length)} more record(s) not shown (--limit ${limit})`);
    if (file.failure) console.log(`  FILE ERROR: ${file.failure.message} (${where(file.failure)}): the records after it are not read`);
    const absent = Object.entries(file.fieldPresence).filter(([, n]) => n === 0);
    if (file.records && absent.length)
      console.log(`  fields the control file reads that no record of ${file.name} has: ${absent.map(([s]) => s).join(", ")}`);
  }
  if (result.moreErrors.length) {
    console.log("");
    console.log("Errors in the records not shown:");
    for (const e of result.moreErrors) console.log(`  - ${e.message} (${where(e)}${e.username ? `, user ${e.username}` : ""})`);
    const shownErrors = result.files.reduce((n, f) => n + f.shown.reduce((m, r) => m + r.errors.length, 0) + (f.failure ? 1 : 0), 0);
    const hidden = result.errorCount - shownErrors - result.moreErrors.length;
    if (hidden > 0) console.log(`  … and ${num(hidden)} more`);
  }
  const c = result.counts;
  console.log("");
  console.log(
    `${num(result.records)} record(s) read: ${num(c.ok)} would be applied, ${num(c.rejected)} rejected, ` +
      `${num(c["no-username"])} without a username, ${num(c.duplicate)} duplicate(s); ${num(result.errorCount)} error(s).`,
  );
}

export const checkCommand: Command = {
  name: "check",
  summary: "Check a control file and try it on records: usersync check CONTROL.json [NAME=PATH ...]",
  usage: `usersync check CONTROL.json [NAME=PATH ...] [--limit N] [--json] [--offline] [--config usersync.json]

Validates the control file — every problem at once, each with the JSON path of the instruction
it is about (e.g. instructions[4].then[0]) — then reads the given files (NAME is the file's name
in the control file's "files", e.g. staff=./staff.json) and runs every record through it, as a
run would, without changing any user. For the first N records of each file (--limit, default
${DEFAULT_LIMIT}) it shows the raw record, the user, tags and profile it maps to, and its errors; for
the rest, only their errors. Each error names its file, record and line.

Groups, profile attributes, user tags and qualifiers come from usersync.json when there is one.
An existing database (DATABASE_URL, or the embedded one in the data folder, when no daemon has
it open) is used to look up reference objects for mappings and filters; without one (or with
--offline) refs are shown as what they would look up. check never creates or changes a database.

--json prints the whole result as JSON.

Exit code: 0 the control file is valid and every record read maps without error; 1 it is valid
but some records have errors; 2 it is invalid, a file cannot be read, or the arguments are wrong.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        limit: { type: "string", short: "n" },
        json: { type: "boolean" },
        offline: { type: "boolean" },
        config: { type: "string" },
      },
    });
    const [controlPath, ...fileArgs] = positionals;
    if (!controlPath) throw new UsageError("Name the control file to check");
    const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit must be a whole number, not "${values.limit}"`);
    let text: string;
    try {
      text = readFileSync(controlPath, "utf8");
    } catch {
      throw new UsageError(`Control file not found: ${controlPath}`);
    }
    const files = parseFileArgs(fileArgs);
    const config = loadConfig(values.config);
    const environment = await openCheckEnvironment(config, { offline: values.offline === true });
    try {
      return await check(controlPath, text, files, { limit, json: values.json === true, config, environment });
    } finally {
      await environment.close();
    }
  },
};

async function check(
  controlPath: string,
  text: string,
  files: { name: string; path: string }[],
  options: { limit: number; json: boolean; config: ReturnType<typeof loadConfig>; environment: CheckEnvironment },
): Promise<number> {
  const { config, environment, json } = options;
  const controlOptions = {
    profileAttributes: config.profile.attributes,
    userTags: config.userTags,
    qualifiers: config.profile.qualifiers,
    lookups: environment.lookups,
  };
  let control: Control;
  try {
    control = loadControl(text, controlOptions);
  } catch (error) {
    if (!(error instanceof ControlFileError)) throw error;
    if (json) console.log(JSON.stringify({ control: controlPath, valid: false, problems: error.problems, warnings: error.warnings }, null, 2));
    else {
      console.log(`${controlPath}: NOT VALID — ${error.problems.length} problem(s):`);
      for (const p of error.problems) console.log(`  - ${formatProblem(p)}`);
      printProblems("Warnings:", error.warnings, (l) => console.log(l));
    }
    return EXIT.failure;
  }

  const expected = Object.keys(control.files);
  const unknown = files.filter((f) => !expected.includes(f.name));
  if (unknown.length) {
    const message = `The control file does not read ${unknown.map((f) => f.name).join(", ")}; it reads ${expected.join(", ")}`;
    if (json) console.log(JSON.stringify({ control: controlPath, valid: true, warnings: control.warnings, error: message }, null, 2));
    else console.error(`usersync check: ${message}`);
    return EXIT.failure;
  }
  const missing = expected.filter((n) => !files.some((f) => f.name === n));

  await environment.prepare(control.instructions.needs, titleMappingTypes(control));
  const result = await tryRecords(
    control,
    files.map((f) => ({ name: f.name, source: f.path, spec: control.files[f.name]!, open: () => Bun.file(f.path).stream() })),
    { limit: options.limit, normaliseUsername, finish: environment.finish, onProgress: progressLine() },
  );
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
  const ids = result.files.flatMap((f) =>
    f.shown.flatMap((r) =>
      Object.values(r.finished?.profile?.attributes ?? r.profile).flatMap((vs) => vs.filter((v) => v.t === "ref" && typeof v.v === "number").map((v) => v.v as number)),
    ),
  );
  const describe = await environment.describeRefs(ids);
  const failed = result.files.some((f) => f.failure);
  const code = failed ? EXIT.failure : result.errorCount > 0 ? EXIT.runErrors : EXIT.ok;

  if (json) {
    const refs = Object.fromEntries([...new Set(ids)].map((id) => [id, describe(id)]));
    console.log(JSON.stringify({ control: controlPath, valid: true, warnings: control.warnings, checkedAgainst: environment.source, notes: environment.notes, missingFiles: missing, refs, ...result }, null, 2));
    return code;
  }
  const readers = expected.map((n) => `${n} (${control.files[n]!.read})`).join(", ");
  console.log(`${controlPath}: valid — reads ${readers}; checked against ${environment.source}.`);
  printProblems("Warnings:", control.warnings, (l) => console.log(l));
  for (const note of environment.notes) console.log(`Note: ${note}`);
  if (!files.length) {
    console.log(`Give files to try it on: usersync check ${controlPath} ${expected.map((n) => `${n}=PATH`).join(" ")}`);
    return EXIT.ok;
  }
  if (missing.length) console.log(`Not given (a run needs them too): ${missing.join(", ")}`);
  printTry(result, describe, options.limit);
  return code;
}

/** On a terminal, a "reading staff: 120,000 records" line while large files are read. */
function progressLine(): ((file: string, records: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (file, records) => {
    const now = performance.now();
    if (now - last < 250) return;
    last = now;
    process.stderr.write(`\r\x1b[2Kreading ${file}: ${num(records)} records`);
  };
}
