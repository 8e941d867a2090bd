// Erasing one person from stored history (usersync erase-person): their received data, their log
// details and undo images, and their records in every stored batch file — JSON arrays and TSV
// rewritten without them, everyone else's records untouched — with the uploaded digest kept.
import { expect, test } from "bun:test";
import { READERS } from "../../src/control/index.ts";
import { erasePerson, ErasureError, eraseFromFile } from "../../src/ops/erasure.ts";
import type { Store } from "../../src/store/index.ts";
import { applyFeed, DEFAULT_SETTINGS, json, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";

const control = simpleControl([], { staff: { read: "json" }, students: { read: "tsv-with-name-row" } });
const tsv = (rows: string[][]) => ["id\tfirst\tlast\temail\tgroups", ...rows.map((r) => r.join("\t"))].join("\n") + "\n";
const student = (id: string) => [id, `First ${id}`, `Last ${id}`, `${id}@example.org`, "students"];

/** Every place history is kept, as text, to search for a name. */
async function history(store: Store): Promise<string> {
  const parts: string[] = [];
  for (const table of ["received_records", "run_events", "run_changes", "audit_log"])
    parts.push(JSON.stringify(await store.db.query(`SELECT row_to_json(t)::text AS r FROM ${table} t`)));
  return parts.join("\n");
}

async function storedFiles(store: Store, name: string) {
  return store.db.query<{ run_id: number; digest: string; original_digest: string | null; removed_reason: string | null }>(
    "SELECT run_id, digest, original_digest, removed_reason FROM run_files WHERE name = $1 ORDER BY run_id",
    [name],
  );
}

describeEachBackend("erase-person", [{ code: "staff", managed: true }, { code: "students", managed: true }], (t) => {
  async function twoRuns() {
    const { store } = t();
    const r1 = await applyFeed(store, control, {
      staff: json([person("ann"), person("Bob"), person("cat")]),
      students: tsv([student("dan"), student("eve")]),
    });
    const r2 = await applyFeed(store, control, {
      staff: json([person("ann"), person("Bob", { last: "Newname" }), person("cat")]),
      students: tsv([student("dan"), student("eve"), student("fay")]),
    });
    expect(r2.counts).toMatchObject({ create: 1, update: 1 });
    return [r1.runId, r2.runId] as const;
  }

  test("erases a person's received data, log details, undo images and records in stored JSON files", async () => {
    const { store } = t();
    await twoRuns();
    const before = await storedFiles(store, "staff");
    const annText = JSON.stringify(person("ann"));
    expect(await history(store)).toContain("bob");

    const result = await erasePerson(store, "BOB", { settings: DEFAULT_SETTINGS, actor: "test" });
    expect(result).toMatchObject({ username: "bob", receivedRecords: 2, undoImages: 2, filesRewritten: 2, filesRemoved: 0, accountExists: true, accountDeleted: false });
    expect(result.logLines).toBeGreaterThanOrEqual(2);

    expect((await history(store)).toLowerCase()).not.toContain("bob");
    const [audit] = await store.db.query<{ target: string }>("SELECT target FROM audit_log WHERE action = 'erase-person'");
    expect(audit!.target).toBe(`sha256:${new Bun.CryptoHasher("sha256").update("bob").digest("hex")}`);

    const after = await storedFiles(store, "staff");
    for (const [i, file] of after.entries()) {
      expect(file.original_digest).toBe(before[i]!.digest);
      expect(file.digest).not.toBe(before[i]!.digest);
      expect(store.files.has(before[i]!.digest)).toBe(false); // the uploaded bytes are gone
      const text = await store.files.text(file.digest);
      expect(text.toLowerCase()).not.toContain("bob");
      expect(text).toContain(annText); // everyone else's records, byte for byte
      const records: unknown[] = [];
      for await (const batch of READERS.json!.read(store.files.stream(file.digest), { read: "json" })) records.push(...batch.records);
      expect(records.map((r) => (r as { id: string }).id)).toEqual(["ann", "cat"]);
    }
    // The student files did not hold bob: untouched.
    expect((await storedFiles(store, "students")).every((f) => f.original_digest === null)).toBe(true);
    // The account is current data, kept.
    expect((await store.db.query("SELECT 1 FROM users WHERE username = 'bob'")).length).toBe(1);
    // Erasing again finds nothing left.
    expect(await erasePerson(store, "bob", { settings: DEFAULT_SETTINGS, actor: "test" })).toMatchObject({ receivedRecords: 0, logLines: 0, filesRewritten: 0 });
  });

  test("rewrites TSV files without the person's line, keeping the header and everyone else", async () => {
    const { store } = t();
    await twoRuns();
    const result = await erasePerson(store, "eve", { settings: DEFAULT_SETTINGS, actor: "test" });
    expect(result).toMatchObject({ filesRewritten: 2, filesRemoved: 0 });
    const [first, second] = await storedFiles(store, "students");
    expect(await store.files.text(first!.digest)).toBe(tsv([student("dan")]));
    expect(await store.files.text(second!.digest)).toBe(tsv([student("dan"), student("fay")]));
  });

  test("a log line that quotes the name without being the person's own loses the name, and only the name", async () => {
    const { store } = t();
    await twoRuns();
    // A record without a username: its error line quotes the record, which names bob; and "bobby" is someone else.
    const run = await applyFeed(store, control, {
      staff: json([person("ann"), person("Bob"), person("cat"), { first: "Bob", last: "NoId", email: "x@example.org" }, person("bobby")]),
      students: tsv([student("dan")]),
    });
    const before = await store.db.query<{ message: string }>("SELECT message FROM run_events WHERE run_id = $1 AND username IS NULL AND message LIKE 'ERROR: No username%'", [run.runId]);
    expect(before[0]!.message).toContain('"first":"Bob"');
    await erasePerson(store, "bob", { settings: DEFAULT_SETTINGS, actor: "test" });
    const [after] = await store.db.query<{ message: string; detail: unknown }>("SELECT message, detail FROM run_events WHERE run_id = $1 AND message LIKE 'ERROR: No username%'", [run.runId]);
    expect(after!.message).toContain('"first":"[erased]"');
    expect(after!.detail).not.toBeNull(); // not their line: only the name went
    expect((await store.db.query("SELECT 1 FROM run_events WHERE username = 'bobby'")).length).toBeGreaterThan(0);
    expect((await store.db.query("SELECT 1 FROM received_records WHERE username = 'bobby'")).length).toBe(1);
  });

  test("a dry run says what would be erased and changes nothing", async () => {
    const { store } = t();
    await twoRuns();
    const before = await history(store);
    const files = await storedFiles(store, "staff");
    const dry = await erasePerson(store, "bob", { settings: DEFAULT_SETTINGS, dryRun: true, actor: "test" });
    expect(dry).toMatchObject({ dryRun: true, receivedRecords: 2, filesRewritten: 2 });
    expect(await history(store)).toBe(before);
    expect(await storedFiles(store, "staff")).toEqual(files);
  });

  test("--delete-account deletes the account only once the sync has blocked it", async () => {
    const { store } = t();
    await twoRuns();
    await expect(erasePerson(store, "cat", { settings: DEFAULT_SETTINGS, deleteAccount: true, actor: "test" })).rejects.toThrow(ErasureError);
    expect((await store.db.query("SELECT 1 FROM users WHERE username = 'cat'")).length).toBe(1);
    // cat leaves the feed and is blocked by the sync; now the account can go too.
    await applyFeed(store, control, { staff: json([person("ann"), person("Bob")]), students: tsv([student("dan")]) });
    const result = await erasePerson(store, "cat", { settings: DEFAULT_SETTINGS, deleteAccount: true, actor: "test" });
    expect(result.accountDeleted).toBe(true);
    expect((await store.db.query("SELECT 1 FROM users WHERE username = 'cat'")).length).toBe(0);
    expect((await store.db.query("SELECT 1 FROM sync_ledger WHERE username = 'cat'")).length).toBe(0);
    expect((await history(store)).toLowerCase()).not.toContain("cat@");
  });
});

test("a JSON object of records and a multi-line CSV record are rewritten without the person; XML cannot be, so the caller deletes it whole", async () => {
  const isBob = (r: unknown) => ((r as { id?: string }).id ?? "").toLowerCase() === "bob";
  const bytes = (text: string) => new TextEncoder().encode(text);
  const text = (rewrite: { bytes: Uint8Array } | null) => new TextDecoder().decode(rewrite!.bytes);

  const object = await eraseFromFile(bytes(JSON.stringify({ a: { id: "ann" }, b: { id: "bob" } })), { read: "json" }, isBob);
  expect(JSON.parse(text(object))).toEqual({ a: { id: "ann" } });

  const csv = 'id,note\nann,"first\nline"\nbob,"two\nlines here"\ncat,plain\n';
  const rewritten = await eraseFromFile(bytes(csv), { read: "csv" }, isBob);
  expect(rewritten!.removed).toBe(1);
  expect(text(rewritten)).toBe('id,note\nann,"first\nline"\ncat,plain\n');

  const xml = '<users><user id="ann"/><user id="bob"/></users>';
  expect(await eraseFromFile(bytes(xml), { read: "xml-attributes" }, isBob)).toBeNull();
  // A file that does not hold the person is left as it is, whatever its format.
  const without = bytes('<users><user id="ann"/></users>');
  expect(await eraseFromFile(without, { read: "xml-attributes" }, isBob)).toEqual({ bytes: without, removed: 0 });
});
