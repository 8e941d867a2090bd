// Moving from the embedded database to PostgreSQL (usersync migrate-to-postgres), through the real
// command line, on real data: every table arrives identical, ids kept, and usersync then carries
// on against PostgreSQL with the next ids after the copied ones.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/index.ts";
import { cli } from "../helpers/cli.ts";
import { CHECKS_WARN_ONLY, json, person, simpleControl } from "../helpers/feeds.ts";
import { BACKENDS, createPostgresDatabase } from "../helpers/store.ts";

async function snapshot(store: Store): Promise<Record<string, string[]>> {
  const tables = await store.db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  await store.db.exec("SET TIME ZONE 'UTC'");
  const out: Record<string, string[]> = {};
  for (const { table_name } of tables) {
    const rows = await store.db.query<{ r: string }>(`SELECT row_to_json(t)::text AS r FROM ${table_name} t`);
    out[table_name] = rows.map((row) => row.r).sort();
  }
  return out;
}

describe.skipIf(!BACKENDS.includes("postgres"))("usersync migrate-to-postgres", () => {
  let dir: string;
  let target: { url: string; drop(): Promise<void> };
  const embedded = () => ({ USERSYNC_DATA: join(dir, "data"), DATABASE_URL: undefined, USERSYNC_CONFIG: undefined });
  const onPostgres = () => ({ ...embedded(), DATABASE_URL: target.url });
  const apply = (day: string, env: Record<string, string | undefined>) => cli(["apply", "-q", "--control", "control.json", `staff=${day}.json`], { cwd: dir, env });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "usersync-migrate-"));
    target = await createPostgresDatabase();
    writeFileSync(join(dir, "usersync.json"), JSON.stringify({ groups: [{ code: "staff", managed: true }, { code: "ethics", managed: false }], safety: CHECKS_WARN_ONLY }));
    writeFileSync(join(dir, "control.json"), simpleControl());
    writeFileSync(join(dir, "day1.json"), json([person("ann", { groups: ["staff", "ethics"] }), person("bob"), person("cat"), person("dan", { email: "broken" })]));
    writeFileSync(join(dir, "day2.json"), json([person("ann", { last: "Changed" }), person("cat"), person("eve")]));
    writeFileSync(join(dir, "day3.json"), json([person("ann", { last: "Changed" }), person("cat"), person("eve"), person("fay")]));
  }, 60_000);

  afterAll(async () => {
    await target.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("copies every table into an empty PostgreSQL database, identical, and usersync carries on there", async () => {
    expect((await apply("day1", embedded())).code).toBe(1); // dan's bad email is a record error
    expect((await apply("day2", embedded())).code).toBe(0);
    expect((await cli(["scim-token", "create", "idp"], { cwd: dir, env: embedded() })).code).toBe(0);

    const migrated = await cli(["migrate-to-postgres", "--to", target.url], { cwd: dir, env: embedded() });
    expect(migrated.stderr).toContain("Copying PGlite (embedded)");
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/^users\s+4$/m); // ann, bob, cat, eve (dan was rejected)
    expect(migrated.stdout).toContain("row counts checked on both sides");

    const source = await openStore({ dataDir: join(dir, "data"), databaseUrl: null, filesDir: join(dir, "data", "files") });
    const copy = await openStore({ dataDir: join(dir, "data"), databaseUrl: target.url, filesDir: join(dir, "data", "files") });
    try {
      const a = await snapshot(source);
      const b = await snapshot(copy);
      expect(Object.keys(b)).toEqual(Object.keys(a));
      for (const table of Object.keys(a)) expect({ table, rows: b[table] }).toEqual({ table, rows: a[table]! });
      expect(a.users!.length).toBe(4);
      expect(a.run_events!.length).toBeGreaterThan(10);
    } finally {
      await source.close();
      await copy.close();
    }

    // On PostgreSQL now: the next run and the next user get the ids after the copied ones.
    const day3 = await apply("day3", onPostgres());
    expect(day3.code).toBe(0);
    expect(day3.stdout).toContain("Run 3: complete");
    expect(day3.stdout).toContain("records 4: 1 created");
    const fay = await cli(["user", "fay"], { cwd: dir, env: onPostgres() });
    expect(fay.stdout).toContain("in the feed since run 3");
    const pg = await openStore({ dataDir: join(dir, "data"), databaseUrl: target.url, filesDir: join(dir, "data", "files") });
    try {
      const ids = await pg.db.query<{ username: string; id: number }>("SELECT username, id FROM users ORDER BY id");
      expect(ids.at(-1)).toEqual({ username: "fay", id: Math.max(...ids.slice(0, -1).map((u) => Number(u.id))) + 1 });
    } finally {
      await pg.close();
    }
  }, 120_000);

  test("refuses a target that is not empty, and a source that is already PostgreSQL; nothing is copied", async () => {
    const again = await cli(["migrate-to-postgres", "--to", target.url], { cwd: dir, env: embedded() });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/Nothing was copied: The target database is not empty: table \w+ has \d+ row\(s\)/);
    const fromPg = await cli(["migrate-to-postgres", "--to", target.url], { cwd: dir, env: onPostgres() });
    expect(fromPg.code).toBe(2);
    expect(fromPg.stderr).toContain("configured for PostgreSQL already");
    const noUrl = await cli(["migrate-to-postgres"], { cwd: dir, env: embedded() });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain("Say where to: --to postgres://");
  }, 60_000);
});
