// Groups: which codes a feed may name, which are managed (membership follows the feed exactly),
// and their profile types. They live in the database (the UI edits them); usersync.json's
// `groups`, when its content changes, is applied over them as the full list of managed groups.
import type { GroupConfig } from "../config/index.ts";
import type { Sql } from "../store/index.ts";
import { canonicalJson } from "./digest.ts";
import type { GroupDefinition } from "./profile.ts";

export async function applyConfigGroups(db: Sql, groups: GroupConfig[]): Promise<boolean> {
  const digest = new Bun.CryptoHasher("sha256").update(canonicalJson(groups)).digest("hex");
  const [current] = await db.query<{ value: string }>("SELECT value #>> '{}' AS value FROM settings WHERE key = 'config.groupsDigest'");
  if (current?.value === digest) return false;
  for (const [position, g] of groups.entries()) {
    await db.query(
      `INSERT INTO groups (code, title, managed, profile_type, past_profile_type, position) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (code) DO UPDATE SET title = excluded.title, managed = excluded.managed, profile_type = excluded.profile_type,
         past_profile_type = excluded.past_profile_type, position = excluded.position`,
      [g.code, g.title ?? g.code, g.managed ?? true, g.profileType ?? null, g.pastProfileType ?? null, position],
    );
  }
  const codes = groups.map((g) => g.code);
  await db.query("UPDATE groups SET managed = false WHERE managed AND NOT (code = ANY($1::text[]))", [codes]);
  await db.query(
    `INSERT INTO settings (key, value) VALUES ('config.groupsDigest', to_jsonb($1::text))
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [digest],
  );
  return true;
}

export async function loadGroupDefinitions(db: Sql): Promise<GroupDefinition[]> {
  const rows = await db.query<{ code: string; managed: boolean; profile_type: string | null; past_profile_type: string | null }>(
    "SELECT code, managed, profile_type, past_profile_type FROM groups ORDER BY position, code",
  );
  return rows.map((r) => ({ code: r.code, managed: r.managed, profileType: r.profile_type, pastProfileType: r.past_profile_type }));
}

/** What the digest of every record includes: changing a managed group or the default type re-processes users. */
export function definitionsDigest(definitions: GroupDefinition[], defaultType: string): string {
  return canonicalJson({ groups: definitions.filter((d) => d.managed), defaultType });
}
