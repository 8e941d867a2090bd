// The framework behaviours Haplo's own tests prove (reference §8.1), reproduced on the
// haplo:user-sync model with our own fixtures. Where the other tests already carry one, it is
// named here, so this file is the map:
//   test_readers, test_xml_charsets                     → readers.test.ts, charsets.test.ts
//   test_filters, test_simple_value_transforms,
//   test_text_values, test_text_values2,
//   test_structured_postal_address_value,
//   test_type_and_structured_person_name_value,
//   test_filter_apply_order                              → values.test.ts (order: with real filters)
//   test_extract_functions                               → instructions.test.ts ("the username extractor")
//   test_bad_load_aborts_transformation (assert-destination) → instructions.test.ts
//   test_create_object, test_update_object, test_dependent_objects, test_annotated_types,
//   and the load half of test_bad_load: `new` and `load` do not exist in a user sync (the sync
//   supplies the targets); validate.test.ts shows they are refused.
// Here: test_multivalue, test_missing_values, test_abort_and_log_instructions (through the engine)
// and test_user_sync_data_import_filters (username-to-ref after an earlier run).
import { describe, expect, test } from "bun:test";
import { applyFeed, json } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";
import { control, PERSON } from "./helpers.ts";

describe("test_multivalue: single versus multivalue writes", () => {
  const input = { ...PERSON, v0: "VALUE0", v1: "VALUE1", v2: "TWO", v3: "THREE", v4: "four 4", v5: "5 five" };
  const JOB = "std:attribute:job-title";
  const texts = (c: ReturnType<typeof control>) => {
    const result = c.transform(input);
    return { profile: result.profile.get(JOB).map((v) => v.v), title: result.user.title, groups: result.user.groups };
  };

  test("set-value: without multivalue the last write wins, and a multivalue name becomes [last]; with it they accumulate", () => {
    const writes = (multivalue: boolean) => [
      { action: "set-value", destination: "profile", name: JOB, value: "abc", multivalue },
      { action: "set-value", destination: "profile", name: JOB, value: "DEF", multivalue },
      { action: "set-value", destination: "user", name: "title", value: "xyz", multivalue },
      { action: "set-value", destination: "user", name: "title", value: "123", multivalue },
      { action: "set-value", destination: "user", name: "groups", value: "mno", multivalue },
      { action: "set-value", destination: "user", name: "groups", value: "qwe", multivalue },
    ];
    expect(texts(control(writes(false)))).toEqual({ profile: ["DEF"], title: "123", groups: ["qwe"] });
    expect(texts(control(writes(true)))).toEqual({ profile: ["abc", "DEF"], title: "123", groups: ["mno", "qwe"] });
  });

  test("field: the same truth table", () => {
    const writes = (multivalue: boolean) => [
      { source: "v0", destination: "profile", name: JOB, multivalue },
      { source: "v1", destination: "profile", name: JOB, multivalue },
      { source: "v2", destination: "user", name: "title", multivalue },
      { source: "v3", destination: "user", name: "title", multivalue },
      { source: "v4", destination: "user", name: "groups", multivalue },
      { source: "v5", destination: "user", name: "groups", multivalue },
    ];
    expect(texts(control(writes(false)))).toEqual({ profile: ["VALUE1"], title: "THREE", groups: ["5 five"] });
    expect(texts(control(writes(true)))).toEqual({ profile: ["VALUE0", "VALUE1"], title: "THREE", groups: ["four 4", "5 five"] });
  });

  test("field-structured: the same truth table", () => {
    const structured = (source: string, multivalue: boolean) => ({
      action: "if-value-one-of",
      source: "NOT_IN_INPUT",
      values: [true],
      else: [
        { source, destination: "value:person-name", name: "last" },
        { action: "field-structured", structured: "value:person-name", destination: "profile", name: "dc:attribute:title", multivalue },
      ],
    });
    const titles = (multivalue: boolean) =>
      control([structured("v4", multivalue), structured("v5", multivalue)])
        .transform(input)
        .profile.get("dc:attribute:title")
        .map((v) => (v.v as { last: string }).last);
    expect(titles(false)).toEqual(["5 five"]);
    expect(titles(true)).toEqual(["four 4", "5 five"]);
  });
});

describe("test_missing_values: what a record misses, in order", () => {
  test("the missing required names are listed, sorted; nothing is written for an incomplete record", () => {
    const c = control([]);
    const records = [{ id: "a", first: "A", last: "B" }, { id: "b", email: "b@example.org" }, { id: "c" }, { ...PERSON }];
    expect(records.map((r) => [c.transform(r).complete, c.transform(r).errors])).toEqual([
      [false, ["Missing values in user: email"]],
      [false, ["Missing values in user: nameFirst, nameLast"]],
      [false, ["Missing values in user: email, nameFirst, nameLast"]],
      [true, []],
    ]);
  });
});

const GROUPS = [{ code: "staff", managed: true, profileType: "test:type:staff", pastProfileType: "test:type:staff-past" }];
const BASE = [
  { source: "id", destination: "user", name: "username" },
  { source: "first", destination: "user", name: "nameFirst" },
  { source: "last", destination: "user", name: "nameLast" },
  { source: "email", destination: "user", name: "email" },
];
const controlText = (instructions: object[]) =>
  JSON.stringify({ dataImportControlFileVersion: 0, model: "haplo:user-sync", files: { people: { read: "json" } }, instructions: [...BASE, ...instructions] });

describeEachBackend("framework behaviours through the engine", GROUPS, (t) => {
  test("test_abort_and_log_instructions: abort-record stops that record; log-error does not; the errors name the record", async () => {
    const control = controlText([
      { source: "abort", action: "if-value-one-of", values: [true], then: [{ action: "abort-record", message: "Aborted by instruction in control file" }] },
      { source: "log", action: "if-value-one-of", values: [true], then: [{ action: "log-error", message: "Error message logged by control file" }] },
    ]);
    const run = await applyFeed(t().store, control, {
      people: json([
        { id: "jbloggs", first: "Joe", last: "Bloggs", email: "joe@example.org", abort: true },
        { id: "jsmith", first: "Jane", last: "Smith", email: "jane@example.org", log: true },
      ]),
    });
    expect(run.log.filter((l) => l.startsWith("ERROR"))).toEqual([
      "ERROR: Aborted by instruction in control file (record 0, user jbloggs)",
      "ERROR: Error message logged by control file (record 1, user jsmith)",
    ]);
    expect(run.counts).toMatchObject({ create: 1, reject: 1 });
    const profiles = await t().store.db.query<{ title: string }>("SELECT o.title FROM objects o JOIN users u ON u.profile_id = o.id");
    expect(profiles.map((p) => p.title)).toEqual(["Jane Smith"]);
  });

  test("a set-value through a ref mapping is resolved with the run's lookups (not when the file is loaded, before they exist)", async () => {
    await t().store.db.query("INSERT INTO objects (types, title, behaviour) VALUES ('{test:type:org}', 'Example University', 'test:org:example')");
    const control = JSON.stringify({
      ...JSON.parse(controlText([
        { action: "set-value", destination: "profile", name: "std:attribute:works-for", value: "UNI", refMapping: "orgs" },
        { action: "set-value", destination: "profile", name: "std:attribute:member-of", value: "test:org:example", filters: ["haplo:code-to-ref"] },
      ])),
      mapping: { orgs: { types: ["test:type:org"], using: "behaviour", values: { UNI: "test:org:example" } } },
    });
    const run = await applyFeed(t().store, control, { people: json([{ id: "a1", first: "A", last: "One", email: "a1@example.org" }]) });
    expect(run.status).toBe("complete");
    const [org] = await t().store.db.query<{ id: number }>("SELECT id FROM objects WHERE behaviour = 'test:org:example'");
    const [profile] = await t().store.db.query<{ attributes: Record<string, unknown> }>("SELECT o.attributes FROM objects o JOIN users u ON u.profile_id = o.id");
    expect(profile!.attributes["std:attribute:works-for"]).toEqual([{ t: "ref", v: Number(org!.id) }]);
    expect(profile!.attributes["std:attribute:member-of"]).toEqual([{ t: "ref", v: Number(org!.id) }]);
  });

  test("test_user_sync_data_import_filters: haplo:username-to-ref finds a user synced in an earlier run, and nothing for an unknown one", async () => {
    const people = [
      { id: "boss", first: "Ann", last: "Boss", email: "boss@example.org" },
      { id: "e1", first: "Bob", last: "Worker", email: "bob@example.org", manager: "BOSS" },
      { id: "e2", first: "Cy", last: "Worker", email: "cy@example.org", manager: "nobody" },
    ];
    const control = controlText([{ source: "manager", destination: "profile", name: "std:attribute:relationship-manager", filters: ["haplo:username-to-ref"] }]);
    await applyFeed(t().store, control, { people: json(people.slice(0, 1)) });
    const run = await applyFeed(t().store, control, { people: json(people) });
    expect(run.counts).toMatchObject({ create: 2, unchanged: 1, errors: 0 });
    const rows = await t().store.db.query<{ username: string; profile_id: number; attributes: Record<string, unknown> }>(
      "SELECT u.username, u.profile_id, o.attributes FROM users u JOIN objects o ON o.id = u.profile_id ORDER BY u.username",
    );
    const boss = rows.find((r) => r.username === "boss")!;
    expect(rows.find((r) => r.username === "e1")!.attributes["std:attribute:relationship-manager"]).toEqual([{ t: "ref", v: Number(boss.profile_id) }]);
    expect(rows.find((r) => r.username === "e2")!.attributes["std:attribute:relationship-manager"]).toBeUndefined();
  });
});
