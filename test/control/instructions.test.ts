// Every instruction of reference §3.3, on the haplo:user-sync model.
import { describe, expect, test } from "bun:test";
import { loadControl, type Attributes } from "../../src/control/index.ts";
import { BASICS, control, controlObject, PERSON } from "./helpers.ts";

const JOB = "std:attribute:job-title";

describe("field", () => {
  test("writes the source's value to the destination's name", () => {
    const result = control([{ source: "job", destination: "profile", name: JOB }]).transform({ ...PERSON, job: "Reader" });
    expect(result.complete).toBe(true);
    expect(result.user).toEqual({ username: "jb", nameFirst: "Joe", nameLast: "Bloggs", email: "joe@example.org" });
    expect(result.profile.get(JOB)).toEqual([{ t: "text", v: "Reader" }]);
  });

  test('ignores "", null, false and absent values, but not 0', () => {
    const c = control([{ source: "title", destination: "user", name: "title" }]);
    for (const title of ["", null, false, undefined]) expect(c.transform({ ...PERSON, title }).user.title).toBeUndefined();
    expect(c.transform({ ...PERSON, title: 0 }).user.title).toBe("0");
  });

  test('reads only the record\'s own fields: a column called "constructor" or "toString" is just a column', () => {
    const c = control([{ source: "constructor", destination: "user", name: "title" }, { source: "toString", destination: "profile", name: JOB }]);
    const absent = c.transform(PERSON);
    expect(absent.user.title).toBeUndefined();
    expect(absent.profile.get(JOB)).toEqual([]);
    expect(c.transform({ ...PERSON, constructor: "Dr", toString: "Reader" }).user.title).toBe("Dr");
  });

  test("an absent value leaves what the profile already has", () => {
    const base: Attributes = { [JOB]: [{ t: "text", v: "Lecturer" }] };
    expect(control([{ source: "job", destination: "profile", name: JOB }]).transform(PERSON, base).profile.get(JOB)).toEqual([{ t: "text", v: "Lecturer" }]);
  });

  test("without multivalue a value replaces the attribute's values (with a qualifier: only those with it); with multivalue it is added", () => {
    const base: Attributes = { [JOB]: [{ t: "text", v: "Lecturer" }, { t: "text", v: "Old alt", q: "dc:qualifier:alternative" }] };
    const replace = control([{ source: "job", destination: "profile", name: JOB }]).transform({ ...PERSON, job: "Reader" }, base);
    expect(replace.profile.get(JOB)).toEqual([{ t: "text", v: "Reader" }]);
    const qualified = control([{ source: "job", destination: "profile", name: JOB, qualifier: "dc:qualifier:alternative" }]).transform({ ...PERSON, job: "Alt" }, base);
    expect(qualified.profile.get(JOB)).toEqual([
      { t: "text", v: "Lecturer" },
      { t: "text", v: "Alt", q: "dc:qualifier:alternative" },
    ]);
    const added = control([{ source: "job", destination: "profile", name: JOB, multivalue: true }]).transform({ ...PERSON, job: "Reader" }, base);
    expect(added.profile.get(JOB)).toHaveLength(3);
  });

  test("adding a value the profile already has does not duplicate it (Haplo's §9 item 14)", () => {
    const base: Attributes = { [JOB]: [{ t: "text", v: "Reader" }] };
    const again = control([{ source: "job", destination: "profile", name: JOB, multivalue: true }]).transform({ ...PERSON, job: "Reader" }, base);
    expect(again.profile.get(JOB)).toEqual([{ t: "text", v: "Reader" }]);
  });
});

describe("field-structured", () => {
  const nameParts = [
    { source: "f", destination: "value:person-name", name: "first" },
    { source: "l", destination: "value:person-name", name: "last" },
  ];
  const structured = { action: "field-structured", structured: "value:person-name", destination: "profile", name: "dc:attribute:title", qualifier: "dc:qualifier:alternative" };

  test("writes the parts collected in value:person-name as one value", () => {
    const result = control([...nameParts, structured]).transform({ ...PERSON, f: "Augusta Ada", l: "King" });
    expect(result.profile.get("dc:attribute:title")).toEqual([{ t: "person-name", v: { first: "Augusta Ada", last: "King" }, q: "dc:qualifier:alternative" }]);
  });

  test("always clears the parts afterwards, so a second one starts empty", () => {
    const result = control([...nameParts, structured, { ...structured, qualifier: undefined, multivalue: true }]).transform({ ...PERSON, f: "A", l: "K" });
    expect(result.profile.get("dc:attribute:title")).toHaveLength(1);
  });

  test("the structured destination must make the attribute's type", () => {
    expect(() => control([{ action: "field-structured", structured: "value:postal-address", destination: "profile", name: "dc:attribute:title" }])).toThrow(
      "value:postal-address makes a postal-address value, but profile dc:attribute:title is of type person-name",
    );
  });
});

describe("set-value", () => {
  test("writes a constant; with multivalue several accumulate, without it the last wins", () => {
    const groups = (multivalue: boolean) =>
      control([
        { action: "set-value", destination: "user", name: "groups", value: "staff", multivalue },
        { action: "set-value", destination: "user", name: "groups", value: "panel", multivalue },
      ]).transform(PERSON).user.groups;
    expect(groups(true)).toEqual(["staff", "panel"]);
    expect(groups(false)).toEqual(["panel"]);
  });
});

describe("remove-values", () => {
  test("removes every value of a profile attribute, whatever its qualifier", () => {
    const base: Attributes = { [JOB]: [{ t: "text", v: "A" }, { t: "text", v: "B", q: "dc:qualifier:alternative" }] };
    expect(control([{ action: "remove-values", destination: "profile", name: JOB }]).transform(PERSON, base).profile.get(JOB)).toEqual([]);
  });

  test("deletes a dictionary name", () => {
    const result = control([
      { action: "set-value", destination: "user", name: "groups", value: "staff" },
      { action: "remove-values", destination: "user", name: "groups" },
    ]).transform(PERSON);
    expect(result.user.groups).toBeUndefined();
  });
});

describe("conditionals", () => {
  const setTitle = (value: string) => ({ action: "set-value", destination: "user", name: "title", value });

  test("if-exists: the key is there and its value is truthy or 0", () => {
    const c = control([{ action: "if-exists", source: "x", then: [setTitle("then")], else: [setTitle("else")] }]);
    expect(c.transform({ ...PERSON, x: "y" }).user.title).toBe("then");
    expect(c.transform({ ...PERSON, x: 0 }).user.title).toBe("then");
    expect(c.transform({ ...PERSON, x: "" }).user.title).toBe("else");
    expect(c.transform(PERSON).user.title).toBe("else");
  });

  test('if-value-one-of: strict equality ("1" is not 1); "" and 0 can match', () => {
    const c = control([{ action: "if-value-one-of", source: "x", values: ["1", "", 0], then: [setTitle("then")], else: [setTitle("else")] }]);
    expect(c.transform({ ...PERSON, x: "1" }).user.title).toBe("then");
    expect(c.transform({ ...PERSON, x: 1 }).user.title).toBe("else");
    expect(c.transform({ ...PERSON, x: "" }).user.title).toBe("then");
    expect(c.transform({ ...PERSON, x: 0 }).user.title).toBe("then");
    expect(c.transform(PERSON).user.title).toBe("else");
  });

  test("if-value-one-of without values never matches", () => {
    expect(control([{ action: "if-value-one-of", source: "x", then: [setTitle("then")] }]).transform({ ...PERSON, x: "a" }).user.title).toBeUndefined();
  });

  test("if-has-value sets defaults: on a dictionary, and on the profile as stored", () => {
    const defaultTitle = control([{ source: "t", destination: "user", name: "title" }, { action: "if-has-value", destination: "user", name: "title", else: [setTitle("Dr")] }]);
    expect(defaultTitle.transform(PERSON).user.title).toBe("Dr");
    expect(defaultTitle.transform({ ...PERSON, t: "Prof" }).user.title).toBe("Prof");
    const defaultJob = control([{ action: "if-has-value", destination: "profile", name: JOB, else: [{ action: "set-value", destination: "profile", name: JOB, value: "Staff" }] }]);
    expect(defaultJob.instructions.profileDependent).toBe(true);
    expect(defaultJob.transform(PERSON).profile.get(JOB)).toEqual([{ t: "text", v: "Staff" }]);
    expect(defaultJob.transform(PERSON, { [JOB]: [{ t: "text", v: "Reader" }] }).profile.get(JOB)).toEqual([{ t: "text", v: "Reader" }]);
  });
});

describe("within and for-each", () => {
  test("within runs its instructions on a nested object, and not when it is absent", () => {
    const c = control([{ action: "within", source: "job", instructions: [{ source: "title", destination: "profile", name: JOB }] }]);
    expect(c.transform({ ...PERSON, job: { title: "Reader" } }).profile.get(JOB)).toEqual([{ t: "text", v: "Reader" }]);
    expect(c.transform({ ...PERSON, job: null }).profile.get(JOB)).toEqual([]);
  });

  test("for-each walks a list, or an object's values; wrapValues makes each simple value {value}", () => {
    const c = control([{ action: "for-each", source: "roles", instructions: [{ source: "code", destination: "user", name: "groups", multivalue: true }] }]);
    expect(c.transform({ ...PERSON, roles: [{ code: "a" }, { code: "b" }] }).user.groups).toEqual(["a", "b"]);
    expect(c.transform({ ...PERSON, roles: { first: { code: "a" }, second: { code: "c" } } }).user.groups).toEqual(["a", "c"]);
    const wrapped = control([{ action: "for-each", source: "groups", wrapValues: true, instructions: [{ source: "value", destination: "user", name: "groups", multivalue: true }] }]);
    expect(wrapped.transform({ ...PERSON, groups: ["staff", "panel"] }).user.groups).toEqual(["staff", "panel"]);
  });

  test("a single value where a list was expected is a list of one (underscore walked a string's characters)", () => {
    const wrapped = control([{ action: "for-each", source: "groups", wrapValues: true, instructions: [{ source: "value", destination: "user", name: "groups", multivalue: true }] }]);
    expect(wrapped.transform({ ...PERSON, groups: "staff" }).user.groups).toEqual(["staff"]);
  });
});

describe("abort-record, log-error and assert-destination", () => {
  test("abort-record stops the record and marks it incomplete; log-error lets it complete", () => {
    const c = control([
      { action: "if-value-one-of", source: "status", values: ["GONE"], then: [{ action: "abort-record", message: "Left" }] },
      { action: "if-value-one-of", source: "status", values: ["ODD"], then: [{ action: "log-error", message: "Odd status" }] },
      { action: "set-value", destination: "user", name: "title", value: "after" },
    ]);
    const aborted = c.transform({ ...PERSON, status: "GONE" });
    expect(aborted).toMatchObject({ complete: false, errors: ["Left"] });
    expect(aborted.user.title).toBeUndefined();
    const logged = c.transform({ ...PERSON, status: "ODD" });
    expect(logged).toMatchObject({ complete: true, errors: ["Odd status"] });
    expect(logged.user.title).toBe("after");
  });

  test("an empty message falls back to Haplo's default", () => {
    expect(control([{ action: "abort-record", message: "" }]).transform(PERSON).errors).toEqual(["abort"]);
    expect(control([{ action: "log-error", message: "" }]).transform(PERSON).errors).toEqual(["error"]);
  });

  test("assert-destination checks whether the dependent user:tags has data, and aborts when it is not as expected", () => {
    const c = control(
      [{ source: "staffNo", destination: "user:tags", name: "staff-number" }, { action: "assert-destination", destination: "user:tags", exists: true }],
      {},
      { userTags: ["staff-number"] },
    );
    expect(c.transform({ ...PERSON, staffNo: 12 })).toMatchObject({ complete: true, tags: { "staff-number": "12" } });
    expect(c.transform(PERSON)).toMatchObject({ complete: false, errors: ["assert-destination failed: user:tags"], tags: null });
  });

  test("assert-destination only works on a dependent destination", () => {
    expect(() => control([{ action: "assert-destination", destination: "profile", exists: true }])).toThrow("Can only use dependent destinations in assert-destination: profile");
  });
});

describe("end of record", () => {
  test("the required names of the user are checked, in Haplo's (sorted) order", () => {
    const c = control([]);
    const result = c.transform({ id: "x" });
    expect(result).toMatchObject({ complete: false, errors: ["Missing values in user: email, nameFirst, nameLast"] });
  });

  test("user:tags are copied as text, only when one was set", () => {
    const c = control([{ source: "n", destination: "user:tags", name: "staff-number" }], {}, { userTags: ["staff-number"] });
    expect(c.transform({ ...PERSON, n: 7 }).tags).toEqual({ "staff-number": "7" });
    expect(c.transform(PERSON).tags).toBeNull();
  });
});

describe("the username extractor", () => {
  const extractor = (instructions: object[]) =>
    loadControl(JSON.stringify(controlObject([...instructions, ...BASICS.slice(1)]))).instructions.extractUsername!;

  test("uses the first top-level field instruction for user/username, with its conversions and filters", () => {
    const plain = extractor([{ source: "id", destination: "user", name: "username" }]);
    expect(plain({ id: 2 })).toBe("2");
    expect(plain({ other: "x" })).toBeUndefined();
    const mapped = extractor([{ source: "id", destination: "user", name: "username", filters: ["haplo:to-lower-case"], mapInputValue: { X1: "Renamed" } }]);
    expect(mapped({ id: "X1" })).toBe("renamed");
    expect(mapped({ id: "JB" })).toBe("jb");
  });

  test("ignores a username set inside a conditional before it", () => {
    const first = extractor([
      { action: "if-exists", source: "alt", then: [{ source: "alt", destination: "user", name: "username" }] },
      { source: "id", destination: "user", name: "username" },
    ]);
    expect(first({ id: "main", alt: "other" })).toBe("main");
  });
});
