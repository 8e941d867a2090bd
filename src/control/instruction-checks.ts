// What each instruction may say (reference §3.2, §3.3): the properties it needs, the ones it may
// have, and the options that only mean something for some data types. Haplo checked only the
// required properties and ignored the rest; a misspelt "multivalue" or a dateFormat on a text
// name then silently did nothing. We report those as warnings: the file still works as it did
// in Haplo, and `usersync check` shows what will not do what the author meant.
import { TYPE_OPTIONS } from "./values.ts";
import type { DestinationDef, Instruction, NameDef } from "./types.ts";

/** Required properties per action, in Haplo's order (its message lists them so). */
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
  "abort-record": ["message"],
  "log-error": ["message"],
  new: ["destination"],
  load: ["destination", "using"],
};

const VALUE_OPTIONS = ["multivalue", "qualifier", "mapInputValue", "mapInputValueDefault", "filters", ...Object.keys(TYPE_OPTIONS)];

/** Every property an action understands. */
const KNOWN: Record<string, string[]> = {
  field: [...ACTIONS.field!, ...VALUE_OPTIONS],
  "field-structured": [...ACTIONS["field-structured"]!, ...VALUE_OPTIONS],
  "set-value": [...ACTIONS["set-value"]!, ...VALUE_OPTIONS],
  "remove-values": ACTIONS["remove-values"]!,
  "if-exists": ["source", "then", "else"],
  "if-value-one-of": ["source", "values", "then", "else"],
  "if-has-value": ["destination", "name", "then", "else"],
  within: ["source", "instructions"],
  "for-each": ["source", "instructions", "wrapValues"],
  "assert-destination": ACTIONS["assert-destination"]!,
  "abort-record": ["message"],
  "log-error": ["message"],
  new: ["destination"],
  load: ["destination", "using", "otherwise"],
};

/** Properties people use to document a control file (JSON has no comments). */
export function isDocumentation(property: string): boolean {
  return property.startsWith("_") || /^(comments?|description|notes?)$/.test(property);
}

/** Warnings for properties this action does not understand. */
export function unknownProperties(instr: Instruction, action: string): string[] {
  const known = KNOWN[action] ?? [];
  const unknown = Object.keys(instr).filter((p) => p !== "action" && !known.includes(p) && !isDocumentation(p));
  if (!unknown.length) return [];
  return [
    `Unknown ${unknown.length === 1 ? "property" : "properties"} ${unknown.map((p) => JSON.stringify(p)).join(", ")} in ${action} instruction ` +
      `(it is ignored; a ${action} instruction understands ${known.join(", ")})`,
  ];
}

/** Warnings for value options that have no effect on this destination and name. */
export function optionsWithoutEffect(instr: Instruction, dest: DestinationDef, def: NameDef): string[] {
  const warnings: string[] = [];
  for (const [option, types] of Object.entries(TYPE_OPTIONS)) {
    if (instr[option] !== undefined && !types.includes(def.type))
      warnings.push(`${option} has no effect here: ${dest.name} ${def.name} is of type ${def.type} (${option} is for ${types.join(", ")})`);
  }
  if (dest.kind === "dictionary") {
    if (instr.qualifier !== undefined) warnings.push(`qualifier has no effect here: ${dest.name} is not an object, and only objects' values have qualifiers`);
    if (instr.multivalue === true && !def.multivalue)
      warnings.push(`multivalue has no effect here: ${dest.name} ${def.name} holds a single value, so the last value written wins`);
  }
  return warnings;
}
