// The `json` reader (reference §4): a top-level array whose elements are records, or a top-level
// object whose values are records, or (`singleRecord`) the whole document as one record.
//
// Streaming: the text is scanned for the boundaries of each top-level element and only that
// element is handed to JSON.parse, so memory stays at one record however large the file. A
// general streaming JSON parser would do the same job token by token in JavaScript, several
// times slower on a million-record feed; this scanner only tracks strings and nesting depth.
import type { FileSpec } from "../types.ts";
import { decodeText } from "./decode.ts";
import { batchFull, DEFAULT_LIMITS, ReaderError, type ByteSource, type Reader, type RecordBatch, type ReaderLimits } from "./types.ts";

const enum State {
  Start,
  /** in the top array: a value, or the end */
  ArrayValueOrEnd,
  ArrayValue,
  ArrayCommaOrEnd,
  /** in the top object: a key, or the end */
  ObjectKeyOrEnd,
  ObjectKey,
  InKey,
  ObjectColon,
  ObjectValue,
  ObjectCommaOrEnd,
  /** inside a record */
  InValue,
  Done,
}

const QUOTE = 34,
  BACKSLASH = 92,
  OPEN_BRACE = 123,
  CLOSE_BRACE = 125,
  OPEN_BRACKET = 91,
  CLOSE_BRACKET = 93,
  COMMA = 44,
  COLON = 58,
  NEWLINE = 10;

function isSpace(c: number) {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function describe(c: number): string {
  return JSON.stringify(String.fromCharCode(c));
}

/** Scanner state carried from one chunk of text to the next. */
class Scanner {
  state = State.Start;
  topIsArray = true;
  // inside a value
  depth = 0;
  inString = false;
  escape = false;
  scalar = false;
  line = 1;
  recordLine = 1;
  recordCount = 0;
  /** text of the record being scanned, from earlier chunks */
  partial = "";
  partialLength = 0;
  keyEscape = false;

  constructor(private readonly limits: ReaderLimits) {}

  /**
   * Scan one chunk; append complete record texts (and their first lines) to `texts`/`lines`.
   * A plain synchronous loop: this is the hot path of reading a large feed.
   */
  scan(chunk: string, texts: string[], lines: number[]): void {
    const n = chunk.length;
    let start = this.state === State.InValue ? 0 : -1;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) this.line++;
      switch (this.state) {
        case State.InValue: {
          if (this.inString) {
            if (this.escape) this.escape = false;
            else if (c === BACKSLASH) this.escape = true;
            else if (c === QUOTE) {
              this.inString = false;
              if (this.depth === 0) {
                this.finish(chunk, start, i + 1, texts, lines);
                start = -1;
              }
            }
            continue;
          }
          if (this.scalar) {
            if (isSpace(c) || c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE) {
              this.finish(chunk, start, i, texts, lines);
              start = -1;
              i--; // the delimiter belongs to the container
              if (c === NEWLINE) this.line--;
            }
            continue;
          }
          if (c === QUOTE) this.inString = true;
          else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
          else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
            if (--this.depth === 0) {
              this.finish(chunk, start, i + 1, texts, lines);
              start = -1;
            }
          }
          continue;
        }
        case State.InKey:
          if (this.keyEscape) this.keyEscape = false;
          else if (c === BACKSLASH) this.keyEscape = true;
          else if (c === QUOTE) this.state = State.ObjectColon;
          continue;
      }
      if (isSpace(c)) continue;
      switch (this.state) {
        case State.Start:
          if (c === OPEN_BRACKET) (this.state = State.ArrayValueOrEnd), (this.topIsArray = true);
          else if (c === OPEN_BRACE) (this.state = State.ObjectKeyOrEnd), (this.topIsArray = false);
          else throw new ReaderError(`A JSON feed must be an array of records or an object whose values are records; found ${describe(c)}`, this.line);
          break;
        case State.ArrayValueOrEnd:
        case State.ArrayValue:
        case State.ObjectValue:
          if (c === CLOSE_BRACKET && this.state === State.ArrayValueOrEnd) {
            this.state = State.Done;
            break;
          }
          if (c === CLOSE_BRACKET || c === CLOSE_BRACE || c === COMMA || c === COLON)
            throw new ReaderError(`Expected a record but found ${describe(c)} (a trailing comma?)`, this.line, this.recordCount + 1);
          this.beginValue(c);
          start = i;
          break;
        case State.ArrayCommaOrEnd:
          if (c === COMMA) this.state = State.ArrayValue;
          else if (c === CLOSE_BRACKET) this.state = State.Done;
          else throw new ReaderError(`Expected "," or "]" after record ${this.recordCount} but found ${describe(c)}`, this.line);
          break;
        case State.ObjectKeyOrEnd:
        case State.ObjectKey:
          if (c === CLOSE_BRACE && this.state === State.ObjectKeyOrEnd) {
            this.state = State.Done;
            break;
          }
          if (c !== QUOTE) throw new ReaderError(`Expected a property name in double quotes but found ${describe(c)}`, this.line);
          this.state = State.InKey;
          break;
        case State.ObjectColon:
          if (c !== COLON) throw new ReaderError(`Expected ":" but found ${describe(c)}`, this.line);
          this.state = State.ObjectValue;
          break;
        case State.ObjectCommaOrEnd:
          if (c === COMMA) this.state = State.ObjectKey;
          else if (c === CLOSE_BRACE) this.state = State.Done;
          else throw new ReaderError(`Expected "," or "}" after record ${this.recordCount} but found ${describe(c)}`, this.line);
          break;
        case State.Done:
          throw new ReaderError(`Unexpected ${describe(c)} after the end of the JSON document`, this.line);
      }
    }
    if (this.state === State.InValue && start >= 0) this.keep(chunk.slice(start));
  }

  private beginValue(c: number) {
    this.state = State.InValue;
    this.recordLine = this.line;
    this.depth = c === OPEN_BRACE || c === OPEN_BRACKET ? 1 : 0;
    this.inString = c === QUOTE;
    this.escape = false;
    this.scalar = !this.inString && this.depth === 0;
    this.partial = "";
    this.partialLength = 0;
  }

  private keep(text: string) {
    this.partialLength += text.length;
    if (this.partialLength > this.limits.maxRecordChars)
      throw new ReaderError(`Record ${this.recordCount + 1} is larger than ${this.limits.maxRecordChars} characters`, this.recordLine, this.recordCount + 1);
    this.partial += text;
  }

  private finish(chunk: string, start: number, end: number, texts: string[], lines: number[]) {
    const piece = start >= 0 ? chunk.slice(start, end) : chunk.slice(0, end);
    let text = piece;
    if (this.partialLength) {
      if (this.partialLength + piece.length > this.limits.maxRecordChars)
        throw new ReaderError(`Record ${this.recordCount + 1} is larger than ${this.limits.maxRecordChars} characters`, this.recordLine, this.recordCount + 1);
      text = this.partial + piece;
      this.partial = "";
      this.partialLength = 0;
    } else if (text.length > this.limits.maxRecordChars) {
      throw new ReaderError(`Record ${this.recordCount + 1} is larger than ${this.limits.maxRecordChars} characters`, this.recordLine, this.recordCount + 1);
    }
    texts.push(text);
    lines.push(this.recordLine);
    this.recordCount++;
    this.state = this.topIsArray ? State.ArrayCommaOrEnd : State.ObjectCommaOrEnd;
  }

  end(): void {
    if (this.state === State.Start) throw new ReaderError("The file is empty: no JSON document");
    if (this.state !== State.Done)
      throw new ReaderError(
        `The JSON document ends early, after ${this.recordCount} complete record(s): the file is truncated or malformed`,
        this.line,
      );
  }
}

function parseRecords(texts: string[], lines: number[], firstRecord: number): unknown[] {
  const records = new Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    try {
      records[i] = JSON.parse(texts[i]!);
    } catch (error) {
      throw new ReaderError(`Record ${firstRecord + i + 1} is not valid JSON: ${(error as Error).message}`, lines[i], firstRecord + i + 1);
    }
  }
  return records;
}

async function* readJson(source: ByteSource, spec: FileSpec, limits: ReaderLimits = DEFAULT_LIMITS): AsyncGenerator<RecordBatch> {
  if (spec.singleRecord) {
    let text = "";
    for await (const chunk of decodeText(source, "utf-8")) {
      text += chunk;
      if (text.length > limits.maxRecordChars) throw new ReaderError(`The single record is larger than ${limits.maxRecordChars} characters`, 1, 1);
    }
    if (text.trim() === "") throw new ReaderError("The file is empty: no JSON document");
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw new ReaderError(`The file is not valid JSON: ${(error as Error).message}`, 1, 1);
    }
    yield { records: [record], lines: [1], texts: [text.trim()] };
    return;
  }
  const scanner = new Scanner(limits);
  let texts: string[] = [];
  let lines: number[] = [];
  let done = 0;
  let chars = 0; // read since the last batch
  for await (const chunk of decodeText(source, "utf-8")) {
    scanner.scan(chunk, texts, lines);
    chars += chunk.length;
    if (batchFull(texts.length, chars)) {
      yield { records: parseRecords(texts, lines, done), lines, texts };
      done += texts.length;
      texts = [];
      lines = [];
      chars = 0;
    }
  }
  scanner.end();
  if (texts.length) yield { records: parseRecords(texts, lines, done), lines, texts };
}

export const jsonReader: Reader = {
  name: "json",
  description: "JSON: an array of records, or an object whose values are records (singleRecord: the whole file is one record). Always UTF-8.",
  options: ["singleRecord"],
  checkSpec(spec) {
    const problems: string[] = [];
    if (spec.charset !== undefined && !/^utf-?8$/i.test(spec.charset)) problems.push("JSON files are always UTF-8; remove the charset");
    return problems;
  },
  read: readJson,
};
