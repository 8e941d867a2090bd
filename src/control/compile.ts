// Compiles a control file's instructions into plain functions (reference §3.3 for the semantics).
// Every lookup by name — destination, name, filter, mapping, data type — happens here, once; the
// function run for each record only walks closures. Problems found while compiling are returned
// with the instruction's JSON path, so validation (validate.ts) reports them all at once.
import { FILTERS_BY_NAME, type FilterFunction, type Lookups } from "./filters.ts";
import { ProfileDraft, type Attributes } from "./profile-draft.ts";
import { SetupError, valueConverter, type Converter, type Report } from "./values.ts";
import type { ControlFile, DestinationDef, Instruction, Model, NameDef, TypedValue } from "./types.ts";

export interface Problem {
  /** JSON path of the instruction, e.g. instructions[4].then[0] */
  path: string;
  message: string;
}

export interface TransformResult {
  /** false when the record was aborted or misses required values: it must not be applied. */
  complete: boolean;
  /** Problems with this record, in order (without the record identifier). */
  errors: string[];
  /** The `user` destination: username, title, nameFirst, nameLast, email, groups. */
  user: Record<string, unknown>;
  /** The `user:tags` destination as strings, or null when no tag was set. */
  tags: Record<string, string> | null;
  profile: ProfileDraft;
}

export interface CompiledInstructions {
  transform(record: unknown, profileBase?: Attributes | null): TransformResult;
  /** The first top-level field instruction for user/username, compiled (reference §6.2). */
  extractUsername: ((record: unknown) => string | undefined) | null;
  /** True when an if-has-value reads the profile: the outcome then depends on the stored profile. */
  profileDependent: boolean;
  /** Field names the instructions read from the top level of a record (for schema-drift checks). */
  topLevelSources: string[];
  /** What the lookups must hold: set by filters and mappings in use. */
  needs: Set<"behaviours" | "usernames" | "emails" | "titles">;
}

export interface CompileEnvironment {
  model: Model;
  lookups: Lookups;
  /** Known qualifier codes; a qualifier outside this set is a problem. */
  qualifiers: ReadonlySet<string>;
}

/** Per-record state while the instructions run. */
class RecordRun {
  readonly user: Record<string, unknown> = {};
  readonly dictionaries = new Map<string, Record<string, unknown>>();
  readonly errors: string[] = [];
  aborted = false;
  constructor(readonly profile: ProfileDraft) {
    this.dictionaries.set("user", this.user);
  }
  readonly report: Report = (message) => {
    this.errors.push(message);
  };
  dictionary(name: string): Record<string, unknown> {
    let d = this.dictionaries.get(name);
    if (!d) this.dictionaries.set(name, (d = {}));
    return d;
  }
}

type Step = (run: RecordRun, context: unknown) => void;

const ASSIGNING_ACTIONS = new Set(["field", "field-structured", "set-value"]);

export const ACTIONS: Record<string, string[]> = {
  field: ["source", "destination", "name"],
  "field-structured": ["structured", "destination", "name"],
  "set-value": ["destination", "name", "value"],
  "remove-values": ["destination", "name"],
  "if-exists": ["source"],
  "if-value-one-of": ["source"],
  "if-has-value": ["destination", "name"],
  within: ["source"],
  "for-each": ["source"],
  "assert-destination": ["destination", "exists"],
  "abort-record": [],
  "log-error": [],
  new: ["destination"],
  load: ["destination", "using"],
};

function valueAt(context: unknown, source: string): unknown {
  return context !== null && typeof context === "object" ? (context as Record<string, unknown>)[source] : undefined;
}

/** Haplo acts on a value only when it is truthy or exactly 0: "", null, undefined and false are ignored. */
function present(v: unknown): boolean {
  return !!v || v === 0;
}

function runList(steps: Step[], run: RecordRun, context: unknown) {
  for (let i = 0; i < steps.length && !run.aborted; i++) steps[i]!(run, context);
}

/** Iterate like underscore's _.each: array elements, or an object's values. A single value is one element. */
function elementsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object") return Object.values(value);
  return present(value) ? [value] : [];
}

export function compileInstructions(control: Pick<ControlFile, "instructions" | "mapping">, env: CompileEnvironment): {
  compiled: CompiledInstructions;
  problems: Problem[];
} {
  const { model, lookups, qualifiers } = env;
  const problems: Problem[] = [];
  const mappings = control.mapping ?? {};
  const needs = new Set<"behaviours" | "usernames" | "emails" | "titles">();
  const topLevelSources = new Set<string>();
  let profileDependent = false;
  const problem = (path: string, message: string) => problems.push({ path, message });

  function destinationOf(instr: Instruction, path: string, property = "destination"): DestinationDef | null {
    const name = instr[property];
    if (typeof name !== "string") return null;
    const dest = model.destinations.get(name);
    if (!dest) problem(path, `Unknown destination: ${name}`);
    return dest ?? null;
  }

  function nameOf(dest: DestinationDef, instr: Instruction, path: string): NameDef | null {
    const def = dest.names.get(instr.name ?? "");
    if (!def) problem(path, `Unknown name in destination ${dest.name}: ${instr.name}`);
    return def ?? null;
  }

  function filtersOf(instr: Instruction, path: string): FilterFunction[] {
    if (instr.filters === undefined) return [];
    if (!Array.isArray(instr.filters)) {
      problem(path, "'filters' property is not an array");
      return [];
    }
    const out: FilterFunction[] = [];
    for (const name of instr.filters) {
      const def = FILTERS_BY_NAME.get(name as string);
      if (!def) {
        problem(path, `Filter ${String(name)} is not available.`);
        continue;
      }
      if (def.needs) needs.add(def.needs);
      out.push(def.create(lookups));
    }
    return out;
  }

  function converterFor(dest: DestinationDef, def: NameDef, instr: Instruction, path: string): Converter | null {
    if (instr.qualifier !== undefined && !qualifiers.has(instr.qualifier)) problem(path, `Invalid qualifier ${instr.qualifier}`);
    if (instr.refMapping !== undefined) {
      if (def.type !== "ref") problem(path, `refMapping is only for names of type ref; ${dest.name} ${def.name} is ${def.type}`);
      const mapping = mappings[instr.refMapping];
      if (mapping?.using === "behaviour") needs.add("behaviours");
      if (mapping?.using === "title") needs.add("titles");
    }
    const filters = filtersOf(instr, path);
    try {
      return valueConverter(def, { label: `${dest.name} ${def.name}`, instruction: instr, mappings, lookups }, filters);
    } catch (error) {
      if (error instanceof SetupError || error instanceof Error) {
        problem(path, error.message);
        return null;
      }
      throw error;
    }
  }

  /** The function that writes a converted value into the destination's target. */
  function writerFor(dest: DestinationDef, def: NameDef, instr: Instruction): (run: RecordRun, value: unknown) => void {
    const name = def.name;
    if (dest.kind === "object") {
      const qualifier = instr.qualifier;
      const make = (v: unknown): TypedValue => (qualifier === undefined ? { t: def.type, v } : { t: def.type, v, q: qualifier });
      return instr.multivalue ? (run, v) => run.profile.append(name, make(v)) : (run, v) => run.profile.replace(name, make(v));
    }
    const destName = dest.name;
    if (def.multivalue && instr.multivalue)
      return (run, v) => {
        const d = run.dictionary(destName);
        const list = d[name];
        if (Array.isArray(list)) list.push(v);
        else d[name] = [v];
      };
    if (def.multivalue) return (run, v) => void (run.dictionary(destName)[name] = [v]);
    return (run, v) => void (run.dictionary(destName)[name] = v);
  }

  function hasValue(dest: DestinationDef, name: string): (run: RecordRun) => boolean {
    if (dest.kind === "object") {
      if (dest.name === "profile") profileDependent = true;
      return (run) => run.profile.has(name);
    }
    return (run) => Object.hasOwn(run.dictionaries.get(dest.name) ?? {}, name);
  }

  interface Scope {
    /** inside a for-each body: destinations that may be assigned without multivalue */
    forEach: { loaded: Set<string> } | null;
    topLevel: boolean;
    userSync: boolean;
  }

  function compileList(list: unknown, path: string, scope: Scope): Step[] {
    if (!Array.isArray(list)) {
      problem(path, "Expected a list of instructions");
      return [];
    }
    const steps: Step[] = [];
    list.forEach((instr, i) => {
      const step = compileOne(instr as Instruction, `${path}[${i}]`, scope);
      if (step) steps.push(step);
    });
    return steps;
  }

  function compileOne(instr: Instruction, path: string, scope: Scope): Step | null {
    if (instr === null || typeof instr !== "object" || Array.isArray(instr)) {
      problem(path, "An instruction must be an object");
      return null;
    }
    const action = instr.action ?? "field";
    const required = ACTIONS[action];
    if (!required) {
      problem(path, `Unknown action in instruction: ${action}`);
      return null;
    }
    const missing = required.filter((p) => instr[p] === undefined);
    if (missing.length) {
      problem(path, `Expected property not found in ${action} instruction: ${missing.join(", ")}`);
      return null;
    }
    if (scope.forEach && ASSIGNING_ACTIONS.has(action)) {
      const dest = String(instr.destination);
      if (!dest.includes("load") && instr.multivalue !== true && !scope.forEach.loaded.has(dest))
        problem(
          path,
          "Assigning values within for-each without a new/load statement or setting multivalue property will result in overwritten data",
        );
    }
    if (scope.topLevel && typeof instr.source === "string") topLevelSources.add(instr.source);

    switch (action) {
      case "field": {
        const dest = destinationOf(instr, path);
        const def = dest && nameOf(dest, instr, path);
        const convert = dest && def && converterFor(dest, def, instr, path);
        if (!dest || !def || !convert) return null;
        const write = writerFor(dest, def, instr);
        const source = instr.source!;
        return (run, context) => {
          const raw = valueAt(context, source);
          if (!present(raw)) return;
          const v = convert(raw, run.report);
          if (v !== undefined) write(run, v);
        };
      }
      case "set-value": {
        const dest = destinationOf(instr, path);
        const def = dest && nameOf(dest, instr, path);
        const convert = dest && def && converterFor(dest, def, instr, path);
        if (!dest || !def || !convert) return null;
        // A constant is converted once (Haplo caches it per batch); a bad constant is a problem of the file.
        const messages: string[] = [];
        const v = convert(instr.value, (m) => messages.push(m));
        for (const m of messages) problem(path, m);
        if (v === undefined) return null;
        const write = writerFor(dest, def, instr);
        return (run) => write(run, v);
      }
      case "field-structured": {
        const structured = model.destinations.get(String(instr.structured));
        if (!structured || !structured.pseudo || !structured.name.startsWith("value:")) {
          problem(path, `Unknown structured value destination: ${instr.structured}`);
          return null;
        }
        const dest = destinationOf(instr, path);
        const def = dest && nameOf(dest, instr, path);
        if (!dest || !def) return null;
        const expectedType = structured.name.slice("value:".length);
        if (def.type !== expectedType) {
          problem(path, `${dest.name} ${def.name} is of type ${def.type}, not ${expectedType}`);
          return null;
        }
        const convert = converterFor(dest, def, instr, path);
        if (!convert) return null;
        const write = writerFor(dest, def, instr);
        const pseudo = structured.name;
        return (run) => {
          const parts = run.dictionaries.get(pseudo);
          run.dictionaries.delete(pseudo); // always cleared, used or not
          if (!parts) return;
          const v = convert(parts, run.report);
          if (v !== undefined) write(run, v);
        };
      }
      case "remove-values": {
        const dest = destinationOf(instr, path);
        const def = dest && nameOf(dest, instr, path);
        if (!dest || !def) return null;
        const name = def.name;
        if (dest.kind === "object") return (run) => run.profile.remove(name);
        const destName = dest.name;
        return (run) => void delete run.dictionary(destName)[name];
      }
      case "if-exists":
      case "if-value-one-of":
      case "if-has-value": {
        const branchScope = { ...scope, topLevel: false };
        const then = instr.then === undefined ? [] : compileList(instr.then, `${path}.then`, branchScope);
        const otherwise = instr.else === undefined ? [] : compileList(instr.else, `${path}.else`, branchScope);
        let test: (run: RecordRun, context: unknown) => boolean;
        if (action === "if-exists") {
          const source = instr.source!;
          test = (_run, context) =>
            context !== null && typeof context === "object" && source in context && present(valueAt(context, source));
        } else if (action === "if-value-one-of") {
          if (instr.values !== undefined && !Array.isArray(instr.values)) problem(path, "'values' property is not an array");
          const values = Array.isArray(instr.values) ? instr.values : [];
          const source = instr.source!;
          test = (_run, context) =>
            context !== null && typeof context === "object" && source in context && values.includes(valueAt(context, source));
        } else {
          const dest = destinationOf(instr, path);
          const def = dest && nameOf(dest, instr, path);
          if (!dest || !def) return null;
          const has = hasValue(dest, def.name);
          test = (run) => has(run);
        }
        return (run, context) => runList(test(run, context) ? then : otherwise, run, context);
      }
      case "within": {
        const steps = compileList(instr.instructions ?? [], `${path}.instructions`, { ...scope, topLevel: false });
        const source = instr.source!;
        return (run, context) => {
          const inner = valueAt(context, source);
          if (inner) runList(steps, run, inner);
        };
      }
      case "for-each": {
        const steps = compileList(instr.instructions ?? [], `${path}.instructions`, {
          ...scope,
          topLevel: false,
          forEach: { loaded: new Set() },
        });
        const source = instr.source!;
        const wrap = instr.wrapValues === true;
        return (run, context) => {
          for (const element of elementsOf(valueAt(context, source))) {
            if (run.aborted) return;
            runList(steps, run, wrap ? { value: element } : element);
          }
        };
      }
      case "abort-record": {
        const message = typeof instr.message === "string" ? instr.message : "abort";
        return (run) => {
          run.report(message);
          run.aborted = true;
        };
      }
      case "log-error": {
        const message = typeof instr.message === "string" ? instr.message : "error";
        return (run) => run.report(message);
      }
      case "assert-destination": {
        const dest = destinationOf(instr, path);
        if (!dest) return null;
        if (!dest.dependsOn) {
          problem(path, `assert-destination can only be used with destinations that depend on another; ${dest.name} does not`);
          return null;
        }
        const expected = instr.exists === true;
        const name = dest.name;
        return (run) => {
          const exists = Object.keys(run.dictionaries.get(name) ?? {}).length > 0;
          if (exists !== expected) {
            run.report(`assert-destination failed: ${name}`);
            run.aborted = true;
          }
        };
      }
      case "new":
      case "load":
        if (scope.userSync) {
          problem(path, `"${action}" cannot be used in a user sync control file: the sync supplies the user and profile targets itself`);
          if (action === "load" && instr.otherwise !== undefined) compileList(instr.otherwise, `${path}.otherwise`, { ...scope, topLevel: false });
          return null;
        }
        problem(path, `"${action}" is not supported by this model`);
        return null;
    }
    return null;
  }

  const userSync = model.name === "haplo:user-sync";
  const steps = compileList(control.instructions, "instructions", { forEach: null, topLevel: true, userSync });

  // The username extractor: the first top-level field instruction for user/username (reference §6.2).
  let extractUsername: CompiledInstructions["extractUsername"] = null;
  const instructions = Array.isArray(control.instructions) ? control.instructions : [];
  const usernameIndex = instructions.findIndex(
    (i) => i && (i.action ?? "field") === "field" && i.destination === "user" && i.name === "username" && typeof i.source === "string",
  );
  if (usernameIndex >= 0) {
    const instr = instructions[usernameIndex]!;
    const dest = model.destinations.get("user")!;
    const convert = converterFor(dest, dest.names.get("username")!, instr, `instructions[${usernameIndex}]`);
    const source = instr.source!;
    if (convert) {
      const ignore: Report = () => {};
      extractUsername = (record) => {
        const raw = valueAt(record, source);
        if (!present(raw)) return undefined;
        const v = convert(raw, ignore);
        return typeof v === "string" && v !== "" ? v : undefined;
      };
    }
  } else if (userSync) {
    problem(
      "instructions",
      "No simple rule for extracting username from records. There needs to be a field instruction at the top level (not inside conditionals or loops) for destination:user, name:username",
    );
  }

  const endChecks = [...model.destinations.values()].filter((d) => !d.pseudo && d.kind === "dictionary");
  const tagsDestination = model.destinations.get("user:tags");

  const transform = (record: unknown, profileBase?: Attributes | null): TransformResult => {
    const run = new RecordRun(new ProfileDraft(profileBase));
    runList(steps, run, record);
    let complete = !run.aborted;
    if (complete) {
      // End-of-record checks (reference §3.3): required names of every destination that has a target or is required.
      for (const dest of endChecks) {
        const data = run.dictionaries.get(dest.name);
        if (!data) {
          if (!dest.optional) {
            run.report(`No data set in required destination ${dest.name}`);
            complete = false;
          }
          continue;
        }
        const missing: string[] = [];
        for (const def of dest.names.values()) {
          if (!def.required) continue;
          const v = data[def.name];
          if (v === undefined || (Array.isArray(v) && v.length === 0)) missing.push(def.name);
        }
        if (missing.length) {
          run.report(`Missing values in ${dest.name}: ${missing.join(", ")}`);
          complete = false;
        }
      }
    }
    let tags: Record<string, string> | null = null;
    const tagData = tagsDestination && run.dictionaries.get(tagsDestination.name);
    if (tagData && Object.keys(tagData).length) {
      tags = {};
      for (const [k, v] of Object.entries(tagData)) if (v !== undefined && v !== null) tags[k] = String(v);
    }
    return { complete, errors: run.errors, user: run.user, tags, profile: run.profile };
  };

  return {
    compiled: { transform, extractUsername, profileDependent, topLevelSources: [...topLevelSources], needs },
    problems,
  };
}
