// Local accounts of the web UI: administrators (may change things) and viewers (may only look).
// Passwords are hashed with argon2id (Bun.password); the clear text never leaves this file.
import type { Sql } from "../../store/index.ts";

export type Role = "admin" | "viewer";
export const ROLES: readonly Role[] = ["admin", "viewer"];

export interface Admin {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
}

export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes anything, but a megabyte of password is an attack, not a password. */
export const MAX_PASSWORD_LENGTH = 1024;

export class AdminError extends Error {}

/** Account names: letters, digits and . _ @ -, up to 100 characters; compared lower-cased. */
export function normaliseAdminName(name: string): string {
  return name.normalize("NFC").trim().toLowerCase();
}

export function checkAdminName(name: string): string | null {
  const n = normaliseAdminName(name);
  if (!n) return "The account name is empty.";
  if (n.length > 100) return "The account name is longer than 100 characters.";
  if (!/^[\p{L}\p{N}._@-]+$/u.test(n)) return `The account name "${n}" may only contain letters, digits and . _ @ -`;
  return null;
}

export function checkPassword(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`;
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

function toAdmin(row: Record<string, any>): Admin {
  return { id: Number(row.id), username: row.username, role: row.role, disabled: row.disabled, createdAt: row.created_at };
}

export async function createAdmin(db: Sql, name: string, password: string, role: Role = "admin"): Promise<Admin> {
  const problem = checkAdminName(name) ?? checkPassword(password);
  if (problem) throw new AdminError(problem);
  if (!ROLES.includes(role)) throw new AdminError(`Unknown role "${role}": use admin or viewer.`);
  const username = normaliseAdminName(name);
  const hash = await hashPassword(password);
  const rows = await db.query<Record<string, any>>(
    "INSERT INTO admins (username, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING *",
    [username, hash, role],
  );
  if (!rows[0]) throw new AdminError(`There is already an account named "${username}".`);
  return toAdmin(rows[0]);
}

export async function listAdmins(db: Sql): Promise<Admin[]> {
  const rows = await db.query<Record<string, any>>("SELECT id, username, role, disabled, created_at FROM admins ORDER BY username");
  return rows.map(toAdmin);
}

/** Disable or enable an account. Disabling also ends its sessions. */
export async function setAdminDisabled(db: Sql, name: string, disabled: boolean): Promise<Admin> {
  const username = normaliseAdminName(name);
  const [row] = await db.query<Record<string, any>>("UPDATE admins SET disabled = $2 WHERE username = $1 RETURNING *", [username, disabled]);
  if (!row) throw new AdminError(`There is no account named "${username}".`);
  if (disabled) await db.query("DELETE FROM sessions WHERE admin_id = $1", [row.id]);
  return toAdmin(row);
}

/** Set a new password. Ends the account's sessions: whoever knew the old one is signed out. */
export async function setAdminPassword(db: Sql, name: string, password: string): Promise<Admin> {
  const problem = checkPassword(password);
  if (problem) throw new AdminError(problem);
  const username = normaliseAdminName(name);
  const [row] = await db.query<Record<string, any>>("UPDATE admins SET password_hash = $2 WHERE username = $1 RETURNING *", [
    username,
    await hashPassword(password),
  ]);
  if (!row) throw new AdminError(`There is no account named "${username}".`);
  await db.query("DELETE FROM sessions WHERE admin_id = $1", [row.id]);
  return toAdmin(row);
}

// Verified against when the account does not exist, so that a wrong name takes as long as a wrong
// password and the answer's timing does not tell which accounts exist.
let dummyHash: Promise<string> | null = null;

/** The account if the name and password match an enabled account; null otherwise (never says which part was wrong). */
export async function verifyLogin(db: Sql, name: string, password: string): Promise<Admin | null> {
  if (password.length > MAX_PASSWORD_LENGTH) return null;
  const [row] = await db.query<Record<string, any>>("SELECT * FROM admins WHERE username = $1", [normaliseAdminName(name)]);
  if (!row) {
    dummyHash ??= hashPassword(crypto.randomUUID());
    await Bun.password.verify(password, await dummyHash);
    return null;
  }
  const ok = await Bun.password.verify(password, row.password_hash);
  return ok && !row.disabled ? toAdmin(row) : null;
}
