// Value conversion (reference §3.4): every data type, every filter, mappings, and the order
// mapInputValue → filters → data type. Error messages are Haplo's ("… for input field e: …").
import { describe, expect, test } from "bun:test";
import { describeTelephone, FILTERS, NO_LOOKUPS, personNameText, type ControlOptions, type Lookups } from "../../src/control/index.ts";
import { Ref } from "../../src/control/ref.ts";
import { control, lookups, PERSON } from "./helpers.ts";

const ATTRIBUTE = "test:attribute:x";

/** One value through a field instruction into a profile attribute of `type`. */
function convert(type: string, value: unknown, options: Record<string, unknown> = {}, controlOptions: ControlOptions = {}, more: Record<string, unknown> = {}) {
  const c = control([{ source: "v", destination: "profile", name: ATTRIBUTE, ...options }], more, {
    profileAttributes: [{ code: ATTRIBUTE, type }],
    ...controlOptions,
  });
  const result = c.transform({ ...PERSON, v: value });
  return { values: result.profile.get(ATTRIBUTE).map((tv) => tv.v), typed: result.profile.get(ATTRIBUTE), errors: result.errors };
}

describe("data types", () => {
  test("text: strings as they are; numbers and booleans as text; anything else is silently nothing", () => {
    expect(convert("text", "xyz").values).toEqual(["xyz"]);
    expect(convert("text", 42).values).toEqual(["42"]);
    expect(convert("text", true).values).toEqual(["true"]);
    expect(convert("text", { a: 1 })).toEqual({ values: [], typed: [], errors: [] });
  });

  test("boolean: true/false, or the trueValue/falseValue strings", () => {
    expect(convert("boolean", "true").values).toEqual([true]);
    expect(convert("boolean", "false").values).toEqual([false]);
    expect(convert("boolean", "Y", { trueValue: "Y", falseValue: "N" }).values).toEqual([true]);
    expect(convert("boolean", "N", { trueValue: "Y", falseValue: "N" }).values).toEqual([false]);
    expect(convert("boolean", "maybe").errors).toEqual(["Invalid boolean value for input field v: maybe"]);
  });

  test("datetime: parsed with a Java SimpleDateFormat pattern, as UTC", () => {
    expect(convert("datetime", "2018-02-10", { dateFormat: "yyyy-MM-dd" }).values).toEqual(["2018-02-10T00:00:00.000Z"]);
    expect(convert("datetime", "10/02/2018 14:05", { dateFormat: "dd/MM/yyyy HH:mm" }).values).toEqual(["2018-02-10T14:05:00.000Z"]);
    expect(convert("datetime", "10 Feb 2018", { dateFormat: "d MMM yyyy" }).values).toEqual(["2018-02-10T00:00:00.000Z"]);
    expect(convert("datetime", "2018-02-31", { dateFormat: "yyyy-MM-dd" }).errors).toEqual(["Invalid date value for input field v: 2018-02-31"]);
    expect(convert("datetime", "yesterday", { dateFormat: "yyyy-MM-dd" }).errors).toEqual(["Invalid date value for input field v: yesterday"]);
  });

  test("integer: the text must read back as the same integer", () => {
    expect(convert("integer", "12").values).toEqual([12]);
    expect(convert("integer", 7).values).toEqual([7]);
    expect(convert("integer", "12.5").errors).toEqual(["Invalid integer for input field v: 12.5"]);
    expect(convert("integer", "12abc").errors).toEqual(["Invalid integer for input field v: 12abc"]);
  });

  test("number: anything parseFloat reads", () => {
    expect(convert("number", "12.5").values).toEqual([12.5]);
    expect(convert("number", 3).values).toEqual([3]);
    expect(convert("number", "abc").errors).toEqual(["Invalid number for input field v: abc"]);
  });

  test("email-address: an @ that is not first (Haplo's exact errors)", () => {
    expect(convert("email-address", "test@example.com").typed).toEqual([{ t: "email-address", v: "test@example.com" }]);
    expect(convert("email-address", "@example.com")).toMatchObject({ values: [], errors: ["Invalid email address for input field v: @example.com"] });
    expect(convert("email-address", "test at example.com")).toMatchObject({ values: [], errors: ["Invalid email address for input field v: test at example.com"] });
  });

  test("url: it must start with a scheme (Haplo's exact errors)", () => {
    expect(convert("url", "https://haplo.org").values).toEqual(["https://haplo.org"]);
    expect(convert("url", "haplo.org")).toMatchObject({ values: [], errors: ["Invalid URL for input field v: haplo.org"] });
    expect(convert("url", "://haplo.org")).toMatchObject({ values: [], errors: ["Invalid URL for input field v: ://haplo.org"] });
  });

  test("telephone-number: kept as received with its country; guessed with the country when shown, as Haplo exports it", () => {
    const phone = (text: string) => describeTelephone(convert("telephone-number", text, { country: "US" }).values[0] as { number: string; country: string }).international;
    expect(phone("+442012345678")).toBe("+44 20 1234 5678");
    expect(phone("823 124 125")).toBe("+1 823124125");
    expect(phone("+33 5 8765 6432")).toBe("+33 5 87 65 64 32");
    expect(convert("telephone-number", "020 7946 0000").values).toEqual([{ number: "020 7946 0000", country: "GB" }]);
    expect(describeTelephone({ number: "+33 5 8765 6432", country: "GB" })).toEqual({ number: "+33 5 8765 6432", country: "FR", international: "+33 5 87 65 64 32" });
  });

  test("text-paragraph, text-multiline, configuration-name and isbn keep the text with its type", () => {
    expect(convert("text-paragraph", "ABC\nDEF").typed).toEqual([{ t: "text-paragraph", v: "ABC\nDEF" }]);
    expect(convert("text-multiline", "XYZ\nPQR").typed).toEqual([{ t: "text-multiline", v: "XYZ\nPQR" }]);
    expect(convert("configuration-name", "test:name:something").typed).toEqual([{ t: "configuration-name", v: "test:name:something" }]);
    expect(convert("isbn", "978-0-00-000000-2").typed).toEqual([{ t: "isbn", v: "978-0-00-000000-2" }]);
  });

  test("object-type: a type code; json: an object as it is, anything else nothing", () => {
    expect(convert("object-type", "std:type:book").typed).toEqual([{ t: "object-type", v: "std:type:book" }]);
    expect(convert("json", { a: [1, 2] }).values).toEqual([{ a: [1, 2] }]);
    expect(convert("json", "text").values).toEqual([]);
  });

  test("an unknown data type is a problem of the configuration, said when the file is loaded", () => {
    expect(() => convert("colour", "red")).toThrow("Unknown data type in model: colour");
  });
});

describe("structured values", () => {
  const name = (parts: Record<string, string>) =>
    control([
      ...Object.keys(parts).map((p) => ({ source: p, destination: "value:person-name", name: p })),
      { action: "field-structured", structured: "value:person-name", destination: "profile", name: "dc:attribute:title", qualifier: "dc:qualifier:alternative" },
    ]).transform({ ...PERSON, ...parts });

  test('a full person-name reads "Mr Joe Middle Bloggs III"', () => {
    const result = name({ title: "Mr", first: "Joe", middle: "Middle", last: "Bloggs", suffix: "III" });
    const [title] = result.profile.get("dc:attribute:title");
    expect(title).toEqual({ t: "person-name", v: { title: "Mr", first: "Joe", middle: "Middle", last: "Bloggs", suffix: "III" }, q: "dc:qualifier:alternative" });
    expect(control([]).model.destinations.get("value:person-name")!.names.get("last")!.required).toBe(true);
    expect(personNameText(title!.v as Record<string, unknown>)).toBe("Mr Joe Middle Bloggs III");
  });

  test("a person-name without a last name is silently nothing", () => {
    const result = name({ first: "Joe" });
    expect(result.profile.get("dc:attribute:title")).toEqual([]);
    expect(result.errors).toEqual([]);
  });

  const address = (record: Record<string, string>) =>
    control([
      { source: "s1", destination: "value:postal-address", name: "street1" },
      { source: "s2", destination: "value:postal-address", name: "street2" },
      { source: "ci", destination: "value:postal-address", name: "city" },
      { source: "co", destination: "value:postal-address", name: "county" },
      { source: "p", destination: "value:postal-address", name: "postcode" },
      { source: "code", destination: "value:postal-address", name: "country" },
      { action: "field-structured", structured: "value:postal-address", destination: "profile", name: "std:attribute:address" },
    ]).transform({ ...PERSON, ...record });

  test("postal addresses: partial and full ones are kept", () => {
    expect(address({ s1: "1 High Street", ci: "New Town", p: "NT1 1TN", code: "GB" }).profile.get("std:attribute:address")).toEqual([
      { t: "postal-address", v: { street1: "1 High Street", city: "New Town", postcode: "NT1 1TN", country: "GB" } },
    ]);
    expect(address({ s1: "Street 1", s2: "Street Two", ci: "New City", co: "New County", p: "PO1 1OO", code: "GB" }).profile.get("std:attribute:address")[0]!.v).toEqual({
      street1: "Street 1",
      street2: "Street Two",
      city: "New City",
      county: "New County",
      postcode: "PO1 1OO",
      country: "GB",
    });
  });

  test("postal addresses: Haplo's exact errors for {}, England and XX", () => {
    expect(address({}).errors).toEqual(["Missing or invalid country code in postal address, must be two letter ISO code: {}"]);
    expect(address({ s1: "1 High Street", ci: "New Town", p: "NT1 1TN", code: "England" }).errors).toEqual([
      'Missing or invalid country code in postal address, must be two letter ISO code: {"street1":"1 High Street","city":"New Town","postcode":"NT1 1TN","country":"England"}',
    ]);
    expect(address({ s1: "1 High Street", ci: "New Town", p: "NT1 1TN", code: "XX" }).errors).toEqual([
      'Invalid postal address: {"street1":"1 High Street","city":"New Town","postcode":"NT1 1TN","country":"XX"} (Postal addresses must use a recognised country)',
    ]);
  });
});

describe("refs and mappings", () => {
  const departments = {
    types: ["test:type:department"],
    using: "behaviour",
    values: { CHEM: "test:department:chemistry", GONE: "test:department:closed" },
  };
  const ref = (value: unknown, options: Record<string, unknown>, tables: Lookups = NO_LOOKUPS, mapping: Record<string, unknown> = {}) =>
    convert("ref", value, options, { lookups: tables }, { mapping });

  test("without a mapping, a value that is not a ref is reported (Haplo dropped it silently)", () => {
    expect(ref("CHEM", {}).errors).toEqual([
      "Value for input field v is not a ref (use refMapping, or a filter such as haplo:code-to-ref): CHEM",
    ]);
  });

  test("a behaviour mapping maps input → behaviour code → the reference object", () => {
    const tables = lookups({ behaviours: { "test:department:chemistry": 12 } });
    expect(ref("CHEM", { refMapping: "dept" }, tables, { dept: departments }).typed).toEqual([{ t: "ref", v: 12 }]);
    expect(ref("BIOL", { refMapping: "dept" }, tables, { dept: departments }).errors).toEqual(["Value in input data cannot be mapped for input field v: BIOL"]);
    expect(ref("GONE", { refMapping: "dept" }, tables, { dept: departments }).errors).toEqual([
      "Value in input data cannot be mapped for input field v: GONE (no reference object has the behaviour test:department:closed)",
    ]);
  });

  test("a title mapping maps input → title → the object; unmapped input is reported too", () => {
    const tables = lookups({ titles: { Chemistry: 7 } });
    const mapping = { dept: { types: ["test:type:department"], using: "title", values: { CHEM: "Chemistry", PHYS: "Physics" } } };
    expect(ref("CHEM", { refMapping: "dept" }, tables, mapping).values).toEqual([7]);
    expect(ref("PHYS", { refMapping: "dept" }, tables, mapping).errors).toEqual([
      "Value in input data cannot be mapped for input field v: PHYS (no object of type test:type:department has the title Physics)",
    ]);
    expect(ref("BIOL", { refMapping: "dept" }, tables, mapping).errors).toEqual(["Value in input data cannot be mapped for input field v: BIOL"]);
  });

  test("the haplo:*-to-ref filters make refs from codes, ids, usernames and emails", () => {
    const tables = lookups({ behaviours: { "test:department:chemistry": 12 }, usernames: { jsmith: 30 }, emails: { "j@example.org": 31 } });
    expect(ref("test:department:chemistry", { filters: ["haplo:code-to-ref"] }, tables).values).toEqual([12]);
    expect(ref("8001", { filters: ["haplo:string-to-ref"] }).values).toEqual([8001]);
    expect(ref("JSmith", { filters: ["haplo:username-to-ref"] }, tables).values).toEqual([30]);
    expect(ref("J@Example.org", { filters: ["haplo:email-to-ref"] }, tables).values).toEqual([31]);
  });
});

describe("filters (Haplo's test_filters cases)", () => {
  const filter = (name: string, tables: Lookups = NO_LOOKUPS) => FILTERS.find((f) => f.name === name)!.create(tables);

  test("haplo:string-to-ref", () => {
    const f = filter("haplo:string-to-ref");
    const ref = new Ref(8001);
    expect(f("32782")).toEqual(new Ref(32782));
    expect(f(ref)).toBe(ref);
    expect(f(1234)).toBeUndefined();
    expect(f("not a ref")).toBeUndefined();
    expect(f({})).toBeUndefined();
  });

  test("haplo:code-to-ref", () => {
    const f = filter("haplo:code-to-ref", lookups({ behaviours: { "test:behaviour-one": 5 } }));
    const ref = new Ref(8001);
    expect(f("test:behaviour-one")).toEqual(new Ref(5));
    expect(f(ref)).toBe(ref);
    expect(f(1234)).toBeUndefined();
    expect(f("not a ref")).toBeUndefined();
    expect(f({})).toBeUndefined();
  });

  test("haplo:fix-up-url", () => {
    const f = filter("haplo:fix-up-url");
    for (const unchanged of [
      undefined,
      "https://haplo.org",
      "https://haplo.org/example",
      "http://example.org",
      "http://example.org/something.html",
      "ftp://example.org",
      "eg+x:example.org",
      "//example.org",
      "/example.org",
      "completely:random-",
    ])
      expect(f(unchanged)).toBe(unchanged);
    expect(f("example.org")).toBe("https://example.org");
    expect(f("example.org/ping")).toBe("https://example.org/ping");
  });

  test("haplo:to-lower-case, haplo:to-upper-case and haplo:to-string", () => {
    expect(filter("haplo:to-lower-case")("ABC]")).toBe("abc]");
    expect(filter("haplo:to-lower-case")("def+")).toBe("def+");
    expect(filter("haplo:to-lower-case")(undefined)).toBeUndefined();
    expect(filter("haplo:to-lower-case")(1)).toBe(1);
    expect(filter("haplo:to-upper-case")("ABC)")).toBe("ABC)");
    expect(filter("haplo:to-upper-case")("def-")).toBe("DEF-");
    expect(filter("haplo:to-upper-case")(undefined)).toBeUndefined();
    expect(filter("haplo:to-upper-case")(1)).toBe(1);
    expect(filter("haplo:to-string")(12)).toBe("12");
  });

  test("haplo:username-to-ref finds any synced user's profile, case-insensitively; haplo:email-to-ref by email", () => {
    const tables = lookups({ usernames: { jsmith: 30 }, emails: { "j@example.org": 31 } });
    expect(filter("haplo:username-to-ref", tables)(" JSmith ")).toEqual(new Ref(30));
    expect(filter("haplo:username-to-ref", tables)("nobody")).toBeUndefined();
    expect(filter("haplo:email-to-ref", tables)("J@example.org")).toEqual(new Ref(31));
    expect(filter("haplo:email-to-ref", tables)("x@example.org")).toBeUndefined();
  });
});

describe("the order: mapInputValue, then each filter in the order listed, then the data type", () => {
  const page = (filters: string[]) =>
    convert("url", "X", { mapInputValue: { X: "example.org/Page" }, filters }).values;

  test("the mapped value goes through the filters in the listed order", () => {
    expect(page(["haplo:to-upper-case", "haplo:fix-up-url"])).toEqual(["https://EXAMPLE.ORG/PAGE"]);
    expect(page(["haplo:fix-up-url", "haplo:to-upper-case"])).toEqual(["HTTPS://EXAMPLE.ORG/PAGE"]);
  });

  test("the data type sees what the filters made: unfixed, the URL is invalid", () => {
    expect(convert("url", "X", { mapInputValue: { X: "example.org" } }).errors).toEqual(["Invalid URL for input field v: example.org"]);
  });

  test("mapInputValueDefault replaces values that are not in the map; without it they pass unchanged", () => {
    const map = { mapInputValue: { A: "alpha" } };
    expect(convert("text", "A", map).values).toEqual(["alpha"]);
    expect(convert("text", "B", map).values).toEqual(["B"]);
    expect(convert("text", "B", { ...map, mapInputValueDefault: "other" }).values).toEqual(["other"]);
    expect(convert("text", "toString", map).values).toEqual(["toString"]);
  });
});
