// The `tsv-with-name-row` reader (reference §4): the first line names the columns; each later line
// is a record. Lines end at CR, LF or CRLF and empty lines are dropped, so blank lines vanish and a
// trailing newline does not make an empty record. A value is set only when non-empty; missing
// trailing fields are absent and extra fields ignored. No quoting (that is what `csv` is for).
// `separator` (default TAB) may be several characters, e.g. ", ".
import type { FileSpec } from "../types.ts";
import { decodeText, isKnownCharset } from "./decode.ts";
import { readLines } from "./lines.ts";
import { batchFull, DEFAULT_LIMITS, ReaderError, type ByteSource, type Reader, type RecordBatch, type ReaderLimits } from "./types.ts";

/** A row of values under the header's names: only non-empty values are set (Haplo's rule). */
export function rowToRecord(headers: readonly string[], fields: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  const n = Math.min(fields.length, headers.length);
  for (let f = 0; f < n; f++) {
    const value = fields[f]!;
    if (value !== "") record[headers[f]!] = value;
  }
  return record;
}

async function* readTsv(source: ByteSource, spec: FileSpec, limits: ReaderLimits = DEFAULT_LIMITS): AsyncGenerator<RecordBatch> {
  const separator = spec.separator ?? "\t";
  let headers: string[] | null = null;
  let records: unknown[] = [];
  let lines: number[] = [];
  let chars = 0; // read since the last batch
  for await (const batch of readLines(decodeText(source, spec.charset), limits)) {
    for (let i = 0; i < batch.lines.length; i++) {
      chars += batch.lines[i]!.length;
      const fields = batch.lines[i]!.split(separator);
      if (!headers) {
        headers = fields;
        continue;
      }
      records.push(rowToRecord(headers, fields));
      lines.push(batch.numbers[i]!);
    }
    if (batchFull(records.length, chars)) {
      yield { records, lines };
      records = [];
      lines = [];
      chars = 0;
    }
  }
  if (!headers) throw new ReaderError("The file is empty: no header line naming the columns");
  if (records.length) yield { records, lines };
}

export function checkCharset(spec: FileSpec): string[] {
  if (spec.charset === undefined) return [];
  if (typeof spec.charset !== "string") return ["charset must be the name of a character set, e.g. \"windows-1252\""];
  return isKnownCharset(spec.charset) ? [] : [`Unknown charset: ${spec.charset}`];
}

export const tsvReader: Reader = {
  name: "tsv-with-name-row",
  description: "Tab-separated values; the first line names the columns. No quoting. Options: charset (default utf-8), separator (default TAB).",
  options: ["charset", "separator"],
  checkSpec(spec) {
    const problems = checkCharset(spec);
    if (spec.separator !== undefined && (typeof spec.separator !== "string" || spec.separator === ""))
      problems.push("separator must be a non-empty string");
    return problems;
  },
  read: readTsv,
};
