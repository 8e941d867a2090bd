// Haplo's documentation examples (reference §8.2), as fixtures in test/fixtures/control/docs:
// the valid ones pass and do what the documentation says; the ones with its trailing comma fail
// with the line and column; add-value, which the documentation names but the code never had, is
// refused at its JSON path.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkControlText, compileEnvironment, formatProblem, loadControl } from "../../src/control/index.ts";
import { readAll } from "./helpers.ts";

const DIR = join(import.meta.dir, "..", "fixtures", "control", "docs");
const text = (name: string) => readFileSync(join(DIR, name), "utf8");
const check = (name: string) => {
  const result = checkControlText(text(name), compileEnvironment());
  return { ok: result.ok, errors: result.problems.map(formatProblem), warnings: result.warnings.map(formatProblem) };
};

describe("the minimal control file of the documentation", () => {
  test("as documented, its trailing comma is invalid JSON, said with line and column", () => {
    expect(check("minimal-as-documented.json")).toEqual({
      ok: false,
      errors: ["Invalid JSON at line 7, column 9: a property name in double quotes was expected (a trailing comma?)"],
      warnings: [],
    });
  });

  test("without the comma it is valid (DEFAULT only earns a warning) and maps the example input", async () => {
    const result = check("minimal-fixed.json");
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      "warning: files.DEFAULT: In a user sync DEFAULT is only a file name: a run waits for an upload named DEFAULT (name the file after what it holds, e.g. staff)",
    ]);
    const control = loadControl(text("minimal-fixed.json"));
    const { records } = await readAll("json", text("users.json"));
    expect(records.map((r) => control.transform(r)).map((t) => [t.complete, t.user])).toEqual([
      [true, { username: "jbloggs", nameFirst: "Joe", nameLast: "Bloggs", email: "joe@example.org" }],
      [true, { username: "jsmith", nameFirst: "Jane", nameLast: "Smith", email: "jane@example.org" }],
    ]);
  });
});

describe("the user-sync control file of the documentation", () => {
  test("as documented, its trailing comma is invalid JSON", () => {
    expect(check("user-sync-as-documented.json").errors).toEqual([
      "Invalid JSON at line 7, column 9: a property name in double quotes was expected (a trailing comma?)",
    ]);
  });

  test("without the comma, its add-value is refused at its path: Haplo's code never had that action", () => {
    expect(check("user-sync-fixed.json").errors).toEqual([
      'instructions[4].then[0]: Unknown action in instruction: add-value (add-value is now set-value; add "multivalue": true to add to a list rather than replace it)',
    ]);
  });

  test("with set-value, the role puts a researcher in the researchers group", async () => {
    const control = loadControl(text("user-sync-set-value.json"));
    const { records } = await readAll("json", text("users.json"));
    expect(records.map((r) => control.transform(r).user.groups)).toEqual([["example:group:researchers"], undefined]);
  });
});

test("each file format's example reads as the same two records", async () => {
  const expected = [
    { id: "jbloggs", first: "Joe", last: "Bloggs", email: "joe@example.org" },
    { id: "jsmith", first: "Jane", last: "Smith", email: "jane@example.org" },
  ];
  expect((await readAll("json", text("users.lower.json"))).records).toEqual(expected);
  expect((await readAll("xml-text-of-children", text("users.children.xml"))).records).toEqual(expected);
  expect((await readAll("xml-attributes", text("users.attributes.xml"))).records).toEqual(expected);
  expect((await readAll("tsv-with-name-row", text("users.tsv"))).records).toEqual(expected);
});

test("the how-do-I example: for-each with wrapValues reads an array of simple values into a multivalue name", () => {
  const control = loadControl(
    JSON.stringify({
      dataImportControlFileVersion: 0,
      model: "haplo:user-sync",
      files: { users: { read: "json" } },
      instructions: [
        { source: "ID", destination: "user", name: "username" },
        { action: "remove-values", destination: "user", name: "groups" },
        { action: "for-each", source: "indicators", wrapValues: true, instructions: [{ source: "value", destination: "user", name: "groups", multivalue: true }] },
      ],
    }),
  );
  expect(control.transform({ ID: "x", indicators: ["EXAMPLE", "INFORMATION", "FINAL"] }).user.groups).toEqual(["EXAMPLE", "INFORMATION", "FINAL"]);
});

test("the mapping example: a behaviour mapping by project mode", () => {
  const mapping = {
    "project-mode": {
      types: ["example:type:project-mode"],
      using: "behaviour",
      values: { FULL: "example:list:project-mode:full-time", PART: "example:list:project-mode:part-time" },
    },
  };
  const control = loadControl(
    JSON.stringify({
      dataImportControlFileVersion: 0,
      model: "haplo:user-sync",
      files: { users: { read: "json" } },
      instructions: [
        { source: "ID", destination: "user", name: "username" },
        { source: "MODE", destination: "profile", name: "std:attribute:contact-category", refMapping: "project-mode" },
      ],
      mapping,
    }),
    { lookups: { refForBehaviour: (code) => (code === "example:list:project-mode:part-time" ? 41 : undefined), refForTitle: () => undefined, profileRefForUsername: () => undefined, profileRefForEmail: () => undefined } },
  );
  expect(control.transform({ ID: "x", MODE: "PART" }).profile.get("std:attribute:contact-category")).toEqual([{ t: "ref", v: 41 }]);
});
