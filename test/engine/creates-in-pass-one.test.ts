// New users written by pass 1 itself (stage.ts DirectCreates) must leave the store exactly as new
// users staged for the apply do: the same accounts, profiles, memberships, ledger, undo records,
// timeline and log. A run takes the staged way whenever a safety check could still hold it, so the
// same feeds are applied once each way, on a new store, and the stores compared.
import { expect, test } from "bun:test";
import type { SafetyCheck } from "../../src/engine/index.ts";
import { applyFeed, json, person, simpleControl, type FeedRun } from "../helpers/feeds.ts";
import { describeEachBackend, resetStore } from "../helpers/store.ts";

const GROUPS = [
  { code: "staff", managed: true, profileType: "test:type:staff", pastProfileType: "test:type:staff-past" },
  { code: "students", managed: true, profileType: "test:type:student", pastProfileType: "test:type:student-past" },
  { code: "ethics-panel", managed: false },
];

const CONTROL = simpleControl([
  { source: "job", destination: "profile", name: "std:attribute:job-title" },
  { source: "web", destination: "profile", name: "std:attribute:url" },
]);

/** A safety check that never holds: its presence alone sends new users the staged way. */
const NEVER_HOLDS: SafetyCheck = async () => ({ held: false, checks: [] });

const day1 = {
  staff: json([
    person("E1", { job: "Reader", groups: ["staff", "ethics-panel"] }),
    person("E2", { web: "not a url" }), // created, with an error in its log
    person("Tab\tand\\slash", { job: "line one\nline two", email: "odd@example.org" }),
    person("E1", { job: "Duplicate" }), // the first record stands
    { first: "No", last: "Username" },
    person("E3", { email: "not an email" }), // rejected: never created
    person("S1", { groups: ["students"] }),
  ]),
  others: json([person("Ü2", { email: "u2@example.org", groups: ["students", "staff"] }), person("E4", { groups: ["no-such-group"] })]),
};

const day2 = {
  staff: json([
    person("E1", { job: "Professor", groups: ["staff"] }), // changed
    person("E2", { web: "not a url" }),
    person("E5", { job: "New" }), // new on day 2
    person("S1", { groups: ["students"] }),
  ]),
  others: json([person("E6", { groups: ["students"] })]), // Ü2 and Tab… have left
};

const CONTROL_TWO_FILES = simpleControl(
  [
    { source: "job", destination: "profile", name: "std:attribute:job-title" },
    { source: "web", destination: "profile", name: "std:attribute:url" },
  ],
  { staff: { read: "json" }, others: { read: "json" } },
);

describeEachBackend("new users created in pass 1", GROUPS, (t) => {
  const db = () => t().store.db;

  /** Everything a run writes about users, without ids and times that depend on the order of writing. */
  const snapshot = async () => {
    const q = (sql: string) => db().query<Record<string, unknown>>(sql);
    return {
      users: await q(
        `SELECT u.id, u.username, u.email, u.name_first, u.name_last, u.title, u.active, u.blocked_by, u.tags, u.profile_id,
                o.types, o.title AS profile_title, o.attributes, o.version
         FROM users u LEFT JOIN objects o ON o.id = u.profile_id ORDER BY u.username`,
      ),
      memberships: await q(
        "SELECT u.username, g.code, m.added_by, m.added_run_id FROM memberships m JOIN users u ON u.id = m.user_id JOIN groups g ON g.id = m.group_id ORDER BY 1, 2",
      ),
      ledger: await q(
        `SELECT user_id, username, digest::text, raw_digest::text, context, in_feed, error, warned, absent_runs,
                created_run_id, last_run_id, state_run_id, state_reason FROM sync_ledger ORDER BY username`,
      ),
      // before-images hold the times their rows were written: those differ from store to store
      undo: (await q("SELECT run_id, user_id, username, action, before::text FROM run_changes ORDER BY run_id, username, action")).map((r) => ({
        ...r,
        before: typeof r.before === "string" ? r.before.replace(/"(created_at|updated_at)":"[^"]*"/g, '"$1":"…"') : r.before,
      })),
      timeline: await q("SELECT username, run_id, file_name, record_number, raw_digest::text, raw, mapped FROM received_records ORDER BY username, run_id"),
      log: await q(
        "SELECT run_id, seq, level, action, username, message, detail FROM run_events WHERE action <> 'run' ORDER BY run_id, seq",
      ),
      runs: await q("SELECT id, status, counts, error_count FROM runs ORDER BY id"),
    };
  };

  const applyBoth = async (safety?: SafetyCheck): Promise<FeedRun[]> => [
    await applyFeed(t().store, CONTROL_TWO_FILES, day1, { safety }),
    await applyFeed(t().store, CONTROL_TWO_FILES, day2, { safety }),
  ];

  test("leave the store exactly as new users staged for the apply do", async () => {
    const staged = await applyBoth(NEVER_HOLDS);
    expect(staged.map((r) => r.status)).toEqual(["complete", "complete"]);
    expect(staged[0]!.counts).toMatchObject({ create: 5, reject: 4, duplicates: 1, noUsername: 1 });
    expect(staged[1]!.counts).toMatchObject({ create: 2, update: 1, block: 2 });
    const viaStage = await snapshot();

    await resetStore(t().store, GROUPS);
    const direct = await applyBoth();
    expect(direct.map((r) => r.log)).toEqual(staged.map((r) => r.log));
    expect(await snapshot()).toEqual(viaStage);
  });

  test("are written while the files are read: their log lines come before the lines of the records' problems", async () => {
    // the log's row ids say in which order its lines were written (its seq, in which order they are read)
    const firstIds = async (runId: number) =>
      (
        await db().query<{ create: string; error: string }>(
          `SELECT min(id) FILTER (WHERE action = 'create')::text AS create, min(id) FILTER (WHERE level = 'error')::text AS error
           FROM run_events WHERE run_id = $1`,
          [runId],
        )
      )[0]!;
    const staged = await applyFeed(t().store, CONTROL_TWO_FILES, day1, { safety: NEVER_HOLDS });
    const viaStage = await firstIds(staged.runId);
    expect(BigInt(viaStage.create)).toBeGreaterThan(BigInt(viaStage.error));
    await resetStore(t().store, GROUPS);
    const direct = await applyFeed(t().store, CONTROL_TWO_FILES, day1);
    const inPassOne = await firstIds(direct.runId);
    expect(BigInt(inPassOne.create)).toBeLessThan(BigInt(inPassOne.error));
  });

  test("a dry run and a held run create no one", async () => {
    const dry = await applyFeed(t().store, CONTROL_TWO_FILES, day1, { dryRun: true });
    expect(dry.status).toBe("dry-run");
    const held = await applyFeed(t().store, CONTROL_TWO_FILES, day1, {
      safety: async () => ({ held: true, hold: "run", checks: [{ name: "first-run", tripped: true, message: "held for the test", onTrip: "hold-run" }] }),
    });
    expect(held.status).toBe("held");
    expect(held.counts).toMatchObject({ create: 5 });
    for (const table of ["users", "objects", "memberships", "sync_ledger", "run_changes", "received_records"])
      expect((await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n).toBe(0);
    // the plan is in the held run's log, as a staged run's
    expect(held.log.filter((l) => l.startsWith("create "))).toEqual(["create e1", "create e2", "create tab\tand\\slash", "create s1", "create ü2"]);
  });

  test("a user the sync does not own sends new users the staged way, where the plan can turn them down", async () => {
    await db().query("INSERT INTO users (username, email) VALUES ('e2', 'someone@example.org'), ('other', 'odd@example.org')");
    const run = await applyFeed(t().store, CONTROL_TWO_FILES, day1);
    expect(run.status).toBe("complete");
    expect(run.counts).toMatchObject({ create: 3, collisions: 2 });
    expect(run.log).toContain("ERROR: (e2) The username belongs to an account the sync did not create; the record is ignored");
    expect(run.log).toContain("ERROR: (tab\tand\\slash) The email address belongs to an account the sync did not create; the record is ignored");
    expect((await db().query("SELECT 1 FROM sync_ledger"))).toHaveLength(3);
  });

  test("a user the sync does not own is found even when an account the sync created was deleted outside it", async () => {
    for (const safety of [undefined, NEVER_HOLDS]) {
      await resetStore(t().store, GROUPS);
      await applyFeed(t().store, CONTROL_TWO_FILES, day1, { safety });
      // as many accounts as ledger entries again, but one of the accounts is not the sync's
      await db().query("DELETE FROM users WHERE username = 's1'");
      // one account, whose username one new user of day 2 has, and whose email the other
      await db().query("INSERT INTO users (username, email) VALUES ('e5', 'e6@example.org')");
      const run = await applyFeed(t().store, CONTROL_TWO_FILES, day2, { safety });
      expect(run.status).toBe("complete");
      expect(run.counts).toMatchObject({ create: 0, collisions: 2 });
      expect(run.log).toContain("ERROR: (e5) The username belongs to an account the sync did not create; the record is ignored");
      expect(run.log).toContain("ERROR: (e6) The email address belongs to an account the sync did not create; the record is ignored");
      expect(await db().query("SELECT username, email FROM users WHERE username IN ('e5', 'e6') OR lower(email) IN ('e5@example.org', 'e6@example.org')")).toEqual([
        { username: "e5", email: "e6@example.org" },
      ]);
    }
  });
});
