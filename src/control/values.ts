// Value conversion (reference §3.4): mapInputValue, then filters in order, then the data type's
// transformer. Everything that can be decided from the instruction alone is decided here, once,
// when the control file is compiled; what runs per record is a plain function.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import { compileDateFormat } from "./dates.ts";
import type { FilterFunction, Lookups } from "./filters.ts";
import { Ref } from "./ref.ts";
import type { Instruction, MappingSpec, NameDef } from "./types.ts";

/** Reports a problem with the current record's value; the record carries on (Haplo semantics). */
export type Report = (message: string) => void;

/** Converts one input value; `undefined` means "nothing to write". */
export type Converter = (value: unknown, report: Report) => unknown;

export const STRUCTURED_TYPES = new Set(["person-name", "postal-address"]);

export const DATA_TYPES = [
  "text",
  "boolean",
  "datetime",
  "ref",
  "object-type",
  "json",
  "email-address",
  "url",
  "telephone-number",
  "text-paragraph",
  "text-multiline",
  "configuration-name",
  "isbn",
  "integer",
  "number",
  "person-name",
  "postal-address",
] as const;

const ISO_COUNTRY = /^[A-Z]{2}$/;

/** The person-name parts as stored, and the title text Haplo shows ("Mr Joe Middle Bloggs III"). */
export function personNameText(v: Record<string, unknown>): string {
  return ["title", "first", "middle", "last", "suffix"]
    .map((k) => v[k])
    .filter((x) => typeof x === "string" && x.trim() !== "")
    .join(" ");
}

function structuredParts(value: Record<string, unknown>, parts: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of parts) {
    const v = value[p];
    if (v !== undefined && v !== null && v !== "") out[p] = String(v);
  }
  return out;
}

export interface TypeContext {
  /** "destination.name", used in messages */
  label: string;
  instruction: Instruction;
  mappings: Record<string, MappingSpec>;
  lookups: Lookups;
}

export class SetupError extends Error {}

/** The data type's transformer for an instruction writing to `def`. Throws SetupError for bad options. */
export function typeTransformer(def: NameDef, ctx: TypeContext): Converter {
  const { label, instruction } = ctx;
  switch (def.type) {
    case "text":
      return (v) => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);
    case "text-paragraph":
    case "text-multiline":
    case "configuration-name":
    case "isbn":
      return (v) => (v || v === 0 ? String(v) : undefined);
    case "boolean": {
      const trueValue = instruction.trueValue ?? "true";
      const falseValue = instruction.falseValue ?? "false";
      return (v, report) => {
        if (typeof v === "boolean") return v;
        if (v === trueValue) return true;
        if (v === falseValue) return false;
        report(`Invalid boolean value for ${label}: ${String(v)}`);
        return undefined;
      };
    }
    case "datetime":
    case "date": {
      if (typeof instruction.dateFormat !== "string" || !instruction.dateFormat) throw new SetupError(`Date format not specified for ${label}`);
      const parse = compileDateFormat(instruction.dateFormat);
      return (v, report) => {
        if (v instanceof Date) return v.toISOString();
        if (typeof v !== "string") return undefined;
        const date = parse(v);
        if (!date) {
          report(`Invalid date value for ${label}: ${v}`);
          return undefined;
        }
        return date.toISOString();
      };
    }
    case "integer":
      return (v, report) => {
        const n = typeof v === "number" ? v : parseInt(String(v), 10);
        if (!Number.isInteger(n) || String(n) !== String(v).trim()) {
          report(`Invalid integer for ${label}: ${String(v)}`);
          return undefined;
        }
        return n;
      };
    case "number":
      return (v, report) => {
        const n = typeof v === "number" ? v : parseFloat(String(v));
        if (!Number.isFinite(n)) {
          report(`Invalid number for ${label}: ${String(v)}`);
          return undefined;
        }
        return n;
      };
    case "email-address":
      return (v, report) => {
        const s = typeof v === "string" ? v.trim() : "";
        if (s.indexOf("@") > 0) return s;
        report(`Invalid email address for ${label}: ${String(v)}`);
        return undefined;
      };
    case "url":
      return (v, report) => {
        const s = typeof v === "string" ? v.trim() : "";
        if (/^[a-zA-Z][a-zA-Z0-9+.-]*:./.test(s)) return s;
        report(`Invalid URL for ${label}: ${String(v)}`);
        return undefined;
      };
    case "telephone-number": {
      // Stored as received, with the country to read it in; the number is interpreted (Haplo's
      // "guessing": which country, international format) only when shown — see describeTelephone.
      // Parsing every number of a million-record feed with libphonenumber costs ~10 µs each.
      const country = (instruction.country ?? "GB").toUpperCase();
      if (!ISO_COUNTRY.test(country)) throw new SetupError(`Invalid country "${instruction.country}" for ${label}: must be a two letter ISO code`);
      return (v) => {
        if (!(v || v === 0)) return undefined;
        return { number: String(v).trim(), country };
      };
    }
    case "object-type":
      return (v) => (typeof v === "string" && v !== "" ? v : undefined);
    case "json":
      return (v) => (v !== null && typeof v === "object" ? v : undefined);
    case "person-name":
      return (v) => {
        if (v === null || typeof v !== "object" || !("last" in v) || !(v as { last: unknown }).last) return undefined;
        return structuredParts(v as Record<string, unknown>, ["title", "first", "middle", "last", "suffix"]);
      };
    case "postal-address":
      return (v, report) => {
        const json = JSON.stringify(v);
        if (v === null || typeof v !== "object") {
          report(`Invalid postal address: ${json}`);
          return undefined;
        }
        const country = (v as { country?: unknown }).country;
        if (typeof country !== "string" || !ISO_COUNTRY.test(country)) {
          report(`Missing or invalid country code in postal address, must be two letter ISO code: ${json}`);
          return undefined;
        }
        return structuredParts(v as Record<string, unknown>, ["street1", "street2", "city", "county", "postcode", "country"]);
      };
    case "ref":
      return refTransformer(def, ctx);
    default:
      throw new SetupError(`Unknown data type in model: ${def.type}`);
  }
}

function refTransformer(_def: NameDef, ctx: TypeContext): Converter {
  const { label, instruction, mappings, lookups } = ctx;
  const mappingName = instruction.refMapping;
  if (mappingName === undefined) {
    // Haplo silently dropped a non-ref here (reference §9 item 16); we say so.
    return (v, report) => {
      if (v instanceof Ref) return v.id;
      if (v === undefined || v === null || v === "") return undefined;
      report(`Value for ${label} is not a ref (use refMapping, or a filter such as haplo:code-to-ref): ${String(v)}`);
      return undefined;
    };
  }
  const mapping = mappings[mappingName];
  if (!mapping) throw new SetupError(`Unknown mapping: ${mappingName}`);
  const values = mapping.values ?? {};
  if (mapping.using === "behaviour") {
    return (v, report) => {
      if (v instanceof Ref) return v.id;
      const code = Object.hasOwn(values, String(v)) ? values[String(v)] : undefined;
      const id = code === undefined ? undefined : lookups.refForBehaviour(code);
      if (id === undefined) {
        report(`Value in input data cannot be mapped for ${label}: ${String(v)}`);
        return undefined;
      }
      return id;
    };
  }
  if (mapping.using === "title") {
    const types = mapping.types ?? [];
    return (v, report) => {
      if (v instanceof Ref) return v.id;
      // Haplo ignored unmapped input silently for title mappings (reference §9 item 16); we report it, as for behaviours.
      const title = Object.hasOwn(values, String(v)) ? values[String(v)] : undefined;
      const id = title === undefined ? undefined : lookups.refForTitle(types, title);
      if (id === undefined) {
        report(`Value in input data cannot be mapped for ${label}: ${String(v)}`);
        return undefined;
      }
      return id;
    };
  }
  throw new SetupError(`Mapping ${mappingName} has an unknown "using": ${String((mapping as { using: unknown }).using)}`);
}

/** A stored telephone number, interpreted: the country it belongs to and its international form. */
export function describeTelephone(v: { number: string; country: string }): { number: string; country: string; international: string | null } {
  const parsed = parsePhoneNumberFromString(v.number, v.country as CountryCode);
  return { number: v.number, country: parsed?.country ?? v.country, international: parsed ? parsed.formatInternational() : null };
}

/** mapInputValue → filters → type transformer, as one function. */
export function valueConverter(def: NameDef, ctx: TypeContext, filters: FilterFunction[]): Converter {
  const { instruction } = ctx;
  const transform = typeTransformer(def, ctx);
  const map = instruction.mapInputValue;
  const hasDefault = Object.hasOwn(instruction, "mapInputValueDefault");
  const fallback = instruction.mapInputValueDefault;
  const mapInput =
    map === undefined
      ? null
      : (v: unknown) => {
          const key = String(v);
          if (Object.hasOwn(map, key)) return map[key];
          return hasDefault ? fallback : v;
        };
  if (!mapInput && filters.length === 0) return transform;
  return (value, report) => {
    let v = mapInput ? mapInput(value) : value;
    for (const filter of filters) v = filter(v);
    return transform(v, report);
  };
}
