// usersync scim-token create NAME | list | revoke ID   (read-only bearer tokens for the SCIM endpoint)
import { parseArgs } from "node:util";
import { createScimToken, listScimTokens, revokeScimToken } from "../scim/index.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { table, time } from "./format.ts";

export const scimTokenCommand: Command = {
  name: "scim-token",
  summary: "Create, list or revoke the read-only tokens of the SCIM endpoint (/scim/v2)",
  usage: `usersync scim-token create NAME     make a token for a system (e.g. "keycloak"); it is shown ONCE
usersync scim-token list            the tokens: id, name, first characters, created, last used, revoked
usersync scim-token revoke ID       revoke a token at once
Options: --config usersync.json

The SCIM endpoint (/scim/v2/Users, /Groups, …) is read-only: a token can read users and groups,
never change them. Only a hash of the token is stored; a lost token cannot be shown again —
revoke it and create a new one. Send it as "Authorization: Bearer <token>".`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: "string" } } });
    const [action, arg, ...extra] = positionals;
    if (extra.length) throw new UsageError(`Unexpected argument(s): ${extra.join(" ")}`);
    if (action === "create") {
      if (!arg) throw new UsageError("Name the token: usersync scim-token create NAME");
      return withContext(values.config, async ({ store }) => {
        const { id, token } = await createScimToken(store.db, arg);
        console.error(`Token ${id} "${arg}" created. Copy it now: it is not stored and cannot be shown again.`);
        console.log(token);
        return EXIT.ok;
      });
    }
    if (action === "list") {
      return withContext(values.config, async ({ store }) => {
        const tokens = await listScimTokens(store.db);
        if (!tokens.length) {
          console.log("No SCIM tokens. Make one: usersync scim-token create NAME");
          return EXIT.ok;
        }
        console.log(
          table(
            ["ID", "NAME", "TOKEN", "CREATED", "LAST USED", "STATE"],
            tokens.map((t) => [t.id, t.name, `${t.prefix}…`, time(t.createdAt), time(t.lastUsedAt), t.revokedAt ? `revoked ${time(t.revokedAt)}` : "active"]),
          ),
        );
        return EXIT.ok;
      });
    }
    if (action === "revoke") {
      const id = Number(arg);
      if (!Number.isInteger(id) || id <= 0) throw new UsageError("Give the token's id (usersync scim-token list): usersync scim-token revoke ID");
      return withContext(values.config, async ({ store }) => {
        if (!(await revokeScimToken(store.db, id))) {
          console.error(`There is no active SCIM token ${id}.`);
          return EXIT.failure;
        }
        console.log(`Token ${id} revoked.`);
        return EXIT.ok;
      });
    }
    throw new UsageError(action ? `Unknown action "${action}": use create, list or revoke` : "Say what to do: create, list or revoke");
  },
};
