// The SFTP server built into the daemon (ssh2, pure-JS crypto under Bun: no chacha20, AES-GCM/CTR
// offered — toolchain.md §2, §8). SFTP only: no shell, no exec, no forwarding. Each account is
// jailed to <dataDir>/sftp/<account>/ (session.ts). Failed logins are counted per source address
// by the shared throttle; a blocked address is refused whatever it offers.
import { join } from "node:path";
import { Server, type AuthContext, type Connection } from "ssh2";
import type { SftpAccountConfig } from "../../config/index.ts";
import type { Sql } from "../../store/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Intake } from "../index.ts";
import type { LoginThrottle } from "../throttle.ts";
import { findAccount, parsePublicKeys, type SftpAccount } from "./accounts.ts";
import { loadHostKeys } from "./host-keys.ts";
import { startSession } from "./session.ts";

export { findAccount, listAccounts, parsePublicKeys, setAccountDisabled, upsertAccount, ACCOUNT_NAME, type SftpAccount } from "./accounts.ts";
export { REJECTED_DIR } from "../rejected.ts";

export interface SftpServerOptions {
  dataDir: string;
  db: Sql;
  accounts: SftpAccountConfig[];
  intake: Intake;
  throttle: LoginThrottle;
  maxFileBytes: number;
  log: Logger;
}

export interface SftpServer {
  /** Listen; resolves with the port (port 0 picks a free one). */
  listen(port: number, host: string): Promise<number>;
  /** Stop taking connections and end the open ones (an upload cut short is discarded, never ingested). */
  close(): Promise<void>;
}

// Compared against when the account does not exist, so a wrong name costs as long as a wrong password.
const DUMMY_HASH = Bun.password.hashSync("usersync-no-such-account", { algorithm: "argon2id" });

export function createSftpServer(options: SftpServerOptions): SftpServer {
  const { log, throttle } = options;
  const { keys, created } = loadHostKeys(options.dataDir);
  for (const path of created) log.info("sftp.host-key-created", { path });
  const connections = new Set<Connection>();
  // usersync.json is not checked by `sftp-user add`: say at start what in it cannot work
  for (const account of options.accounts) {
    (account.publicKeys ?? []).forEach((line, i) => {
      try {
        parsePublicKeys(line, `sftp.accounts "${account.name}" publicKeys[${i}]`);
      } catch (error) {
        log.warn("sftp.bad-account-key", { account: account.name, problem: (error as Error).message });
      }
    });
    if (account.passwordHash && !/^\$(argon2(id|i|d)|2[aby]?)\$/.test(account.passwordHash))
      log.warn("sftp.bad-account-password-hash", { account: account.name, problem: "passwordHash is not an argon2 or bcrypt hash: make one with usersync sftp-user hash-password" });
    if (!account.passwordHash && !account.publicKeys?.length) log.warn("sftp.account-without-credentials", { account: account.name });
  }

  const keyMatches = (account: SftpAccount, ctx: Extract<AuthContext, { method: "publickey" }>): boolean => {
    for (const line of account.publicKeys) {
      let parsed;
      try {
        parsed = parsePublicKeys(line)[0];
      } catch {
        continue; // a bad line in the configuration: `usersync sftp-user add` refuses them
      }
      if (!parsed || !parsed.key.getPublicSSH().equals(ctx.key.data)) continue;
      if (!ctx.signature) return true; // "would this key do?" — the real proof follows
      return parsed.key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true;
    }
    return false;
  };

  const server = new Server({ hostKeys: keys.map((k) => k.privateKey), ident: "usersync" }, (client, info) => {
    const address = info.ip;
    connections.add(client);
    // Node sockets use Nagle by default: 5× slower uploads without this (toolchain.md §2); harmless on Bun.
    (client as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    let account: SftpAccount | null = null;
    let keyFailureCounted = false;

    client.on("authentication", async (ctx) => {
      try {
        if (throttle.isBlocked(address)) {
          log.warn("sftp.login-throttled", { address, account: ctx.username });
          return ctx.reject([]);
        }
        if (ctx.method !== "password" && ctx.method !== "publickey") return ctx.reject(["publickey", "password"]);
        const found = await findAccount(options.db, options.accounts, ctx.username);
        const usable = found && !found.disabled ? found : null;
        let ok = false;
        if (ctx.method === "password") {
          ok = (await Bun.password.verify(ctx.password, usable?.passwordHash ?? DUMMY_HASH)) && usable?.passwordHash != null;
          if (!ok) {
            const blocked = throttle.fail(address);
            log.warn("sftp.login-failed", { address, account: ctx.username, method: "password", nowThrottled: blocked });
          }
        } else {
          ok = usable ? keyMatches(usable, ctx) : false;
          // a client offers its keys one by one: count one failure per connection, not per key
          if (!ok && !keyFailureCounted) {
            keyFailureCounted = true;
            const blocked = throttle.fail(address);
            log.warn("sftp.login-failed", { address, account: ctx.username, method: "publickey", nowThrottled: blocked });
          }
          if (ok && !ctx.signature) return ctx.accept();
        }
        if (!ok) return ctx.reject(["publickey", "password"]);
        throttle.succeed(address);
        account = usable;
        log.info("sftp.login", { address, account: usable!.name, method: ctx.method });
        ctx.accept();
      } catch (error) {
        log.error("sftp.auth-error", { address, error });
        ctx.reject([]);
      }
    });

    client.on("ready", () => {
      client.on("session", (accept) => {
        const session = accept();
        session.on("sftp", (acceptSftp) => {
          const sftp = acceptSftp();
          startSession({ sftp, account: account!.name, home: join(options.dataDir, "sftp", account!.name), intake: options.intake, maxFileBytes: options.maxFileBytes, log });
        });
        session.on("shell", (_accept, reject) => reject?.());
        session.on("exec", (_accept, reject) => reject?.());
        session.on("pty", (_accept, reject) => reject?.());
        session.on("subsystem", (_accept, reject) => reject?.());
      });
      client.on("tcpip", (_accept, reject) => reject());
    });
    client.on("error", (error) => log.debug("sftp.connection-error", { address, error }));
    client.on("close", () => connections.delete(client));
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const bound = server.address();
          const actual = typeof bound === "object" && bound ? bound.port : port;
          log.info("sftp.listening", { address: host, port: actual, hostKeys: keys.map((k) => ({ type: k.type, fingerprint: k.fingerprint })) });
          resolve(actual);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const client of connections) client.end();
      });
    },
  };
}
