// The SFTP server's host keys (ed25519 and RSA), made at first start and kept in the data folder
// so clients see the same server every time. Their fingerprints are logged for operators to check.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { utils } from "ssh2";

export interface HostKey {
  type: "ed25519" | "rsa";
  privateKey: string;
  /** SHA256:… as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export function fingerprintOf(publicKey: string): string {
  const parsed = utils.parseKey(publicKey);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  const digest = new Bun.CryptoHasher("sha256").update(key.getPublicSSH()).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

export function loadHostKeys(dataDir: string): { keys: HostKey[]; created: string[] } {
  const dir = join(dataDir, "host-keys");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const keys = (["ed25519", "rsa"] as const).map((type) => {
    const path = join(dir, `ssh_host_${type}_key`);
    if (!existsSync(path)) {
      const pair = type === "rsa" ? utils.generateKeyPairSync("rsa", { bits: 3072 }) : utils.generateKeyPairSync("ed25519");
      writeFileSync(path, pair.private, { mode: 0o600 });
      writeFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
      created.push(path);
    }
    chmodSync(path, 0o600);
    return { type, privateKey: readFileSync(path, "utf8"), fingerprint: fingerprintOf(readFileSync(`${path}.pub`, "utf8").trim()) };
  });
  return { keys, created };
}
