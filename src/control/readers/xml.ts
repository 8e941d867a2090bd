// The XML readers (reference §4): `xml-text-of-children` and `xml-attributes`. Each child element
// of the root element is a record, whatever its name (`singleRecord`: the root itself is the one
// record). For `xml-text-of-children` each child element of a record gives `row[localName]` = all
// the text inside it (descendants and CDATA included), concatenated and not trimmed; a repeated
// name keeps the last. For `xml-attributes` each attribute of the record element gives
// `row[localName]` = its value, and content is ignored.
//
// Streaming (saxes, fed decoded text a chunk at a time), so a large file is never held whole.
// The charset comes from the XML declaration (or a byte-order mark), UTF-8 when there is none.
// Unlike Haplo, a comment, processing instruction or DOCTYPE before the root does not hide the
// records (Haplo then read zero records and blocked everyone). Entities: only the five XML ones and
// character references; DTDs are never read or fetched, so an external entity (XXE) or an
// entity-expansion bomb ("billion laughs") is an "undefined entity" error, never a file read or a
// memory blow-up.
import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from "saxes";
import type { FileSpec } from "../types.ts";
import { decodeText, isKnownCharset } from "./decode.ts";
import { batchFull, DEFAULT_LIMITS, ReaderError, type ByteSource, type Reader, type RecordBatch, type ReaderLimits } from "./types.ts";

/**
 * How deep elements may nest. A feed needs three or four levels; without a bound, saxes resolves
 * each tag's namespace by walking the open tags, so a hostile file of nested tags cost O(depth²):
 * 100,000 levels (600 KB) took over 30 s of a blocked event loop.
 */
export const MAX_XML_DEPTH = 256;

/** How far into the file the XML declaration may reach. */
const DECLARATION_BYTES = 1024;

export interface Sniffed {
  charset: string;
  /** the same bytes, from the start (the sniffed prefix is replayed) */
  source: ByteSource;
}

/**
 * The charset of an XML file, from its byte-order mark or its declaration
 * (`<?xml version="1.0" encoding="windows-1252"?>`); UTF-8 when it has neither.
 */
export async function sniffXmlCharset(source: ByteSource): Promise<Sniffed> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let length = 0;
  let done = false;
  const bytes = () => {
    const all = new Uint8Array(length);
    let at = 0;
    for (const h of head) all.set(h, (at += h.length) - h.length);
    return all;
  };
  // Read until the declaration is complete ("?>"), or clearly absent, or the limit.
  for (;;) {
    const sofar = bytes();
    const text = new TextDecoder("latin1").decode(sofar.subarray(0, DECLARATION_BYTES));
    const body = text.replace(/^\xef\xbb\xbf/, "");
    const undecided =
      length < 4 || (body.length < 5 ? "<?xml".startsWith(body) : body.startsWith("<?xml") && !body.includes("?>"));
    if (done || length >= DECLARATION_BYTES || !undecided) break;
    const next = await iterator.next();
    if (next.done) done = true;
    else if (next.value.length) {
      head.push(next.value);
      length += next.value.length;
    }
  }
  const prefix = bytes();
  const rest: ByteSource = {
    async *[Symbol.asyncIterator]() {
      if (prefix.length) yield prefix;
      if (done) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    },
  };
  return { charset: charsetOf(prefix), source: rest };
}

function charsetOf(prefix: Uint8Array): string {
  const [a, b, c, d] = prefix;
  if (a === 0xef && b === 0xbb && c === 0xbf) return "utf-8";
  if (a === 0xff && b === 0xfe) return "utf-16le";
  if (a === 0xfe && b === 0xff) return "utf-16be";
  if (a === 0x3c && b === 0x00 && c === 0x3f && d === 0x00) return "utf-16le";
  if (a === 0x00 && b === 0x3c && c === 0x00 && d === 0x3f) return "utf-16be";
  const text = new TextDecoder("latin1").decode(prefix.subarray(0, DECLARATION_BYTES));
  const declaration = /^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._:-]*)\1/.exec(text);
  return declaration ? declaration[2]! : "utf-8";
}

type Mode = "children" | "attributes";

/** The name a field gets: the local name, without a namespace prefix (Haplo's getLocalName). */
function localName(tag: { local?: string; name: string }): string {
  return tag.local || tag.name;
}

function isNamespaceDeclaration(attribute: SaxesAttributeNS): boolean {
  return attribute.name === "xmlns" || attribute.prefix === "xmlns";
}

function makeReader(mode: Mode) {
  return async function* readXml(source: ByteSource, spec: FileSpec, limits: ReaderLimits = DEFAULT_LIMITS): AsyncGenerator<RecordBatch> {
    const sniffed = await sniffXmlCharset(source);
    if (!isKnownCharset(sniffed.charset)) throw new ReaderError(`Unknown charset in the XML declaration: ${sniffed.charset}`, 1);
    const singleRecord = spec.singleRecord === true;
    const recordDepth = singleRecord ? 1 : 2;
    const fieldDepth = recordDepth + 1;

    const parser = new SaxesParser({ xmlns: true, position: true });
    let depth = 0;
    let sawRoot = false;
    let row: Record<string, string> | null = null;
    let rowLine = 0;
    /** inside a record element, from its start tag's "<" (its attributes count towards its size) */
    let inRecord = false;
    let field: string | null = null;
    let fieldText: string[] = [];
    let recordCount = 0;
    /** characters taken in since the last record ended: bounds what one record may hold */
    let sinceRecord = 0;
    let records: unknown[] = [];
    let lines: number[] = [];

    parser.on("error", (error) => {
      const message = error.message.replace(/^(?:[^:]*:)?\d+:\d+: /, "").replace(/\.$/, "");
      const hint = message === "undefined entity" ? " (only &amp; &lt; &gt; &quot; &apos; and character references are read: entities a DTD defines never are)" : "";
      throw new ReaderError(`The XML is not well-formed: ${message}${hint}`, parser.line, inRecord ? recordCount + 1 : undefined);
    });
    parser.on("opentagstart", () => {
      if (depth >= MAX_XML_DEPTH) throw new ReaderError(`The XML nests elements more than ${MAX_XML_DEPTH} deep`, parser.line, inRecord ? recordCount + 1 : undefined);
      if (depth + 1 === recordDepth) {
        rowLine = parser.line;
        inRecord = true;
      }
    });
    parser.on("opentag", (tag: SaxesTagNS) => {
      depth++;
      if (depth === 1) sawRoot = true;
      if (depth === recordDepth) {
        row = {};
        if (mode === "attributes")
          for (const attribute of Object.values(tag.attributes)) if (!isNamespaceDeclaration(attribute)) row[localName(attribute)] = attribute.value;
      } else if (depth === fieldDepth && mode === "children") {
        field = localName(tag);
        fieldText = [];
      }
    });
    const onText = (text: string) => {
      if (field !== null && depth >= fieldDepth) fieldText.push(text);
    };
    parser.on("text", onText);
    parser.on("cdata", onText);
    parser.on("closetag", () => {
      if (depth === fieldDepth && field !== null && row) {
        row[field] = fieldText.join("");
        field = null;
        fieldText = [];
      } else if (depth === recordDepth && row) {
        records.push(row);
        lines.push(rowLine);
        recordCount++;
        row = null;
        inRecord = false;
        sinceRecord = 0;
      }
      depth--;
    });

    let empty = true;
    let chars = 0; // read since the last batch
    for await (const chunk of decodeText(sniffed.source, sniffed.charset)) {
      if (empty && chunk.trim() !== "") empty = false;
      sinceRecord += chunk.length;
      chars += chunk.length;
      parser.write(chunk);
      if (sinceRecord > limits.maxRecordChars) {
        throw inRecord
          ? new ReaderError(`Record ${recordCount + 1} is larger than ${limits.maxRecordChars} characters`, rowLine, recordCount + 1)
          : new ReaderError(`More than ${limits.maxRecordChars} characters of XML without a complete record`, parser.line);
      }
      if (batchFull(records.length, chars)) {
        yield { records, lines };
        records = [];
        lines = [];
        chars = 0;
      }
    }
    if (empty) throw new ReaderError("The file is empty: no XML document");
    parser.close();
    if (!sawRoot) throw new ReaderError("The file has no XML root element (is it empty?)");
    if (records.length) yield { records, lines };
  };
}

function checkXmlSpec(spec: FileSpec): string[] {
  if (spec.charset !== undefined) return ["XML files declare their charset in the XML declaration (<?xml version=\"1.0\" encoding=\"…\"?>); remove charset"];
  return [];
}

export const xmlTextOfChildrenReader: Reader = {
  name: "xml-text-of-children",
  description: "XML: each child element of the root is a record; the text of each of its child elements is a value, named by the element. Charset from the XML declaration.",
  options: ["singleRecord"],
  checkSpec: checkXmlSpec,
  read: makeReader("children"),
};

export const xmlAttributesReader: Reader = {
  name: "xml-attributes",
  description: "XML: each child element of the root is a record; each of its attributes is a value. Charset from the XML declaration.",
  options: ["singleRecord"],
  checkSpec: checkXmlSpec,
  read: makeReader("attributes"),
};
