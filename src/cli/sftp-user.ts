// usersync sftp-user add|list|disable|enable   (uploader accounts of the built-in SFTP server)
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { audit } from "../batch/index.ts";
import { ACCOUNT_NAME, listAccounts, parsePublicKeys, setAccountDisabled, upsertAccount } from "../intake/sftp/index.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { table } from "./format.ts";

async function readStdin(): Promise<string> {
  return (await new Response(Bun.stdin.stream()).text()).replace(/\r?\n$/, "");
}

export const sftpUserCommand: Command = {
  name: "sftp-user",
  summary: "Add, list, disable or enable SFTP uploader accounts",
  usage: `usersync sftp-user add NAME [--key FILE]... [--password-stdin]
usersync sftp-user list
usersync sftp-user disable NAME
usersync sftp-user enable NAME
usersync sftp-user hash-password          reads a password on stdin, prints its argon2id hash

add creates the account, or adds to an existing one: --key FILE adds the OpenSSH public keys in
FILE (an id_ed25519.pub or an authorized_keys file); --password-stdin reads a password from
standard input (stored as an argon2id hash). Each account uploads into its own folder,
<data>/sftp/NAME/, and sees nothing else. Accounts can also be listed in usersync.json
(sftp.accounts, with "passwordHash" from hash-password), which wins over an account of the
same name here.

With the embedded database, stop the daemon first (only one process may open it); on
PostgreSQL changes take effect at the account's next login.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { key: { type: "string", multiple: true }, "password-stdin": { type: "boolean" }, config: { type: "string" } },
    });
    const [action, name] = positionals;
    const actor = `cli:${process.env.USER ?? "?"}`;
    if (action === "hash-password") {
      const password = await readStdin();
      if (password.length < 12) throw new UsageError("The password must be at least 12 characters");
      console.log(await Bun.password.hash(password, { algorithm: "argon2id" }));
      return EXIT.ok;
    }
    if (action === "list")
      return withContext(values.config, async ({ store, config }) => {
        const accounts = await listAccounts(store.db, config.sftp.accounts);
        if (!accounts.length) console.log("No SFTP accounts yet: usersync sftp-user add NAME --key FILE");
        else
          console.log(
            table(
              ["NAME", "KEYS", "PASSWORD", "STATE", "FROM"],
              accounts.map((a) => [a.name, a.publicKeys.length, a.passwordHash ? "yes" : "no", a.disabled ? "disabled" : "enabled", a.source === "config" ? "usersync.json" : "database"]),
            ),
          );
        return EXIT.ok;
      });
    if (!name) throw new UsageError("Give the account name");
    if (!ACCOUNT_NAME.test(name)) throw new UsageError(`"${name}" is not an account name: letters, digits, _ . and - (up to 64, not starting with . or -)`);
    if (action === "add") {
      const keys = (values.key ?? []).flatMap((file) => {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch {
          throw new UsageError(`Cannot read the key file ${file}`);
        }
        try {
          const parsed = parsePublicKeys(text, file);
          if (!parsed.length) throw new UsageError(`${file} holds no public key`);
          return parsed.map((k) => k.line);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          throw new UsageError((error as Error).message);
        }
      });
      let passwordHash: string | undefined;
      if (values["password-stdin"]) {
        const password = await readStdin();
        if (password.length < 12) throw new UsageError("The password must be at least 12 characters");
        passwordHash = await Bun.password.hash(password, { algorithm: "argon2id" });
      }
      if (!keys.length && !passwordHash) throw new UsageError("Give --key FILE and/or --password-stdin");
      return withContext(values.config, async ({ store }) => {
        const result = await upsertAccount(store.db, name, { publicKeys: keys, passwordHash });
        await audit(store.db, { actor, action: `sftp-account-${result}`, target: `sftp ${name}`, detail: { keysAdded: keys.length, passwordSet: passwordHash !== undefined } });
        console.log(`SFTP account ${name} ${result}${keys.length ? `, ${keys.length} key(s) added` : ""}${passwordHash ? ", password set" : ""}.`);
        return EXIT.ok;
      });
    }
    if (action === "disable" || action === "enable")
      return withContext(values.config, async ({ store }) => {
        if (!(await setAccountDisabled(store.db, name, action === "disable"))) {
          console.error(`There is no SFTP account ${name} in the database${action === "disable" ? " (accounts in usersync.json are disabled there)" : ""}.`);
          return EXIT.failure;
        }
        await audit(store.db, { actor, action: `sftp-account-${action}d`, target: `sftp ${name}` });
        console.log(`SFTP account ${name} ${action}d.`);
        return EXIT.ok;
      });
    throw new UsageError(action ? `Unknown action "${action}"` : "Say what to do: add, list, disable, enable or hash-password");
  },
};
