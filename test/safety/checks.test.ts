// Each safety check trips just past its bound and not at it, reports its figures and bound in the
// verdict and the log, and a held run applies nothing. On PGlite and PostgreSQL.
import { expect, test } from "bun:test";
import { createRunFromFiles } from "../../src/batch/index.ts";
import { loadControl } from "../../src/control/index.ts";
import { preflightChecks } from "../../src/engine/index.ts";
import { applyFeed, DEFAULT_SETTINGS, dumpStore, json, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";
import { checking, checkOf, only, people } from "./helpers.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GROUPS = [
  { code: "staff", managed: true, profileType: "test:type:staff", pastProfileType: "test:type:staff-past" },
  { code: "students", managed: true, profileType: "test:type:student" },
];
const CONTROL = simpleControl([{ source: "job", destination: "profile", name: "std:attribute:job-title" }]);

/** A JSON feed padded with trailing whitespace (allowed after the document) to exactly `bytes`. */
function padded(records: object[], bytes: number): string {
  const text = json(records);
  if (text.length > bytes) throw new Error(`feed is ${text.length} bytes, more than ${bytes}`);
  return text + " ".repeat(bytes - text.length);
}

describeEachBackend("safety checks", GROUPS, (t) => {
  const store = () => t().store;
  const users = async () => (await store().db.query<{ username: string; active: boolean }>("SELECT username, active FROM users ORDER BY username"));
  const activeCount = async () => (await users()).filter((u) => u.active).length;

  test("the very first run is held; a dry run or a held run does not count as applied; after one applied run it passes", async () => {
    const feed = { staff: json(people(3)) };
    const first = await applyFeed(store(), CONTROL, feed, { safety: checking({ firstRun: {} }) });
    expect(first.status).toBe("held");
    expect(checkOf(first, "first-run")).toMatchObject({ tripped: true, figures: { lastAppliedRun: null } });
    expect(first.log).toContain("SAFETY first-run: TRIPPED (holds the run). The very first run: nothing has been applied before, so a person approves it.");
    expect(await users()).toEqual([]);
    await applyFeed(store(), CONTROL, feed, { dryRun: true });
    expect((await applyFeed(store(), CONTROL, feed, { safety: checking({ firstRun: {} }) })).status).toBe("held");
    const applied = await applyFeed(store(), CONTROL, feed);
    const next = await applyFeed(store(), CONTROL, feed, { safety: checking({ firstRun: {} }) });
    expect(next.status).toBe("complete");
    expect(checkOf(next, "first-run")).toMatchObject({ tripped: false, figures: { lastAppliedRun: applied.runId } });
  });

  test("empty feed: a file with zero records, or zero usable records, holds the run; one usable record passes", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(5)) });
    const empty = await applyFeed(store(), CONTROL, { staff: "[]" }, { safety: checking({ emptyFeed: {} }) });
    expect(empty.status).toBe("held");
    expect(checkOf(empty, "empty-feed").message).toContain("File staff parsed to zero records; the feed has no records at all.");
    expect(await activeCount()).toBe(5);

    const twoFiles = simpleControl([], { staff: { read: "json" }, students: { read: "tsv-with-name-row" } });
    const oneEmpty = await applyFeed(store(), twoFiles, { staff: json(people(5)), students: "id\tfirst\tlast\temail\n" }, { safety: checking({ emptyFeed: {} }) });
    expect(oneEmpty.status).toBe("held");
    expect(checkOf(oneEmpty, "empty-feed")).toMatchObject({ tripped: true, figures: { records: 5, usableRecords: 5, emptyFiles: ["students"] } });

    const unusable = await applyFeed(store(), CONTROL, { staff: json(people(5, 1, () => ({ email: "not-an-email" }))) }, { safety: checking({ emptyFeed: {} }) });
    expect(unusable.status).toBe("held");
    expect(checkOf(unusable, "empty-feed").message).toContain("none of its 5 records is usable (every one was rejected)");
    expect(await activeCount()).toBe(5);

    const one = await applyFeed(store(), CONTROL, { staff: json([...people(1), ...people(4, 2, () => ({ email: "bad" }))]) }, { safety: checking({ emptyFeed: {} }) });
    expect(checkOf(one, "empty-feed")).toMatchObject({ tripped: false, figures: { usableRecords: 1 } });
    expect(one.status).toBe("complete");
  });

  test("blocks: 10 % of the users in the feed does not trip, 11 % does (sync-owned users counted)", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(100)) });
    const settings = { blocks: { maxUsers: 500, maxPercent: 10 } };
    const atBound = await applyFeed(store(), CONTROL, { staff: json(people(90)) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(atBound, "blocks")).toMatchObject({ tripped: false, figures: { blocks: 10, usersInFeed: 100, percent: 10 }, bound: { maxUsers: 500, maxPercent: 10 } });
    const past = await applyFeed(store(), CONTROL, { staff: json(people(89)) }, { safety: checking(settings) });
    expect(past.status).toBe("held");
    expect(checkOf(past, "blocks")).toMatchObject({ tripped: true, figures: { blocks: 11, usersInFeed: 100 } });
    expect(past.log).toContain(
      "SAFETY blocks: TRIPPED (holds the run). The plan blocks 11 users (11.0% of the 100 users in the feed before this run); the bound is 500 users or 10%.",
    );
    expect(past.log).toContain("block u0090");
    expect(await activeCount()).toBe(100);
  });

  test("blocks: maxUsers users do not trip, one more does", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(20)) });
    const settings = { blocks: { maxUsers: 5, maxPercent: 100 } };
    expect(checkOf(await applyFeed(store(), CONTROL, { staff: json(people(15)) }, { dryRun: true, safety: checking(settings) }), "blocks").tripped).toBe(false);
    const past = await applyFeed(store(), CONTROL, { staff: json(people(14)) }, { safety: checking(settings) });
    expect(checkOf(past, "blocks")).toMatchObject({ tripped: true, figures: { blocks: 6 } });
    expect(past.status).toBe("held");
  });

  test("file change: a size exactly 10 % larger passes, one byte more trips; exactly 1/1.1 smaller passes, one byte less trips", async () => {
    const records = people(10);
    await applyFeed(store(), CONTROL, { staff: padded(records, 2000) });
    const settings = { fileChange: { maxPercent: 10 } };
    const grown = await applyFeed(store(), CONTROL, { staff: padded(records, 2200) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(grown, "file-change").tripped).toBe(false);
    const tooBig = await applyFeed(store(), CONTROL, { staff: padded(records, 2201) }, { safety: checking(settings) });
    expect(tooBig.status).toBe("held");
    expect(checkOf(tooBig, "file-change")).toMatchObject({
      tripped: true,
      figures: { files: { staff: { size: 2201, previousSize: 2000, records: 10, previousRecords: 10, sizeChange: "+10.1%" } } },
      bound: { maxPercent: 10 },
    });
    expect(checkOf(tooBig, "file-change").message).toBe("file staff has 2,201 bytes against 2,000 (+10.1%) in run 1: more than ±10% against the last applied run.");

    await applyFeed(store(), CONTROL, { staff: padded(records, 2200) }); // the new baseline
    expect(checkOf(await applyFeed(store(), CONTROL, { staff: padded(records, 2000) }, { dryRun: true, safety: checking(settings) }), "file-change").tripped).toBe(false);
    expect(checkOf(await applyFeed(store(), CONTROL, { staff: padded(records, 1999) }, { dryRun: true, safety: checking(settings) }), "file-change").tripped).toBe(true);
  });

  test("file change: 10 % more records passes, 11 % trips", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(100)) });
    const settings = { fileChange: { maxPercent: 10 } };
    const atBound = await applyFeed(store(), CONTROL, { staff: json(people(110)) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(atBound, "file-change")).toMatchObject({ tripped: false, figures: { files: { staff: { records: 110, previousRecords: 100 } } } });
    const past = await applyFeed(store(), CONTROL, { staff: json(people(111)) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(past, "file-change").tripped).toBe(true);
    expect(checkOf(past, "file-change").message).toContain("111 records against 100 (+11.0%)");
  });

  test("file change compares with the last APPLIED run, not with a held, failed or dry run in between (Haplo bug §9.9)", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(100)) });
    const settings = { fileChange: { maxPercent: 10 } };
    const truncated = await applyFeed(store(), CONTROL, { staff: json(people(30)) }, { safety: checking(settings) });
    expect(truncated.status).toBe("held");
    await applyFeed(store(), CONTROL, { staff: json(people(20)) }, { dryRun: true });
    const broken = await applyFeed(store(), CONTROL, { staff: "[{" });
    expect(broken.status).toBe("failure");
    const good = await applyFeed(store(), CONTROL, { staff: json(people(100)) }, { safety: checking(settings) });
    expect(good.status).toBe("complete");
    expect(checkOf(good, "file-change")).toMatchObject({ tripped: false, figures: { files: { staff: { baselineRun: 1, previousRecords: 100 } } } });
  });

  test("the preflight (no plan) holds the first run and a file whose size swung, and passes otherwise", async () => {
    const dir = mkdtempSync(join(tmpdir(), "usersync-preflight-"));
    const control = loadControl(CONTROL, DEFAULT_SETTINGS);
    const ready = async (records: object[], bytes: number) => {
      const path = join(dir, `staff-${bytes}.json`);
      writeFileSync(path, padded(records, bytes));
      return createRunFromFiles(store(), control, [{ name: "staff", path }], { source: "test" });
    };
    const settings = only({ firstRun: {}, fileChange: { maxPercent: 10 } });
    const first = await preflightChecks(store().db, await ready(people(5), 1000), settings);
    expect(first.held).toBe(true);
    expect(first.checks.map((c) => [c.name, c.tripped])).toEqual([["first-run", true], ["file-change", false]]);
    await applyFeed(store(), CONTROL, { staff: padded(people(5), 1000) });
    expect((await preflightChecks(store().db, await ready(people(5), 1100), settings)).held).toBe(false);
    const swung = await preflightChecks(store().db, await ready(people(5), 1101), settings);
    expect(swung).toMatchObject({ held: true, hold: "run" });
    expect(swung.checks[1]).toMatchObject({ name: "file-change", tripped: true, figures: { files: { staff: { size: 1101, previousSize: 1000, records: null } } } });
  });

  test("schema drift: a field read before and now absent from every record trips; present in one record passes", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(20, 1, () => ({ job: "Reader" }))) });
    const settings = { schemaDrift: {} };
    const one = await applyFeed(store(), CONTROL, { staff: json([...people(1, 1, () => ({ job: "Reader" })), ...people(19, 2)]) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(one, "schema-drift").tripped).toBe(false);
    const gone = await applyFeed(store(), CONTROL, { staff: json(people(20)) }, { safety: checking(settings) });
    expect(gone.status).toBe("held");
    expect(checkOf(gone, "schema-drift")).toMatchObject({ tripped: true, figures: { absent: [{ file: "staff", field: "job", previouslyPresent: 20, baselineRun: 1 }] } });
    expect(checkOf(gone, "schema-drift").message).toBe(
      '"job" is absent from every record of file staff (it was in 20 records in run 1): a column or field the control file reads has vanished.',
    );
  });

  test("schema drift: a TSV column that vanished, and a username column missing from every record", async () => {
    const control = simpleControl([{ source: "job", destination: "profile", name: "std:attribute:job-title" }], { staff: { read: "tsv-with-name-row" } });
    await applyFeed(store(), control, { staff: "id\tfirst\tlast\temail\tjob\nA1\tAda\tL\ta1@example.org\tReader\nA2\tBo\tL\ta2@example.org\tClerk\n" });
    const noJob = await applyFeed(store(), control, { staff: "id\tfirst\tlast\temail\nA1\tAda\tL\ta1@example.org\nA2\tBo\tL\ta2@example.org\n" }, { safety: checking({ schemaDrift: {} }) });
    expect(checkOf(noJob, "schema-drift").figures).toMatchObject({ absent: [{ file: "staff", field: "job", previouslyPresent: 2 }] });
    const renamed = await applyFeed(store(), control, { staff: "login\tfirst\tlast\temail\tjob\nA1\tAda\tL\ta1@example.org\tReader\n" }, { safety: checking({ schemaDrift: {} }) });
    expect(renamed.status).toBe("held");
    expect(checkOf(renamed, "schema-drift").message).toContain('"id" is absent from every record of file staff');
    expect(await activeCount()).toBe(2);
  });

  test("field change: 10 % of known users with a new email passes, 11 % trips; below minUsers never trips", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(100)) });
    const settings = { fieldChange: { maxPercent: 10, minUsers: 10 } };
    const newEmail = (upTo: number) => (n: number) => (n <= upTo ? { email: `new${n}@example.org` } : {});
    const atBound = await applyFeed(store(), CONTROL, { staff: json(people(100, 1, newEmail(10))) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(atBound, "field-change")).toMatchObject({ tripped: false, figures: { knownUsers: 100 } });
    expect((checkOf(atBound, "field-change").figures as any).changedUsers.email).toBe(10);
    const past = await applyFeed(store(), CONTROL, { staff: json(people(100, 1, newEmail(11))) }, { safety: checking(settings) });
    expect(past.status).toBe("held");
    expect(checkOf(past, "field-change").message).toContain("email changes for 11 of the 100 known users (11.0%)");
    expect((await store().db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE email LIKE 'new%'"))[0]!.n).toBe(0);

    const few = await applyFeed(store(), CONTROL, { staff: json(people(100, 1, newEmail(11))) }, { dryRun: true, safety: checking({ fieldChange: { maxPercent: 10, minUsers: 12 } }) });
    expect(checkOf(few, "field-change").tripped).toBe(false);
    const otherField = await applyFeed(store(), CONTROL, { staff: json(people(100, 1, newEmail(50))) }, { dryRun: true, safety: checking({ fieldChange: { fields: ["nameLast"] } }) });
    expect(checkOf(otherField, "field-change").tripped).toBe(false);
  });

  test("errors: a rise of 5 % of the records rejected passes, more trips", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(200)) });
    const settings = { errors: { maxPercent: 5, minRecords: 10 } };
    const bad = (upTo: number) => (n: number) => (n <= upTo ? { email: "broken" } : {});
    const atBound = await applyFeed(store(), CONTROL, { staff: json(people(200, 1, bad(10))) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(atBound, "errors")).toMatchObject({
      tripped: false,
      figures: { errors: 10, previous: 0, rise: 10, records: 200, baselineRun: 1 },
      bound: { maxPercent: 5, minRecords: 10 },
    });
    const past = await applyFeed(store(), CONTROL, { staff: json(people(200, 1, bad(11))) }, { safety: checking(settings) });
    expect(past.status).toBe("held");
    expect(checkOf(past, "errors").message).toBe(
      "11 records rejected of 200 records (5.5%) against 0 in run 1: a rise of 11 (5.5% of the records); the bound is a rise of 5% (checked from 10 records).",
    );
  });

  test("errors: a steady rate of bad records is no surge; a rise on top of it is", async () => {
    const bad = (upTo: number) => (n: number) => (n <= upTo ? { email: "broken" } : {});
    await applyFeed(store(), CONTROL, { staff: json(people(200, 1, bad(30))) }); // 15 % rejected, applied
    const settings = { errors: { maxPercent: 5, minRecords: 10 } };
    const steady = await applyFeed(store(), CONTROL, { staff: json(people(200, 1, bad(30))) }, { safety: checking(settings) });
    expect(steady.status).toBe("complete");
    expect(checkOf(steady, "errors")).toMatchObject({ tripped: false, figures: { errors: 30, previous: 30, rise: 0 } });
    const atBound = await applyFeed(store(), CONTROL, { staff: json(people(200, 1, bad(40))) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(atBound, "errors")).toMatchObject({ tripped: false, figures: { rise: 10 } });
    const rise = await applyFeed(store(), CONTROL, { staff: json(people(200, 1, bad(41))) }, { safety: checking(settings) });
    expect(rise.status).toBe("held");
    expect(checkOf(rise, "errors")).toMatchObject({ tripped: true, figures: { errors: 41, previous: 30, rise: 11 } });
  });

  test("duplicates: a rise to 5 % duplicate usernames passes with maxPercent 5, 6 % trips", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(100)) });
    const settings = { duplicates: { maxPercent: 5, minRecords: 1 } };
    const withDuplicates = (dups: number) => json([...people(100 - dups), ...people(dups)]);
    const atBound = await applyFeed(store(), CONTROL, { staff: withDuplicates(5) }, { dryRun: true, safety: checking(settings) });
    expect(checkOf(atBound, "duplicates")).toMatchObject({ tripped: false, figures: { duplicates: 5, rise: 5, records: 100 } });
    const past = await applyFeed(store(), CONTROL, { staff: withDuplicates(6) }, { safety: checking(settings) });
    expect(past.status).toBe("held");
    expect(checkOf(past, "duplicates").figures).toMatchObject({ duplicates: 6, records: 100 });
    // the errors check does not count duplicates twice
    expect(checkOf(await applyFeed(store(), CONTROL, { staff: withDuplicates(6) }, { dryRun: true, safety: checking({ errors: { minRecords: 1 } }) }), "errors").figures).toMatchObject({ errors: 0 });
  });

  test("a check set to warn records the trip but holds nothing", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const run = await applyFeed(store(), CONTROL, { staff: json(people(5)) }, { safety: checking({ blocks: { onTrip: "warn" } }) });
    expect(run.status).toBe("complete");
    expect(run.safety).toMatchObject({ held: false });
    expect(checkOf(run, "blocks").tripped).toBe(true);
    expect(run.log).toContain(
      "SAFETY blocks: TRIPPED (warning only). The plan blocks 5 users (50.0% of the 10 users in the feed before this run); the bound is 500 users or 10%.",
    );
    expect(await activeCount()).toBe(5);
  });

  test("a held run keeps its plan and verdict, applies nothing, and records its files' record counts", async () => {
    await applyFeed(store(), CONTROL, { staff: json(people(10)) });
    const before = await dumpStore(store());
    const run = await applyFeed(store(), CONTROL, { staff: json([...people(4), person("NEW1")]) }, { safety: checking({ blocks: {} }) });
    expect(run.status).toBe("held");
    expect(await dumpStore(store())).toBe(before);
    const [row] = await store().db.query<any>("SELECT status, safety, counts, message, applied_at FROM runs WHERE id = $1", [run.runId]);
    expect(row).toMatchObject({ status: "held", applied_at: null, message: "Held by safety checks (blocks): nothing was applied" });
    expect(row.safety).toMatchObject({ held: true, hold: "run", checks: [{ name: "blocks", tripped: true, bound: { maxUsers: 500, maxPercent: 10 } }] });
    expect(row.counts).toMatchObject({ create: 1, block: 6, unchanged: 4 });
    expect(run.log).toContain("create new1");
    expect(run.log).toContain("6 users would be blocked (not applied)");
    expect(run.log.some((l) => l.startsWith("HELD: Held by safety checks (blocks): nothing was applied."))).toBe(true);
    const [file] = await store().db.query<{ record_count: number }>("SELECT record_count FROM run_files WHERE run_id = $1 AND name = 'staff'", [run.runId]);
    expect(file!.record_count).toBe(5);
  });
});
