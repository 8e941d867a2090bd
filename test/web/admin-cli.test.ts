// `usersync admin`: accounts of the web UI created, listed and disabled from the command line,
// the password read from standard input (it is not a terminal here) and kept only as argon2id.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/index.ts";
import { cli } from "../helpers/cli.ts";

describe("usersync admin", () => {
  let dir: string;
  let env: Record<string, string | undefined>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "usersync-admin-"));
    env = { USERSYNC_DATA: join(dir, "data"), DATABASE_URL: undefined, USERSYNC_CONFIG: undefined };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("adds an admin with the password from standard input, stored only as an argon2id hash", async () => {
    const r = await cli(["admin", "add", "Alice"], { cwd: dir, env, stdin: "a long enough password\n" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Created admin account "alice".\n');
    const store = await openStore({ dataDir: env.USERSYNC_DATA!, databaseUrl: null, filesDir: join(env.USERSYNC_DATA!, "files") });
    const [row] = await store.db.query<{ password_hash: string; role: string }>("SELECT password_hash, role FROM admins WHERE username = 'alice'");
    await store.close();
    expect(row!.role).toBe("admin");
    expect(row!.password_hash).toStartWith("$argon2id$");
    expect(row!.password_hash).not.toContain("a long enough password");
    expect(await Bun.password.verify("a long enough password", row!.password_hash)).toBe(true);
  });

  test("adds a viewer; refuses a short password, a taken name and a bad role, each with a clear message", async () => {
    expect((await cli(["admin", "add", "victor", "--role", "viewer"], { cwd: dir, env, stdin: "viewer password 1" })).stdout).toBe('Created viewer account "victor".\n');
    const short = await cli(["admin", "add", "bob"], { cwd: dir, env, stdin: "short" });
    expect(short.code).toBe(2);
    expect(short.stderr).toBe("usersync admin add: The password must be at least 12 characters long.\n");
    const taken = await cli(["admin", "add", "ALICE"], { cwd: dir, env, stdin: "another long password" });
    expect(taken.stderr).toBe('usersync admin add: There is already an account named "alice".\n');
    const role = await cli(["admin", "add", "carol", "--role", "root"], { cwd: dir, env, stdin: "another long password" });
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('Unknown role "root": use admin or viewer');
    const name = await cli(["admin", "add", "carol smith"], { cwd: dir, env, stdin: "another long password" });
    expect(name.stderr).toContain("may only contain letters, digits and . _ @ -");
  });

  test("lists the accounts, disables and enables one, and sets a new password", async () => {
    const list = await cli(["admin", "list"], { cwd: dir, env });
    expect(list.stdout).toMatch(/^NAME\s+ROLE\s+STATE\s+CREATED\nalice\s+admin\s+enabled\s+\S+ \S+\nvictor\s+viewer\s+enabled/);
    expect((await cli(["admin", "disable", "victor"], { cwd: dir, env })).stdout).toBe('Disabled "victor"; their sessions were ended.\n');
    expect((await cli(["admin", "list"], { cwd: dir, env })).stdout).toMatch(/victor\s+viewer\s+disabled/);
    expect((await cli(["admin", "enable", "victor"], { cwd: dir, env })).stdout).toBe('Enabled "victor".\n');
    expect((await cli(["admin", "password", "victor"], { cwd: dir, env, stdin: "a brand new password" })).code).toBe(0);
    const missing = await cli(["admin", "disable", "nobody"], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('usersync admin disable: There is no account named "nobody".\n');
    const usage = await cli(["admin"], { cwd: dir, env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Say what to do: add, list, disable, enable or password");
  });
});
