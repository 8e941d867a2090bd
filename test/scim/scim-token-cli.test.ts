// `usersync scim-token create | list | revoke`, through the real command line.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyScimToken } from "../../src/scim/index.ts";
import { openStore } from "../../src/store/index.ts";
import { cli } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "usersync-scim-cli-"));
const env = { USERSYNC_DATA: join(dir, "data"), DATABASE_URL: undefined, USERSYNC_CONFIG: undefined };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("creates a token shown once, lists it without the secret, and revokes it", async () => {
  const created = await cli(["scim-token", "create", "keycloak"], { cwd: dir, env });
  expect(created.code).toBe(0);
  const token = created.stdout.trim();
  expect(token).toMatch(/^usersync_scim_[A-Za-z0-9_-]{43}$/);
  expect(created.stderr).toContain('Token 1 "keycloak" created. Copy it now');

  const list = await cli(["scim-token", "list"], { cwd: dir, env });
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(/^1\s+keycloak\s+usersync_scim_\S{6}…\s+\S+ \S+\s+-\s+active$/m);
  expect(list.stdout).not.toContain(token);

  let store = await openStore({ dataDir: env.USERSYNC_DATA, databaseUrl: null, filesDir: join(dir, "files") });
  expect(await verifyScimToken(store.db, token)).toEqual({ id: 1, name: "keycloak" });
  await store.close();

  const revoked = await cli(["scim-token", "revoke", "1"], { cwd: dir, env });
  expect(revoked.code).toBe(0);
  expect(revoked.stdout).toContain("Token 1 revoked.");
  expect((await cli(["scim-token", "list"], { cwd: dir, env })).stdout).toMatch(/^1\s+keycloak\s.*revoked \S+ \S+$/m);
  const again = await cli(["scim-token", "revoke", "1"], { cwd: dir, env });
  expect(again.code).toBe(2);
  expect(again.stderr).toContain("There is no active SCIM token 1.");

  store = await openStore({ dataDir: env.USERSYNC_DATA, databaseUrl: null, filesDir: join(dir, "files") });
  expect(await verifyScimToken(store.db, token)).toBeNull();
  await store.close();
}, 60_000);

test("a wrong action or a missing argument is a usage error (exit 2) with the command's help", async () => {
  const wrong = await cli(["scim-token", "rotate"], { cwd: dir, env });
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('Unknown action "rotate"');
  expect(wrong.stderr).toContain("usersync scim-token create NAME");
  expect((await cli(["scim-token", "create"], { cwd: dir, env })).code).toBe(2);
  expect((await cli(["scim-token", "revoke", "abc"], { cwd: dir, env })).code).toBe(2);
});
