// Sign-in sessions. The browser holds a random token in an HttpOnly cookie; the database holds
// only its SHA-256, so a copy of the database does not let anyone sign in. A new token is made at
// every sign-in (no session fixation), and each session carries its own CSRF token for forms.
import type { Sql } from "../../store/index.ts";
import type { Role } from "./admins.ts";

/** How long a session lasts from sign-in; afterwards the admin signs in again. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;

export interface Session {
  /** SHA-256 hex of the token (the sessions table's key). */
  id: string;
  adminId: number;
  username: string;
  role: Role;
  csrfToken: string;
  expiresAt: Date;
}

export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

export function tokenDigest(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

/** Start a session; returns the token for the cookie (shown nowhere else). */
export async function createSession(db: Sql, adminId: number): Promise<{ token: string; expiresAt: Date }> {
  const token = randomToken();
  const expiresAt = new Date(Date.now() + SESSION_LIFETIME_MS);
  await db.query("DELETE FROM sessions WHERE expires_at < now()");
  // The time goes as ISO text: postgres.js and PGlite would each serialise a Date their own way.
  await db.query("INSERT INTO sessions (id, admin_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4::text::timestamptz)", [
    tokenDigest(token),
    adminId,
    randomToken(),
    expiresAt.toISOString(),
  ]);
  return { token, expiresAt };
}

/** The live session for a cookie's token, or null (unknown, expired, or the account was disabled). */
export async function loadSession(db: Sql, token: string): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const [row] = await db.query<Record<string, any>>(
    `SELECT s.id, s.admin_id, s.csrf_token, s.expires_at, a.username, a.role FROM sessions s JOIN admins a ON a.id = s.admin_id
     WHERE s.id = $1 AND s.expires_at > now() AND NOT a.disabled`,
    [tokenDigest(token)],
  );
  if (!row) return null;
  return { id: row.id, adminId: Number(row.admin_id), username: row.username, role: row.role, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function endSession(db: Sql, token: string): Promise<void> {
  await db.query("DELETE FROM sessions WHERE id = $1", [tokenDigest(token)]);
}

/** Constant-time comparison of two tokens. */
export function sameToken(a: string | undefined | null, b: string | undefined | null): boolean {
  if (typeof a !== "string" || typeof b !== "string" || a.length === 0) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
