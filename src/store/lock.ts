// An exclusive lock on the embedded database's folder.
//
// PGlite does not lock its data directory: a second process opening it while the first writes
// silently loses every later commit (toolchain.md §9). So before opening PGlite we take an
// exclusive, non-blocking flock(2) on `usersync.lock`. The kernel drops it when the process dies,
// however it dies, so there is never a stale lock to clean up. The file holds the owner's pid and
// command, only to make the refusal message useful.
import { dlopen, FFIType } from "bun:ffi";
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export class FolderInUseError extends Error {
  constructor(
    readonly folder: string,
    readonly owner: string,
  ) {
    super(
      `The data folder ${folder} is in use by ${owner}. The embedded database can only be opened by ` +
        `one process at a time: stop that process, or use the running daemon's web UI and API instead.`,
    );
    this.name = "FolderInUseError";
  }
}

const LOCK_EX = 2;
const LOCK_NB = 4;

let libc: { symbols: { flock: (fd: number, op: number) => number } } | null = null;
function flock(fd: number, operation: number): number {
  libc ??= dlopen("libc.so.6", { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
  return libc.symbols.flock(fd, operation);
}

export interface FolderLock {
  readonly path: string;
  release(): void;
}

export function lockFolder(folder: string): FolderLock {
  const path = join(folder, "usersync.lock");
  const fd = openSync(path, "a+", 0o600);
  if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    let owner = "another process";
    try {
      const info = JSON.parse(readFileSync(path, "utf8")) as { pid: number; command: string };
      owner = `process ${info.pid} (${info.command})`;
    } catch {}
    closeSync(fd);
    throw new FolderInUseError(folder, owner);
  }
  ftruncateSync(fd, 0);
  const command = process.argv
    .slice(1, 3)
    .map((arg) => arg.split("/").pop())
    .join(" ");
  writeSync(fd, JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() }));
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      closeSync(fd); // closing the descriptor drops the flock
    },
  };
}
