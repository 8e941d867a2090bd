// XML must never read a file or the network for an external entity (XXE), and never expand entity
// definitions into gigabytes (billion laughs). The readers never read a DTD: any entity other than
// the five of XML is an "undefined entity" error, and nothing of the entity's target appears.
import { expect, test } from "bun:test";
import { ReaderError } from "../../src/control/index.ts";
import { errorOf, readAll } from "./helpers.ts";

const ATTACKS: [string, string][] = [
  [
    "an external entity naming a local file (XXE)",
    '<?xml version="1.0"?>\n<!DOCTYPE people [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<people><p><id>1</id><name>&xxe;</name></p></people>',
  ],
  [
    "an external entity naming a URL",
    '<?xml version="1.0"?>\n<!DOCTYPE people [<!ENTITY net SYSTEM "http://127.0.0.1:1/steal">]>\n<people><p><id>1</id><name>&net;</name></p></people>',
  ],
  [
    "an external entity in an attribute",
    '<?xml version="1.0"?>\n<!DOCTYPE people [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n<people><p id="1" name="&xxe;"/></people>',
  ],
  [
    "a parameter entity pulling in an external DTD",
    '<?xml version="1.0"?>\n<!DOCTYPE people [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>\n<people><p><id>1</id><name>&ext;</name></p></people>',
  ],
  [
    "nested entity definitions (billion laughs)",
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n' +
      ' <!ENTITY lol "lol">\n' +
      Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ""};`.repeat(10)}">\n`).join("") +
      ']>\n<people><p><id>1</id><name>&lol9;</name></p></people>',
  ],
];

for (const [what, xml] of ATTACKS) {
  for (const reader of ["xml-text-of-children", "xml-attributes"]) {
    test(`${reader} refuses ${what}, reading nothing it names`, async () => {
      const error = await errorOf(() => readAll(reader, xml));
      expect(error).toBeInstanceOf(ReaderError);
      expect(error.message).toContain("undefined entity");
      expect(error.message).not.toContain("root:");
      expect(error.record).toBe(1);
    });
  }
}

test("a DOCTYPE with an internal subset but no entity use is harmless", async () => {
  const xml = '<?xml version="1.0"?>\n<!DOCTYPE people [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<people><p><id>1</id></p></people>';
  expect((await readAll("xml-text-of-children", xml)).records).toEqual([{ id: "1" }]);
});
