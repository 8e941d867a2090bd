// Reference §9 item 1: every path by which Haplo read "zero usable records" and blocked everyone.
// With the default safety settings, none of them blocks anyone: each leaves a held run that says
// exactly why. On PGlite and PostgreSQL.
//
// "XML with a comment before the root element" needs the XML readers, written on another branch
// (src/control/readers/xml.ts): those tests are skipped until xml-text-of-children is merged, and
// then run as they are.
import { expect, test } from "bun:test";
import { READERS } from "../../src/control/index.ts";
import { DEFAULT_SAFETY, planSafetyCheck } from "../../src/engine/index.ts";
import { applyFeed, dumpStore, json, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";
import { checkOf, people } from "./helpers.ts";

const GROUPS = [{ code: "staff", managed: true, profileType: "test:type:staff", pastProfileType: "test:type:staff-past" }];
const JSON_CONTROL = simpleControl();
const TSV_CONTROL = simpleControl([], { staff: { read: "tsv-with-name-row" } });
const safety = planSafetyCheck(DEFAULT_SAFETY);

const tsv = (count: number) =>
  "id\tfirst\tlast\temail\n" + people(count).map((p) => [p.id, p.first, p.last, p.email].join("\t")).join("\n") + "\n";

describeEachBackend("bad feeds block nobody", GROUPS, (t) => {
  const store = () => t().store;
  const activeUsers = async () => (await store().db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE active"))[0]!.n;

  /** An organisation of 50 users, applied normally; then the bad file arrives with the default safety checks on. */
  async function badDelivery(control: string, good: string, bad: string) {
    await applyFeed(store(), control, { staff: good });
    const before = await dumpStore(store());
    const run = await applyFeed(store(), control, { staff: bad }, { safety });
    expect(run.status).toBe("held");
    expect(await activeUsers()).toBe(50);
    expect(await dumpStore(store())).toBe(before);
    return run;
  }

  test("an empty JSON file (0 bytes) is held as unreadable", async () => {
    const run = await badDelivery(JSON_CONTROL, json(people(50)), "");
    expect(checkOf(run, "readable-files")).toMatchObject({ tripped: true, figures: { file: "staff", problem: "The file is empty: no JSON document" } });
    expect(run.log[0]).toBe("ERROR: File staff: The file is empty: no JSON document. Nothing was read from this run, so nothing was applied and no one was blocked.");
    expect(run.message).toBe("Held by safety checks (readable-files): nothing was applied");
  });

  test("an empty JSON array is held: zero records", async () => {
    const run = await badDelivery(JSON_CONTROL, json(people(50)), "[]");
    expect(checkOf(run, "empty-feed").tripped).toBe(true);
    expect(checkOf(run, "blocks")).toMatchObject({ tripped: true, figures: { blocks: 50 } });
  });

  test("a truncated JSON file is held, saying where it ends", async () => {
    const full = json(people(50));
    const run = await badDelivery(JSON_CONTROL, full, full.slice(0, Math.floor(full.length / 2)));
    const check = checkOf(run, "readable-files");
    expect(check.message).toMatch(/^File staff \(line 1\): The JSON document ends early, after \d+ complete record\(s\): the file is truncated or malformed\./);
  });

  test("an empty TSV file and a TSV with only its header row are held", async () => {
    const empty = await badDelivery(TSV_CONTROL, tsv(50), "");
    expect(checkOf(empty, "readable-files").figures).toMatchObject({ problem: "The file is empty: no header line naming the columns" });
    const headerOnly = await applyFeed(store(), TSV_CONTROL, { staff: "id\tfirst\tlast\temail\n" }, { safety });
    expect(headerOnly.status).toBe("held");
    expect(checkOf(headerOnly, "empty-feed").message).toStartWith("File staff parsed to zero records");
    expect(await activeUsers()).toBe(50);
  });

  test("a truncated TSV (cut mid-file) is held by the size and block checks", async () => {
    const full = tsv(50);
    const run = await badDelivery(TSV_CONTROL, full, full.slice(0, Math.floor(full.length * 0.4)));
    expect(checkOf(run, "file-change").tripped).toBe(true);
    expect(checkOf(run, "blocks").tripped).toBe(true);
  });

  test("a TSV whose header starts with a byte-order mark reads normally and blocks no one", async () => {
    await applyFeed(store(), TSV_CONTROL, { staff: tsv(50) });
    const run = await applyFeed(store(), TSV_CONTROL, { staff: `\ufeff${tsv(50)}` }, { safety });
    expect(run.status).toBe("complete");
    expect(run.counts).toMatchObject({ unchanged: 50, block: 0, reject: 0 });
    expect(checkOf(run, "schema-drift").tripped).toBe(false);
  });

  test("a control file whose username field matches no column (every record incomplete) is held", async () => {
    await applyFeed(store(), JSON_CONTROL, { staff: json(people(50)) });
    const mistyped = JSON_CONTROL.replace('"source":"id"', '"source":"ID"');
    const run = await applyFeed(store(), mistyped, { staff: json(people(50)) }, { safety });
    expect(run.status).toBe("held");
    expect(checkOf(run, "empty-feed").message).toContain("none of its 50 records is usable");
    expect(checkOf(run, "schema-drift").message).toContain('"ID" is absent from every record of file staff (it holds the usernames)');
    expect(await activeUsers()).toBe(50);
  });

  test("an optional column renamed at the source (job → Job) is held as schema drift", async () => {
    const control = simpleControl([{ source: "job", destination: "profile", name: "std:attribute:job-title" }]);
    await applyFeed(store(), control, { staff: json(people(50, 1, () => ({ job: "Reader" }))) });
    const run = await applyFeed(store(), control, { staff: json(people(50, 1, () => ({ Job: "Reader" }))) }, { safety });
    expect(run.status).toBe("held");
    expect(checkOf(run, "schema-drift").message).toBe(
      '"job" is absent from every record of file staff (it was in 50 records in run 1): a column or field the control file reads has vanished.',
    );
  });

  const XML = Boolean(READERS["xml-text-of-children"]);
  const XML_CONTROL = JSON.stringify({
    dataImportControlFileVersion: 0,
    model: "haplo:user-sync",
    files: { staff: { read: "xml-text-of-children" } },
    instructions: ["id", "first", "last", "email"].map((source) => ({ source, destination: "user", name: source === "id" ? "username" : source === "first" ? "nameFirst" : source === "last" ? "nameLast" : "email" })),
  });
  const xml = (count: number, prologue = "") =>
    `<?xml version="1.0" encoding="UTF-8"?>\n${prologue}<people>\n` +
    people(count)
      .map((p) => `  <person><id>${p.id}</id><first>${p.first}</first><last>${p.last}</last><email>${p.email}</email></person>\n`)
      .join("") +
    "</people>\n";

  test.skipIf(!XML)("XML with a comment before the root element reads every record and blocks no one", async () => {
    await applyFeed(store(), XML_CONTROL, { staff: xml(50) });
    const run = await applyFeed(store(), XML_CONTROL, { staff: xml(50, "<!-- exported nightly -->\n") }, { safety });
    expect(run.status).toBe("complete");
    expect(run.counts).toMatchObject({ records: 50, unchanged: 50, block: 0 });
    expect(await activeUsers()).toBe(50);
  });

  test.skipIf(!XML)("a truncated XML file is held", async () => {
    const full = xml(50);
    const run = await badDelivery(XML_CONTROL, full, full.slice(0, Math.floor(full.length / 2)));
    expect(checkOf(run, "readable-files").tripped).toBe(true);
  });
});
