// The `haplo:user-sync` model (reference §2): the destinations a control file may write to,
// their names and types. The profile's names come from the profile schema (built-in person
// attributes plus those in usersync.json), as Haplo generates them from the application schema.
import type { DestinationDef, Model, NameDef } from "./types.ts";

export const USER_SYNC_MODEL = "haplo:user-sync";

export interface ProfileAttribute {
  code: string;
  type: string;
  description?: string;
  refTypes?: string[];
}

/** The attributes of Haplo's default `std:type:person` (less type and email, which the sync controls). */
export const DEFAULT_PROFILE_ATTRIBUTES: ProfileAttribute[] = [
  { code: "dc:attribute:title", type: "person-name", description: "Person's name" },
  { code: "std:attribute:contact-category", type: "ref", description: "Contact category" },
  { code: "std:attribute:works-for", type: "ref", description: "Organisation the person works for" },
  { code: "std:attribute:job-title", type: "text", description: "Job title" },
  { code: "std:attribute:telephone", type: "telephone-number", description: "Telephone number" },
  { code: "std:attribute:address", type: "postal-address", description: "Postal address" },
  { code: "std:attribute:url", type: "url", description: "Web address" },
  { code: "std:attribute:member-of", type: "ref", description: "Member of" },
  { code: "std:attribute:first-contact-via", type: "ref", description: "First contact via" },
  { code: "std:attribute:expertise", type: "ref", description: "Expertise" },
  { code: "std:attribute:relationship-manager", type: "ref", description: "Relationship manager" },
  { code: "std:attribute:notes", type: "text-paragraph", description: "Notes" },
];

/** Attributes the sync controls itself, so a control file may not write them (reference §2.2). */
const EXCLUDED_PROFILE_ATTRIBUTES = new Set(["dc:attribute:type", "std:attribute:email"]);

export interface ModelOptions {
  /** Extra or replacement profile attributes (usersync.json `profile.attributes`). */
  profileAttributes?: ProfileAttribute[];
  /** Names of the `user:tags` destination (usersync.json `userTags`). */
  userTags?: string[];
}

function name(name: string, type: string, description: string, opts: Partial<NameDef> = {}): NameDef {
  return { name, type, description, multivalue: false, required: false, ...opts };
}

function destination(def: Omit<DestinationDef, "names" | "excludeFromGenerator" | "pseudo"> & Partial<DestinationDef>, names: NameDef[]): DestinationDef {
  return {
    pseudo: false,
    excludeFromGenerator: false,
    ...def,
    names: new Map(names.map((n) => [n.name, n])),
  };
}

export const PERSON_NAME_PARTS = ["title", "first", "middle", "last", "suffix"] as const;
export const POSTAL_ADDRESS_PARTS = ["street1", "street2", "city", "county", "postcode", "country"] as const;

export function profileAttributes(options: ModelOptions = {}): ProfileAttribute[] {
  const byCode = new Map(DEFAULT_PROFILE_ATTRIBUTES.map((a) => [a.code, a]));
  for (const a of options.profileAttributes ?? []) byCode.set(a.code, a);
  return [...byCode.values()].filter((a) => !EXCLUDED_PROFILE_ATTRIBUTES.has(a.code));
}

export function userSyncModel(options: ModelOptions = {}): Model {
  const attributes = profileAttributes(options);
  const destinations: DestinationDef[] = [
    destination(
      { name: "user", title: "User account", kind: "dictionary", optional: false, displaySort: 1, description: "The user's account." },
      [
        name("username", "text", "Unique, never-changing identifier of the person. Compared case-insensitively.", { required: true }),
        name("title", "text", "Honorific (Mr, Dr…), used in the profile's title."),
        name("nameFirst", "text", "First name.", { required: true }),
        name("nameLast", "text", "Last name.", { required: true }),
        name("email", "text", "Email address.", { required: true }),
        name("groups", "text", "Group codes. Managed groups follow the feed exactly; other groups are only ever added.", { multivalue: true }),
      ],
    ),
    destination(
      { name: "user:tags", title: "User tags", kind: "dictionary", optional: true, dependsOn: "user", displaySort: 5, description: "Tags stored on the user account." },
      (options.userTags ?? []).filter((t) => t !== "username").map((t) => name(t, "text", `User tag ${t}`)),
    ),
    destination(
      {
        name: "profile",
        title: "Person profile record",
        kind: "object",
        optional: false,
        displaySort: 10,
        description: "The user's profile object. Its type, main title and email are set by the sync.",
      },
      attributes.map((a) =>
        name(a.code, a.type, a.description ?? a.code, {
          multivalue: true,
          ...(a.refTypes ? { refTypes: a.refTypes } : {}),
        }),
      ),
    ),
  ];
  // Pseudo destinations for the structured types the profile uses (reference §2.4).
  const types = new Set(attributes.map((a) => a.type));
  if (types.has("person-name"))
    destinations.push(
      destination(
        { name: "value:person-name", title: "Person's name (structured value)", kind: "dictionary", optional: true, pseudo: true, excludeFromGenerator: true, displaySort: 999999, description: "Parts of a person's name, written with field-structured." },
        PERSON_NAME_PARTS.map((p) => name(p, "text", `Person name: ${p}`, { required: p === "last" })),
      ),
    );
  if (types.has("postal-address"))
    destinations.push(
      destination(
        { name: "value:postal-address", title: "Postal address (structured value)", kind: "dictionary", optional: true, pseudo: true, excludeFromGenerator: true, displaySort: 999999, description: "Parts of a postal address, written with field-structured." },
        POSTAL_ADDRESS_PARTS.map((p) => name(p, "text", `Postal address: ${p}`, { required: p === "country" })),
      ),
    );
  destinations.push(
    destination(
      { name: "load:by-ref", title: "Load by ref", kind: "dictionary", optional: true, pseudo: true, excludeFromGenerator: true, displaySort: 999998, description: "Ref of an object to load (not usable in a user sync)." },
      [name("ref", "ref", "Ref of the object to load")],
    ),
  );
  return {
    name: USER_SYNC_MODEL,
    title: "Generic user sync",
    description: "Data for user sync feed, applied to the application as a scheduled batch file upload",
    destinations: new Map(destinations.map((d) => [d.name, d])),
  };
}
