// Every reader on UTF-8, UTF-8 with a byte-order mark, windows-1252 and ISO-8859-1 input
// (test/fixtures/control/charsets). TSV and CSV take the charset from the file spec, XML from its
// declaration; JSON is always UTF-8, so the other two are refused with a clear error.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errorOf, readAll } from "./helpers.ts";

const DIR = join(import.meta.dir, "..", "fixtures", "control", "charsets");
const bytes = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));

const EXPECTED: Record<string, { id: string; first: string; last: string }[]> = {
  "utf-8": [
    { id: "zoe", first: "Zoë", last: "Ångström ★" },
    { id: "ff", first: "François", last: "Œuvre ‡ƒŸ €" },
  ],
  "windows-1252": [
    { id: "zoe", first: "Zoë", last: "Ångström" },
    { id: "ff", first: "François", last: "Œuvre ‡ƒŸ €" },
  ],
  "iso-8859-1": [
    { id: "zoe", first: "Zoë", last: "Ångström" },
    { id: "ff", first: "François", last: "Naïve ßÿ" },
  ],
};
EXPECTED["utf-8-bom"] = EXPECTED["utf-8"]!;

const CHARSET_OPTION: Record<string, string | undefined> = { "utf-8": undefined, "utf-8-bom": undefined, "windows-1252": "windows-1252", "iso-8859-1": "ISO-8859-1" };

for (const charset of Object.keys(EXPECTED)) {
  describe(`${charset} input`, () => {
    const expected = EXPECTED[charset]!;
    const spec = CHARSET_OPTION[charset] ? { charset: CHARSET_OPTION[charset] } : {};

    test("tsv-with-name-row reads every character (the BOM is not part of the first header)", async () => {
      const { records } = await readAll("tsv-with-name-row", bytes(`${charset}.tsv`), spec);
      expect(records).toEqual(expected);
    });

    test("csv reads every character", async () => {
      const { records } = await readAll("csv", bytes(`${charset}.csv`), spec);
      expect(records).toEqual(expected);
    });

    test("xml-text-of-children takes the charset from the XML declaration", async () => {
      const { records } = await readAll("xml-text-of-children", bytes(`${charset}.children.xml`), {}, [1, 2, 3, 30]);
      expect(records).toEqual(expected);
    });

    test("xml-attributes takes the charset from the XML declaration", async () => {
      const { records } = await readAll("xml-attributes", bytes(`${charset}.attributes.xml`));
      expect(records).toEqual(expected);
    });

    if (charset.startsWith("utf-8"))
      test("json reads every character", async () => {
        const { records } = await readAll("json", bytes(`${charset}.json`));
        expect(records).toEqual(expected);
      });
    else
      test("json refuses it: JSON is always UTF-8", async () => {
        const error = await errorOf(() => readAll("json", bytes(`${charset}.json`)));
        expect(error.message).toContain("not valid UTF-8");
        expect(error.message).toContain("check the charset");
      });
  });
}

test("XML without a declaration is UTF-8", async () => {
  const { records } = await readAll("xml-text-of-children", bytes("utf-8-no-declaration.children.xml"));
  expect(records).toEqual([{ id: "x1", first: "Ÿ‡♵★☃ƒ" }]);
});

test("a windows-1252 TSV read as UTF-8 is refused, not silently garbled", async () => {
  const error = await errorOf(() => readAll("tsv-with-name-row", bytes("windows-1252.tsv")));
  expect(error.message).toContain("not valid UTF-8");
});

test("an XML file whose declaration names an unknown charset is refused", async () => {
  const error = await errorOf(() => readAll("xml-text-of-children", '<?xml version="1.0" encoding="x-klingon"?><r/>'));
  expect(error.message).toBe("Unknown charset in the XML declaration: x-klingon");
});
