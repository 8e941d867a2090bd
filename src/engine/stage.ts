// Pass 1 of a run: read every file through its reader, run each record through the control file,
// and stage one row per record — username, status, digests, where its text sits in the spill file,
// and its problems — into the `stage` table with COPY. Nothing here queries the database per
// record; the per-record work is a plain synchronous loop over a batch (issue 9: an `await` in the
// hot loop halves its speed).
import { READERS, ReaderError, type Control, type FileSpec, type RecordBatch } from "../control/index.ts";
import { copyField, type Sql } from "../store/index.ts";
import { checkDetails } from "./details.ts";
import { canonicalJson, digest64 } from "./digest.ts";
import { normaliseEmail, normaliseUsername } from "./normalise.ts";
import type { Progress } from "./progress.ts";
import type { Spill } from "./spill.ts";

export const STAGE_TABLE = `CREATE TEMP TABLE stage (
  idx bigint NOT NULL,        -- record number across the run's files, from 0 (Haplo's "record n")
  username text,              -- normalised; null when the record had none
  status text NOT NULL,       -- ok | rejected | duplicate | no-username
  digest bigint,              -- mapped output + definitions (change detection)
  raw_digest bigint,          -- the record as received (received-data timeline)
  email text,                 -- normalised, for collisions with users the sync does not own
  file text NOT NULL,
  line integer,
  recno integer,              -- record number within its file, from 1
  spill_offset bigint,
  spill_length integer,
  messages text               -- JSON array of log lines for this record, or null
) ON COMMIT DROP`;

const STAGE_COLUMNS = ["idx", "username", "status", "digest", "raw_digest", "email", "file", "line", "recno", "spill_offset", "spill_length", "messages"];

export interface RunFileInput {
  name: string;
  spec: FileSpec;
  /** Where to read the bytes from. */
  open(): AsyncIterable<Uint8Array>;
  size: number;
}

export interface FileStats {
  records: number;
  size: number;
  /** For each top-level field the control file reads: in how many records it was present. */
  fieldPresence: Record<string, number>;
}

export interface StageStats {
  records: number;
  ok: number;
  rejected: number;
  duplicates: number;
  noUsername: number;
  /** error lines logged in pass 1 */
  errors: number;
  files: Record<string, FileStats>;
  maxIdx: number;
  /** The field the usernames come from (the first top-level username instruction's source). */
  usernameField: string | null;
}

export interface StageContext {
  control: Control;
  knownGroups: ReadonlySet<string>;
  /** Digest of the group definitions and defaults: changing them re-processes everyone. */
  definitionsDigest: string;
  spill: Spill;
  progress: Progress;
}

/** A reader problem, with the file it is in: the run must not go on with half a file. */
export class FeedFileError extends Error {
  constructor(
    readonly file: string,
    override readonly cause: ReaderError,
  ) {
    const where = [cause.record !== undefined ? `record ${cause.record}` : "", cause.line !== undefined ? `line ${cause.line}` : ""]
      .filter(Boolean)
      .join(", ");
    super(`File ${file}${where ? ` (${where})` : ""}: ${cause.message}`);
    this.name = "FeedFileError";
  }
}

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Stage every record of every file. Files are read one after another, in the control file's order. */
export async function stageRecords(tx: Sql, files: RunFileInput[], ctx: StageContext): Promise<StageStats> {
  const stats: StageStats = { records: 0, ok: 0, rejected: 0, duplicates: 0, noUsername: 0, errors: 0, files: {}, maxIdx: -1, usernameField: usernameSource(ctx.control) };
  await tx.exec(STAGE_TABLE);
  const seen = new Set<string>();
  const { control, knownGroups, definitionsDigest, spill, progress } = ctx;
  const extract = control.instructions.extractUsername!;
  const sources = control.instructions.topLevelSources;
  const profileDependent = control.instructions.profileDependent;
  let idx = 0;

  /** The synchronous per-record loop: one batch of records → COPY lines. */
  function stageBatch(batch: RecordBatch, file: RunFileInput, fileStats: FileStats): string {
    const out: string[] = [];
    const { records, texts, lines } = batch;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const n = idx++;
      const recno = ++fileStats.records;
      const line = lines[i] ?? null;
      if (record !== null && typeof record === "object")
        for (const s of sources) if ((record as Record<string, unknown>)[s] !== undefined) fileStats.fieldPresence[s]!++;
      const text = texts?.[i] ?? JSON.stringify(record) ?? "null";
      const usernameRaw = extract(record);
      if (usernameRaw === undefined) {
        stats.noUsername++;
        stats.errors++;
        out.push(row(n, null, "no-username", null, null, null, file.name, line, recno, null, null, [`ERROR: No username in record ${n}: ${truncate(text)}`]));
        continue;
      }
      const username = normaliseUsername(usernameRaw);
      if (username === "" || seen.has(username)) {
        stats.duplicates += username === "" ? 0 : 1;
        stats.noUsername += username === "" ? 1 : 0;
        stats.errors++;
        const message = username === "" ? `ERROR: No username in record ${n}: ${truncate(text)}` : `ERROR: Duplicate username: ${usernameRaw} (ignoring record ${n})`;
        out.push(row(n, username || null, username === "" ? "no-username" : "duplicate", null, null, null, file.name, line, recno, null, null, [message]));
        continue;
      }
      seen.add(username);
      const rawDigest = digest64(text);
      const [offset, length] = spill.append(text);
      const result = control.transform(record, null);
      const id = `record ${n}, user ${username}`;
      const messages = result.errors.map((e) => `ERROR: ${e} (${id})`);
      stats.errors += messages.length;
      if (!result.complete) {
        messages.push(`Record has missing data for username ${username} (ignoring)`);
        stats.rejected++;
        out.push(row(n, username, "rejected", null, rawDigest, null, file.name, line, recno, offset, length, messages));
        continue;
      }
      const check = checkDetails(username, result.user, knownGroups);
      if (!check.ok) {
        for (const p of check.problems) messages.push(`ERROR: (${username}) ${p}`);
        stats.errors += check.problems.length;
        stats.rejected++;
        out.push(row(n, username, "rejected", null, rawDigest, null, file.name, line, recno, offset, length, messages));
        continue;
      }
      // What the control file asks for, independent of what is stored: the account details, the
      // tags and the profile edits (with their single/multi-value modes).
      const mapped = canonicalJson({ u: check.details, t: result.tags, p: result.profile.edits });
      const digest = digest64(profileDependent ? `${definitionsDigest}\n${mapped}\n${text}` : `${definitionsDigest}\n${mapped}`);
      stats.ok++;
      out.push(
        row(n, username, "ok", digest, rawDigest, normaliseEmail(check.details.email), file.name, line, recno, offset, length, messages.length ? messages : null),
      );
    }
    return out.join("\n");
  }

  async function* lines(): AsyncGenerator<string> {
    for (const file of files) {
      const reader = READERS[file.spec.read];
      if (!reader) throw new Error(`Unknown reader ${file.spec.read} for file ${file.name}`);
      const fileStats: FileStats = { records: 0, size: file.size, fieldPresence: Object.fromEntries(sources.map((s) => [s, 0])) };
      stats.files[file.name] = fileStats;
      try {
        for await (const batch of reader.read(file.open(), file.spec)) {
          const chunk = stageBatch(batch, file, fileStats);
          if (chunk) yield chunk;
          progress.update({ phase: "read", file: file.name, done: idx });
        }
      } catch (error) {
        if (error instanceof ReaderError) throw new FeedFileError(file.name, error);
        throw error;
      }
    }
    spill.flush();
  }

  await tx.copyIn("stage", STAGE_COLUMNS, lines());
  stats.records = idx;
  stats.maxIdx = idx - 1;
  return stats;
}

function usernameSource(control: Control): string | null {
  const instruction = (control.control.instructions ?? []).find(
    (i) => i && (i.action ?? "field") === "field" && i.destination === "user" && i.name === "username" && typeof i.source === "string",
  );
  return instruction?.source ?? null;
}

function row(
  idx: number,
  username: string | null,
  status: string,
  digest: string | null,
  rawDigest: string | null,
  email: string | null,
  file: string,
  line: number | null,
  recno: number,
  offset: number | null,
  length: number | null,
  messages: string[] | null,
): string {
  return [
    idx,
    copyField(username),
    status,
    copyField(digest),
    copyField(rawDigest),
    copyField(email),
    copyField(file),
    copyField(line),
    recno,
    copyField(offset),
    copyField(length),
    copyField(messages && JSON.stringify(messages)),
  ].join("\t");
}
