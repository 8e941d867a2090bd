// The `tsv-with-name-row` reader (reference §4): the first line names the columns; each later line
// is a record. Lines are split on runs of CR/LF, so blank lines vanish and a trailing newline does
// not make an empty record. A value is set only when non-empty; missing trailing fields are absent
// and extra fields ignored. No quoting. `separator` (default TAB) may be several characters.
import type { FileSpec } from "../types.ts";
import { decodeText, isKnownCharset } from "./decode.ts";
import { BATCH_SIZE, DEFAULT_LIMITS, ReaderError, type ByteSource, type Reader, type RecordBatch, type ReaderLimits } from "./types.ts";

/** Split decoded text into lines, keeping each line's number; bounded line length. */
export async function* readLines(
  text: AsyncIterable<string>,
  limits: ReaderLimits,
): AsyncGenerator<{ lines: string[]; numbers: number[] }> {
  let rest = "";
  let line = 1; // the number of the line that starts at the beginning of `rest`
  for await (const chunk of text) {
    const s = rest ? rest + chunk : chunk;
    // A CR at the very end may be the first half of a CRLF split across chunks: wait for the next one.
    const limit = s.charCodeAt(s.length - 1) === 13 ? s.length - 1 : s.length;
    const lines: string[] = [];
    const numbers: number[] = [];
    let start = 0;
    for (let i = 0; i < limit; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (i > start) {
        lines.push(s.slice(start, i));
        numbers.push(line);
      }
      if (c === 13 && s.charCodeAt(i + 1) === 10) i++;
      line++;
      start = i + 1;
    }
    rest = s.slice(start);
    if (rest.length > limits.maxRecordChars)
      throw new ReaderError(`Line ${line} is longer than ${limits.maxRecordChars} characters (is the file in this format?)`, line);
    if (lines.length) yield { lines, numbers };
  }
  const last = rest.replace(/\r$/, "");
  if (last.length) yield { lines: [last], numbers: [line] };
}

async function* readTsv(source: ByteSource, spec: FileSpec, limits: ReaderLimits = DEFAULT_LIMITS): AsyncGenerator<RecordBatch> {
  const separator = spec.separator ?? "\t";
  let headers: string[] | null = null;
  let records: unknown[] = [];
  let lines: number[] = [];
  for await (const batch of readLines(decodeText(source, spec.charset), limits)) {
    for (let i = 0; i < batch.lines.length; i++) {
      const fields = batch.lines[i]!.split(separator);
      if (!headers) {
        headers = fields;
        continue;
      }
      const record: Record<string, string> = {};
      const n = Math.min(fields.length, headers.length);
      for (let f = 0; f < n; f++) {
        const value = fields[f]!;
        if (value !== "") record[headers[f]!] = value;
      }
      records.push(record);
      lines.push(batch.numbers[i]!);
    }
    if (records.length >= BATCH_SIZE) {
      yield { records, lines };
      records = [];
      lines = [];
    }
  }
  if (!headers) throw new ReaderError("The file is empty: no header line naming the columns");
  if (records.length) yield { records, lines };
}

export function checkCharset(spec: FileSpec): string[] {
  return spec.charset !== undefined && !isKnownCharset(spec.charset) ? [`Unknown charset: ${spec.charset}`] : [];
}

export const tsvReader: Reader = {
  name: "tsv-with-name-row",
  description: "Tab-separated values; the first line names the columns. No quoting. Options: charset (default utf-8), separator (default TAB).",
  options: ["charset", "separator"],
  checkSpec: checkCharset,
  read: readTsv,
};
