// Compiles a control file's instructions into plain functions (reference §3.3 for the semantics).
// Every lookup by name — destination, name, filter, mapping, data type — happens here, once; the
// function run for each record only walks closures. Problems found while compiling are returned
// with the instruction's JSON path, so validation (validate.ts) reports them all at once. Where
// Haplo has a message for a problem, the message is Haplo's.
import { FILTERS_BY_NAME, type FilterFunction, type Lookups } from "./filters.ts";
import { ACTIONS, optionsWithoutEffect, unknownProperties } from "./instruction-checks.ts";
import type { Attributes } from "./profile-draft.ts";
import { recordTransform, runList, type RecordRun, type Step, type TransformResult } from "./record.ts";
import { SetupError, valueConverter, type Converter, type Report } from "./values.ts";
import { textOf } from "./text.ts";
import type { ControlFile, DestinationDef, Instruction, Model, NameDef, TypedValue } from "./types.ts";

export { ACTIONS } from "./instruction-checks.ts";
export type { TransformResult } from "./record.ts";

export interface Problem {
  /** JSON path of what the problem is about, e.g. instructions[4].then[0]; "" for the whole file */
  path: string;
  message: string;
  /** A warning does not stop the control file from being used; an error (the default) does. */
  severity?: "warning";
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
  /** Names of the mappings some instruction uses. */
  mappingsUsed: Set<string>;
}

export interface CompileEnvironment {
  model: Model;
  lookups: Lookups;
  /** Known qualifier codes; a qualifier outside this set is a problem. */
  qualifiers: ReadonlySet<string>;
}

const ASSIGNING_ACTIONS = new Set(["field", "field-structured", "set-value"]);

/** Actions that Haplo's documentation names but its code does not have. */
const RENAMED_ACTIONS: Record<string, string> = {
  "add-value": 'add-value is now set-value; add "multivalue": true to add to a list rather than replace it',
  "set-attribute-group": "set-attribute-group is documented by Haplo but was never part of its data import code",
  "if-exists-value": "use if-exists, or if-value-one-of",
  "value-map": "use mapInputValue on the instruction",
};

/** The context's own value for `source` (never an inherited one such as "constructor"). */
function valueAt(context: unknown, source: string): unknown {
  return context !== null && typeof context === "object" && Object.hasOwn(context, source) ? (context as Record<string, unknown>)[source] : undefined;
}

function hasKey(context: unknown, source: string): boolean {
  return context !== null && typeof context === "object" && Object.hasOwn(context, source);
}

/** Haplo acts on a value only when it is truthy or exactly 0: "", null, undefined and false are ignored. */
function present(v: unknown): boolean {
  return !!v || v === 0;
}


/**
 * Iterate like underscore's _.each: array elements, or an object's values. Unlike underscore, a
 * single value (a string, a number) is one element — underscore walked a string's characters, so
 * a feed giving one group as "staff" instead of ["staff"] made groups "s", "t", "a", …
 */
function elementsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object") return Object.values(value);
  return present(value) ? [value] : [];
}

/** Haplo's description of where a value came from, used in value errors. */
function labelFor(action: string, instr: Instruction): string {
  if (action === "field-structured") return `structured input field ${instr.structured}`;
  if (action === "set-value") return `set value ${instr.destination}/${instr.name}`;
  return `input field ${instr.source}`;
}

interface Scope {
  /** inside a for-each body: destinations a new/load made ready (assignments to them may overwrite) */
  forEach: { loaded: Set<string> } | null;
  topLevel: boolean;
}

export function compileInstructions(control: Pick<ControlFile, "instructions" | "mapping">, env: CompileEnvironment): {
  compiled: CompiledInstructions;
  problems: Problem[];
} {
  const { model, lookups, qualifiers } = env;
  const problems: Problem[] = [];
  const mappings = control.mapping !== null && typeof control.mapping === "object" ? control.mapping : {};
  const needs = new Set<"behaviours" | "usernames" | "emails" | "titles">();
  const mappingsUsed = new Set<string>();
  const topLevelSources = new Set<string>();
  const userSync = model.name === "haplo:user-sync";
  let profileDependent = false;
  const problem = (path: string, message: string) => problems.push({ path, message });
  const warning = (path: string, message: string) => problems.push({ path, message, severity: "warning" });

  function destinationOf(instr: Instruction, action: string, path: string): DestinationDef | null {
    const name = instr.destination;
    if (typeof name !== "string") return null;
    const dest = model.destinations.get(name);
    if (!dest) problem(path, `Unknown destination in ${action}: ${name}`);
    return dest ?? null;
  }

  function nameOf(dest: DestinationDef, instr: Instruction, action: string, path: string): NameDef | null {
    const def = typeof instr.name === "string" ? dest.names.get(instr.name) : undefined;
    if (!def) problem(path, `Unknown name in ${action} ${instr.name} for destination ${dest.name}`);
    return def ?? null;
  }

  /** The filters, created once; also whether any of them reads the lookups. */
  function filtersOf(instr: Instruction, path: string): { filters: FilterFunction[]; usesLookups: boolean } | null {
    if (instr.filters === undefined) return { filters: [], usesLookups: false };
    if (!Array.isArray(instr.filters)) {
      problem(path, "'filters' property is not an array");
      return null;
    }
    const filters: FilterFunction[] = [];
    let usesLookups = false;
    let ok = true;
    for (const name of instr.filters) {
      const def = typeof name === "string" ? FILTERS_BY_NAME.get(name) : undefined;
      if (!def) {
        problem(path, `Filter ${typeof name === "string" ? name : JSON.stringify(name)} is not available.`);
        ok = false;
        continue;
      }
      if (def.needs) {
        needs.add(def.needs);
        usesLookups = true;
      }
      filters.push(def.create(lookups));
    }
    return ok ? { filters, usesLookups } : null;
  }

  /** mapInputValue → filters → data type, for one instruction; null (and a problem) when it cannot be built. */
  function converterFor(
    dest: DestinationDef,
    def: NameDef,
    instr: Instruction,
    action: string,
    path: string,
  ): { convert: Converter; usesLookups: boolean } | null {
    let ok = true;
    if (instr.qualifier !== undefined && !qualifiers.has(instr.qualifier)) {
      problem(path, `Invalid qualifier '${instr.qualifier}' in ${action} ${dest.name}/${def.name}`);
      ok = false;
    }
    for (const w of optionsWithoutEffect(instr, dest, def)) warning(path, w);
    let usesLookups = false;
    if (instr.refMapping !== undefined && def.type === "ref") {
      mappingsUsed.add(instr.refMapping);
      const mapping = Object.hasOwn(mappings, instr.refMapping) ? mappings[instr.refMapping] : undefined;
      if (mapping?.using === "behaviour") needs.add("behaviours");
      if (mapping?.using === "title") needs.add("titles");
      usesLookups = true;
    }
    const filters = filtersOf(instr, path);
    if (!filters) ok = false;
    try {
      const convert = valueConverter(def, { label: labelFor(action, instr), instruction: instr, mappings, lookups }, filters?.filters ?? []);
      return ok ? { convert, usesLookups: usesLookups || filters!.usesLookups } : null;
    } catch (error) {
      if (!(error instanceof SetupError)) throw error;
      problem(path, error.message);
      return null;
    }
  }

  /** The function that writes a converted value into the destination's target. */
  function writerFor(dest: DestinationDef, def: NameDef, instr: Instruction): (run: RecordRun, value: unknown) => void {
    const name = def.name;
    if (dest.kind === "object") {
      const qualifier = instr.qualifier;
      const make = (v: unknown): TypedValue => (qualifier === undefined ? { t: def.type, v } : { t: def.type, v, q: qualifier });
      return instr.multivalue === true ? (run, v) => run.profile.append(name, make(v)) : (run, v) => run.profile.replace(name, make(v));
    }
    const destName = dest.name;
    if (def.multivalue && instr.multivalue === true)
      return (run, v) => {
        const d = run.dictionary(destName);
        const list = d[name];
        if (Array.isArray(list)) list.push(v);
        else d[name] = [v];
      };
    // Haplo: a multivalue name written without `multivalue` becomes [value] — the last write wins.
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

  /** `then`/`else`/`instructions`: absent is an empty list. */
  function compileNested(instr: Instruction, property: "then" | "else" | "instructions" | "otherwise", path: string, scope: Scope): Step[] {
    return instr[property] === undefined ? [] : compileList(instr[property], `${path}.${property}`, scope);
  }

  function compileOne(instr: Instruction, path: string, scope: Scope): Step | null {
    if (instr === null || typeof instr !== "object" || Array.isArray(instr)) {
      problem(path, "An instruction must be an object");
      return null;
    }
    const action = instr.action ?? "field";
    const required = typeof action === "string" ? ACTIONS[action] : undefined;
    if (!required) {
      const hint = Object.hasOwn(RENAMED_ACTIONS, textOf(action)) ? RENAMED_ACTIONS[textOf(action)] : undefined;
      problem(path, `Unknown action in instruction: ${textOf(action)}${hint ? ` (${hint})` : ""}`);
      return null;
    }
    const missing = required.filter((p) => !Object.hasOwn(instr, p));
    if (missing.length) {
      problem(path, `Expected property not found in ${action} instruction: ${missing.join(", ")}`);
      return null;
    }
    for (const w of unknownProperties(instr, action)) warning(path, w);
    if (scope.forEach && ASSIGNING_ACTIONS.has(action)) {
      const dest = textOf(instr.destination);
      if (!dest.includes("load") && instr.multivalue !== true && !scope.forEach.loaded.has(dest))
        problem(
          path,
          "Assigning values within for-each without a new/load statement or setting multivalue property will result in overwritten data",
        );
    }
    if (scope.topLevel && typeof instr.source === "string") topLevelSources.add(instr.source);
    const nestedScope: Scope = { ...scope, topLevel: false };

    switch (action) {
      case "field": {
        const dest = destinationOf(instr, action, path);
        const def = dest && nameOf(dest, instr, action, path);
        const converter = dest && def && converterFor(dest, def, instr, action, path);
        if (!dest || !def || !converter) return null;
        if (userSync && dest.name === "user" && def.name === "username" && !(scope.topLevel && path === firstUsernamePath))
          warning(path, "Only the first top-level field instruction for user/username gives a record its username; this one changes nothing");
        const { convert } = converter;
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
        const dest = destinationOf(instr, action, path);
        const def = dest && nameOf(dest, instr, action, path);
        const converter = dest && def && converterFor(dest, def, instr, action, path);
        if (!dest || !def || !converter) return null;
        if (userSync && dest.name === "user" && def.name === "username")
          warning(path, "Only the first top-level field instruction for user/username gives a record its username; this one changes nothing");
        const write = writerFor(dest, def, instr);
        const { convert, usesLookups } = converter;
        if (!usesLookups) {
          // A constant is converted once (Haplo: once per batch); a constant that cannot be is a mistake in the file.
          const messages: string[] = [];
          const v = convert(instr.value, (m) => messages.push(m));
          for (const m of messages) problem(path, m);
          if (v === undefined || messages.length) return null;
          return (run) => write(run, v);
        }
        // Through the store's lookups (a ref mapping, haplo:code-to-ref…): converted at the first record,
        // when the lookups are loaded, and its problems reported with every record.
        let cached: { v: unknown; messages: string[] } | null = null;
        return (run) => {
          if (!cached) {
            const messages: string[] = [];
            cached = { v: convert(instr.value, (m) => messages.push(m)), messages };
          }
          for (const m of cached.messages) run.report(m);
          if (cached.v !== undefined) write(run, cached.v);
        };
      }
      case "field-structured": {
        const structured = typeof instr.structured === "string" ? model.destinations.get(instr.structured) : undefined;
        const isStructured = structured?.pseudo === true && structured.name.startsWith("value:");
        if (!isStructured) problem(path, `Unknown structured value destination in field-structured: ${textOf(instr.structured)}`);
        const dest = destinationOf(instr, action, path);
        const def = dest && nameOf(dest, instr, action, path);
        if (!dest || !def || !isStructured) return null;
        const expectedType = structured!.name.slice("value:".length);
        if (def.type !== expectedType) {
          problem(path, `${structured!.name} makes a ${expectedType} value, but ${dest.name} ${def.name} is of type ${def.type}`);
          return null;
        }
        const converter = converterFor(dest, def, instr, action, path);
        if (!converter) return null;
        const { convert } = converter;
        const write = writerFor(dest, def, instr);
        const pseudo = structured!.name;
        // Haplo converts the parts even when none was set ({}), and always clears them afterwards.
        return (run) => {
          const parts = run.dictionaries.get(pseudo) ?? {};
          run.dictionaries.delete(pseudo);
          const v = convert(parts, run.report);
          if (v !== undefined) write(run, v);
        };
      }
      case "remove-values": {
        const dest = destinationOf(instr, action, path);
        const def = dest && nameOf(dest, instr, action, path);
        if (!dest || !def) return null;
        const name = def.name;
        if (dest.kind === "object") return (run) => run.profile.remove(name);
        const destName = dest.name;
        return (run) => void delete run.dictionary(destName)[name];
      }
      case "if-exists":
      case "if-value-one-of":
      case "if-has-value": {
        const then = compileNested(instr, "then", path, nestedScope);
        const otherwise = compileNested(instr, "else", path, nestedScope);
        let test: (run: RecordRun, context: unknown) => boolean;
        if (action === "if-exists") {
          const source = instr.source!;
          test = (_run, context) => hasKey(context, source) && present(valueAt(context, source));
        } else if (action === "if-value-one-of") {
          if (instr.values !== undefined && !Array.isArray(instr.values)) problem(path, "'values' property is not an array");
          const values = Array.isArray(instr.values) ? instr.values : [];
          const source = instr.source!;
          // strict equality, as Haplo: "1" is not 1
          test = (_run, context) => hasKey(context, source) && values.includes(valueAt(context, source));
        } else {
          const dest = destinationOf(instr, action, path);
          const def = dest && nameOf(dest, instr, action, path);
          if (!dest || !def) return null;
          test = hasValue(dest, def.name);
        }
        return (run, context) => runList(test(run, context) ? then : otherwise, run, context);
      }
      case "within": {
        const steps = compileNested(instr, "instructions", path, nestedScope);
        const source = instr.source!;
        return (run, context) => {
          const inner = valueAt(context, source);
          if (inner) runList(steps, run, inner);
        };
      }
      case "for-each": {
        // A nested for-each starts with a fresh list of destinations made ready (Haplo's rule).
        const steps = compileNested(instr, "instructions", path, { ...nestedScope, forEach: { loaded: new Set() } });
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
        const message = typeof instr.message === "string" && instr.message ? instr.message : "abort";
        return (run) => {
          run.report(message);
          run.aborted = true;
        };
      }
      case "log-error": {
        const message = typeof instr.message === "string" && instr.message ? instr.message : "error";
        return (run) => run.report(message);
      }
      case "assert-destination": {
        const dest = destinationOf(instr, action, path);
        if (!dest) return null;
        if (!dest.dependsOn) {
          problem(path, `Can only use dependent destinations in assert-destination: ${dest.name}`);
          return null;
        }
        if (typeof instr.exists !== "boolean") problem(path, "'exists' property must be true or false");
        const expected = instr.exists === true;
        const name = dest.name;
        // The user sync makes a dependent destination (user:tags) for every record; it "exists"
        // once the record has given it a value.
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
        if (scope.forEach && typeof instr.destination === "string") scope.forEach.loaded.add(instr.destination);
        if (action === "load" && instr.otherwise !== undefined) compileNested(instr, "otherwise", path, nestedScope);
        problem(
          path,
          userSync
            ? `"${action}" cannot be used in a user sync control file: the sync supplies the user and profile targets itself`
            : `"${action}" is not supported by the ${model.name} model`,
        );
        return null;
    }
    return null;
  }

  // The username extractor: the first top-level field instruction for user/username (reference §6.2).
  const instructions = Array.isArray(control.instructions) ? control.instructions : [];
  const usernameIndex = instructions.findIndex(
    (i) => i !== null && typeof i === "object" && (i.action ?? "field") === "field" && i.destination === "user" && i.name === "username",
  );
  const firstUsernamePath = usernameIndex >= 0 ? `instructions[${usernameIndex}]` : null;

  const steps = compileList(control.instructions, "instructions", { forEach: null, topLevel: true });

  let extractUsername: CompiledInstructions["extractUsername"] = null;
  if (usernameIndex >= 0) {
    const instr = instructions[usernameIndex]!;
    const dest = model.destinations.get("user")!;
    const problemsBefore = problems.length;
    const converter = typeof instr.source === "string" ? converterFor(dest, dest.names.get("username")!, instr, "field", firstUsernamePath!) : null;
    problems.length = problemsBefore; // already reported when the instruction itself was compiled
    if (converter) {
      const source = instr.source!;
      const ignore: Report = () => {};
      const { convert } = converter;
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

  const transform = recordTransform(model, steps);

  return {
    compiled: { transform, extractUsername, profileDependent, topLevelSources: [...topLevelSources], needs, mappingsUsed },
    problems,
  };
}
