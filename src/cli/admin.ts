// usersync admin add|list|disable|enable|password   (accounts of the web UI)
import { parseArgs } from "node:util";
import {
  AdminError,
  checkPassword,
  createAdmin,
  listAdmins,
  MIN_PASSWORD_LENGTH,
  ROLES,
  setAdminDisabled,
  setAdminPassword,
  type Role,
} from "../web/auth/index.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { table, time } from "./format.ts";

/** Read everything piped in, less one trailing newline (`echo pw | usersync admin add …`). */
async function readPipedPassword(): Promise<string> {
  const text = await new Response(Bun.stdin.stream()).text();
  return text.replace(/\r?\n$/, "");
}

/** Ask on the terminal without echoing what is typed. */
async function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            return resolve(value);
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            return reject(new AdminError("Cancelled."));
          }
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}

async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readPipedPassword();
  for (;;) {
    const first = await promptHidden(`Password (at least ${MIN_PASSWORD_LENGTH} characters): `);
    const problem = checkPassword(first);
    if (problem) {
      console.error(problem);
      continue;
    }
    if ((await promptHidden("The same password again: ")) === first) return first;
    console.error("The two passwords differ; try again.");
  }
}

const USAGE = `usersync admin add NAME [--role admin|viewer]   create an account of the web UI
usersync admin list                              list the accounts
usersync admin disable NAME                      disable an account (and end its sessions)
usersync admin enable NAME                       enable it again
usersync admin password NAME                     set a new password (and end its sessions)
  [--config usersync.json]

The password is asked for on the terminal, or read from standard input when it is not a
terminal (echo "$PASSWORD" | usersync admin add alice). At least ${MIN_PASSWORD_LENGTH} characters; stored only as
an argon2id hash. Admins may change things in the UI; viewers may only look. On the embedded
database, stop the daemon first (only one process may open it).`;

export const adminCommand: Command = {
  name: "admin",
  summary: "Manage the web UI's accounts: add, list, disable, enable, password",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { role: { type: "string" }, config: { type: "string" } },
    });
    const [verb, name, ...extra] = positionals;
    if (extra.length) throw new UsageError(`Unexpected arguments: ${extra.join(" ")}`);
    const needsName = verb === "add" || verb === "disable" || verb === "enable" || verb === "password";
    if (!verb || !(needsName || verb === "list")) throw new UsageError(verb ? `Unknown admin command "${verb}"` : "Say what to do: add, list, disable, enable or password");
    if (needsName && !name) throw new UsageError(`Give the account's name: usersync admin ${verb} NAME`);
    if (values.role !== undefined && verb !== "add") throw new UsageError("--role is only for admin add");
    const role = (values.role ?? "admin") as Role;
    if (!ROLES.includes(role)) throw new UsageError(`Unknown role "${values.role}": use admin or viewer`);
    // Read the password before opening the store, so that nothing waits on the database while a person types.
    const password = verb === "add" || verb === "password" ? await readNewPassword() : "";
    try {
      return await withContext(values.config, async ({ store }) => {
        switch (verb) {
          case "add": {
            const admin = await createAdmin(store.db, name!, password, role);
            console.log(`Created ${admin.role} account "${admin.username}".`);
            return EXIT.ok;
          }
          case "password": {
            const admin = await setAdminPassword(store.db, name!, password);
            console.log(`Set a new password for "${admin.username}"; their sessions were ended.`);
            return EXIT.ok;
          }
          case "disable":
          case "enable": {
            const admin = await setAdminDisabled(store.db, name!, verb === "disable");
            console.log(verb === "disable" ? `Disabled "${admin.username}"; their sessions were ended.` : `Enabled "${admin.username}".`);
            return EXIT.ok;
          }
          default: {
            const admins = await listAdmins(store.db);
            if (!admins.length) {
              console.log("No accounts yet. Create the first: usersync admin add NAME");
              return EXIT.ok;
            }
            console.log(table(["NAME", "ROLE", "STATE", "CREATED"], admins.map((a) => [a.username, a.role, a.disabled ? "disabled" : "enabled", time(a.createdAt)])));
            return EXIT.ok;
          }
        }
      });
    } catch (error) {
      if (error instanceof AdminError) {
        console.error(`usersync admin ${verb}: ${error.message}`);
        return EXIT.failure;
      }
      throw error;
    }
  },
};
