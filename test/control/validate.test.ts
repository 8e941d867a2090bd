// Validation before any record is read (reference §3.2): Haplo's checks with Haplo's messages, the
// stricter checks where Haplo silently lost data, every problem at once with its JSON path, and
// warnings for what will not do what its author meant.
import { describe, expect, test } from "bun:test";
import { checkControlText, compileEnvironment, formatProblem } from "../../src/control/index.ts";
import { BASICS, controlObject, problemsOf } from "./helpers.ts";

const messages = (value: unknown) => problemsOf(value).errors.map(formatProblem);
const warnings = (value: unknown) => problemsOf(value).warnings.map(formatProblem);
const withInstructions = (instructions: object[], more: Record<string, unknown> = {}) => controlObject([...BASICS, ...instructions], more);

describe("Haplo's checks, with Haplo's messages", () => {
  test("the version", () => {
    const { dataImportControlFileVersion: _, ...noVersion } = withInstructions([]);
    expect(messages(noVersion)).toEqual(["Not a control file"]);
    expect(messages({ ...withInstructions([]), dataImportControlFileVersion: "0" })).toEqual([
      "dataImportControlFileVersion: Bad version of control file, should be 0",
    ]);
  });

  test("the model", () => {
    const { model: _, ...noModel } = withInstructions([]);
    expect(messages(noModel)).toEqual(["Control file does not specify model in the model property"]);
    expect(messages({ ...withInstructions([]), model: "haplo:person" })).toEqual(["model: Model not implemented: haplo:person"]);
  });

  test("instructions and files must be there", () => {
    const { instructions: _, files: __, ...neither } = withInstructions([]);
    expect(messages(neither)).toEqual([
      "Control file does not specify processing instructions in the instructions property",
      "Control file does not have files property",
    ]);
  });

  test("an unknown action, with a hint for the ones Haplo's documentation names", () => {
    expect(messages(withInstructions([{ action: "copy", source: "a" }]))).toEqual(["instructions[4]: Unknown action in instruction: copy"]);
    expect(messages(withInstructions([{ action: "add-value", destination: "user", name: "groups", value: "staff" }]))).toEqual([
      'instructions[4]: Unknown action in instruction: add-value (add-value is now set-value; add "multivalue": true to add to a list rather than replace it)',
    ]);
  });

  test("the properties each action needs", () => {
    expect(
      messages(
        withInstructions([
          { source: "x", destination: "user" },
          { action: "field-structured", destination: "profile" },
          { action: "set-value", destination: "user", name: "title" },
          { action: "remove-values", name: "x" },
          { action: "if-exists" },
          { action: "if-value-one-of", values: [] },
          { action: "if-has-value", name: "x" },
          { action: "within" },
          { action: "for-each", instructions: [] },
          { action: "assert-destination", destination: "user:tags" },
          { action: "abort-record" },
          { action: "log-error" },
        ]),
      ),
    ).toEqual([
      "instructions[4]: Expected property not found in field instruction: name",
      "instructions[5]: Expected property not found in field-structured instruction: structured, name",
      "instructions[6]: Expected property not found in set-value instruction: value",
      "instructions[7]: Expected property not found in remove-values instruction: destination",
      "instructions[8]: Expected property not found in if-exists instruction: source",
      "instructions[9]: Expected property not found in if-value-one-of instruction: source",
      "instructions[10]: Expected property not found in if-has-value instruction: destination",
      "instructions[11]: Expected property not found in within instruction: source",
      "instructions[12]: Expected property not found in for-each instruction: source",
      "instructions[13]: Expected property not found in assert-destination instruction: exists",
      "instructions[14]: Expected property not found in abort-record instruction: message",
      "instructions[15]: Expected property not found in log-error instruction: message",
    ]);
  });

  test("filters must be a list of available filters", () => {
    expect(
      messages(
        withInstructions([
          { source: "a", destination: "user", name: "title", filters: "haplo:to-upper-case" },
          { source: "a", destination: "user", name: "title", filters: ["haplo:to-upper-case", "haplo:shout"] },
        ]),
      ),
    ).toEqual(["instructions[4]: 'filters' property is not an array", "instructions[5]: Filter haplo:shout is not available."]);
  });

  test("for-each: assigning without multivalue would overwrite, also inside a conditional; a nested for-each starts afresh", () => {
    const overwrite = "Assigning values within for-each without a new/load statement or setting multivalue property will result in overwritten data";
    expect(
      messages(
        withInstructions([
          {
            action: "for-each",
            source: "roles",
            instructions: [
              { source: "code", destination: "user", name: "groups" },
              { source: "code", destination: "user", name: "groups", multivalue: true },
              { action: "if-exists", source: "x", then: [{ action: "set-value", destination: "user", name: "title", value: "Dr" }] },
              { action: "for-each", source: "inner", instructions: [{ source: "v", destination: "user", name: "groups" }] },
            ],
          },
        ]),
      ),
    ).toEqual([`instructions[4].instructions[0]: ${overwrite}`, `instructions[4].instructions[2].then[0]: ${overwrite}`, `instructions[4].instructions[3].instructions[0]: ${overwrite}`]);
  });

  test("files: each needs a known reader", () => {
    expect(messages(withInstructions([], { files: { staff: { charset: "utf-8" }, students: { read: "excel" } } }))).toEqual([
      "files.staff: Reader not specified for file staff",
      "files.students.read: Unknown reader for file students: excel (readers: json, xml-text-of-children, xml-attributes, tsv-with-name-row, csv)",
    ]);
  });

  test("a record processor is not available", () => {
    expect(messages(withInstructions([], { recordProcessor: "example:join" }))).toEqual([
      "recordProcessor: Unknown record processor specified in recordProcessor property: example:join",
    ]);
  });
});

describe("stricter than Haplo, which dropped these instructions silently", () => {
  test("an unknown destination, name, mapping or qualifier is an error naming the instruction", () => {
    expect(
      messages(
        withInstructions([
          { source: "a", destination: "person", name: "x" },
          { source: "a", destination: "user", name: "firstName" },
          { source: "a", destination: "profile", name: "std:attribute:works-for", refMapping: "organisations" },
          { source: "a", destination: "profile", name: "std:attribute:job-title", qualifier: "std:qualifier:bogus" },
          { action: "remove-values", destination: "profile", name: "std:attribute:nope" },
          { action: "if-has-value", destination: "value:address", name: "city" },
        ]),
      ),
    ).toEqual([
      "instructions[4]: Unknown destination in field: person",
      "instructions[5]: Unknown name in field firstName for destination user",
      "instructions[6]: Unknown mapping: organisations",
      "instructions[7]: Invalid qualifier 'std:qualifier:bogus' in field profile/std:attribute:job-title",
      "instructions[8]: Unknown name in remove-values std:attribute:nope for destination profile",
      "instructions[9]: Unknown destination in if-has-value: value:address",
    ]);
  });

  test("new and load are errors in a user sync, and load's otherwise list is validated too", () => {
    expect(
      messages(
        withInstructions([
          { action: "new", destination: "profile" },
          { action: "load", destination: "profile", using: "load:by-ref", otherwise: [{ source: "a", destination: "nowhere", name: "x" }] },
        ]),
      ),
    ).toEqual([
      'instructions[4]: "new" cannot be used in a user sync control file: the sync supplies the user and profile targets itself',
      "instructions[5].otherwise[0]: Unknown destination in field: nowhere",
      'instructions[5]: "load" cannot be used in a user sync control file: the sync supplies the user and profile targets itself',
    ]);
  });

  test("the username must come from a top-level field instruction, not one inside a conditional", () => {
    const value = controlObject([{ action: "if-exists", source: "id", then: [{ source: "id", destination: "user", name: "username" }] }, ...BASICS.slice(1)]);
    expect(messages(value)).toEqual([
      "instructions: No simple rule for extracting username from records. There needs to be a field instruction at the top level (not inside conditionals or loops) for destination:user, name:username",
    ]);
  });

  test("every problem is reported at once, wherever it is, each with its JSON path", () => {
    const value = {
      dataImportControlFileVersion: 0,
      model: "haplo:user-sync",
      files: { staff: { read: "json" }, bad: { read: "xlsx" } },
      instructions: [
        ...BASICS,
        { source: "a", destination: "user", name: "nope" },
        {
          action: "if-value-one-of",
          source: "role",
          values: ["R"],
          then: [{ action: "set-value", destination: "user", name: "groups", value: "r", filters: ["x:y"] }],
          else: [{ action: "within", source: "w", instructions: [{ source: "d", destination: "profile", name: "std:attribute:works-for", refMapping: "m" }] }],
        },
      ],
      mapping: { m2: { using: "code", values: {} } },
    };
    expect(messages(value)).toEqual([
      "instructions[4]: Unknown name in field nope for destination user",
      "instructions[5].then[0]: Filter x:y is not available.",
      "instructions[5].else[0].instructions[0]: Unknown mapping: m",
      "files.bad.read: Unknown reader for file bad: xlsx (readers: json, xml-text-of-children, xml-attributes, tsv-with-name-row, csv)",
      'mapping.m2.using: Mapping m2 must use "behaviour" or "title", not "code"',
    ]);
  });

  test("mappings are checked up front", () => {
    const value = withInstructions(
      [
        { source: "a", destination: "profile", name: "std:attribute:works-for", refMapping: "a" },
        { source: "b", destination: "profile", name: "std:attribute:member-of", refMapping: "b" },
      ],
      { mapping: { a: { using: "title", values: {} }, b: { using: "behaviour", value: { X: "y" } }, unused: { using: "behaviour", values: {} } } },
    );
    expect(messages(value)).toEqual(['mapping.a.types: Mapping a does not specify types', 'mapping.b.value: Mapping b has "value"; the key is "values"']);
    expect(warnings(value)).toContain("warning: mapping.unused: Mapping unused is not used by any instruction (refMapping)");
  });

  test("options a data type needs, and options it cannot use", () => {
    expect(
      messages(
        withInstructions([
          { source: "d", destination: "profile", name: "std:attribute:start", dateFormat: "yyyy-MM-dd" },
          { source: "t", destination: "profile", name: "std:attribute:telephone", country: "Britain" },
          { action: "set-value", destination: "profile", name: "std:attribute:url", value: "example.org" },
          { action: "set-value", destination: "profile", name: "std:attribute:job-title", value: { not: "text" } },
        ]),
      ),
    ).toEqual([
      "instructions[4]: Unknown name in field std:attribute:start for destination profile",
      'instructions[5]: Invalid country "Britain" for input field t: must be a two letter ISO code such as GB',
      "instructions[6]: Invalid URL for set value profile/std:attribute:url: example.org",
    ]);
    const withDates = { profileAttributes: [{ code: "std:attribute:start", type: "datetime" }] };
    const dated = (options: object) =>
      problemsOf(withInstructions([{ source: "d", destination: "profile", name: "std:attribute:start", ...options }]), withDates).errors.map(formatProblem);
    expect(dated({})).toEqual(["instructions[4]: Date format not specified for input field d"]);
    expect(dated({ dateFormat: "yyyy-QQ" })).toEqual(['instructions[4]: Unsupported letter "Q" in date format "yyyy-QQ"']);
    expect(dated({ dateFormat: "dd/MM/yyyy" })).toEqual([]);
  });

  test("file options: charset and separators are checked", () => {
    expect(
      messages(
        withInstructions([], {
          files: {
            a: { read: "tsv-with-name-row", charset: "klingon" },
            b: { read: "csv", delimiter: '"' },
            c: { read: "json", charset: "windows-1252" },
            d: { read: "xml-attributes", charset: "utf-8" },
            "e f": { read: "json" },
          },
        }),
      ),
    ).toEqual([
      "files.a: Unknown charset: klingon",
      'files.b: delimiter must be a non-empty string without quotes or line breaks, e.g. ";"',
      "files.c: JSON files are always UTF-8; remove the charset",
      'files.d: XML files declare their charset in the XML declaration (<?xml version="1.0" encoding="…"?>); remove charset',
      "files.e f: File name e f can't be uploaded: use only letters, digits, _ and -",
    ]);
  });
});

describe("warnings: the file works, but probably not as its author meant", () => {
  test("unknown properties, options without effect, a second username, a DEFAULT file", () => {
    const value = withInstructions(
      [
        { source: "a", destination: "user", name: "groups", mutlivalue: true, comment: "documentation is fine" },
        { source: "b", destination: "user", name: "title", dateFormat: "yyyy", qualifier: "dc:qualifier:alternative", multivalue: true },
        { source: "c", destination: "user", name: "username" },
      ],
      { files: { DEFAULT: { read: "tsv-with-name-row", seperator: "," } }, mappings: {} },
    );
    expect(messages(value)).toEqual([]);
    expect(warnings(value)).toEqual([
      'warning: mappings: Unknown property "mappings" (it is ignored; a control file has dataImportControlFileVersion, model, files, instructions, mapping, recordProcessor)',
      'warning: instructions[4]: Unknown property "mutlivalue" in field instruction (it is ignored; a field instruction understands source, destination, name, multivalue, qualifier, mapInputValue, mapInputValueDefault, filters, dateFormat, country, refMapping, trueValue, falseValue)',
      "warning: instructions[5]: dateFormat has no effect here: user title is of type text (dateFormat is for datetime, date)",
      "warning: instructions[5]: qualifier has no effect here: user is not an object, and only objects' values have qualifiers",
      "warning: instructions[5]: multivalue has no effect here: user title holds a single value, so the last value written wins",
      "warning: instructions[6]: Only the first top-level field instruction for user/username gives a record its username; this one changes nothing",
      "warning: files.DEFAULT: In a user sync DEFAULT is only a file name: a run waits for an upload named DEFAULT (name the file after what it holds, e.g. staff)",
      'warning: files.DEFAULT.seperator: The tsv-with-name-row reader has no option "seperator" (it is ignored; options: charset, separator)',
    ]);
  });
});

describe("invalid JSON says where", () => {
  test("a trailing comma gives its line and column", () => {
    const text = '{\n    "dataImportControlFileVersion": 0,\n    "files": {\n        "users": {\n            "read": "json",\n        }\n    }\n}';
    const result = checkControlText(text, compileEnvironment());
    expect(result.ok).toBe(false);
    expect(result.problems.map(formatProblem)).toEqual(["Invalid JSON at line 6, column 9: a property name in double quotes was expected (a trailing comma?)"]);
  });
});
