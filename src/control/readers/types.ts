import type { FileSpec } from "../types.ts";

/** The bytes of one file, as they arrive (e.g. `Bun.file(path).stream()`). */
export type ByteSource = AsyncIterable<Uint8Array>;

/** Records read from a file, a batch at a time, so that per-record work can run in a plain loop. */
export interface RecordBatch {
  records: unknown[];
  /** Where each record starts: the line number (1-based) in the file. */
  lines: number[];
  /** The record's text as received, when the format has one (JSON); saves serialising it again. */
  texts?: string[];
}

export interface Reader {
  name: string;
  description: string;
  /** Options this reader accepts besides `read`. */
  options: string[];
  /** Problems with the file spec (bad charset, separator…), for validation. */
  checkSpec(spec: FileSpec): string[];
  read(source: ByteSource, spec: FileSpec, limits?: ReaderLimits): AsyncGenerator<RecordBatch>;
}

export interface ReaderLimits {
  /** Largest single record, in characters; a bigger one is an error, never a memory blow-up. */
  maxRecordChars: number;
}

export const DEFAULT_LIMITS: ReaderLimits = { maxRecordChars: 16 * 1024 * 1024 };

/** A problem with the file's content. `line` and `record` say where; the engine adds the file's name. */
export class ReaderError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly record?: number,
  ) {
    super(message);
    this.name = "ReaderError";
  }
}

/** Records per batch: large enough to amortise the await, small enough to keep memory flat. */
export const BATCH_SIZE = 2000;

/**
 * Characters of input per batch, at most (plus the chunk or the record that crossed it): a batch
 * also ends here, or 2,000 records of a megabyte each — each under the record bound — would sit in
 * memory at once, parsed.
 */
export const BATCH_CHARS = 8 * 1024 * 1024;

/** Whether a batch of `records` records read from `chars` characters of input is to be handed on now. */
export function batchFull(records: number, chars: number): boolean {
  return records >= BATCH_SIZE || (records > 0 && chars >= BATCH_CHARS);
}
