// The batch assembler: every uploaded file — by SFTP, the watched folder or the HTTP API — comes
// through `receiveFile`, which adds it to the current sync run (reference §5.2 steps 1–5, §5.3).
//
// Haplo's holes closed here:
// - a `_control` upload is validated first, and becomes the current control file only once the
//   run has accepted it (§9.7: Haplo made it current even when the upload was then refused);
// - a file name the control file does not read is refused at upload with a clear error, so it can
//   never wedge the run (§9.10);
// - a new control file that no longer reads a file already in the run takes that file out of the
//   run (recorded in the audit log; the bytes stay in the file store), rather than wedging it.
import { loadControl, ControlFileError, formatProblem, type Control, type ControlOptions, FEED_NAME } from "../control/index.ts";
import { UPLOAD_LOCK, type Sql, type Store, type StoredFile } from "../store/index.ts";
import { parseJsonWithPosition } from "../util/json.ts";
import { audit } from "./audit.ts";
import { attachFile, createRun, saveControlVersion, setCurrentControl } from "./index.ts";
import { moveRun, OPEN_STATUSES, type RunState } from "./states.ts";

/** A control file is read whole to validate it: bound it (real ones are a few kilobytes). */
export const MAX_CONTROL_BYTES = 4 * 1024 * 1024;

export type UploadVia = "sftp" | "http" | "watch" | "ui" | "cli";

export interface IncomingFile {
  /** Feed name: a key of the control file's `files`, or `_control`. */
  name: string;
  /** The file's own name as the uploader gave it (stored and echoed, as Haplo does). */
  filename: string | null;
  /** The bytes, already in the content-addressed file store. */
  stored: StoredFile;
  via: UploadVia;
  /** The SFTP account or API key name that uploaded it. */
  by: string | null;
}

export interface AcceptedFile {
  runId: number;
  name: string;
  digest: string;
  fileSize: number;
  filename: string | null;
  /** The run's status after this file: `ready` once every expected file is in. */
  runStatus: RunState;
  /** Files the run still waits for (empty once ready; null while no control file is known). */
  missing: string[] | null;
  /** Files taken out of the run because a new control file does not read them. */
  detached: string[];
}

export type RefusalReason = "bad-name" | "bad-control" | "unexpected-state" | "duplicate" | "unknown-name" | "no-space";

/** An upload refused: nothing was added to any run. The message is Haplo's where Haplo had one. */
export class UploadRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = "UploadRefused";
  }
}

/** `staff.json` → `staff`, `_control.json` → `_control`, `staff.2026-11-24.json` → `staff`. */
export function feedNameOf(filename: string): string {
  const base = filename.split("/").pop() ?? filename;
  const dot = base.indexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Files an upload path never ingests until renamed: partial (`.part`, `.tmp`) and hidden ones. */
export function isIgnoredUpload(filename: string): boolean {
  const base = filename.split("/").pop() ?? filename;
  return base.startsWith(".") || /\.(part|tmp)$/i.test(base) || base.endsWith("~");
}

export function checkFeedName(name: string): void {
  if (!FEED_NAME.test(name))
    throw new UploadRefused("bad-name", `Bad file name "${name}": a feed name uses only letters, digits, _ and - (the control file's "files" keys, or _control)`);
}

/** Validate a control file upload (reference §5.2 step 1), without making it current. */
export function checkControlUpload(text: string, options: ControlOptions): Control {
  const parsed = parseJsonWithPosition(text);
  if (!parsed.ok) throw new UploadRefused("bad-control", `Control file was not valid JSON: ${parsed.error}`);
  try {
    return loadControl(text, options);
  } catch (error) {
    if (error instanceof ControlFileError)
      throw new UploadRefused("bad-control", `File named _control is not a valid control file: ${error.problems.map(formatProblem).join("; ")}`);
    throw error;
  }
}

// One writer at a time in this process (PGlite has one connection anyway); on PostgreSQL the
// advisory lock below extends that to every daemon sharing the database.
let queue: Promise<unknown> = Promise.resolve();
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const result = queue.then(fn, fn);
  queue = result.catch(() => {});
  return result;
}

interface OpenRun {
  id: number;
  status: RunState;
  control_file_id: number | null;
}

/** The run uploads go to: the latest open run (reference §5.3 "find or create"), or null. */
export async function currentRun(db: Sql): Promise<OpenRun | null> {
  const [run] = await db.query<OpenRun>(
    `SELECT id, status, control_file_id FROM runs WHERE status = ANY(string_to_array($1, ',')) AND kind = 'feed' ORDER BY id DESC LIMIT 1`,
    [OPEN_STATUSES.join(",")],
  );
  return run ? { ...run, id: Number(run.id) } : null;
}

/** The current control file (settings 'control.current'), or null before the first one. */
export async function currentControl(db: Sql): Promise<{ id: number; digest: string; content: string; expected_files: string[] } | null> {
  const [row] = await db.query<{ id: number; digest: string; content: string; expected_files: string[] }>(
    `SELECT c.id, c.digest, c.content, c.expected_files FROM settings s JOIN control_files c ON c.id = (s.value #>> '{}')::int
     WHERE s.key = 'control.current'`,
  );
  return row ?? null;
}

/**
 * A new run, pre-filled with the current control file as a replaceable `_control` (Haplo's
 * setDefaultFiles): a run needs `_control` uploaded only when the control file changes.
 */
async function openNewRun(store: Store, tx: Sql, via: UploadVia): Promise<OpenRun> {
  const control = await currentControl(tx);
  const id = await createRun(tx, { status: "uploading", source: via, controlFileId: control?.id ?? null });
  if (control) {
    const stored = store.files.has(control.digest) ? { digest: control.digest, size: store.files.size(control.digest) } : await store.files.putText(control.content);
    await attachFile(tx, id, { name: "_control", originalFilename: "_control.json", stored, via: "carried-over", replaceable: true });
  }
  return { id, status: "uploading", control_file_id: control?.id ?? null };
}

async function expectedFilesOf(tx: Sql, controlFileId: number | null): Promise<string[] | null> {
  if (controlFileId === null) return null;
  const [row] = await tx.query<{ expected_files: string[] }>("SELECT expected_files FROM control_files WHERE id = $1", [controlFileId]);
  return row ? [...row.expected_files].sort() : null;
}

export interface ReceiveOptions {
  /** What loading a control file needs (profile attributes, tags, qualifiers): the engine settings. */
  control: ControlOptions;
}

/**
 * Add one uploaded file to the current sync run (creating the run if none is open). Throws
 * UploadRefused — having changed nothing — when the file cannot be accepted.
 */
export async function receiveFile(store: Store, file: IncomingFile, options: ReceiveOptions): Promise<AcceptedFile> {
  const actor = `${file.via}:${file.by ?? "?"}`;
  try {
    checkFeedName(file.name);
    if (file.name === "_control" && file.stored.size > MAX_CONTROL_BYTES)
      throw new UploadRefused("bad-control", `File named _control is not a valid control file: it is ${file.stored.size} bytes, more than a control file's ${MAX_CONTROL_BYTES}`);
    const newControl = file.name === "_control" ? checkControlUpload(await store.files.text(file.stored.digest), options.control) : null;
    const accepted = await serialised(() => store.db.transaction((tx) => addToRun(store, tx, file, newControl)));
    await audit(store.db, {
      actor,
      action: "upload",
      target: `run ${accepted.runId}`,
      detail: { name: file.name, filename: file.filename, digest: file.stored.digest, size: file.stored.size, runStatus: accepted.runStatus, detached: accepted.detached },
    });
    return accepted;
  } catch (error) {
    if (error instanceof UploadRefused)
      await audit(store.db, {
        actor,
        action: "upload-refused",
        target: null,
        detail: { name: file.name, filename: file.filename, digest: file.stored.digest, size: file.stored.size, reason: error.reason, message: error.message },
      });
    throw error;
  }
}

async function addToRun(store: Store, tx: Sql, file: IncomingFile, newControl: Control | null): Promise<AcceptedFile> {
  if (store.db.kind === "postgres") await tx.query("SELECT pg_advisory_xact_lock($1)", [UPLOAD_LOCK]);
  const run = (await currentRun(tx)) ?? (await openNewRun(store, tx, file.via));
  if (run.status !== "uploading")
    throw new UploadRefused("unexpected-state", `Sync in unexpected state -- use admin interface to resolve. (Run ${run.id} is ${run.status}.)`);

  const [existing] = await tx.query<{ replaceable: boolean }>("SELECT replaceable FROM run_files WHERE run_id = $1 AND name = $2", [run.id, file.name]);
  if (existing && !existing.replaceable) throw new UploadRefused("duplicate", `File ${file.name} has already been uploaded for this sync run.`);

  let controlFileId = run.control_file_id;
  const detached: string[] = [];
  if (newControl) {
    controlFileId = await saveControlVersion(tx, newControl, { comment: `uploaded by ${file.via}`, by: file.by });
    const stale = await tx.query<{ name: string }>(
      "DELETE FROM run_files WHERE run_id = $1 AND name <> '_control' AND NOT (name = ANY(string_to_array($2, ','))) RETURNING name",
      [run.id, newControl.expectedFiles.join(",")],
    );
    detached.push(...stale.map((r) => r.name).sort());
    await tx.query("UPDATE runs SET control_file_id = $2 WHERE id = $1", [run.id, controlFileId]);
  }

  const expected = await expectedFilesOf(tx, controlFileId);
  // Before any control file exists the run cannot know its files: it takes them, and the first
  // control file then keeps only those it reads (above).
  if (expected && !expected.includes(file.name))
    throw new UploadRefused(
      "unknown-name",
      `File ${file.name} is not read by the control file, which reads ${expected.filter((n) => n !== "_control").join(", ")} (and _control). It was not added to the sync run.`,
    );

  await attachFile(tx, run.id, { name: file.name, originalFilename: file.filename, stored: file.stored, via: file.via, by: file.by });
  // Only now, with the run accepting it, does a new control file become the current one (§9.7).
  if (newControl && controlFileId !== null) await setCurrentControl(tx, controlFileId, file.by);

  const present = (await tx.query<{ name: string }>("SELECT name FROM run_files WHERE run_id = $1 ORDER BY name", [run.id])).map((r) => r.name);
  const missing = expected ? expected.filter((n) => !present.includes(n)) : null;
  let runStatus: RunState = "uploading";
  if (missing && missing.length === 0) {
    await moveRun(tx, run.id, "ready");
    runStatus = "ready";
  }
  return { runId: run.id, name: file.name, digest: file.stored.digest, fileSize: file.stored.size, filename: file.filename, runStatus, missing, detached };
}
