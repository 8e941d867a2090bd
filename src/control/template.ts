// A starting control file for the model, as Haplo's generator makes one (reference §3.8): a field
// instruction for every name of every destination (or those chosen), with placeholder sources
// "TODO-<NAME>", and the options each data type needs — a ref mapping, a date format, a country,
// the URL fix-up filter; person names and postal addresses built part by part. It is valid as it
// is (so `usersync check` can be run on it at once), but every TODO must be replaced.
import { PERSON_NAME_PARTS, POSTAL_ADDRESS_PARTS } from "./model.ts";
import type { ControlFile, DestinationDef, Instruction, MappingSpec, Model, NameDef } from "./types.ts";

export interface TemplateOptions {
  /** Names to include, as "name" or "destination^name"; all when absent. */
  names?: string[];
  /** Multivalue names to write with remove-values then multivalue:true (Haplo's "mv" box). */
  multivalue?: string[];
}

export class TemplateError extends Error {}

interface Chosen {
  dest: DestinationDef;
  def: NameDef;
}

function generatorDestinations(model: Model): DestinationDef[] {
  return [...model.destinations.values()].filter((d) => !d.excludeFromGenerator).sort((a, b) => a.displaySort - b.displaySort || (a.name < b.name ? -1 : 1));
}

/** Finds each requested name; throws listing the ones that are unknown or ambiguous. */
function resolveNames(model: Model, requested: string[]): Set<Chosen> {
  const all = generatorDestinations(model).flatMap((dest) => [...dest.names.values()].map((def) => ({ dest, def })));
  const chosen = new Set<Chosen>();
  const problems: string[] = [];
  for (const request of requested) {
    const caret = request.indexOf("^");
    const matches =
      caret > 0
        ? all.filter((c) => c.dest.name === request.slice(0, caret) && c.def.name === request.slice(caret + 1))
        : all.filter((c) => c.def.name === request);
    if (matches.length === 1) chosen.add(matches[0]!);
    else if (matches.length === 0) problems.push(`${request}: no such name`);
    else problems.push(`${request}: in ${matches.map((m) => m.dest.name).join(" and ")}; say which, e.g. ${matches[0]!.dest.name}^${request}`);
  }
  if (problems.length)
    throw new TemplateError(
      `Unknown names:\n${problems.map((p) => `  - ${p}`).join("\n")}\nNames of the model: ${all.map((c) => `${c.dest.name}^${c.def.name}`).join(", ")}`,
    );
  return chosen;
}

function placeholder(name: string): string {
  const last = name.split(":").pop() ?? name;
  return `TODO-${last.toUpperCase().replace(/[^A-Z0-9]+/g, "-")}`;
}

function mappingNameFor(def: NameDef): string {
  const types = def.refTypes?.length ? def.refTypes : [def.name];
  return types.map((t) => t.split(":").pop() ?? t).join("-").toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

export function controlTemplate(model: Model, options: TemplateOptions = {}): ControlFile {
  const userSync = model.name === "haplo:user-sync";
  // A user sync cannot work without the username instruction, so it is always there.
  const names = options.names?.length && userSync ? ["user^username", ...options.names] : options.names;
  const requested = names?.length ? resolveNames(model, names) : null;
  const multivalue = options.multivalue?.length ? resolveNames(model, options.multivalue) : new Set<Chosen>();
  const isMultivalue = (dest: DestinationDef, def: NameDef) => [...multivalue].some((c) => c.dest === dest && c.def === def);
  const isRequested = (dest: DestinationDef, def: NameDef) => !requested || [...requested].some((c) => c.dest === dest && c.def === def);
  const instructions: Instruction[] = [];
  const mapping: Record<string, MappingSpec> = {};

  for (const dest of generatorDestinations(model)) {
    let madeReady = false;
    for (const def of dest.names.values()) {
      if (!isRequested(dest, def)) continue;
      if (!madeReady && !userSync && !dest.dependsOn) instructions.push({ action: "new", destination: dest.name });
      madeReady = true;
      const source = placeholder(def.name);
      let instr: Instruction = { source, destination: dest.name, name: def.name };
      switch (def.type) {
        case "ref": {
          const name = mappingNameFor(def);
          instr.refMapping = name;
          mapping[name] ??= { types: def.refTypes?.length ? def.refTypes : ["TODO-type:code"], using: "behaviour", values: { "TODO-V0": "TODO-behaviour:code" } };
          break;
        }
        case "object-type":
          instr.mapInputValue = { "TODO-N1": "TODO-type:code" };
          instr.mapInputValueDefault = "TODO-default-type:code";
          break;
        case "telephone-number":
          instr.country = "GB";
          break;
        case "datetime":
          instr.dateFormat = "yyyy-MM-dd";
          break;
        case "url":
          instr.filters = ["haplo:fix-up-url"];
          break;
        case "person-name":
        case "postal-address": {
          const parts = def.type === "person-name" ? PERSON_NAME_PARTS : POSTAL_ADDRESS_PARTS;
          for (const part of parts) instructions.push({ source: `${source}-${part.toUpperCase()}`, destination: `value:${def.type}`, name: part });
          instr = { action: "field-structured", structured: `value:${def.type}`, destination: dest.name, name: def.name };
          break;
        }
      }
      if (def.multivalue && isMultivalue(dest, def)) {
        instr.multivalue = true;
        instructions.push({ action: "remove-values", destination: dest.name, name: def.name });
      }
      instructions.push(instr);
    }
  }

  const control: ControlFile = {
    dataImportControlFileVersion: 0,
    model: model.name,
    files: { [userSync ? "TODO" : "DEFAULT"]: { read: "json" } },
    instructions,
  };
  if (Object.keys(mapping).length) control.mapping = mapping;
  return control;
}
