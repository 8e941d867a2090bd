// SFTP uploader accounts: from usersync.json (`sftp.accounts`) and from the database (managed with
// `usersync sftp-user`). Passwords are argon2id hashes (Bun.password); public keys are OpenSSH
// authorized_keys lines. An account in usersync.json wins over one of the same name in the database.
import { utils, type ParsedKey } from "ssh2";
import type { SftpAccountConfig } from "../../config/index.ts";
import type { Sql } from "../../store/index.ts";

export interface SftpAccount {
  name: string;
  passwordHash: string | null;
  publicKeys: string[];
  disabled: boolean;
  source: "config" | "database";
}

export const ACCOUNT_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,63}$/;

interface AccountRow {
  name: string;
  password_hash: string | null;
  public_keys: string[] | null;
  disabled: boolean;
}
const ROW_COLUMNS = "name, password_hash, public_keys, disabled";

const fromConfig = (a: SftpAccountConfig): SftpAccount => ({
  name: a.name,
  passwordHash: a.passwordHash ?? null,
  publicKeys: a.publicKeys ?? [],
  disabled: a.disabled ?? false,
  source: "config",
});
const fromRow = (r: AccountRow): SftpAccount => ({ name: r.name, passwordHash: r.password_hash, publicKeys: r.public_keys ?? [], disabled: r.disabled, source: "database" });

export async function findAccount(db: Sql, configAccounts: SftpAccountConfig[], name: string): Promise<SftpAccount | null> {
  const configured = configAccounts.find((a) => a.name === name);
  if (configured) return fromConfig(configured);
  if (!ACCOUNT_NAME.test(name)) return null;
  const [row] = await db.query<AccountRow>(`SELECT ${ROW_COLUMNS} FROM sftp_accounts WHERE name = $1`, [name]);
  return row ? fromRow(row) : null;
}

export async function listAccounts(db: Sql, configAccounts: SftpAccountConfig[]): Promise<SftpAccount[]> {
  const rows = await db.query<AccountRow>(`SELECT ${ROW_COLUMNS} FROM sftp_accounts ORDER BY name`);
  const fromDatabase = rows.filter((r) => !configAccounts.some((a) => a.name === r.name)).map(fromRow);
  return [...configAccounts.map(fromConfig), ...fromDatabase].sort((a, b) => a.name.localeCompare(b.name));
}

/** Key types an uploader may log in with: what OpenSSH itself still offers by default. */
const ACCEPTED_KEY_TYPES = new Set(["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]);
const MIN_RSA_BITS = 2048;

/** Bits of an RSA key's modulus, from its public blob: string "ssh-rsa", mpint e, mpint n. */
function rsaBits(blob: Buffer): number {
  let at = 0;
  const next = () => {
    const length = blob.readUInt32BE(at);
    const part = blob.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return part;
  };
  next(); // "ssh-rsa"
  next(); // e
  const n = next();
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  return i === n.length ? 0 : (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
}

/**
 * Why a key may not be used, or null: DSA (1024 bits, refused by OpenSSH since 7.0), RSA under
 * 2048 bits (NIST's floor since 2013), any type OpenSSH does not offer by default.
 */
export function keyWeakness(key: ParsedKey): string | null {
  if (key.type === "ssh-dss") return "a DSA key (ssh-dss) is too weak (1024 bits; OpenSSH refuses them): make an ed25519 key with ssh-keygen -t ed25519";
  if (!ACCEPTED_KEY_TYPES.has(key.type)) return `keys of type ${key.type} are not accepted: use ed25519, ECDSA, or RSA of ${MIN_RSA_BITS} bits or more`;
  if (key.type === "ssh-rsa") {
    const bits = rsaBits(key.getPublicSSH());
    if (bits < MIN_RSA_BITS) return `an RSA key of ${bits} bits is too weak: at least ${MIN_RSA_BITS} are needed (ssh-keygen -t ed25519 makes a better one)`;
  }
  return null;
}

/** Parse authorized_keys text: one key per line; blank lines and # comments skipped. Throws naming the bad or weak line. */
export function parsePublicKeys(text: string, where = "the key file"): { line: string; key: ParsedKey }[] {
  const keys: { line: string; key: ParsedKey }[] = [];
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw new Error(`${where}: this is a PRIVATE key; give the public one (the .pub file)`);
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const parsed = utils.parseKey(line);
    const key = parsed instanceof Error ? null : Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key) throw new Error(`${where}, line ${i + 1}: not an OpenSSH public key (${parsed instanceof Error ? parsed.message : "unreadable"})`);
    if (key.isPrivateKey()) throw new Error(`${where}, line ${i + 1}: this is a PRIVATE key; give the public one (the .pub file)`);
    const weakness = keyWeakness(key);
    if (weakness) throw new Error(`${where}, line ${i + 1}: ${weakness}`);
    keys.push({ line, key });
  });
  return keys;
}

/** Create the account, or add to it: keys are appended (once each), a given password replaces the old. */
export async function upsertAccount(db: Sql, name: string, change: { publicKeys?: string[]; passwordHash?: string }): Promise<"created" | "updated"> {
  const [existing] = await db.query<{ public_keys: string[] }>("SELECT public_keys FROM sftp_accounts WHERE name = $1", [name]);
  const keys = [...new Set([...(existing?.public_keys ?? []), ...(change.publicKeys ?? [])])];
  if (existing) {
    await db.query(
      "UPDATE sftp_accounts SET public_keys = string_to_array($2, E'\\n'), password_hash = COALESCE($3, password_hash), disabled = false WHERE name = $1",
      [name, keys.join("\n"), change.passwordHash ?? null],
    );
    return "updated";
  }
  await db.query("INSERT INTO sftp_accounts (name, public_keys, password_hash) VALUES ($1, string_to_array($2, E'\\n'), $3)", [
    name,
    keys.join("\n"),
    change.passwordHash ?? null,
  ]);
  return "created";
}

export async function setAccountDisabled(db: Sql, name: string, disabled: boolean): Promise<boolean> {
  const rows = await db.query("UPDATE sftp_accounts SET disabled = $2 WHERE name = $1 RETURNING id", [name, disabled]);
  return rows.length > 0;
}
