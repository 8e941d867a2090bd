// Validation of a control file, before a single record is read: the JSON, its shape (ajv, schema/
// control-file.schema.json), Haplo's semantic checks with Haplo's messages (reference §3.2), and
// stricter checks where Haplo silently lost data. Every problem is reported, each with the JSON
// path of what it is about — not just the first of each kind, as Haplo did. Errors stop the file
// from being used; warnings (an option that does nothing, an unknown property) do not.
import Ajv, { type ErrorObject } from "ajv";
import controlSchema from "../../schema/control-file.schema.json";
import { parseJsonWithPosition } from "../util/json.ts";
import { compileInstructions, type CompileEnvironment, type CompiledInstructions, type Problem } from "./compile.ts";
import { isDocumentation } from "./instruction-checks.ts";
import { READERS } from "./readers/index.ts";
import type { ControlFile } from "./types.ts";
import { textOf } from "./text.ts";

const ajv = new Ajv({ allErrors: true, strict: false });
const validateShape = ajv.compile(controlSchema);

/** The upload name rule (reference §5.2): feed names are used as upload names. */
export const FEED_NAME = /^[a-zA-Z0-9_-]+$/;

const TOP_LEVEL = ["dataImportControlFileVersion", "model", "files", "instructions", "mapping", "recordProcessor"];

/** "/instructions/4/then/0" → "instructions[4].then[0]" */
export function jsonPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), "");
}

export function formatProblem(p: Problem): string {
  const text = p.path ? `${p.path}: ${p.message}` : p.message;
  return p.severity === "warning" ? `warning: ${text}` : text;
}

export type ControlCheck =
  | { ok: true; control: ControlFile; compiled: CompiledInstructions; problems: []; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

/** Validate a control file's text. `env` supplies the model and what compiling needs. */
export function checkControlText(text: string, env: CompileEnvironment): ControlCheck {
  const parsed = parseJsonWithPosition(text);
  if (!parsed.ok) return { ok: false, problems: [{ path: "", message: parsed.error }], warnings: [] };
  return checkControl(parsed.value, env);
}

/** An ajv error as a person reads it. */
function shapeMessage(e: ErrorObject): string {
  switch (e.keyword) {
    case "type":
      return `must be ${/^[aeiou]/.test(String(e.params.type)) ? "an" : "a"} ${e.params.type}`;
    case "minLength":
      return "must not be empty";
    default:
      return e.message ?? "is not valid";
  }
}

export function checkControl(value: unknown, env: CompileEnvironment): ControlCheck {
  const problems: Problem[] = [];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, problems: [{ path: "", message: "Not a control file: the top level must be a JSON object" }], warnings: [] };
  }
  const control = value as ControlFile;
  const error = (path: string, message: string) => problems.push({ path, message });
  const warning = (path: string, message: string) => problems.push({ path, message, severity: "warning" });

  // 1. version (Haplo's messages)
  if (!("dataImportControlFileVersion" in control)) error("", "Not a control file");
  else if (control.dataImportControlFileVersion !== 0) error("dataImportControlFileVersion", "Bad version of control file, should be 0");

  // 2. model
  if (!("model" in control)) error("", "Control file does not specify model in the model property");
  else if (control.model !== env.model.name) error("model", `Model not implemented: ${textOf(control.model)}`);

  // shape: wrong JSON types where the semantic checks below would not say it better
  if (!validateShape(control)) {
    for (const e of validateShape.errors ?? []) {
      const path = jsonPath(e.instancePath);
      if (path === "model" || path === "instructions" || path === "files") continue; // said below, in Haplo's words
      if (/^instructions(\[\d+\]|\.\w+)*$/.test(path) && e.keyword === "type" && e.params.type === "array") continue; // "Expected a list of instructions"
      error(path, shapeMessage(e));
    }
  }
  for (const key of Object.keys(control)) {
    if (!TOP_LEVEL.includes(key) && !isDocumentation(key) && key !== "$schema")
      warning(key, `Unknown property "${key}" (it is ignored; a control file has ${TOP_LEVEL.join(", ")})`);
  }

  // 3. instructions (compiling them checks actions, properties, destinations, names, filters, options)
  let compiled: CompiledInstructions | null = null;
  if (!("instructions" in control)) {
    error("", "Control file does not specify processing instructions in the instructions property");
  } else if (!Array.isArray(control.instructions)) {
    error("instructions", "The instructions property must be a list of instructions");
  } else {
    const result = compileInstructions(control, env);
    problems.push(...result.problems);
    compiled = result.compiled;
  }

  // 4. files and readers
  if (!("files" in control)) {
    error("", "Control file does not have files property");
  } else if (control.files === null || typeof control.files !== "object" || Array.isArray(control.files)) {
    error("files", 'The files property must be an object naming each file, e.g. { "staff": { "read": "json" } }');
  } else {
    const names = Object.keys(control.files);
    if (names.length === 0) error("files", "Control file names no files: there would be nothing to read");
    for (const name of names) {
      const spec = control.files[name] as unknown;
      const path = `files.${name}`;
      if (!FEED_NAME.test(name)) error(path, `File name ${name} can't be uploaded: use only letters, digits, _ and -`);
      if (name === "DEFAULT" && env.model.name === "haplo:user-sync")
        warning(path, "In a user sync DEFAULT is only a file name: a run waits for an upload named DEFAULT (name the file after what it holds, e.g. staff)");
      if (name === "_control") error(path, "_control is the name of the control file itself");
      if (spec === null || typeof spec !== "object" || Array.isArray(spec)) continue; // a shape error above
      const fileSpec = spec as ControlFile["files"][string];
      if (!("read" in fileSpec)) {
        error(path, `Reader not specified for file ${name}`);
        continue;
      }
      const reader = typeof fileSpec.read === "string" ? READERS[fileSpec.read] : undefined;
      if (!reader) {
        error(`${path}.read`, `Unknown reader for file ${name}: ${textOf(fileSpec.read)} (readers: ${Object.keys(READERS).join(", ")})`);
        continue;
      }
      for (const message of reader.checkSpec(fileSpec)) error(path, message);
      for (const option of Object.keys(fileSpec)) {
        if (option !== "read" && !reader.options.includes(option) && !isDocumentation(option))
          warning(
            `${path}.${option}`,
            `The ${reader.name} reader has no option "${option}" (it is ignored${reader.options.length ? `; options: ${reader.options.join(", ")}` : ""})`,
          );
      }
    }
  }

  // 5. mappings (Haplo checked none of this up front)
  const mappings = control.mapping;
  if (mappings !== undefined && mappings !== null && typeof mappings === "object" && !Array.isArray(mappings)) {
    for (const [name, mapping] of Object.entries(mappings)) {
      const path = `mapping.${name}`;
      if (mapping === null || typeof mapping !== "object") continue; // a shape error above
      if (mapping.using !== "behaviour" && mapping.using !== "title")
        error(`${path}.using`, `Mapping ${name} must use "behaviour" or "title", not ${JSON.stringify(mapping.using)}`);
      if (mapping.using === "title" && (!Array.isArray(mapping.types) || mapping.types.length === 0))
        error(`${path}.types`, `Mapping ${name} does not specify types`);
      const raw = mapping as unknown as Record<string, unknown>;
      if (raw.values === undefined && raw.value !== undefined) error(`${path}.value`, `Mapping ${name} has "value"; the key is "values"`);
      else if (raw.values === undefined) error(path, `Mapping ${name} has no "values"`);
      if (compiled && !compiled.mappingsUsed.has(name)) warning(path, `Mapping ${name} is not used by any instruction (refMapping)`);
    }
  }

  if (control.recordProcessor !== undefined)
    error("recordProcessor", `Unknown record processor specified in recordProcessor property: ${textOf(control.recordProcessor)}`);

  const unique = dedupe(problems);
  const errors = unique.filter((p) => p.severity !== "warning");
  const warnings = unique.filter((p) => p.severity === "warning");
  if (errors.length || !compiled) return { ok: false, problems: errors, warnings };
  return { ok: true, control, compiled, problems: [], warnings };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
