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
      const pair = generateKeyPair(type);
      writeFileSync(path, pair.private, { mode: 0o600 });
      writeFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
      created.push(path);
    }
    chmodSync(path, 0o600);
    return { type, privateKey: readFileSync(path, "utf8"), fingerprint: fingerprintOf(readFileSync(`${path}.pub`, "utf8").trim()) };
  });
  return { keys, created };
}

/**
 * A new key pair that ssh2 itself can read back. Under Bun, ssh2's generator drops a leading zero
 * byte of an ed25519 public key now and then (about one key in 75: a 31-byte key, "Malformed
 * OpenSSH public key" when the daemon loads it — its first start then failed); such a pair is
 * made again.
 */
export function generateKeyPair(type: "ed25519" | "rsa"): { private: string; public: string } {
  for (let attempt = 1; ; attempt++) {
    const pair = type === "rsa" ? utils.generateKeyPairSync("rsa", { bits: 3072 }) : utils.generateKeyPairSync("ed25519");
    const privateKey = utils.parseKey(pair.private);
    const publicKey = utils.parseKey(pair.public);
    if (!(privateKey instanceof Error) && !(publicKey instanceof Error)) {
      const a = (Array.isArray(privateKey) ? privateKey[0]! : privateKey).getPublicSSH();
      const b = (Array.isArray(publicKey) ? publicKey[0]! : publicKey).getPublicSSH();
      if (Buffer.compare(a, b) === 0) return pair;
    }
    if (attempt === 10) throw new Error(`could not generate a readable ${type} host key`);
  }
}
