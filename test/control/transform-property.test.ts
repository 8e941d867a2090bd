// Whatever a feed sends — wrong types, nesting where a value was expected, values where a list was
// expected, huge or odd strings — the compiled control file never throws: a record maps, or it
// has errors. Checked with random records over a control file that uses every instruction and
// every data type.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadControl } from "../../src/control/index.ts";
import { lookups } from "./helpers.ts";

const TYPES = ["text", "boolean", "datetime", "ref", "object-type", "json", "email-address", "url", "telephone-number", "text-paragraph", "text-multiline", "configuration-name", "isbn", "integer", "number"];
const attributes = TYPES.map((type) => ({ code: `test:attribute:${type}`, type }));
const SOURCES = ["constructor", "toString", "__proto__", "id", "first", "last", "email", "title", "groups", "roles", "name", "address", "status", "n", ...TYPES];

const everything = loadControl(
  JSON.stringify({
    dataImportControlFileVersion: 0,
    model: "haplo:user-sync",
    files: { feed: { read: "json" } },
    instructions: [
      { source: "id", destination: "user", name: "username", filters: ["haplo:to-lower-case"] },
      { source: "first", destination: "user", name: "nameFirst", mapInputValue: { X: "Ex" }, mapInputValueDefault: null },
      { source: "last", destination: "user", name: "nameLast", filters: ["haplo:to-string"] },
      { source: "email", destination: "user", name: "email" },
      { source: "title", destination: "user", name: "title" },
      { source: "constructor", destination: "user:tags", name: "c" },
      { action: "for-each", source: "groups", wrapValues: true, instructions: [{ source: "value", destination: "user", name: "groups", multivalue: true }] },
      { action: "for-each", source: "roles", instructions: [{ source: "code", destination: "user", name: "groups", multivalue: true }] },
      { action: "within", source: "name", instructions: [
        { source: "first", destination: "value:person-name", name: "first" },
        { source: "last", destination: "value:person-name", name: "last" },
      ] },
      { action: "field-structured", structured: "value:person-name", destination: "profile", name: "dc:attribute:title", qualifier: "dc:qualifier:alternative" },
      { action: "within", source: "address", instructions: [
        { source: "street", destination: "value:postal-address", name: "street1" },
        { source: "country", destination: "value:postal-address", name: "country" },
      ] },
      { action: "if-exists", source: "address", then: [{ action: "field-structured", structured: "value:postal-address", destination: "profile", name: "std:attribute:address" }] },
      { action: "if-value-one-of", source: "status", values: ["GONE", 0, "", null], then: [{ action: "abort-record", message: "gone" }], else: [{ action: "log-error", message: "kept" }] },
      { action: "if-has-value", destination: "profile", name: "std:attribute:job-title", else: [{ action: "set-value", destination: "profile", name: "std:attribute:job-title", value: "Staff" }] },
      { action: "remove-values", destination: "profile", name: "std:attribute:telephone" },
      { source: "n", destination: "user:tags", name: "n" },
      { source: "ref", destination: "profile", name: "test:attribute:ref", refMapping: "m" },
      { source: "ref", destination: "profile", name: "std:attribute:works-for", filters: ["haplo:code-to-ref"], multivalue: true },
      { source: "ref", destination: "profile", name: "std:attribute:member-of", filters: ["haplo:username-to-ref"], multivalue: true },
      { source: "ref", destination: "profile", name: "std:attribute:expertise", filters: ["haplo:email-to-ref"], multivalue: true },
      { source: "ref", destination: "profile", name: "std:attribute:relationship-manager", filters: ["haplo:string-to-ref"], multivalue: true },
      { source: "url", destination: "profile", name: "std:attribute:url", filters: ["haplo:fix-up-url", "haplo:to-upper-case"] },
      ...TYPES.filter((t) => t !== "ref").map((type) => ({
        source: type,
        destination: "profile",
        name: `test:attribute:${type}`,
        multivalue: true,
        ...(type === "datetime" ? { dateFormat: "dd/MM/yyyy HH:mm" } : {}),
        ...(type === "telephone-number" ? { country: "US" } : {}),
        ...(type === "boolean" ? { trueValue: "Y" } : {}),
      })),
    ],
    mapping: { m: { types: ["x:type"], using: "behaviour", values: { A: "x:a", B: "x:b" } } },
  }),
  { profileAttributes: attributes, userTags: ["n", "c"], lookups: lookups({ behaviours: { "x:a": 1 }, usernames: { a: 2 }, emails: { "a@b": 3 } }) },
);

const realistic = loadControl(readFileSync(join(import.meta.dir, "..", "fixtures", "control", "realistic", "control.json"), "utf8"), {
  profileAttributes: [{ code: "hres:attribute:research-institute", type: "ref" }],
  lookups: lookups({ behaviours: { "example:research-institute:chemistry": 1 } }),
});

/** Values a feed might send, odd ones included. */
const value = fc.oneof(
  { depthSize: "small" },
  fc.jsonValue(),
  fc.constantFrom("", "0", "A", "GONE", "Y", "true", "+44 20 7946 0000", "10/02/2018 14:05", "x@y", "example.org", "__proto__", "constructor", "toString"),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("first", "last", "street", "country", "code", "value"), fc.jsonValue(), { maxKeys: 4 }),
);
const record = fc.oneof(
  fc.dictionary(fc.constantFrom(...SOURCES, "PersonId", "Forename", "Surname", "Mail", "Category", "ExtraGroups", "FormalName", "Phone", "DeptCode", "Status"), value, { maxKeys: 14 }),
  fc.jsonValue(),
);

test("random records never make the transformer throw, and its output is plain JSON", () => {
  fc.assert(
    fc.property(record, (r) => {
      for (const control of [everything, realistic]) {
        const username = control.instructions.extractUsername!(r);
        expect(username === undefined || typeof username === "string").toBe(true);
        const result = control.transform(r);
        expect(typeof result.complete).toBe("boolean");
        expect(result.errors.every((e) => typeof e === "string")).toBe(true);
        const out = JSON.parse(JSON.stringify({ user: result.user, tags: result.tags, profile: result.profile.toAttributes(), edits: result.profile.edits }));
        expect(out.user).toBeDefined();
      }
    }),
    { numRuns: 3000 },
  );
});

test("the same record always gives the same output (no state leaks between records)", () => {
  fc.assert(
    fc.property(record, record, (a, b) => {
      const first = JSON.stringify(everything.transform(a));
      everything.transform(b);
      expect(JSON.stringify(everything.transform(a))).toBe(first);
    }),
    { numRuns: 500 },
  );
});
