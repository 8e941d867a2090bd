// Uploader credentials managed from the command line (sftp-user, api-key), and the embedded
// database's one-process rule while the daemon runs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cli } from "../helpers/cli.ts";
import { api, createSite, sftpBatch, type Site } from "./helpers.ts";

describe("sftp-user and api-key [pglite]", () => {
  let site: Site;
  const run = (args: string[], stdin?: string) => cli(args, { cwd: site.dir, env: site.env, stdin });
  beforeAll(async () => {
    site = await createSite("pglite");
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("accounts added with a key file or a password log in; a disabled one does not; bad input is refused", async () => {
    // an RSA key here (alice, in usersync.json, has an ed25519 one): OpenSSH signs with rsa-sha2-512
    const carolKey = join(site.dir, "carol_rsa");
    await Bun.spawn(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", carolKey]).exited;
    expect((await run(["sftp-user", "add", "carol", "--key", `${carolKey}.pub`])).stdout).toContain("SFTP account carol created, 1 key(s) added.");
    expect((await run(["sftp-user", "add", "dave", "--password-stdin"], "dave's long password\n")).code).toBe(0);
    expect((await run(["sftp-user", "add", "erin", "--password-stdin"], "dave's long password\n")).code).toBe(0);
    expect((await run(["sftp-user", "disable", "erin"])).stdout).toContain("SFTP account erin disabled.");

    const privateKey = await run(["sftp-user", "add", "frank", "--key", carolKey]);
    expect(privateKey.code).toBe(2);
    expect(privateKey.stderr).toContain("this is a PRIVATE key; give the public one");
    expect((await run(["sftp-user", "add", "../x", "--password-stdin"], "long enough password"))).toMatchObject({ code: 2 });
    expect((await run(["sftp-user", "add", "gina", "--password-stdin"], "short")).stderr).toContain("at least 12 characters");
    // a hash for an account kept in usersync.json
    const hashed = await run(["sftp-user", "hash-password"], "a password for the config file\n");
    expect(hashed.stdout).toStartWith("$argon2id$");
    expect(await Bun.password.verify("a password for the config file", hashed.stdout.trim())).toBe(true);

    const list = await run(["sftp-user", "list"]);
    expect(list.stdout).toMatch(/alice\s+1\s+no\s+enabled\s+usersync\.json/);
    expect(list.stdout).toMatch(/carol\s+1\s+no\s+enabled\s+database/);
    expect(list.stdout).toMatch(/erin\s+0\s+yes\s+disabled\s+database/);
    expect(list.stdout).not.toContain("$argon2");

    const daemon = await site.start();
    expect((await sftpBatch(daemon, "carol", ["pwd"], { key: carolKey }, site.dir)).code).toBe(0);
    expect((await sftpBatch(daemon, "dave", ["pwd"], { password: "dave's long password" }, site.dir)).code).toBe(0);
    expect((await sftpBatch(daemon, "erin", ["pwd"], { password: "dave's long password" }, site.dir)).code).toBe(255);
    // while the daemon holds the embedded database, the command line gets a clear refusal
    const busy = await run(["sftp-user", "list"]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain("is in use by process");
    expect(await daemon.stop()).toBe(0);
  }, 90_000);

  test("api-key create prints only the key; list shows no key; a revoked key is refused", async () => {
    const created = await run(["api-key", "create", "--name", "HR export"]);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toBe(`${key}\n`);
    const list = await run(["api-key", "list"]);
    expect(list.stdout).toContain("HR export");
    expect(list.stdout).toContain(`${key.slice(0, 6)}…`);
    expect(list.stdout).not.toContain(key);

    const daemon = await site.start();
    expect((await api(daemon, key, "/start-sync", { method: "POST" })).status).toBe(400); // authenticated: "not ready"
    expect(await daemon.stop()).toBe(0);
    expect((await run(["api-key", "revoke", "HR export"])).stdout).toContain("Revoked 1 key.");
    const again = await site.start();
    const refused = await api(again, key, "/start-sync", { method: "POST" });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe("INVALID-API-KEY");
    expect((await api(again, site.apiKey, "/start-sync", { method: "POST" })).status).toBe(400); // the other key still works
    expect(await again.stop()).toBe(0);
  }, 90_000);
});
