// The watched folder: for feeds that arrive by NFS, rsync or a cron copy. chokidar reports a file
// once its size has been still for `stabilityMs` (awaitWriteFinish); `add` and `change` are treated
// alike (a re-upload under the same name is reported as `change` — toolchain.md §3). Each file is
// ingested once, then moved to processed/ — or, if refused, to rejected/ with NAME.error.txt
// beside it saying why. Files present at start are ingested too (dropped while the daemon was down).
// Partial (`.part`, `.tmp`) and hidden files are ignored until renamed.
import { watch, type FSWatcher } from "chokidar";
import { createReadStream, existsSync, mkdirSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { feedNameOf, isIgnoredUpload } from "../../batch/index.ts";
import type { Logger } from "../../util/log.ts";
import type { Intake } from "../index.ts";
import { freeName, isRefusal, moveToRejected, REJECTED_DIR } from "../rejected.ts";

export interface FolderWatcher {
  ready: Promise<void>;
  close(): Promise<void>;
}

export function watchFolder(options: { dir: string; intake: Intake; stabilityMs: number; maxFileBytes: number; log: Logger }): FolderWatcher {
  const { dir, intake, log } = options;
  const processed = join(dir, "processed");
  const rejected = join(dir, REJECTED_DIR);
  mkdirSync(processed, { recursive: true });
  mkdirSync(rejected, { recursive: true });

  // One file at a time, in arrival order — but a waiting `_control` goes first, so a control file
  // dropped together with its data files is in place before they are checked against it.
  const pending: string[] = [];
  let working = false;
  let idle: Promise<void> = Promise.resolve();
  let settle: (() => void) | null = null;

  const take = async (path: string) => {
    if (!existsSync(path)) return; // already moved (a duplicate event)
    const filename = basename(path);
    try {
      await intake.ingest({ name: feedNameOf(filename), filename, via: "watch", by: "folder" }, createReadStream(path), options.maxFileBytes);
      renameSync(path, join(processed, freeName(processed, filename)));
    } catch (error) {
      if (!isRefusal(error)) {
        log.error("watch.error", { file: filename, error });
        return; // left where it is, to be tried again when it next changes or at the next start
      }
      moveToRejected(path, rejected, error.message);
    }
  };

  const drain = async () => {
    if (working) return;
    working = true;
    idle = new Promise((resolve) => (settle = resolve));
    try {
      while (pending.length) {
        const controlAt = pending.findIndex((p) => feedNameOf(basename(p)) === "_control");
        const [path] = pending.splice(controlAt >= 0 ? controlAt : 0, 1);
        try {
          await take(path!);
        } catch (error) {
          log.error("watch.error", { file: path, error }); // e.g. the folder became unwritable: the file stays put
        }
      }
    } finally {
      working = false;
      settle?.();
    }
  };

  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: false,
    depth: 0,
    awaitWriteFinish: { stabilityThreshold: options.stabilityMs, pollInterval: Math.min(100, options.stabilityMs) },
    ignored: (path, stats) => (path !== dir && dirname(path) === dir && isIgnoredUpload(path)) || path === processed || path === rejected || (stats?.isDirectory() === true && path !== dir),
  });
  const onFile = (path: string) => {
    if (dirname(path) !== dir) return;
    if (!pending.includes(path)) pending.push(path);
    void drain();
  };
  watcher.on("add", onFile);
  watcher.on("change", onFile);
  watcher.on("error", (error) => log.error("watch.error", { error }));
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  void ready.then(() => log.info("watch.started", { dir, stabilityMs: options.stabilityMs }));

  return {
    ready,
    async close() {
      await watcher.close();
      pending.length = 0;
      await idle; // let a file being ingested finish
    },
  };
}
