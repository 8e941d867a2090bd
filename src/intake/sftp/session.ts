// One SFTP session of one account: the file operations an uploader needs (ls, put, get, rename,
// rm, mkdir, rmdir), all inside the account's jailed home.
//
// When is a file complete? On the SFTP CLOSE of its write handle — the client has sent every
// byte — or when a `.part`/`.tmp`/hidden file is renamed to its real name. Only then is it
// ingested; the answer to that CLOSE or RENAME says whether the run took it. A connection that
// drops with a write handle open never produces an ingested file: the partial file is deleted.
// Accepted files leave the home (they are kept in the file store); refused ones move to
// rejected/ with NAME.error.txt beside them saying why, which the uploader can `get`.
import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { utils, type Attributes, type SFTPWrapper } from "ssh2";
import { feedNameOf, isIgnoredUpload } from "../../batch/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Intake } from "../index.ts";
import { isRefusal, moveToRejected, REJECTED_DIR } from "../rejected.ts";
import { Jail, JailError } from "./jail.ts";

const { STATUS_CODE, flagsToString } = utils.sftp;

interface FileHandle {
  kind: "file";
  fd: number;
  path: string;
  writable: boolean;
  tooLarge: boolean;
  /** a WRITE failed (a full disk…): the file is incomplete whatever the client does next */
  writeFailed?: string;
}
interface DirHandle {
  kind: "dir";
  path: string;
  done: boolean;
}

export interface SessionOptions {
  sftp: SFTPWrapper;
  account: string;
  home: string;
  intake: Intake;
  maxFileBytes: number;
  log: Logger;
}

function attrsOf(stats: Stats): Attributes {
  return { mode: stats.mode, uid: stats.uid, gid: stats.gid, size: stats.size, atime: Math.floor(stats.atimeMs / 1000), mtime: Math.floor(stats.mtimeMs / 1000) };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function longname(name: string, stats: Stats, owner: string): string {
  const type = stats.isDirectory() ? "d" : "-";
  const perms = [6, 3, 0].map((shift) => {
    const bits = (stats.mode >> shift) & 7;
    return `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${bits & 1 ? "x" : "-"}`;
  });
  const d = stats.mtime;
  const when = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  return `${type}${perms.join("")}    1 ${owner.padEnd(8)} ${owner.padEnd(8)} ${String(stats.size).padStart(8)} ${when} ${name}`;
}

export function startSession(options: SessionOptions): void {
  const { sftp, account, intake, log } = options;
  mkdirSync(options.home, { recursive: true, mode: 0o750 });
  const jail = new Jail(options.home);
  const handles = new Map<number, FileHandle | DirHandle>();
  let nextHandle = 1;

  const newHandle = (h: FileHandle | DirHandle): Buffer => {
    const id = nextHandle++;
    handles.set(id, h);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  };
  const handleOf = (buf: Buffer) => (buf.length === 4 ? handles.get(buf.readUInt32BE(0)) : undefined);
  const dropHandle = (buf: Buffer) => handles.delete(buf.readUInt32BE(0));

  /** Run an operation, answering the client with a status on any error. */
  const guarded = (reqId: number, fn: () => void | Promise<void>) => {
    Promise.resolve()
      .then(fn)
      .catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (error instanceof JailError) return sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, error.message);
        if (code === "ENOENT") return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, "No such file");
        if (code === "EACCES" || code === "EPERM" || code === "ELOOP") return sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, "Permission denied");
        if (code !== "EEXIST" && code !== "ENOTEMPTY" && code !== "EISDIR" && code !== "ENOTDIR") log.error("sftp.error", { account, error });
        sftp.status(reqId, STATUS_CODE.FAILURE, error instanceof Error ? error.message : "Failure");
      })
      .catch(() => {}); // the client went away before its answer: nobody left to tell
  };

  /** A complete file in the home: hand it to intake; on refusal move it to rejected/ with the reason. */
  const ingest = async (path: string): Promise<{ ok: true } | { ok: false; message: string }> => {
    const virtualPath = jail.toVirtual(path);
    if (isIgnoredUpload(path) || virtualPath.startsWith(`/${REJECTED_DIR}/`)) return { ok: true };
    const filename = basename(path);
    try {
      await intake.ingest({ name: feedNameOf(filename), filename, via: "sftp", by: account }, createReadStream(path), options.maxFileBytes);
      unlinkSync(path);
      return { ok: true };
    } catch (error) {
      if (!isRefusal(error)) throw error;
      moveToRejected(path, join(jail.realHome, REJECTED_DIR), error.message);
      return { ok: false, message: error.message };
    }
  };

  /** Throw away what a dropped connection left half-written. */
  const discardOpenWrites = () => {
    for (const [id, h] of handles) {
      if (h.kind !== "file") continue;
      try {
        closeSync(h.fd);
      } catch {}
      if (h.writable) {
        try {
          unlinkSync(h.path);
        } catch {}
        log.warn("sftp.upload-abandoned", { account, file: jail.toVirtual(h.path) });
      }
      handles.delete(id);
    }
  };
  sftp.on("close", discardOpenWrites);
  // Without this the OpenSSH client hangs after its last command (toolchain.md §2, gotcha 1).
  sftp.on("end", () => sftp.end());

  sftp.on("REALPATH", (reqId, path) =>
    guarded(reqId, () => {
      const virtual = jail.virtual(path);
      sftp.name(reqId, [{ filename: virtual, longname: virtual, attrs: {} as Attributes }]);
    }),
  );

  const stat = (reqId: number, path: string) =>
    guarded(reqId, () => {
      sftp.attrs(reqId, attrsOf(statSync(jail.resolve(path))));
    });
  sftp.on("STAT", stat);
  sftp.on("LSTAT", stat);
  sftp.on("FSTAT", (reqId, handle) =>
    guarded(reqId, () => {
      const h = handleOf(handle);
      if (!h || h.kind !== "file") return void sftp.status(reqId, STATUS_CODE.FAILURE, "Bad handle");
      sftp.attrs(reqId, attrsOf(fstatSync(h.fd)));
    }),
  );
  // Modes and times are the server's business: accepted so that `put -p` works, otherwise ignored.
  sftp.on("SETSTAT", (reqId, path) => guarded(reqId, () => void (statSync(jail.resolve(path)), sftp.status(reqId, STATUS_CODE.OK))));
  sftp.on("FSETSTAT", (reqId) => sftp.status(reqId, STATUS_CODE.OK));

  sftp.on("OPEN", (reqId, filename, flags) =>
    guarded(reqId, () => {
      const path = jail.resolve(filename);
      const mode = flagsToString(flags) ?? "r";
      const writable = mode !== "r";
      const fd = openSync(path, mode, 0o640);
      if (fstatSync(fd).isDirectory()) {
        closeSync(fd);
        return void sftp.status(reqId, STATUS_CODE.FAILURE, "Is a directory");
      }
      sftp.handle(reqId, newHandle({ kind: "file", fd, path, writable, tooLarge: false }));
    }),
  );

  sftp.on("WRITE", (reqId, handle, offset, data) =>
    guarded(reqId, () => {
      const h = handleOf(handle);
      if (!h || h.kind !== "file" || !h.writable) return void sftp.status(reqId, STATUS_CODE.FAILURE, "Bad handle");
      if (h.tooLarge || offset + data.length > options.maxFileBytes) {
        h.tooLarge = true;
        return void sftp.status(reqId, STATUS_CODE.FAILURE, `The file is larger than the limit of ${options.maxFileBytes} bytes`);
      }
      if (h.writeFailed) return void sftp.status(reqId, STATUS_CODE.FAILURE, h.writeFailed);
      try {
        writeSync(h.fd, data, 0, data.length, offset);
      } catch (error) {
        // the client may well CLOSE next (OpenSSH does): what it sent is not all there
        h.writeFailed = (error as NodeJS.ErrnoException).code === "ENOSPC" ? "The server has no space left to store the file" : `The file could not be written: ${(error as Error).message}`;
        log.warn("sftp.write-failed", { account, file: jail.toVirtual(h.path), error });
        return void sftp.status(reqId, STATUS_CODE.FAILURE, h.writeFailed);
      }
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );

  sftp.on("READ", (reqId, handle, offset, length) =>
    guarded(reqId, () => {
      const h = handleOf(handle);
      if (!h || h.kind !== "file") return void sftp.status(reqId, STATUS_CODE.FAILURE, "Bad handle");
      const buffer = Buffer.alloc(Math.min(length, 256 * 1024));
      const read = readSync(h.fd, buffer, 0, buffer.length, offset);
      if (read === 0) return void sftp.status(reqId, STATUS_CODE.EOF);
      sftp.data(reqId, buffer.subarray(0, read));
    }),
  );

  sftp.on("CLOSE", (reqId, handle) =>
    guarded(reqId, async () => {
      const h = handleOf(handle);
      if (!h) return void sftp.status(reqId, STATUS_CODE.FAILURE, "Bad handle");
      dropHandle(handle);
      if (h.kind === "dir") return void sftp.status(reqId, STATUS_CODE.OK);
      closeSync(h.fd);
      if (!h.writable) return void sftp.status(reqId, STATUS_CODE.OK);
      if (h.tooLarge) {
        unlinkSync(h.path);
        return void sftp.status(reqId, STATUS_CODE.FAILURE, `The file is larger than the limit of ${options.maxFileBytes} bytes; it was discarded`);
      }
      if (h.writeFailed) {
        unlinkSync(h.path);
        log.warn("sftp.upload-abandoned", { account, file: jail.toVirtual(h.path), reason: h.writeFailed });
        return void sftp.status(reqId, STATUS_CODE.FAILURE, `${h.writeFailed}; what was received was discarded`);
      }
      const result = await ingest(h.path);
      sftp.status(reqId, result.ok ? STATUS_CODE.OK : STATUS_CODE.FAILURE, result.ok ? undefined : result.message);
    }),
  );

  sftp.on("OPENDIR", (reqId, path) =>
    guarded(reqId, () => {
      const real = jail.resolve(path);
      if (!statSync(real).isDirectory()) return void sftp.status(reqId, STATUS_CODE.FAILURE, "Not a directory");
      sftp.handle(reqId, newHandle({ kind: "dir", path: real, done: false }));
    }),
  );

  sftp.on("READDIR", (reqId, handle) =>
    guarded(reqId, () => {
      const h = handleOf(handle);
      if (!h || h.kind !== "dir") return void sftp.status(reqId, STATUS_CODE.FAILURE, "Bad handle");
      if (h.done) return void sftp.status(reqId, STATUS_CODE.EOF);
      h.done = true;
      const entries = [".", "..", ...readdirSync(h.path)].flatMap((name) => {
        try {
          const stats = statSync(join(h.path, name));
          return [{ filename: name, longname: longname(name, stats, account), attrs: attrsOf(stats) }];
        } catch {
          return []; // e.g. a dangling symlink
        }
      });
      sftp.name(reqId, entries);
    }),
  );

  sftp.on("MKDIR", (reqId, path) => guarded(reqId, () => void (mkdirSync(jail.resolve(path), { mode: 0o750 }), sftp.status(reqId, STATUS_CODE.OK))));
  sftp.on("RMDIR", (reqId, path) =>
    guarded(reqId, () => {
      const real = jail.resolve(path);
      if (real === jail.realHome) return void sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, "Your home folder cannot be removed");
      rmdirSync(real);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on("REMOVE", (reqId, path) => guarded(reqId, () => void (unlinkSync(jail.resolve(path)), sftp.status(reqId, STATUS_CODE.OK))));

  sftp.on("RENAME", (reqId, from, to) =>
    guarded(reqId, async () => {
      const source = jail.resolve(from);
      const target = jail.resolve(to);
      // SFTP v3: renaming onto an existing file fails (OpenSSH's client expects this)
      try {
        statSync(target);
        return void sftp.status(reqId, STATUS_CODE.FAILURE, "The target exists");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      if (!statSync(dirname(target)).isDirectory()) return void sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, "No such folder");
      renameSync(source, target);
      // still being written (by this session): the CLOSE will say when it is complete
      const writing = [...handles.values()].find((h) => h.kind === "file" && h.writable && h.path === source);
      if (writing) {
        writing.path = target;
        return void sftp.status(reqId, STATUS_CODE.OK);
      }
      // the `.part`-then-rename convention: the rename is when the file is complete (ingest skips
      // names still ignored and rejected/; anything else lying in the home was never ingested)
      if (statSync(target).isFile()) {
        const result = await ingest(target);
        return void sftp.status(reqId, result.ok ? STATUS_CODE.OK : STATUS_CODE.FAILURE, result.ok ? undefined : result.message);
      }
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );

  sftp.on("READLINK", (reqId) => sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED, "Links are not supported"));
  sftp.on("SYMLINK", (reqId) => sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED, "Links are not supported"));
}

