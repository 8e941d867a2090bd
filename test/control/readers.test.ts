// The readers (reference §4, Haplo's test_readers.js), and what we fixed: a comment before the XML
// root, CDATA, a BOM, a trailing newline; plus csv, which Haplo did not have.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ReaderError } from "../../src/control/index.ts";
import { errorOf, readAll } from "./helpers.ts";

describe("xml-text-of-children", () => {
  const read = (xml: string, spec = {}, cuts: number[] = []) => readAll("xml-text-of-children", xml, spec, cuts);

  test("an empty root gives no records", async () => {
    expect((await read("<root></root>")).records).toEqual([]);
  });

  test("each child of the root is a record; the text of each of its children is a value (Haplo's test)", async () => {
    const { records } = await read("<root> <v/> <v> <x>PING</x> <y>PONG</y> </v> <v> <hello>world</hello> </v> </root>");
    expect(records).toEqual([{}, { x: "PING", y: "PONG" }, { hello: "world" }]);
  });

  test("singleRecord makes the root the one record", async () => {
    const { records } = await read("<root> <x>PING2</x> <y>PONG2</y> </root>", { singleRecord: true });
    expect(records).toEqual([{ x: "PING2", y: "PONG2" }]);
  });

  test("a value is all the text inside the element, not trimmed, with CDATA kept and entities decoded", async () => {
    const { records } = await read("<r><p><n>  Ada <b>Augusta</b> <![CDATA[<King> & co]]>  </n><m>x &amp; y &#233;</m></p></r>");
    expect(records).toEqual([{ n: "  Ada Augusta <King> & co  ", m: "x & y é" }]);
  });

  test("a repeated child keeps the last value; an empty child gives an empty value", async () => {
    const { records } = await read("<r><p><id>1</id><g>a</g><g>b</g><e/></p></r>");
    expect(records).toEqual([{ id: "1", g: "b", e: "" }]);
  });

  test("a comment, processing instruction and DOCTYPE before the root do not hide the records", async () => {
    const xml = '<?xml version="1.0"?>\n<!-- exported nightly -->\n<?report x?>\n<!DOCTYPE people>\n<people>\n  <p><id>1</id></p>\n  <p><id>2</id></p>\n</people>\n<!-- end -->\n';
    const { records, lines } = await read(xml);
    expect(records).toEqual([{ id: "1" }, { id: "2" }]);
    expect(lines).toEqual([6, 7]);
  });

  test("element names are local names: namespace prefixes are dropped", async () => {
    const { records } = await read('<h:people xmlns:h="urn:x"><h:p><h:id>1</h:id><name>A</name></h:p></h:people>');
    expect(records).toEqual([{ id: "1", name: "A" }]);
  });

  test("Haplo's documentation example reads as two records (with its typo kept)", async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<file>
    <record>
        <id>jbloggs</id>
        <first>Joe</first>
        <last>Bloggs"</last>
        <email>joe@example.org</email>
    </record>
    <record>
        <id>jsmith</id>
        <first>Jane</first>
        <last>Smith</last>
        <email>jane@example.org</email>
    </record>
</file>`;
    const { records } = await read(xml);
    expect(records).toEqual([
      { id: "jbloggs", first: "Joe", last: 'Bloggs"', email: "joe@example.org" },
      { id: "jsmith", first: "Jane", last: "Smith", email: "jane@example.org" },
    ]);
  });

  test("malformed XML is refused, naming the line and the record", async () => {
    const error = await errorOf(() => read("<r>\n<p><id>1</id></p>\n<p><id>2</i></p>\n</r>"));
    expect(error).toBeInstanceOf(ReaderError);
    expect(error.message).toContain("The XML is not well-formed");
    expect(error.line).toBe(3);
    expect(error.record).toBe(2);
  });

  test("an empty file, and a file without a root, are errors", async () => {
    expect((await errorOf(() => read(""))).message).toBe("The file is empty: no XML document");
    expect((await errorOf(() => read("<!-- nothing -->"))).message).toContain("root element");
  });

  test("the same records whatever the chunk boundaries", async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c -->\n<r>\n<p><a>é★</a><b><![CDATA[x]]></b></p>\n<p><a>2</a></p>\n</r>';
    const expected = (await read(xml)).records;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(120), { maxLength: 10 }), async (cuts) => {
        expect((await read(xml, {}, cuts)).records).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});

describe("xml-attributes", () => {
  const read = (xml: string, spec = {}) => readAll("xml-attributes", xml, spec);

  test("each attribute of a record element is a value; content is ignored (Haplo's test)", async () => {
    expect((await read("<root></root>")).records).toEqual([]);
    const { records } = await read('<root> <v/> <something a="b" def="abc"/> <else hello="world"><x>ignored</x></else> </root>');
    expect(records).toEqual([{}, { a: "b", def: "abc" }, { hello: "world" }]);
  });

  test("singleRecord reads the root's attributes", async () => {
    expect((await read('<root a="b2" def="abc2"/>', { singleRecord: true })).records).toEqual([{ a: "b2", def: "abc2" }]);
  });

  test("attribute values decode entities; namespace declarations are not values", async () => {
    const { records } = await read('<r xmlns:x="urn:x"><p x:id="1" name="A &amp; B" xmlns="urn:y"/></r>');
    expect(records).toEqual([{ id: "1", name: "A & B" }]);
  });
});

describe("tsv-with-name-row", () => {
  const read = (text: string, spec = {}, cuts: number[] = []) => readAll("tsv-with-name-row", text, spec, cuts);

  test("a short row omits the missing column; extra fields are ignored (Haplo's test)", async () => {
    const { records, lines } = await read("ID\tVALUE\tX\n1234\tPING\n654\tPONG\tY\textra");
    expect(records).toEqual([
      { ID: "1234", VALUE: "PING" },
      { ID: "654", VALUE: "PONG", X: "Y" },
    ]);
    expect(lines).toEqual([2, 3]);
  });

  test("a custom separator may be several characters", async () => {
    const { records } = await read("ID, VALUE\n1234, PING2\n654, PONG3", { separator: ", " });
    expect(records).toEqual([
      { ID: "1234", VALUE: "PING2" },
      { ID: "654", VALUE: "PONG3" },
    ]);
  });

  test("a trailing newline, blank lines and CRLF make no empty records; values are not trimmed", async () => {
    const { records, lines } = await read("a\tb\r\n 1 \t\r\n\r\n2\t3\r\n\n");
    expect(records).toEqual([{ a: " 1 " }, { a: "2", b: "3" }]);
    expect(lines).toEqual([2, 4]);
  });

  test("a CRLF split between two chunks counts as one line", async () => {
    const text = "a\r\n1\r\n2\r\n3";
    for (let cut = 1; cut < text.length; cut++) {
      const { records, lines } = await read(text, {}, [cut]);
      expect(records).toEqual([{ a: "1" }, { a: "2" }, { a: "3" }]);
      expect(lines).toEqual([2, 3, 4]);
    }
  });

  test("an empty file is an error", async () => {
    expect((await errorOf(() => read("\n\n"))).message).toContain("The file is empty");
  });
});

describe("csv", () => {
  const read = (text: string, spec = {}, cuts: number[] = []) => readAll("csv", text, spec, cuts);

  test("RFC 4180 quoting: commas, doubled quotes and line breaks inside quoted values", async () => {
    const { records, lines } = await read('id,name,note\n1,"Smith, Jo","said ""hi"""\n2,"two\nlines",x\n3,plain,\n');
    expect(records).toEqual([
      { id: "1", name: "Smith, Jo", note: 'said "hi"' },
      { id: "2", name: "two\nlines", note: "x" },
      { id: "3", name: "plain" },
    ]);
    expect(lines).toEqual([2, 3, 5]);
  });

  test("like TSV: empty values are not set, short rows omit columns, extra fields are ignored", async () => {
    const { records } = await read("a,b,c\n1,,3\n4\n5,6,7,8\n");
    expect(records).toEqual([{ a: "1", c: "3" }, { a: "4" }, { a: "5", b: "6", c: "7" }]);
  });

  test("the delimiter option; CRLF line ends; a trailing newline and blank lines make no records", async () => {
    const { records, lines } = await read("a;b\r\n1;\"x;y\"\r\n\r\n2;3\r\n", { delimiter: ";" });
    expect(records).toEqual([
      { a: "1", b: "x;y" },
      { a: "2", b: "3" },
    ]);
    expect(lines).toEqual([2, 4]);
  });

  test("line numbers stay right after a quoted value with CRLF inside", async () => {
    const { lines } = await read('a,b\r\n1,"x\r\ny"\r\n2,z\r\n');
    expect(lines).toEqual([2, 4]);
  });

  test("a stray quote is refused, naming the line and the record", async () => {
    const error = await errorOf(() => read('a,b\n1,2\n3,x"y\n'));
    expect(error).toBeInstanceOf(ReaderError);
    expect(error.message).toContain("Invalid Opening Quote");
    expect(error.line).toBe(3);
    expect(error.record).toBe(2);
  });

  test("an unterminated quote is refused", async () => {
    const error = await errorOf(() => read('a,b\n1,"open\n2,3\n'));
    expect(error.message).toContain("Quote Not Closed");
  });

  test("the same records whatever the chunk boundaries", async () => {
    const text = 'id,name\r\n1,"a, ""b"""\r\n2,"x\r\ny"\r\n\r\n3,é★\r\n';
    const expected = await read(text);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(60), { maxLength: 8 }), async (cuts) => {
        expect(await read(text, {}, cuts)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});
