// A refused file is never lost: the SFTP server and the watched folder move it to a rejected/
// folder, with NAME.error.txt beside it saying why, for the uploader or an operator to read.
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { UploadRefused } from "../batch/index.ts";
import { FileTooLargeError } from "../store/index.ts";

export const REJECTED_DIR = "rejected";

/** Errors that mean "this file was refused" (its fault), as opposed to the server's own failures. */
export function isRefusal(error: unknown): error is UploadRefused | FileTooLargeError {
  return error instanceof UploadRefused || error instanceof FileTooLargeError;
}

/** A free name in `dir` for `filename`: staff.json, then staff.1.json, staff.2.json… */
export function freeName(dir: string, filename: string): string {
  const ext = extname(filename);
  const stem = filename.slice(0, filename.length - ext.length);
  let candidate = filename;
  for (let i = 1; existsSync(join(dir, candidate)) || existsSync(join(dir, `${candidate}.error.txt`)); i++) candidate = `${stem}.${i}${ext}`;
  return candidate;
}

/** Move `path` into `rejectedDir` with the reason beside it; returns the name it got there. */
export function moveToRejected(path: string, rejectedDir: string, reason: string): string {
  mkdirSync(rejectedDir, { recursive: true });
  const filename = basename(path);
  const target = freeName(rejectedDir, filename);
  renameSync(path, join(rejectedDir, target));
  writeFileSync(join(rejectedDir, `${target}.error.txt`), `${filename} was not accepted: ${reason}\n`);
  return target;
}
