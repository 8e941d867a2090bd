// Value conversion (reference §3.4): mapInputValue, then filters in order, then the data type's
// transformer. Everything that can be decided from the instruction alone is decided here, once,
// when the control file is compiled; what runs per record is a plain function.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import { ISO_COUNTRY_CODES } from "./countries.ts";
import { compileDateFormat } from "./dates.ts";
import type { FilterFunction, Lookups } from "./filters.ts";
import { Ref } from "./ref.ts";
import type { Instruction, MappingSpec, NameDef } from "./types.ts";
import { textOf } from "./text.ts";

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

const PERSON_NAME_KEYS = ["title", "first", "middle", "last", "suffix"] as const;
const POSTAL_ADDRESS_KEYS = ["street1", "street2", "city", "county", "postcode", "country"] as const;

/** The person-name parts as stored, and the title text Haplo shows ("Mr Joe Middle Bloggs III"). */
export function personNameText(v: Record<string, unknown>): string {
  return PERSON_NAME_KEYS.map((k) => v[k])
    .filter((x) => typeof x === "string" && x.trim() !== "")
    .join(" ");
}

function structuredParts(value: Record<string, unknown>, parts: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of parts) {
    const v = value[p];
    if (v !== undefined && v !== null && v !== "") out[p] = textOf(v);
  }
  return out;
}

export interface TypeContext {
  /** What the value came from, in Haplo's words: "input field Mail", "set value user/groups" */
  label: string;
  instruction: Instruction;
  mappings: Record<string, MappingSpec>;
  lookups: Lookups;
}

export class SetupError extends Error {}

/** A value as it reads in an error message: text as it is, anything else as JSON. */
function shown(v: unknown): string {
  return typeof v === "string" ? v : (JSON.stringify(v) ?? textOf(v));
}

/** Types that need options to be given, and the options each type reads. */
export const TYPE_OPTIONS: Record<string, readonly string[]> = {
  dateFormat: ["datetime", "date"],
  country: ["telephone-number"],
  refMapping: ["ref"],
  trueValue: ["boolean"],
  falseValue: ["boolean"],
};

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
      return (v) => (typeof v === "string" ? v || undefined : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);
    case "boolean": {
      // Haplo: `trueValue || "true"`, so an empty option means the default.
      const trueValue = instruction.trueValue || "true";
      const falseValue = instruction.falseValue || "false";
      return (v, report) => {
        if (typeof v === "boolean") return v;
        if (v === trueValue) return true;
        if (v === falseValue) return false;
        report(`Invalid boolean value for ${label}: ${shown(v)}`);
        return undefined;
      };
    }
    case "datetime":
    case "date": {
      if (typeof instruction.dateFormat !== "string" || !instruction.dateFormat) throw new SetupError(`Date format not specified for ${label}`);
      let parse: ReturnType<typeof compileDateFormat>;
      try {
        parse = compileDateFormat(instruction.dateFormat);
      } catch (error) {
        throw new SetupError((error as Error).message);
      }
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
      // Haplo: parseInt, and the number must read back as the original text ("12.5" and "12abc" are not integers).
      return (v, report) => {
        const original = textOf(v);
        const n = parseInt(original, 10);
        if (!Number.isNaN(n) && String(n) === original) return n;
        report(`Invalid integer for ${label}: ${original}`);
        return undefined;
      };
    case "number":
      return (v, report) => {
        const n = typeof v === "number" ? v : parseFloat(textOf(v));
        if (!Number.isFinite(n)) {
          report(`Invalid number for ${label}: ${textOf(v)}`);
          return undefined;
        }
        return n;
      };
    case "email-address":
      // Haplo's rule: an "@" that is not the first character; the account's stricter rule is the engine's.
      return (v, report) => {
        if (typeof v === "string" && v.indexOf("@") > 0) return v;
        report(`Invalid email address for ${label}: ${shown(v)}`);
        return undefined;
      };
    case "url":
      // Haplo's rule: it starts with a scheme and a colon.
      return (v, report) => {
        if (typeof v === "string" && /^[a-zA-Z][a-zA-Z0-9+.-]*:\S/.test(v)) return v;
        report(`Invalid URL for ${label}: ${shown(v)}`);
        return undefined;
      };
    case "telephone-number": {
      const country = (instruction.country || "GB").toUpperCase();
      if (!ISO_COUNTRY_CODES.has(country)) throw new SetupError(`Invalid country "${instruction.country}" for ${label}: must be a two letter ISO code such as GB`);
      // Stored as received, with the country to read it in. The number is interpreted as Haplo's
      // platform guesses it (international when it starts with +, else in `country`) only when it
      // is shown — describeTelephone — because libphonenumber costs ~10 µs per number, which on a
      // million-record feed is ten seconds.
      return (v) => {
        if (typeof v !== "string" && typeof v !== "number") return undefined;
        const text = String(v).trim();
        if (text === "") return undefined;
        return { number: text, country };
      };
    }
    case "object-type":
      return (v) => (typeof v === "string" && v !== "" ? v : undefined);
    case "json":
      return (v) => (v !== null && typeof v === "object" ? v : undefined);
    case "person-name":
      return (v) => {
        if (v === null || typeof v !== "object" || !(v as { last?: unknown }).last) return undefined;
        return structuredParts(v as Record<string, unknown>, PERSON_NAME_KEYS);
      };
    case "postal-address":
      return (v, report) => {
        const json = JSON.stringify(v);
        if (v === null || typeof v !== "object" || Array.isArray(v)) {
          report(`Invalid postal address: ${json} (build it in value:postal-address, then use field-structured)`);
          return undefined;
        }
        const country = (v as { country?: unknown }).country;
        if (typeof country !== "string" || country.length !== 2) {
          report(`Missing or invalid country code in postal address, must be two letter ISO code: ${json}`);
          return undefined;
        }
        if (!ISO_COUNTRY_CODES.has(country.toUpperCase())) {
          report(`Invalid postal address: ${json} (Postal addresses must use a recognised country)`);
          return undefined;
        }
        const parts = structuredParts(v as Record<string, unknown>, POSTAL_ADDRESS_KEYS);
        parts.country = country.toUpperCase();
        return parts;
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
    // Haplo silently dropped a value that was not a ref here (reference §9 item 16); we say so.
    return (v, report) => {
      if (v instanceof Ref) return v.id;
      if (v === undefined || v === null || v === "") return undefined;
      report(`Value for ${label} is not a ref (use refMapping, or a filter such as haplo:code-to-ref): ${shown(v)}`);
      return undefined;
    };
  }
  const mapping = Object.hasOwn(mappings, mappingName) ? mappings[mappingName] : undefined;
  if (!mapping) throw new SetupError(`Unknown mapping: ${mappingName}`);
  const values = mapping.values ?? {};
  const mapped = (v: unknown) => {
    const key = textOf(v);
    return Object.hasOwn(values, key) ? values[key] : undefined;
  };
  if (mapping.using === "behaviour") {
    return (v, report) => {
      if (v instanceof Ref) return v.id;
      if (v === undefined) return undefined;
      const code = mapped(v);
      if (code === undefined) {
        report(`Value in input data cannot be mapped for ${label}: ${shown(v)}`);
        return undefined;
      }
      const id = lookups.refForBehaviour(code);
      if (id === undefined) {
        report(`Value in input data cannot be mapped for ${label}: ${shown(v)} (no reference object has the behaviour ${code})`);
        return undefined;
      }
      return id;
    };
  }
  if (mapping.using === "title") {
    const types = mapping.types ?? [];
    return (v, report) => {
      if (v instanceof Ref) return v.id;
      if (v === undefined) return undefined;
      // Haplo ignored unmapped input silently for title mappings (reference §9 item 16); we report it, as for behaviours.
      const title = mapped(v);
      const id = title === undefined ? undefined : lookups.refForTitle(types, title);
      if (id === undefined) {
        const why = title === undefined ? "" : ` (no object of type ${types.join(" or ")} has the title ${title})`;
        report(`Value in input data cannot be mapped for ${label}: ${shown(v)}${why}`);
        return undefined;
      }
      return id;
    };
  }
  throw new SetupError(`Mapping ${mappingName} has an unknown "using": ${textOf((mapping as { using: unknown }).using)}`);
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
          const key = textOf(v);
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
