// API keys for the Haplo-compatible upload API (reference §5.1). A key is 32 random bytes
// (base64url, 43 characters), shown once at creation and stored only as its SHA-256: a random key
// this long cannot be guessed from its hash, so a slow password hash would add nothing. A key is
// valid only for requests under its path prefix.
import type { Sql } from "../store/index.ts";

export const HAPLO_API_PREFIX = "/api/haplo-user-sync/";
/** Haplo refuses shorter keys outright. */
export const MIN_KEY_LENGTH = 16;

export interface ApiKeyInfo {
  id: number;
  name: string;
  keyPrefix: string;
  pathPrefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const hashKey = (key: string) => new Bun.CryptoHasher("sha256").update(key).digest("hex");

/** Create a key; returns the key itself, which is never stored and cannot be shown again. */
export async function createApiKey(db: Sql, name: string, pathPrefix = HAPLO_API_PREFIX): Promise<{ id: number; key: string }> {
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const [row] = await db.query<{ id: number }>(
    "INSERT INTO api_keys (name, key_hash, key_prefix, path_prefix) VALUES ($1, $2, $3, $4) RETURNING id",
    [name, hashKey(key), key.slice(0, 6), pathPrefix],
  );
  return { id: Number(row!.id), key };
}

export async function listApiKeys(db: Sql): Promise<ApiKeyInfo[]> {
  const rows = await db.query<Record<string, any>>("SELECT * FROM api_keys ORDER BY id");
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    keyPrefix: r.key_prefix,
    pathPrefix: r.path_prefix,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }));
}

/** Revoke by id or name; returns how many keys were revoked. */
export async function revokeApiKey(db: Sql, idOrName: string): Promise<number> {
  const byId = /^\d+$/.test(idOrName);
  const rows = await db.query(
    `UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND ${byId ? "id = $1::int" : "name = $1"} RETURNING id`,
    [idOrName],
  );
  return rows.length;
}

/** The key's name if `key` is a live key valid for `path`, else null. */
export async function verifyApiKey(db: Sql, key: string, path: string): Promise<{ id: number; name: string } | null> {
  if (key.length < MIN_KEY_LENGTH) return null;
  const [row] = await db.query<{ id: number; name: string; path_prefix: string }>(
    "SELECT id, name, path_prefix FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    [hashKey(key)],
  );
  if (!row || !path.startsWith(row.path_prefix)) return null;
  await db.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [row.id]);
  return { id: Number(row.id), name: row.name };
}
