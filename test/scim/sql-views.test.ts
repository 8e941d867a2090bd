// The read-only SQL views for systems that read the user store directly (docs/OPERATIONS.md): they
// show the users, groups, memberships and profiles; on PostgreSQL a role granted SELECT on the views
// alone reads them and nothing else, and cannot write through them.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { applyConfigGroups } from "../../src/engine/index.ts";
import { openStore } from "../../src/store/index.ts";
import { applyFeed, json, person, simpleControl } from "../helpers/feeds.ts";
import { BACKENDS, createPostgresDatabase, openTestStore, PG_ADMIN_URL, resetStore } from "../helpers/store.ts";

const groups = [{ code: "staff", title: "Staff", managed: true, profileType: "std:type:person:staff" }];

for (const backend of BACKENDS) {
  test(`the views show users, groups, memberships and profiles [${backend}]`, async () => {
    const ts = await openTestStore(backend);
    try {
      const { store } = ts;
      await resetStore(store, groups);
      await applyFeed(store, simpleControl(), { staff: json([person("ann"), person("bob")]) });
      await applyFeed(store, simpleControl(), { staff: json([person("ann")]) });
      const users = await store.db.query<Record<string, unknown>>("SELECT username, email, active, blocked_by, managed_by_sync, in_feed FROM usersync_users ORDER BY username");
      expect(users).toEqual([
        { username: "ann", email: "ann@example.org", active: true, blocked_by: null, managed_by_sync: true, in_feed: true },
        { username: "bob", email: "bob@example.org", active: false, blocked_by: "sync", managed_by_sync: true, in_feed: false },
      ]);
      expect(await store.db.query("SELECT code, title, managed FROM usersync_groups")).toEqual([{ code: "staff", title: "Staff", managed: true }]);
      expect(await store.db.query("SELECT username, group_code, added_by FROM usersync_group_members ORDER BY username")).toEqual([
        { username: "ann", group_code: "staff", added_by: "sync" },
        { username: "bob", group_code: "staff", added_by: "sync" },
      ]);
      const profiles = await store.db.query<{ username: string; types: string[] }>("SELECT username, types FROM usersync_profiles ORDER BY username");
      expect(profiles.map((p) => p.username)).toEqual(["ann", "bob"]);
      expect(profiles[0]!.types).toEqual(["std:type:person:staff"]);
    } finally {
      await ts.close();
    }
  }, 60_000);
}

test.skipIf(!BACKENDS.includes("postgres"))("a reporting role granted SELECT on the views reads them, and nothing else [postgres]", async () => {
  const db = await createPostgresDatabase();
  const dir = mkdtempSync(join(tmpdir(), "usersync-views-"));
  const role = `usersync_reader_${process.pid}_${Date.now() % 100000}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  const store = await openStore({ dataDir: dir, databaseUrl: db.url, filesDir: join(dir, "files") });
  let reader: postgres.Sql | null = null;
  try {
    await applyConfigGroups(store.db, groups);
    await applyFeed(store, simpleControl(), { staff: json([person("ann")]) });
    const dbName = new URL(db.url).pathname.slice(1);
    // Exactly the statements docs/OPERATIONS.md gives.
    await admin.unsafe(`CREATE ROLE ${role} LOGIN`);
    await store.db.exec(`GRANT CONNECT ON DATABASE ${dbName} TO ${role};
      GRANT USAGE ON SCHEMA public TO ${role};
      GRANT SELECT ON usersync_users, usersync_groups, usersync_group_members, usersync_profiles TO ${role};`);
    const url = new URL(db.url);
    url.username = role;
    reader = postgres(url.toString(), { max: 1, onnotice: () => {} });
    expect((await reader`SELECT username, active FROM usersync_users`).map((r) => ({ ...r }))).toEqual([{ username: "ann", active: true }]);
    expect((await reader`SELECT count(*)::int AS n FROM usersync_group_members`)[0]!.n).toBe(1);
    await expect(reader`SELECT * FROM users`).rejects.toThrow(/permission denied/);
    await expect(reader`SELECT * FROM received_records`).rejects.toThrow(/permission denied/);
    await expect(reader`UPDATE usersync_groups SET title = 'x'`).rejects.toThrow(/permission denied/);
    await expect(reader`DELETE FROM usersync_group_members`).rejects.toThrow(/permission denied|cannot delete from view/);
  } finally {
    await reader?.end();
    await store.close();
    await db.drop();
    await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
