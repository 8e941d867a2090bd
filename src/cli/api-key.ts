// usersync api-key create|list|revoke   (keys for the Haplo-compatible upload API)
import { parseArgs } from "node:util";
import { audit } from "../batch/index.ts";
import { createApiKey, HAPLO_API_PREFIX, listApiKeys, revokeApiKey } from "../intake/api-keys.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { table, time } from "./format.ts";

export const apiKeyCommand: Command = {
  name: "api-key",
  summary: "Create, list or revoke API keys for the HTTP upload API",
  usage: `usersync api-key create [--name NAME]      prints the new key (and only the key) on stdout
usersync api-key list
usersync api-key revoke ID|NAME

A key is valid for ${HAPLO_API_PREFIX}… only. It is shown once, at creation, and stored only
as a hash: keep it in the uploader's secret store (e.g. USERSYNC_API_KEY for usersync push, or
the Basic password "haplo:KEY" of an existing Haplo upload script).`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: "string" }, config: { type: "string" } } });
    const [action, target] = positionals;
    if (action === "create") {
      const name = values.name ?? "User Sync";
      return withContext(values.config, async ({ store }) => {
        const { id, key } = await createApiKey(store.db, name);
        await audit(store.db, { actor: `cli:${process.env.USER ?? "?"}`, action: "api-key-created", target: `api key ${id}`, detail: { name } });
        process.stdout.write(`${key}\n`);
        process.stderr.write(`API key ${id} ("${name}") created for ${HAPLO_API_PREFIX}. It is shown only this once.\n`);
        return EXIT.ok;
      });
    }
    if (action === "list")
      return withContext(values.config, async ({ store }) => {
        const keys = await listApiKeys(store.db);
        if (!keys.length) console.log("No API keys yet: usersync api-key create --name NAME");
        else
          console.log(
            table(
              ["ID", "NAME", "STARTS", "PATHS", "CREATED", "LAST USED", "REVOKED"],
              keys.map((k) => [k.id, k.name, `${k.keyPrefix}…`, k.pathPrefix, time(k.createdAt), k.lastUsedAt ? time(k.lastUsedAt) : "never", k.revokedAt ? time(k.revokedAt) : ""]),
            ),
          );
        return EXIT.ok;
      });
    if (action === "revoke") {
      if (!target) throw new UsageError("Give the key's ID or name: usersync api-key revoke ID|NAME");
      return withContext(values.config, async ({ store }) => {
        const count = await revokeApiKey(store.db, target);
        if (!count) {
          console.error(`No live API key with id or name "${target}".`);
          return EXIT.failure;
        }
        await audit(store.db, { actor: `cli:${process.env.USER ?? "?"}`, action: "api-key-revoked", target: `api key ${target}` });
        console.log(`Revoked ${count} key${count > 1 ? "s" : ""}.`);
        return EXIT.ok;
      });
    }
    throw new UsageError(action ? `Unknown action "${action}"` : "Say what to do: create, list or revoke");
  },
};
