// The sync algorithm (reference §6, acceptance scenarios §8.3), on PGlite and on PostgreSQL.
import { expect, test } from "bun:test";
import { applyFeed, json, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";

const GROUPS = [
  { code: "staff", managed: true, profileType: "test:type:staff", pastProfileType: "test:type:staff-past" },
  { code: "students", managed: true, profileType: "test:type:student", pastProfileType: "test:type:student-past" },
  { code: "ethics-panel", managed: false },
];

const CONTROL = simpleControl([{ source: "job", destination: "profile", name: "std:attribute:job-title" }]);

describeEachBackend("reconcile", GROUPS, (t) => {
  const db = () => t().store.db;
  const user = async (username: string): Promise<any> => (await db().query<Record<string, any>>("SELECT * FROM users WHERE username = $1", [username]))[0];
  const profileOf = async (username: string): Promise<any> =>
    (await db().query<Record<string, any>>("SELECT o.* FROM objects o JOIN users u ON u.profile_id = o.id WHERE u.username = $1", [username]))[0];
  const groupsOf = async (username: string) =>
    (
      await db().query<{ code: string }>(
        "SELECT g.code FROM memberships m JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id WHERE u.username = $1 ORDER BY g.code",
        [username],
      )
    ).map((r) => r.code);
  const ledger = async (username: string): Promise<any> => (await db().query<Record<string, any>>("SELECT * FROM sync_ledger WHERE username = $1", [username]))[0];

  test("creates users with their profile objects and managed-group memberships", async () => {
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { job: "Reader" }), person("S1", { groups: ["students"] })]) });
    expect(run.status).toBe("complete");
    expect(run.counts).toMatchObject({ create: 2, update: 0, unchanged: 0, block: 0, errors: 0 });
    expect(run.log).toEqual(["create e1", "create s1", "0 user records had no changes"]);
    const e1 = await user("e1");
    expect(e1).toMatchObject({ email: "e1@example.org", name_first: "First E1", name_last: "Last E1", active: true, blocked_by: null });
    const profile = await profileOf("e1");
    expect(profile.types).toEqual(["test:type:staff"]);
    expect(profile.title).toBe("First E1 Last E1");
    expect(profile.attributes["std:attribute:job-title"]).toEqual([{ t: "text", v: "Reader" }]);
    expect(profile.attributes["std:attribute:email"]).toEqual([{ t: "email-address", v: "e1@example.org" }]);
    expect(await groupsOf("s1")).toEqual(["students"]);
    expect((await ledger("e1")).in_feed).toBe(true);
  });

  test("a second identical feed changes nothing and says so", async () => {
    const feed = { staff: json([person("E1"), person("E2")]) };
    await applyFeed(t().store, CONTROL, feed);
    const before = await db().query("SELECT id, updated_at FROM users ORDER BY id");
    const objectsBefore = await db().query("SELECT id, version, updated_at FROM objects ORDER BY id");
    const run = await applyFeed(t().store, CONTROL, feed);
    expect(run.counts).toMatchObject({ create: 0, update: 0, unchanged: 2 });
    expect(run.log).toEqual(["2 user records had no changes"]);
    expect(await db().query("SELECT id, updated_at FROM users ORDER BY id")).toEqual(before);
    expect(await db().query("SELECT id, version, updated_at FROM objects ORDER BY id")).toEqual(objectsBefore);
  });

  test("blocks a user who left the feed, marks the profile past, keeps their groups; unblocks them when they return", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2", { groups: ["staff", "ethics-panel"] })]) });
    const left = await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    expect(left.counts).toMatchObject({ block: 1, unchanged: 1 });
    expect(left.log).toEqual(["1 user records had no changes", "block e2", "Blocked 1 users"]);
    expect(await user("e2")).toMatchObject({ active: false, blocked_by: "sync" });
    expect((await profileOf("e2")).types).toEqual(["test:type:staff-past"]);
    expect(await groupsOf("e2")).toEqual(["ethics-panel", "staff"]);
    expect((await ledger("e2")).in_feed).toBe(false);

    const back = await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2", { groups: ["staff", "ethics-panel"] })]) });
    expect(back.counts).toMatchObject({ unblock: 1, unchanged: 1, block: 0 });
    expect(back.log).toEqual(["update e2", "reactivate e2", "1 user records had no changes"]);
    expect(await user("e2")).toMatchObject({ active: true, blocked_by: null });
    expect((await profileOf("e2")).types).toEqual(["test:type:staff"]);
    expect((await ledger("e2")).in_feed).toBe(true);
  });

  test("usernames with backslashes, spaces, newlines and tabs inside are recognised on the next run, and when they leave", async () => {
    const odd = ["a\\b", "c d", "e\nf", "g\th", "i\\nj", "k\\\\", "ü 1"];
    const feed = (ids: string[]) => ({ staff: json(ids.map((id) => person(id, { email: `odd${odd.indexOf(id)}@example.org` }))) });
    const first = await applyFeed(t().store, CONTROL, feed(odd));
    expect(first.counts).toMatchObject({ create: odd.length, errors: 0 });
    const again = await applyFeed(t().store, CONTROL, feed(odd));
    expect(again.counts).toMatchObject({ create: 0, update: 0, unchanged: odd.length, block: 0 });
    const left = await applyFeed(t().store, CONTROL, feed(odd.filter((id) => id !== "e\nf")));
    expect(left.counts).toMatchObject({ create: 0, unchanged: odd.length - 1, block: 1 });
    expect(await user("e\nf")).toMatchObject({ active: false, blocked_by: "sync" });
  });

  test("a leaver in several managed groups gets the past type of the last of them, in configuration order; one in none keeps their type", async () => {
    await applyFeed(t().store, CONTROL, {
      staff: json([person("E1"), person("B1", { groups: ["students", "staff"] }), person("N1", { groups: ["ethics-panel"] })]),
    });
    const typeBefore = (await profileOf("n1")).types;
    const left = await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    expect(left.counts).toMatchObject({ block: 2, unchanged: 1 });
    // students is configured after staff, whatever the order in the record
    expect((await profileOf("b1")).types).toEqual(["test:type:student-past"]);
    expect(await user("n1")).toMatchObject({ active: false, blocked_by: "sync" });
    expect((await profileOf("n1")).types).toEqual(typeBefore);
  });

  test("a day with more changed users than pass 2 maps at once: every update, block and before-image lands, each user's own", async () => {
    // pass 2 maps 5,000 users a batch and copies them in while it maps the next (changes.ts):
    // 12,000 changed users are three batches, more than it keeps in flight
    const ids = Array.from({ length: 12_500 }, (_, i) => `P${String(i).padStart(5, "0")}`);
    await applyFeed(t().store, CONTROL, { staff: json(ids.map((id) => person(id, { job: "Reader" }))) });
    const changed = ids.slice(0, 12_000);
    const run = await applyFeed(t().store, CONTROL, { staff: json(changed.map((id) => person(id, { job: `Job of ${id}` }))) });
    expect(run.status).toBe("complete");
    expect(run.counts).toMatchObject({ update: 12_000, block: 500, unchanged: 0, errors: 0 });
    const jobs = await db().query<{ username: string; job: string }>(
      `SELECT u.username, o.attributes -> 'std:attribute:job-title' -> 0 ->> 'v' AS job FROM users u JOIN objects o ON o.id = u.profile_id WHERE u.active`,
    );
    expect(jobs.length).toBe(12_000);
    expect(jobs.filter((r) => r.job !== `Job of ${r.username.toUpperCase()}`)).toEqual([]);
    const [images] = await db().query<{ updates: number; blocks: number }>(
      `SELECT count(*) FILTER (WHERE action = 'update')::int AS updates, count(*) FILTER (WHERE action = 'block')::int AS blocks FROM run_changes WHERE run_id = $1`,
      [run.runId],
    );
    expect(images).toEqual({ updates: 12_000, blocks: 500 });
    const [logged] = await db().query<{ n: number }>("SELECT count(DISTINCT username)::int AS n FROM run_events WHERE run_id = $1 AND action = 'update'", [run.runId]);
    expect(logged!.n).toBe(12_000);
  }, 120_000);

  test("updates a changed email and name on both the account and the profile, with field-level changes in the log", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { last: "King", email: "ada@new.example.org" })]) });
    expect(run.counts).toMatchObject({ update: 1 });
    expect(await user("e1")).toMatchObject({ name_last: "King", email: "ada@new.example.org" });
    const profile = await profileOf("e1");
    expect(profile.title).toBe("First E1 King");
    expect(profile.attributes["std:attribute:email"]).toEqual([{ t: "email-address", v: "ada@new.example.org" }]);
    expect(profile.version).toBe(2);
    const [event] = await db().query<{ detail: any }>("SELECT detail FROM run_events WHERE run_id = $1 AND action = 'update'", [run.runId]);
    expect(event!.detail.changes.nameLast).toEqual(["Last E1", "King"]);
    expect(event!.detail.changes.email).toEqual(["e1@example.org", "ada@new.example.org"]);
  });

  test("managed groups follow the feed exactly; a group added by hand that is not managed survives", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { groups: ["staff"] })]) });
    const e1 = await user("e1");
    const [ethics] = await db().query<{ id: number }>("SELECT id FROM groups WHERE code = 'ethics-panel'");
    await db().query("INSERT INTO memberships (user_id, group_id, added_by) VALUES ($1, $2, 'admin')", [e1.id, ethics!.id]);
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { groups: ["students"] })]) });
    expect(run.counts).toMatchObject({ update: 1, groupsAdded: 1, groupsRemoved: 1 });
    expect(await groupsOf("e1")).toEqual(["ethics-panel", "students"]);
    expect((await profileOf("e1")).types).toEqual(["test:type:student"]);
  });

  test("a non-managed group named in the feed is added but never removed", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { groups: ["staff", "ethics-panel"] })]) });
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { groups: ["staff"] })]) });
    expect(await groupsOf("e1")).toEqual(["ethics-panel", "staff"]);
  });

  test("a record missing a required value is an error; the existing user keeps their last good state", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2")]) });
    const { email: _, ...noEmail } = person("E2", { last: "Changed" });
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1"), noEmail]) });
    expect(run.log).toContain("ERROR: Missing values in user: email (record 1, user e2)");
    expect(run.log).toContain("Record has missing data for username e2 (ignoring)");
    expect(run.counts).toMatchObject({ block: 0, reject: 1, unchanged: 1 });
    expect(await user("e2")).toMatchObject({ active: true, name_last: "Last E2" });
    expect((await ledger("e2")).error).toBe(true);
    // fixed next run: processed again even though nothing else changed
    const fixed = await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2")]) });
    expect(fixed.counts).toMatchObject({ update: 1, unchanged: 1 });
    expect((await ledger("e2")).error).toBe(false);
  });

  test("with onRecordError=block, a failing record blocks the existing user (Haplo's behaviour)", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2")]) });
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2", { email: "a@b" })]) }, { settings: { onRecordError: "block" } });
    expect(run.log).toContain("ERROR: (e2) Invalid email address: a@b");
    expect(run.counts).toMatchObject({ block: 1 });
    expect(await user("e2")).toMatchObject({ active: false, blocked_by: "sync" });
  });

  test("an invalid email is an error for that user only", async () => {
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { email: "a@b" }), person("E2")]) });
    expect(run.log).toContain("ERROR: (e1) Invalid email address: a@b");
    expect(run.counts).toMatchObject({ create: 1, reject: 1, errors: 1 });
    expect(await user("e1")).toBeUndefined();
    // no orphan profile object was left behind (reference §9 item 3)
    const [{ n }] = (await db().query<{ n: number }>("SELECT count(*)::int AS n FROM objects")) as [{ n: number }];
    expect(n).toBe(1);
  });

  test("an unknown group code is an error for that user", async () => {
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { groups: ["nope"] })]) });
    expect(run.log).toContain("ERROR: (e1) Unknown group code: nope");
    expect(await user("e1")).toBeUndefined();
  });

  test("a duplicate username, in the same file or another, is an error: the first record stands", async () => {
    const control = simpleControl([], { staff: { read: "json" }, students: { read: "tsv-with-name-row" } });
    const tsv = "id\tfirst\tlast\temail\nE2\tOther\tPerson\tother@example.org\n";
    const run = await applyFeed(t().store, control, { staff: json([person("E1"), person("E2"), person("E1", { first: "Second" })]), students: tsv });
    expect(run.log).toContain("ERROR: Duplicate username: E1 (ignoring record 2)");
    expect(run.log).toContain("ERROR: Duplicate username: E2 (ignoring record 3)");
    expect(run.counts).toMatchObject({ create: 2, duplicates: 2 });
    expect((await user("e1")).name_first).toBe("First E1");
    expect((await user("e2")).name_first).toBe("First E2");
  });

  test("usernames differing only in case, spaces or Unicode form are the same user", async () => {
    const run = await applyFeed(t().store, CONTROL, {
      staff: json([person("JSmith"), person(" jsmith "), person("Zoe\u0301", { email: "zoe@example.org" }), person("Zo\u00e9", { email: "zoe2@example.org" })]),
    });
    expect(run.log).toContain("ERROR: Duplicate username:  jsmith  (ignoring record 1)");
    expect(run.log).toContain("ERROR: Duplicate username: Zoé (ignoring record 3)");
    expect(run.counts).toMatchObject({ create: 2, duplicates: 2 });
    expect(await user("jsmith")).toBeDefined();
  });

  test("never touches a user the sync did not create, even when the feed leaves it out", async () => {
    await db().query("INSERT INTO users (username, email, name_first, name_last) VALUES ('local', 'local@example.org', 'Lo', 'Cal')");
    await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    const before = await user("local");
    const run = await applyFeed(t().store, CONTROL, { staff: json([]) });
    expect(run.counts).toMatchObject({ block: 1 });
    expect(await user("local")).toEqual(before);
    expect((await user("e1")).active).toBe(false);
  });

  test("a record whose username belongs to a user the sync did not create is an error, not a merge", async () => {
    await db().query("INSERT INTO users (username, email, name_first, name_last) VALUES ('e1', 'keep@example.org', 'Keep', 'Me')");
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    expect(run.log).toContain("ERROR: (e1) The username belongs to an account the sync did not create; the record is ignored");
    expect(run.counts).toMatchObject({ create: 0, reject: 1, collisions: 1 });
    expect(await user("e1")).toMatchObject({ email: "keep@example.org", name_first: "Keep" });
    expect(await ledger("e1")).toBeUndefined();
  });

  test("a record whose email belongs to a user the sync did not create is an error", async () => {
    await db().query("INSERT INTO users (username, email, name_first, name_last) VALUES ('local', 'Taken@Example.org', 'Lo', 'Cal')");
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { email: "taken@example.org" }), person("E2")]) });
    expect(run.log).toContain("ERROR: (e1) The email address belongs to an account the sync did not create; the record is ignored");
    expect(run.counts).toMatchObject({ create: 1, reject: 1, collisions: 1 });
    expect(await user("e1")).toBeUndefined();
  });

  test("an admin-blocked user stays blocked whatever the feed says", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    await db().query("UPDATE users SET active = false, blocked_by = 'admin' WHERE username = 'e1'");
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { last: "Changed" })]) });
    expect(await user("e1")).toMatchObject({ active: false, blocked_by: "admin", name_last: "Changed" });
    await applyFeed(t().store, CONTROL, { staff: json([]) });
    await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    expect(await user("e1")).toMatchObject({ active: false, blocked_by: "admin" });
  });

  test("a control-file change re-processes exactly the users it affects", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { job: "Reader" }), person("E2")]) });
    const changed = simpleControl([{ source: "job", destination: "profile", name: "std:attribute:job-title", filters: ["haplo:to-upper-case"] }]);
    const run = await applyFeed(t().store, changed, { staff: json([person("E1", { job: "Reader" }), person("E2")]) });
    expect(run.counts).toMatchObject({ update: 1, unchanged: 1 });
    expect(run.log[0]).toBe("update e1");
    expect((await profileOf("e1")).attributes["std:attribute:job-title"]).toEqual([{ t: "text", v: "READER" }]);
  });

  test("a change to a managed group's profile types re-processes its members", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    await db().query("UPDATE groups SET profile_type = 'test:type:academic' WHERE code = 'staff'");
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) });
    expect(run.counts).toMatchObject({ update: 1 });
    expect((await profileOf("e1")).types).toEqual(["test:type:academic"]);
  });

  test("a record's problems are logged again every run while they last, without re-applying the user", async () => {
    const control = simpleControl([{ source: "web", destination: "profile", name: "std:attribute:url" }]);
    const feed = { staff: json([person("E1", { web: "not a url" }), person("E2")]) };
    const first = await applyFeed(t().store, control, feed);
    expect(first.log).toContain("ERROR: Invalid URL for input field web: not a url (record 0, user e1)");
    expect(first.counts).toMatchObject({ create: 2, errors: 1 });
    const second = await applyFeed(t().store, control, feed);
    expect(second.log).toContain("ERROR: Invalid URL for input field web: not a url (record 0, user e1)");
    expect(second.counts).toMatchObject({ unchanged: 2, update: 0, errors: 1 });
    const fixed = await applyFeed(t().store, control, { staff: json([person("E1", { web: "https://example.org" }), person("E2")]) });
    expect(fixed.counts).toMatchObject({ update: 1, unchanged: 1, errors: 0 });
    const clean = await applyFeed(t().store, control, { staff: json([person("E1", { web: "https://example.org" }), person("E2")]) });
    expect(clean.counts).toMatchObject({ unchanged: 2, errors: 0 });
    expect(clean.log).toEqual(["2 user records had no changes"]);
  });

  test("a record that changed only in a field the control file does not read joins the timeline, and changes nothing else", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { lastLogin: "monday" })]) });
    const before = await user("e1");
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { lastLogin: "tuesday" })]) });
    expect(run.counts).toMatchObject({ unchanged: 1, update: 0 });
    expect(await user("e1")).toEqual(before);
    const rows = await db().query<{ raw: string }>("SELECT raw FROM received_records WHERE username = 'e1' ORDER BY id");
    expect(rows.map((r) => JSON.parse(r.raw).lastLogin)).toEqual(["monday", "tuesday"]);
    // and the next identical feed is recognised without mapping it again
    const again = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { lastLogin: "tuesday" })]) });
    expect(again.counts).toMatchObject({ unchanged: 1 });
    expect((await db().query("SELECT * FROM received_records WHERE username = 'e1'")).length).toBe(2);
  });

  test("the received-data timeline keeps each distinct record, in order", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { job: "A" })]) });
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { job: "A" })]) });
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { job: "B" })]) });
    await applyFeed(t().store, CONTROL, { staff: json([person("E1", { job: "A" })]) });
    const rows = await db().query<{ raw: string; run_id: number }>("SELECT raw, run_id FROM received_records WHERE username = 'e1' ORDER BY id");
    expect(rows.map((r) => [r.run_id, JSON.parse(r.raw).job])).toEqual([
      [1, "A"],
      [3, "B"],
      [4, "A"],
    ]);
  });

  test("debounced leavers: blocked only after the configured number of absent runs", async () => {
    const settings = { blockAfterAbsentRuns: 3 };
    await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2")]) }, { settings });
    const first = await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) }, { settings });
    expect(first.counts).toMatchObject({ pendingLeaver: 1, block: 0 });
    expect(first.log).toContain("pending leaver e2 (absent 1 of 3 runs before blocking)");
    await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) }, { settings });
    expect((await user("e2")).active).toBe(true);
    const third = await applyFeed(t().store, CONTROL, { staff: json([person("E1")]) }, { settings });
    expect(third.counts).toMatchObject({ block: 1 });
    expect((await user("e2")).active).toBe(false);
  });

  test("a dry run computes the plan and writes nothing to the users", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2")]) });
    const before = await db().query("SELECT * FROM users ORDER BY id");
    const run = await applyFeed(t().store, CONTROL, { staff: json([person("E1", { last: "New" }), person("E3")]) }, { dryRun: true });
    expect(run.status).toBe("dry-run");
    expect(run.counts).toMatchObject({ create: 1, update: 1, block: 1 });
    expect(run.log).toContain("create e3");
    expect(run.log).toContain("block e2");
    expect(run.log).toContain("Dry run: nothing was applied");
    expect(await db().query("SELECT * FROM users ORDER BY id")).toEqual(before);
  });

  test("a malformed file fails the run and applies nothing", async () => {
    await applyFeed(t().store, CONTROL, { staff: json([person("E1"), person("E2")]) });
    const run = await applyFeed(t().store, CONTROL, { staff: `[${JSON.stringify(person("E1"))}, {"id": "E2"` });
    expect(run.status).toBe("failure");
    expect(run.message).toContain("File staff");
    expect(run.message).toContain("truncated");
    expect((await user("e2")).active).toBe(true);
  });
});
