// Value filters (reference §3.4): named functions applied after mapInputValue and before the
// data type. A filter is created once per run, from the lookups the engine prepared, so per-record
// work never queries the database.
import { parseRef, Ref } from "./ref.ts";
import { textOf } from "./text.ts";

export type FilterFunction = (value: unknown) => unknown;

/** Lookups against the store, preloaded by the engine before records are read (see src/engine/lookups.ts). */
export interface Lookups {
  /** Object id of the reference object with this behaviour code. */
  refForBehaviour(code: string): number | undefined;
  /** Object id of the object of one of `types` with exactly this title (case-sensitive, as Haplo). */
  refForTitle(types: string[], title: string): number | undefined;
  /** Profile object id of the synced user with this (normalised) username, whatever their state. */
  profileRefForUsername(username: string): number | undefined;
  /** Profile object id of the first user (lowest id) with this email address. */
  profileRefForEmail(email: string): number | undefined;
}

/** Lookups that find nothing: for checking a control file without a database. */
export const NO_LOOKUPS: Lookups = {
  refForBehaviour: () => undefined,
  refForTitle: () => undefined,
  profileRefForUsername: () => undefined,
  profileRefForEmail: () => undefined,
};

export interface FilterDef {
  name: string;
  description: string;
  /** What the engine must preload for this filter. */
  needs?: "behaviours" | "usernames" | "emails";
  create(lookups: Lookups): FilterFunction;
}

const URL_WITHOUT_SCHEME = /^[a-zA-Z][a-zA-Z+.\-/]+$/;

export const FILTERS: FilterDef[] = [
  {
    name: "haplo:string-to-ref",
    description: "Converts a string containing a ref (an object id) into a ref. Refs pass through; invalid strings become nothing.",
    create: () => (v) => (v instanceof Ref ? v : typeof v === "string" ? parseRef(v.trim()) : undefined),
  },
  {
    name: "haplo:code-to-ref",
    description: "Converts a behaviour code (e.g. example:research-institute:chemistry) into a ref to the object with that behaviour.",
    needs: "behaviours",
    create: (lookups) => (v) => {
      if (v instanceof Ref) return v;
      if (typeof v !== "string") return undefined;
      const id = lookups.refForBehaviour(v);
      return id === undefined ? undefined : new Ref(id);
    },
  },
  {
    name: "haplo:username-to-ref",
    description: "Converts a username into a ref to that user's profile object (any synced user: active or blocked).",
    needs: "usernames",
    create: (lookups) => (v) => {
      if (typeof v !== "string" && typeof v !== "number") return undefined;
      const id = lookups.profileRefForUsername(String(v).normalize("NFC").trim().toLowerCase());
      return id === undefined ? undefined : new Ref(id);
    },
  },
  {
    name: "haplo:email-to-ref",
    description: "Converts an email address into a ref to the profile object of the user with that address.",
    needs: "emails",
    create: (lookups) => (v) => {
      if (typeof v !== "string") return undefined;
      const id = lookups.profileRefForEmail(v.trim().toLowerCase());
      return id === undefined ? undefined : new Ref(id);
    },
  },
  {
    name: "haplo:fix-up-url",
    description: "Adds https:// to a web address written without a scheme (example.org/page).",
    create: () => (v) => (typeof v === "string" && !v.includes(":") && URL_WITHOUT_SCHEME.test(v) ? `https://${v}` : v),
  },
  {
    name: "haplo:to-lower-case",
    description: "Converts text to lower case; other values pass through.",
    create: () => (v) => (typeof v === "string" ? v.toLowerCase() : v),
  },
  {
    name: "haplo:to-upper-case",
    description: "Converts text to upper case; other values pass through.",
    create: () => (v) => (typeof v === "string" ? v.toUpperCase() : v),
  },
  {
    name: "haplo:to-string",
    description: "Converts any value to text.",
    create: () => (v) => (v === undefined || v === null ? v : textOf(v)),
  },
];

export const FILTERS_BY_NAME = new Map(FILTERS.map((f) => [f.name, f]));
