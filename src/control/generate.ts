// The control-file generator (reference §3.8): tick the names of the model you will supply and
// get a starting control file, with a placeholder source for each (`TODO-<NAME>`) and the hints
// each data type needs (a date format, a country, a ref mapping, a structured value's parts). As
// in Haplo, the result is a start, not a finished file: every TODO must be replaced.
import { PERSON_NAME_PARTS, POSTAL_ADDRESS_PARTS } from "./model.ts";
import type { Instruction, Model } from "./types.ts";

export interface GeneratorChoice {
  destination: string;
  name: string;
  /** For multivalue names: replace all existing values (remove-values, then append each). */
  multivalue?: boolean;
}

const PLACEHOLDER_MAPPING = "TODO-DEFINE-MAPPING";

function placeholder(name: string): string {
  const last = name.split(":").pop() ?? name;
  return `TODO-${last.replace(/[^A-Za-z0-9]+/g, "-").toUpperCase()}`;
}

/** The instructions that write one name, with its type's hints. */
function instructionsFor(model: Model, choice: GeneratorChoice): Instruction[] {
  const destination = model.destinations.get(choice.destination);
  const def = destination?.names.get(choice.name);
  if (!destination || !def) throw new Error(`The model ${model.name} has no name ${choice.name} in destination ${choice.destination}`);
  const out: Instruction[] = [];
  const multivalue = def.multivalue && choice.multivalue === true;
  if (multivalue) out.push({ action: "remove-values", destination: choice.destination, name: choice.name });
  const target = { destination: choice.destination, name: choice.name, ...(multivalue ? { multivalue: true } : {}) };
  const structured = (pseudo: string, parts: readonly string[]) => {
    for (const part of parts) out.push({ source: placeholder(`${choice.name}-${part}`), destination: pseudo, name: part });
    out.push({ action: "field-structured", structured: pseudo, ...target });
  };
  switch (def.type) {
    case "person-name":
      structured("value:person-name", PERSON_NAME_PARTS);
      return out;
    case "postal-address":
      structured("value:postal-address", POSTAL_ADDRESS_PARTS);
      return out;
    case "ref":
      out.push({ source: placeholder(choice.name), ...target, refMapping: PLACEHOLDER_MAPPING });
      return out;
    case "object-type":
      out.push({ source: placeholder(choice.name), ...target, mapInputValue: { TODO: "TODO" } });
      return out;
    case "telephone-number":
      out.push({ source: placeholder(choice.name), ...target, country: "GB" });
      return out;
    case "datetime":
    case "date":
      out.push({ source: placeholder(choice.name), ...target, dateFormat: "yyyy-MM-dd" });
      return out;
    case "url":
      out.push({ source: placeholder(choice.name), ...target, filters: ["haplo:fix-up-url"] });
      return out;
    default:
      out.push({ source: placeholder(choice.name), ...target });
      return out;
  }
}

/**
 * A starting control file for the chosen names, in the model's display order. For the user sync,
 * the username is always first (the sync needs it as a top-level instruction), there are no `new`
 * instructions, and the one file is called "TODO".
 */
export function generateControlFile(model: Model, choices: GeneratorChoice[]): string {
  const wanted = new Map(choices.map((c) => [`${c.destination}\u0000${c.name}`, c]));
  if (model.destinations.has("user") && !wanted.has("user\u0000username")) wanted.set("user\u0000username", { destination: "user", name: "username" });
  const ordered: GeneratorChoice[] = [];
  const destinations = [...model.destinations.values()].filter((d) => !d.pseudo && !d.excludeFromGenerator).sort((a, b) => a.displaySort - b.displaySort);
  for (const d of destinations)
    for (const n of d.names.values()) {
      const choice = wanted.get(`${d.name}\u0000${n.name}`);
      if (!choice) continue;
      if (d.name === "user" && n.name === "username") ordered.unshift(choice);
      else ordered.push(choice);
      wanted.delete(`${d.name}\u0000${n.name}`);
    }
  for (const left of wanted.values()) throw new Error(`The model ${model.name} has no name ${left.name} in destination ${left.destination}`);
  const instructions = ordered.flatMap((c) => instructionsFor(model, c));
  const control: Record<string, unknown> = {
    dataImportControlFileVersion: 0,
    model: model.name,
    files: { TODO: { read: "json" } },
    instructions,
  };
  if (instructions.some((i) => i.refMapping === PLACEHOLDER_MAPPING))
    control.mapping = { [PLACEHOLDER_MAPPING]: { using: "behaviour", values: { TODO: "TODO" } } };
  return `${JSON.stringify(control, null, 2)}\n`;
}
