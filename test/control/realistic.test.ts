// "Done when": the realistic control file of reference §3.7, written for Haplo, runs unchanged
// through the real engine (PGlite and PostgreSQL) with JSON staff and windows-1252 TSV students,
// and gives the outcome §3.7 describes — departments loaded as reference objects; and the same
// feed delivered as XML and as CSV gives the same users.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseReferenceObjects, upsertReferenceObjects } from "../../src/cli/objects.ts";
import type { Store } from "../../src/store/index.ts";
import { applyFeed, type FeedRun } from "../helpers/feeds.ts";
import { describeEachBackend, resetStore } from "../helpers/store.ts";

const DIR = join(import.meta.dir, "..", "fixtures", "control", "realistic");
const read = (name: string) => readFileSync(join(DIR, name), "utf8");
const bytes = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const config = JSON.parse(readFileSync(join(DIR, "usersync.json"), "utf8"));
const SETTINGS = { profileAttributes: config.profile.attributes };

async function loadDepartments(store: Store): Promise<void> {
  await upsertReferenceObjects(store.db, parseReferenceObjects(readFileSync(join(DIR, "departments.json"), "utf8"), "departments.json"));
}

describeEachBackend("the realistic control file of §3.7", config.groups, (t) => {
  const db = () => t().store.db;

  /** Apply fixture files (name → fixture file), as their bytes. */
  async function apply(control: string, files: Record<string, string>, settings: object = {}): Promise<FeedRun> {
    const contents = Object.fromEntries(Object.entries(files).map(([name, file]) => [name, bytes(file)]));
    return applyFeed(t().store, read(control), contents, { settings: { ...SETTINGS, ...settings } });
  }

  /** Everything about the users that the sync decided, by username, with refs shown as the titles they point at. */
  async function users(): Promise<Record<string, unknown>> {
    const rows = await db().query<Record<string, any>>(
      `SELECT u.username, u.email, u.name_first, u.name_last, u.title, u.active, o.types, o.title AS profile_title, o.attributes,
              coalesce((SELECT array_agg(g.code ORDER BY g.code) FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = u.id), '{}') AS groups
       FROM users u LEFT JOIN objects o ON o.id = u.profile_id ORDER BY u.username`,
    );
    const titles = new Map((await db().query<{ id: number; title: string }>("SELECT id, title FROM objects")).map((r) => [Number(r.id), r.title]));
    const out: Record<string, unknown> = {};
    for (const r of rows) {
      const attributes = JSON.parse(JSON.stringify(r.attributes), (_k, v) => (v && v.t === "ref" ? { ...v, v: titles.get(Number(v.v)) } : v));
      out[r.username] = { ...r, attributes };
    }
    return out;
  }

  test("JSON staff and windows-1252 TSV students give the outcome §3.7 describes", async () => {
    await loadDepartments(t().store);
    const run = await apply("control.json", { staff: "staff.json", students: "students.tsv" });
    expect(run.status).toBe("complete");
    expect(run.counts).toMatchObject({ records: 4, create: 3, reject: 1, block: 0 });
    expect(run.log).toContain("ERROR: Suspended record skipped (record 1, user e1002)");
    expect(run.log).toContain("Record has missing data for username e1002 (ignoring)");

    const all = (await users()) as Record<string, any>;
    expect(Object.keys(all)).toEqual(["e1001", "s2001", "s2002"]);

    // E1001: researchers + ethics panel, the researcher type, title rebuilt, the formal name kept as an alternative
    const ada = all.e1001;
    expect(ada).toMatchObject({ email: "ada@example.ac.uk", name_first: "Ada", name_last: "Lovelace", title: "Dr", active: true });
    expect(ada.groups).toEqual(["example:group:ethics-panel", "hres:group:researchers"]);
    expect(ada.types).toEqual(["hres:type:person:researcher"]);
    expect(ada.profile_title).toBe("Dr Ada Lovelace");
    expect(ada.attributes["dc:attribute:title"]).toEqual([
      { t: "person-name", v: { title: "Dr", first: "Ada", last: "Lovelace" } },
      { t: "person-name", v: { first: "Augusta Ada", last: "King" }, q: "dc:qualifier:alternative" },
    ]);
    expect(ada.attributes["std:attribute:job-title"]).toEqual([{ t: "text", v: "Reader" }]);
    expect(ada.attributes["std:attribute:telephone"]).toEqual([{ t: "telephone-number", v: { number: "+44 20 7946 0000", country: "GB" } }]);
    expect(ada.attributes["hres:attribute:research-institute"]).toEqual([{ t: "ref", v: "Chemistry" }]);

    // S2001 from the TSV file: no ExtraGroups, no FormalName — those instructions do nothing
    expect(all.s2001).toMatchObject({ name_first: "Grace", groups: ["hres:group:researchers"], types: ["hres:type:person:researcher"], profile_title: "Grace Hopper" });
    expect(all.s2001.attributes["hres:attribute:research-institute"]).toEqual([{ t: "ref", v: "Physics" }]);
    expect(all.s2001.attributes["dc:attribute:title"]).toHaveLength(1);
    // the windows-1252 charset of the students file
    expect(all.s2002).toMatchObject({ name_first: "Zoë", name_last: "Ångström", profile_title: "Zoë Ångström" });
  });

  test("E1002 in an earlier feed and suspended now: blocked with Haplo's behaviour, kept as they were by default", async () => {
    await loadDepartments(t().store);
    const earlier = read("staff.json").replace('"Status": "SUSPENDED"', '"Status": "ACTIVE"');
    await applyFeed(t().store, read("control.json"), { staff: earlier, students: bytes("students.tsv") }, { settings: SETTINGS });
    expect((await users()).e1002).toMatchObject({ active: true });

    const kept = await apply("control.json", { staff: "staff.json", students: "students.tsv" });
    expect(kept.counts).toMatchObject({ reject: 1, block: 0 });
    expect((await users()).e1002).toMatchObject({ active: true });

    const blocked = await apply("control.json", { staff: "staff.json", students: "students.tsv" }, { onRecordError: "block" });
    expect(blocked.counts).toMatchObject({ block: 1 });
    expect((await users()).e1002).toMatchObject({ active: false, types: ["hres:type:person:staff-past"] });
  });

  test("the same feed as XML and as CSV gives the same users", async () => {
    const outcomes: Record<string, unknown> = {};
    for (const [control, staff, students] of [
      ["control.json", "staff.json", "students.tsv"],
      ["control-xml.json", "staff.xml", "students.xml"],
      ["control-csv.json", "staff.csv", "students.csv"],
    ] as const) {
      await resetStore(t().store, config.groups);
      await loadDepartments(t().store);
      const run = await apply(control, { staff, students });
      expect(run.counts).toMatchObject({ records: 4, create: 3, reject: 1 });
      outcomes[control] = await users();
    }
    expect(outcomes["control-xml.json"]).toEqual(outcomes["control.json"]);
    expect(outcomes["control-csv.json"]).toEqual(outcomes["control.json"]);
  });
});
