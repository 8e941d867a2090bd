// The web UI's small parts, each on its own: CSV cells, download names, record and line diffs,
// the file diff's counting, key fingerprints and secret redaction.
import { describe, expect, test } from "bun:test";
import { loadControl } from "../../src/control/index.ts";
import { csvCell, csvRow } from "../../src/web/ui/csv.ts";
import { contentDisposition } from "../../src/web/ui/download.ts";
import { diffFeedFiles } from "../../src/web/ui/file-diff.ts";
import { lineDiff } from "../../src/web/ui/line-diff.ts";
import { diffRecords } from "../../src/web/ui/record-diff.ts";
import { keyFingerprint, redact } from "../../src/web/ui/settings.tsx";
import { changeText } from "../../views/values.ts";
import { simpleControl } from "../helpers/feeds.ts";

describe("CSV cells", () => {
  test("quotes every cell and doubles quotes inside", () => {
    expect(csvRow(["a", 'say "hi"', 3, null, "line\nbreak"])).toBe('"a","say ""hi""","3","","line\nbreak"\r\n');
  });
  test("defuses cells a spreadsheet would run as a formula", () => {
    for (const v of ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"]) expect(csvCell(v)).toBe(`"'${v}"`);
    expect(csvCell("ERROR: =x")).toBe('"ERROR: =x"');
  });
});

describe("download file names", () => {
  test("an ordinary name passes as it is, in both forms", () => {
    expect(contentDisposition("run-3-staff.json")).toBe(`attachment; filename="run-3-staff.json"; filename*=UTF-8''run-3-staff.json`);
  });
  test("quotes, line breaks, paths and non-ASCII never reach the header raw", () => {
    const header = contentDisposition('a/b\\c"\r\nSet-Cookie: x=1;é.csv');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toMatch(/^attachment; filename="[A-Za-z0-9._-]+"; filename\*=UTF-8''[A-Za-z0-9%._-]+$/);
    expect(decodeURIComponent(header.split("''")[1]!)).toBe('c"\r\nSet-Cookie: x=1;é.csv');
    expect(contentDisposition("..")).toMatch(/filename="_/);
  });
});

describe("record differences", () => {
  test("nested fields are compared by path: added, removed and changed", () => {
    expect(diffRecords({ a: 1, b: { c: "x", d: [1, 2] }, gone: true }, { a: 1, b: { c: "y", d: [1, 2, 3] }, new: "n" })).toEqual([
      { path: "b.c", kind: "changed", before: "x", after: "y" },
      { path: "gone", kind: "removed", before: true },
      { path: "b.d[2]", kind: "added", after: 3 },
      { path: "new", kind: "added", after: "n" },
    ]);
  });
  test("the same data in another order is no change", () => {
    expect(diffRecords({ a: 1, b: 2 }, { b: 2, a: 1 })).toEqual([]);
  });
  test("logged typed values read as text", () => {
    expect(changeText([{ t: "text", v: "Reader" }])).toBe("Reader");
    expect(changeText([{ t: "telephone-number", v: { number: "07700 900999", country: "GB", international: "+44 7700 900999" }, q: "std:qualifier:mobile" }])).toBe(
      "+44 7700 900999 (mobile)",
    );
    expect(changeText({ t: "person-name", v: { first: "Ada", last: "Lovelace" } })).toBe("Ada Lovelace");
    expect(changeText(["staff", "students"])).toBe("staff, students");
  });
});

describe("line differences", () => {
  test("folds unchanged stretches to three lines of context around each change", () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n");
    const after = before.replace("line 10", "line ten");
    const { rows, added, removed } = lineDiff(before, after);
    expect([added, removed]).toEqual([1, 1]);
    expect(rows.map((r) => (r.kind === "gap" ? `… ${r.text}` : `${r.kind} ${r.text}`))).toEqual([
      "… 6 unchanged lines",
      "same line 7",
      "same line 8",
      "same line 9",
      "del line 10",
      "add line ten",
      "same line 11",
      "same line 12",
      "same line 13",
      "… 7 unchanged lines",
    ]);
  });
});

describe("the file diff", () => {
  const control = loadControl(simpleControl());
  const file = (records: object[]) => ({
    control,
    spec: control.files.staff!,
    open: async function* () {
      yield new TextEncoder().encode(JSON.stringify(records));
    },
  });
  const p = (id: string, more: object = {}) => ({ id, first: "F", last: "L", email: `${id}@x.org`, ...more });

  test("keys records by the username the control file extracts, normalised, and counts every kind", async () => {
    const older = [p("a"), p("b"), p("c", { first: "C" }), p("d")];
    const newer = [p("A"), p("c", { first: "Cee" }), p("e"), { first: "no id" }, p("e", { first: "again" }), { last: "L", email: "d@x.org", first: "F", id: "d" }];
    const diff = await diffFeedFiles(file(older), file(newer));
    // "A" is user a (usernames are compared normalised), but the record's text changed; d only changed its key order
    expect(diff.counts).toEqual({ before: 4, after: 6, added: 1, removed: 1, changed: 2, unchanged: 1, withoutUsername: 1, duplicates: 1 });
    expect(diff.added).toEqual([{ username: "e", record: p("e") }]);
    expect(diff.removed).toEqual([{ username: "b", record: p("b") }]);
    expect(diff.changed).toEqual([
      {
        username: "a",
        fields: [
          { path: "id", kind: "changed", before: "a", after: "A" },
          { path: "email", kind: "changed", before: "a@x.org", after: "A@x.org" },
        ],
      },
      { username: "c", fields: [{ path: "first", kind: "changed", before: "C", after: "Cee" }] },
    ]);
  });

  test("shows at most `cap` records of each kind but counts them all", async () => {
    const older = Array.from({ length: 30 }, (_, i) => p(`o${i}`));
    const newer = Array.from({ length: 40 }, (_, i) => p(`n${i}`));
    const diff = await diffFeedFiles(file(older), file(newer), 5);
    expect([diff.counts.added, diff.counts.removed, diff.added.length, diff.removed.length]).toEqual([40, 30, 5, 5]);
  });
});

describe("uploaders and configuration", () => {
  test("a public key is shown by its OpenSSH SHA256 fingerprint", () => {
    // ssh-keygen -lf gives SHA256:<base64 of SHA-256 of the key blob, unpadded>
    const blob = "AAAAC3NzaC1lZDI1NTE5AAAAIHf3Zl0kXzEJm5ZRjt+vl4lqjYeZYq0I8qZJZ5iP3WOw";
    const expected = `SHA256:${new Bun.CryptoHasher("sha256").update(Buffer.from(blob, "base64")).digest("base64").replace(/=+$/, "")}`;
    expect(keyFingerprint(`ssh-ed25519 ${blob} hr@example`)).toEqual({ type: "ssh-ed25519", fingerprint: expected, comment: "hr@example" });
    expect(keyFingerprint("not a key").type).toBe("unreadable key");
  });
  test("values under secret-sounding names are hidden, at any depth", () => {
    expect(redact({ email: "ops@x", smtp: { host: "h", password: "p", apiKey: "k" }, list: [{ token: "t" }] })).toEqual({
      email: "ops@x",
      smtp: { host: "h", password: "(hidden)", apiKey: "(hidden)" },
      list: [{ token: "(hidden)" }],
    });
  });
});
