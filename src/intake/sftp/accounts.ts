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

/** Parse authorized_keys text: one key per line; blank lines and # comments skipped. Throws naming the bad line. */
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
