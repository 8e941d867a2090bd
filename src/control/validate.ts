// Validation of a control file, before a single record is read: the JSON, its shape (ajv, schema/
// control-file.schema.json), Haplo's semantic checks with Haplo's messages (reference §3.2), and
// stricter checks where Haplo silently lost data. Every problem is reported, each with the JSON
// path of what it is about — not just the first of each kind, as Haplo did.
import Ajv from "ajv";
import controlSchema from "../../schema/control-file.schema.json";
import { parseJsonWithPosition } from "../util/json.ts";
import { compileInstructions, type CompileEnvironment, type CompiledInstructions, type Problem } from "./compile.ts";
import { READERS } from "./readers/index.ts";
import type { ControlFile } from "./types.ts";

const ajv = new Ajv({ allErrors: true, strict: false });
const validateShape = ajv.compile(controlSchema);

/** The upload name rule (reference §5.2): feed names are used as upload names. */
export const FEED_NAME = /^[a-zA-Z0-9_-]+$/;

/** "/instructions/4/then/0" → "instructions[4].then[0]" */
export function jsonPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), "");
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

export type ControlCheck =
  | { ok: true; control: ControlFile; compiled: CompiledInstructions; problems: [] }
  | { ok: false; problems: Problem[] };

/** Validate a control file's text. `env` supplies the model and what compiling needs. */
export function checkControlText(text: string, env: CompileEnvironment): ControlCheck {
  const parsed = parseJsonWithPosition(text);
  if (!parsed.ok) return { ok: false, problems: [{ path: "", message: parsed.error }] };
  return checkControl(parsed.value, env);
}

export function checkControl(value: unknown, env: CompileEnvironment): ControlCheck {
  const problems: Problem[] = [];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, problems: [{ path: "", message: "Not a control file: the top level must be a JSON object" }] };
  }
  const control = value as ControlFile;

  // 1. version (Haplo's messages)
  if (!("dataImportControlFileVersion" in control)) problems.push({ path: "", message: "Not a control file" });
  else if (control.dataImportControlFileVersion !== 0)
    problems.push({ path: "dataImportControlFileVersion", message: "Bad version of control file, should be 0" });

  // 2. model
  if (typeof control.model !== "string" || control.model === "")
    problems.push({ path: "model", message: "Control file does not specify model in the model property" });
  else if (control.model !== env.model.name) problems.push({ path: "model", message: `Model not implemented: ${control.model}` });

  // shape
  if (!validateShape(control)) {
    for (const e of validateShape.errors ?? []) {
      problems.push({ path: jsonPath(e.instancePath), message: `must be ${e.message?.replace(/^must (be )?/, "") ?? "valid"}` });
    }
  }

  // 3. instructions (compiling them checks actions, properties, destinations, names, filters, options)
  let compiled: CompiledInstructions | null = null;
  if (!Array.isArray(control.instructions)) {
    problems.push({ path: "instructions", message: "Control file does not specify processing instructions in the instructions property" });
  } else {
    const result = compileInstructions(control, env);
    problems.push(...result.problems);
    compiled = result.compiled;
  }

  // 4. files and readers
  if (control.files === null || typeof control.files !== "object" || Array.isArray(control.files)) {
    problems.push({ path: "files", message: "Control file does not have files property" });
  } else {
    const names = Object.keys(control.files);
    if (names.length === 0) problems.push({ path: "files", message: "Control file names no files: there would be nothing to read" });
    for (const name of names) {
      const spec = control.files[name]!;
      const path = `files.${name}`;
      if (!FEED_NAME.test(name)) problems.push({ path, message: `File name ${name} can't be uploaded: use only letters, digits, _ and -` });
      if (name === "DEFAULT" && env.model.name === "haplo:user-sync")
        problems.push({ path, message: "A user sync must name every file; a DEFAULT entry would wait for an upload named DEFAULT" });
      if (name === "_control") problems.push({ path, message: "_control is the name of the control file itself" });
      if (spec === null || typeof spec !== "object") continue;
      if (typeof spec.read !== "string") {
        problems.push({ path, message: `Reader not specified for file ${name}` });
        continue;
      }
      const reader = READERS[spec.read];
      if (!reader) {
        problems.push({ path: `${path}.read`, message: `Unknown reader for file ${name}: ${spec.read}` });
        continue;
      }
      for (const message of reader.checkSpec(spec)) problems.push({ path, message });
    }
  }

  // 5. mappings (Haplo checked none of this up front)
  for (const [name, mapping] of Object.entries(control.mapping ?? {})) {
    const path = `mapping.${name}`;
    if (mapping === null || typeof mapping !== "object") continue;
    if (mapping.using !== "behaviour" && mapping.using !== "title")
      problems.push({ path: `${path}.using`, message: `Mapping ${name} must use "behaviour" or "title", not ${JSON.stringify(mapping.using)}` });
    if (mapping.using === "title" && (!Array.isArray(mapping.types) || mapping.types.length === 0))
      problems.push({ path: `${path}.types`, message: `Mapping ${name} uses titles, so it needs "types"` });
    if (mapping.values === undefined && (mapping as unknown as Record<string, unknown>).value !== undefined)
      problems.push({ path: `${path}.value`, message: `Mapping ${name} has "value"; the key is "values"` });
    else if (mapping.values === undefined) problems.push({ path, message: `Mapping ${name} has no "values"` });
  }

  if (control.recordProcessor !== undefined)
    problems.push({ path: "recordProcessor", message: `Record processor ${control.recordProcessor} is not implemented` });

  if (problems.length || !compiled) return { ok: false, problems: dedupe(problems) };
  return { ok: true, control, compiled, problems: [] };
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
