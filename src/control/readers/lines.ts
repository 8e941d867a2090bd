// Decoded text → lines, streaming, each with its line number. Lines end at CR, LF or CRLF (a CRLF
// split across two chunks counts once). Empty lines are dropped, so blank lines and a trailing
// newline never make records. Only the unfinished last line is kept between chunks, and it is
// bounded: a line longer than the limit is refused as soon as it passes the limit, so a 2 GB file
// without a newline costs at most the limit in memory.
import { ReaderError, type ReaderLimits } from "./types.ts";

export interface LineBatch {
  lines: string[];
  /** the 1-based line number of each line */
  numbers: number[];
}

const LF = 10;
const CR = 13;

function tooLong(line: number, limits: ReaderLimits): ReaderError {
  return new ReaderError(`Line ${line} is longer than ${limits.maxRecordChars} characters (is the file in this format?)`, line);
}

export async function* readLines(text: AsyncIterable<string>, limits: ReaderLimits): AsyncGenerator<LineBatch> {
  const max = limits.maxRecordChars;
  let partial: string[] = []; // the unfinished line, in pieces
  let partialLength = 0;
  let line = 1; // the number of the line being read
  let afterCR = false; // the previous chunk ended with CR: a leading LF completes a CRLF
  for await (const chunk of text) {
    const lines: string[] = [];
    const numbers: number[] = [];
    const n = chunk.length;
    let i = 0;
    if (afterCR && n > 0 && chunk.charCodeAt(0) === LF) i = 1;
    if (n > 0) afterCR = false;
    let start = i;
    for (; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      let text = chunk.slice(start, i);
      if (partialLength) {
        text = partial.join("") + text;
        partial = [];
        partialLength = 0;
      }
      if (text.length > max) throw tooLong(line, limits);
      if (text.length) {
        lines.push(text);
        numbers.push(line);
      }
      line++;
      if (c === CR) {
        if (i + 1 < n) {
          if (chunk.charCodeAt(i + 1) === LF) i++;
        } else afterCR = true;
      }
      start = i + 1;
    }
    if (start < n) {
      partial.push(chunk.slice(start));
      partialLength += n - start;
      if (partialLength > max) throw tooLong(line, limits);
    }
    if (lines.length) yield { lines, numbers };
  }
  if (partialLength) yield { lines: [partial.join("")], numbers: [line] };
}
