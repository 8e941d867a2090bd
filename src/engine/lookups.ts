// The lookups filters and mappings use (haplo:username-to-ref, refMapping by behaviour or title…),
// loaded from the store once, before the records are read, and only those the control file needs.
// Per-record work then never queries the database.
import type { Control, Lookups } from "../control/index.ts";
import type { Sql } from "../store/index.ts";

/** Haplo refuses title mappings over more objects than this. */
export const MAX_TITLE_MAPPING_OBJECTS = 4096;

export class LookupError extends Error {}

export async function loadLookups(
  db: Sql,
  needs: ReadonlySet<string>,
  titleTypes: string[][] = [],
): Promise<Lookups> {
  const behaviours = new Map<string, number>();
  const usernames = new Map<string, number>();
  const emails = new Map<string, number>();
  const titles = new Map<string, Map<string, number>>();
  if (needs.has("behaviours")) {
    for (const r of await db.query<{ behaviour: string; id: number }>("SELECT behaviour, id FROM objects WHERE behaviour IS NOT NULL"))
      behaviours.set(r.behaviour, Number(r.id));
  }
  if (needs.has("usernames")) {
    for (const r of await db.query<{ username: string; profile_id: number }>("SELECT username, profile_id FROM users WHERE profile_id IS NOT NULL"))
      usernames.set(r.username, Number(r.profile_id));
  }
  if (needs.has("emails")) {
    for (const r of await db.query<{ email: string; profile_id: number }>(
      "SELECT lower(email) AS email, profile_id FROM users WHERE profile_id IS NOT NULL AND email IS NOT NULL ORDER BY id DESC",
    ))
      emails.set(r.email, Number(r.profile_id)); // lowest id last, so it wins (Haplo: the first match)
  }
  for (const types of titleTypes) {
    const key = [...types].sort().join(" ");
    if (titles.has(key)) continue;
    const rows = await db.query<{ id: number; title: string; alternatives: string[] | null }>(
      `SELECT id, title, (SELECT array_agg(coalesce(v->>'v', concat_ws(' ', v->'v'->>'title', v->'v'->>'first', v->'v'->>'middle', v->'v'->>'last', v->'v'->>'suffix')))
                          FROM jsonb_array_elements(attributes->'dc:attribute:title') v) AS alternatives
       FROM objects WHERE types && $1::text[] ORDER BY id LIMIT ${MAX_TITLE_MAPPING_OBJECTS + 1}`,
      [types],
    );
    if (rows.length > MAX_TITLE_MAPPING_OBJECTS)
      throw new LookupError(`A title mapping over types ${types.join(", ")} covers more than ${MAX_TITLE_MAPPING_OBJECTS} objects; use behaviours instead`);
    const map = new Map<string, number>();
    for (const r of rows) {
      for (const t of [r.title, ...(r.alternatives ?? [])]) if (t && !map.has(t)) map.set(t, Number(r.id));
    }
    titles.set(key, map);
  }
  return {
    refForBehaviour: (code) => behaviours.get(code),
    refForTitle: (types, title) => titles.get([...types].sort().join(" "))?.get(title),
    profileRefForUsername: (username) => usernames.get(username),
    profileRefForEmail: (email) => emails.get(email),
  };
}

/**
 * Lookups filled in once the compiled control file has said what it needs: the control file is
 * compiled against this, and `inner` is set when loadLookups has run.
 */
export class DeferredLookups implements Lookups {
  inner: Lookups | null = null;
  private get target(): Lookups {
    if (!this.inner) throw new Error("lookups used before they were loaded");
    return this.inner;
  }
  refForBehaviour = (code: string) => this.target.refForBehaviour(code);
  refForTitle = (types: string[], title: string) => this.target.refForTitle(types, title);
  profileRefForUsername = (u: string) => this.target.profileRefForUsername(u);
  profileRefForEmail = (e: string) => this.target.profileRefForEmail(e);
}

/** The type lists of the mappings that look objects up by title (what loadLookups needs). */
export function titleMappingTypes(control: Control): string[][] {
  return Object.values(control.control.mapping ?? {})
    .filter((m) => m.using === "title")
    .map((m) => m.types ?? []);
}
