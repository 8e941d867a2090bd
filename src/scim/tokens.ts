// SCIM bearer tokens. They live in api_keys with scope 'scim' (path prefix /scim/v2/): random,
// 256 bits, shown once when created, stored only as their SHA-256 (a slow hash buys nothing for a
// random 256-bit secret, and a fast one lets a request be checked with one indexed lookup).
// They are read-only by construction: the SCIM endpoint has no write operation at all.
import { randomBytes } from "node:crypto";
import type { Sql } from "../store/index.ts";

export const SCIM_SCOPE = "scim";
const TOKEN_PREFIX = "usersync_scim_";

export interface ScimTokenInfo {
  id: number;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function hashToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

/** Creates a token; the returned `token` is the only time it exists in clear. */
export async function createScimToken(db: Sql, name: string): Promise<{ id: number; token: string; prefix: string }> {
  const clean = name.trim();
  if (!clean || clean.length > 100) throw new Error("A token needs a name of 1 to 100 characters (e.g. the system that will use it)");
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const prefix = token.slice(0, TOKEN_PREFIX.length + 6);
  const [row] = await db.query<{ id: number }>(
    "INSERT INTO api_keys (name, key_hash, key_prefix, path_prefix, scope) VALUES ($1, $2, $3, '/scim/v2/', $4) RETURNING id",
    [clean, hashToken(token), prefix, SCIM_SCOPE],
  );
  return { id: Number(row!.id), token, prefix };
}

export async function listScimTokens(db: Sql): Promise<ScimTokenInfo[]> {
  const rows = await db.query<{ id: number; name: string; key_prefix: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }>(
    "SELECT id, name, key_prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE scope = $1 ORDER BY id",
    [SCIM_SCOPE],
  );
  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  return rows.map((r) => ({ id: Number(r.id), name: r.name, prefix: r.key_prefix, createdAt: iso(r.created_at)!, lastUsedAt: iso(r.last_used_at), revokedAt: iso(r.revoked_at) }));
}

/** Revokes a token by id; false if there is no such live SCIM token. */
export async function revokeScimToken(db: Sql, id: number): Promise<boolean> {
  const rows = await db.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND scope = $2 AND revoked_at IS NULL RETURNING id", [id, SCIM_SCOPE]);
  return rows.length === 1;
}

/** The token's id and name if it is a live SCIM token; null otherwise. */
export async function verifyScimToken(db: Sql, token: string): Promise<{ id: number; name: string } | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const [row] = await db.query<{ id: number; name: string; stale: boolean }>(
    `SELECT id, name, (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
     FROM api_keys WHERE key_hash = $1 AND scope = $2 AND revoked_at IS NULL`,
    [hashToken(token), SCIM_SCOPE],
  );
  if (!row) return null;
  // last_used_at at most once a minute: a busy IdP must not turn every read into a write.
  if (row.stale) await db.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [row.id]);
  return { id: Number(row.id), name: row.name };
}
