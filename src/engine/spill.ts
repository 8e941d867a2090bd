// A run's scratch file of raw records. Pass 1 reads every record once and cannot know yet which
// users changed; it appends each record's text here and stages only (username, digests, offset).
// Once classification has picked the changed users, their records are read back by offset.
// Memory stays flat whatever the feed's size; the file is deleted when the run ends.
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";

export class Spill {
  private readonly fd: number;
  private offset = 0;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w+", 0o600);
  }

  /** Append a record's text; returns [offset, length] in bytes. */
  append(text: string): [number, number] {
    const length = Buffer.byteLength(text);
    const at = this.offset + this.pendingBytes;
    this.pending.push(text);
    this.pendingBytes += length;
    if (this.pendingBytes > 1 << 20) this.flush();
    return [at, length];
  }

  flush(): void {
    if (!this.pending.length) return;
    const buffer = Buffer.from(this.pending.join(""));
    writeSync(this.fd, buffer, 0, buffer.length, this.offset);
    this.offset += buffer.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  read(offset: number, length: number): string {
    const buffer = Buffer.allocUnsafe(length);
    readSync(this.fd, buffer, 0, length, offset);
    return buffer.toString("utf8");
  }

  get size(): number {
    return this.offset + this.pendingBytes;
  }

  dispose(): void {
    try {
      closeSync(this.fd);
    } catch {}
    rmSync(this.path, { force: true });
  }
}
