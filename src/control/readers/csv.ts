// The `csv` reader (not in Haplo): comma-separated values with RFC 4180 quoting ("a ""b""",
// values over several lines), parsed by csv-parse. The first row names the columns, as in
// `tsv-with-name-row`, and the same rules apply: a value is set only when non-empty, missing
// trailing fields are absent, extra fields are ignored, empty lines never make records.
// Options: `delimiter` (default ","), `charset` (default utf-8).
import { parse, type Parser } from "csv-parse";
import type { FileSpec } from "../types.ts";
import { decodeText } from "./decode.ts";
import { checkCharset, rowToRecord } from "./tsv.ts";
import { batchFull, DEFAULT_LIMITS, ReaderError, type ByteSource, type Reader, type RecordBatch, type ReaderLimits } from "./types.ts";

interface ParsedRow {
  record: string[];
  info: { lines: number };
}

interface CsvError extends Error {
  code?: string;
  lines?: number;
}

const LINE_BREAKS = /\r\n|\r|\n/g;

/** csv-parse counts a CRLF inside a quoted value as two lines; real lines count it once. */
function embeddedBreaks(fields: string[]): { lines: number; crlf: number } {
  let lines = 0;
  let crlf = 0;
  for (const f of fields) {
    if (!f.includes("\n") && !f.includes("\r")) continue;
    for (const m of f.match(LINE_BREAKS) ?? []) {
      lines++;
      if (m === "\r\n") crlf++;
    }
  }
  return { lines, crlf };
}

function describeError(error: CsvError, limits: ReaderLimits): string {
  if (error.code === "CSV_MAX_RECORD_SIZE") return `A record is larger than ${limits.maxRecordChars} characters (is the file in this format?)`;
  // csv-parse's messages say what and where ("Invalid Closing Quote: got "x" at line 3 instead of delimiter…").
  return error.message.replace(/ at line \d+/, "");
}

async function* readCsv(source: ByteSource, spec: FileSpec, limits: ReaderLimits = DEFAULT_LIMITS): AsyncGenerator<RecordBatch> {
  const parser: Parser = parse({
    delimiter: spec.delimiter ?? ",",
    record_delimiter: ["\r\n", "\n", "\r"],
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: limits.maxRecordChars,
    info: true,
  });
  parser.on("error", () => {}); // read through `parser.errored` below, where the line is known
  let headers: string[] | null = null;
  let records: unknown[] = [];
  let lines: number[] = [];
  let extraLines = 0; // csv-parse's over-count so far (see embeddedBreaks)
  let recordCount = 0;

  // csv-parse parses a whole written chunk synchronously, so its rows can be read right away.
  const drain = () => {
    for (let row = parser.read() as ParsedRow | null; row !== null; row = parser.read() as ParsedRow | null) {
      const breaks = embeddedBreaks(row.record);
      extraLines += breaks.crlf;
      const endLine = row.info.lines - extraLines;
      if (!headers) {
        headers = row.record;
        continue;
      }
      records.push(rowToRecord(headers, row.record));
      lines.push(endLine - breaks.lines);
      recordCount++;
    }
    const error = parser.errored as CsvError | null;
    if (error) {
      const line = error.lines === undefined ? undefined : Math.max(1, error.lines - extraLines);
      throw new ReaderError(describeError(error, limits), line, headers ? recordCount + 1 : undefined);
    }
  };

  let chars = 0; // read since the last batch
  for await (const chunk of decodeText(source, spec.charset)) {
    parser.write(chunk);
    drain();
    chars += chunk.length;
    if (batchFull(records.length, chars)) {
      yield { records, lines };
      records = [];
      lines = [];
      chars = 0;
    }
  }
  parser.end();
  drain();
  if (!headers) throw new ReaderError("The file is empty: no header row naming the columns");
  if (records.length) yield { records, lines };
}

export const csvReader: Reader = {
  name: "csv",
  description: 'Comma-separated values with RFC 4180 quoting; the first row names the columns. Options: delimiter (default ","), charset (default utf-8).',
  options: ["delimiter", "charset"],
  checkSpec(spec) {
    const problems = checkCharset(spec);
    if (spec.delimiter !== undefined && (typeof spec.delimiter !== "string" || spec.delimiter === "" || /["\r\n]/.test(spec.delimiter)))
      problems.push('delimiter must be a non-empty string without quotes or line breaks, e.g. ";"');
    return problems;
  },
  read: readCsv,
};
