// Batch files, kept forever (or for the configured retention), content-addressed by SHA-256:
// <filesDir>/ab/abcdef…  Identical uploads are stored once. A file is written to a temporary
// name and renamed into place only when complete, so a reader never sees half a file. Several
// daemons can share one folder (scale-out on PostgreSQL).
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";

export interface StoredFile {
  digest: string;
  size: number;
}

/** The disk (or quota) is full: nothing of the file was kept. No fault of the file; send it again later. */
export class NoSpaceError extends Error {
  constructor() {
    super("The server has no space left to store the file; nothing of it was kept. Send it again later.");
    this.name = "NoSpaceError";
  }
}

export class FileTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The file is larger than the limit of ${limit} bytes`);
    this.name = "FileTooLargeError";
  }
}

const DIGEST = /^[0-9a-f]{64}$/;

export class FileStore {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, "tmp"), { recursive: true });
  }

  pathOf(digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`Not a file digest: ${digest}`);
    return join(this.dir, digest.slice(0, 2), digest);
  }

  has(digest: string): boolean {
    return existsSync(this.pathOf(digest));
  }

  size(digest: string): number {
    return statSync(this.pathOf(digest)).size;
  }

  /** The bytes of a stored file, streamed. */
  stream(digest: string): ReadableStream<Uint8Array> {
    return Bun.file(this.pathOf(digest)).stream();
  }

  async text(digest: string): Promise<string> {
    return Bun.file(this.pathOf(digest)).text();
  }

  /** Store bytes from a stream; refuses (and keeps nothing) past `maxBytes`. */
  async put(source: AsyncIterable<Uint8Array>, maxBytes = Number.POSITIVE_INFINITY): Promise<StoredFile> {
    const tmp = join(this.dir, "tmp", `${process.pid}-${crypto.randomUUID()}`);
    const hasher = new Bun.CryptoHasher("sha256");
    const out = createWriteStream(tmp, { mode: 0o640 });
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new FileTooLargeError(maxBytes);
        hasher.update(chunk);
        if (!out.write(chunk)) await once(out, "drain");
      }
      out.end();
      await once(out, "finish");
    } catch (error) {
      out.destroy();
      rmSync(tmp, { force: true });
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === "ENOSPC" || code === "EDQUOT") throw new NoSpaceError();
      throw error;
    }
    const digest = hasher.digest("hex");
    const target = this.pathOf(digest);
    mkdirSync(join(this.dir, digest.slice(0, 2)), { recursive: true });
    if (existsSync(target)) rmSync(tmp, { force: true });
    else renameSync(tmp, target);
    return { digest, size };
  }

  async putPath(path: string, maxBytes?: number): Promise<StoredFile> {
    return this.put(Bun.file(path).stream(), maxBytes);
  }

  async putText(text: string): Promise<StoredFile> {
    const bytes = new TextEncoder().encode(text);
    return this.put(
      (async function* () {
        yield bytes;
      })(),
    );
  }
}
