// COPY rows in PostgreSQL's text format, written straight into UTF-8 bytes.
//
// Why not strings: a first load stages about 1.3 KB per user. Built as JavaScript strings — each
// row's values joined with tabs, the rows joined with newlines, the text encoded to UTF-8 on its
// way to the socket — that text cost more time than mapping the records did (measured on the
// 100k first load's stage, 128 MB: 1.6–2.0 s as joined strings, 0.06–0.08 s written value by
// value into a buffer). A single name outside Latin-1 (Łukasz) turns a whole joined text into
// two bytes per character, and every copy after that pays for it.
import { copyField } from "./db.ts";

const TAB = 9;
const NEWLINE = 10;
const NEEDS_ESCAPE = /[\\\t\n\r]/;
/** Bytes handed over by `take()` are whole rows; a new buffer starts at this size and grows as needed. */
const DEFAULT_CAPACITY = 1 << 20;
/** Buffers kept for reuse, at most: as many as the rows a writer may have in flight (stage.ts AHEAD_BYTES). */
const MAX_SPARE = 4;
/**
 * Smaller buffers are never recycled: small `allocUnsafe` buffers may be slices of Buffer's shared
 * pool (Buffer.poolSize, 8 KB), whose other bytes belong to someone else.
 */
const MIN_RECYCLED = 64 * 1024;

export type CopyValue = string | number | bigint | boolean | null | undefined;

export class CopyText {
  private bytes: Buffer;
  private at = 0;
  /** values written on the row in progress (0: at the start of a row) */
  private values = 0;
  /** buffers given back (recycle), for the next take() */
  private readonly spare: Buffer[] = [];

  constructor(private readonly capacity = DEFAULT_CAPACITY) {
    this.bytes = Buffer.allocUnsafe(capacity);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.at;
  }

  /** The next value of the row: escaped for COPY; null or undefined is SQL NULL. */
  value(value: CopyValue): this {
    if (this.values++ > 0) {
      this.room(1);
      this.bytes[this.at++] = TAB;
    }
    if (value === null || value === undefined) return this.write("\\N");
    const text = typeof value === "string" ? value : String(value);
    return this.write(NEEDS_ESCAPE.test(text) ? copyField(text) : text);
  }

  /** `count` NULL values. */
  nulls(count: number): this {
    for (let i = 0; i < count; i++) this.value(null);
    return this;
  }

  /** Ends the row. */
  endRow(): this {
    this.room(1);
    this.bytes[this.at++] = NEWLINE;
    this.values = 0;
    return this;
  }

  /** A whole row. */
  row(values: readonly CopyValue[]): this {
    for (const v of values) this.value(v);
    return this.endRow();
  }

  /**
   * Hands over the rows written so far and starts a new buffer: the bytes handed over are never
   * written again — unless they are given back with `recycle`.
   */
  take(): Uint8Array {
    if (this.values > 0) throw new Error("CopyText.take() in the middle of a row");
    const out = this.bytes.subarray(0, this.at);
    this.bytes = this.spare.pop() ?? Buffer.allocUnsafe(this.capacity);
    this.at = 0;
    return out;
  }

  /**
   * Bytes from `take()` that are no longer needed (copied in): their buffer takes the next rows.
   * Why: a first load hands over gigabytes; in new buffers every page of them was new memory for
   * the kernel to find and clear (at 100k new users, a second more of system time).
   */
  recycle(bytes: Uint8Array): void {
    const whole = bytes.buffer.byteLength;
    if (this.spare.length >= MAX_SPARE || bytes.byteOffset !== 0 || whole < this.capacity || whole < MIN_RECYCLED) return;
    this.spare.push(Buffer.from(bytes.buffer, 0, bytes.buffer.byteLength));
  }

  private write(text: string): this {
    this.room(text.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 code unit
    this.at += this.bytes.write(text, this.at, "utf8");
    return this;
  }

  private room(needed: number): void {
    if (this.bytes.length - this.at >= needed) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + needed));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
  }
}
