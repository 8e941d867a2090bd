// "Try these records": the development loop of a control file. Reads the given files through their
// readers, runs every record through the compiled instructions — exactly as a run would, without
// touching the store — and returns structured results: the first `limit` records of each file in
// full (raw record, mapped user, tags, profile, errors), and for every record after them only
// their errors, each with its place (file, record, line). `usersync check` prints this; the web
// UI's "try it" page can show the same.
import type { Control } from "./index.ts";
import type { Attributes } from "./profile-draft.ts";
import { ReaderError, READERS, type ByteSource } from "./readers/index.ts";
import type { FileSpec } from "./types.ts";

export interface TryInput {
  /** the file's name in the control file's `files` */
  name: string;
  /** a label for messages, e.g. the path it was read from */
  source?: string;
  spec: FileSpec;
  open(): ByteSource;
}

/** What the engine adds after the control file: the account rules and the profile the sync finishes. */
export interface FinishedRecord {
  /** problems the engine would reject the record for (invalid email, unknown group…) */
  problems: string[];
  /** the account as the engine would write it */
  user?: unknown;
  /** the profile as the engine would write it (type from the groups, title from the names) */
  profile?: { types: string[]; title: string; attributes: Attributes };
}

export interface TryOptions {
  /** records shown in full, per file */
  limit: number;
  /** error lines kept for records after the first `limit` (the rest are only counted) */
  maxErrors?: number;
  /** the engine's username normalisation, for duplicates (default: NFC, trimmed, lower-case) */
  normaliseUsername?: (username: string) => string;
  /** the engine's account checks and profile finishing, when available */
  finish?: (username: string, result: ReturnType<Control["transform"]>) => FinishedRecord;
  onProgress?: (file: string, records: number) => void;
}

export interface RecordError {
  file: string;
  /** the record's number in its file, from 1 */
  record: number;
  line: number | null;
  username: string | null;
  message: string;
}

export type TriedStatus = "ok" | "rejected" | "no-username" | "duplicate";

export interface TriedRecord {
  file: string;
  record: number;
  /** the record's number across the run, from 0 (the "record n" of the run's log) */
  index: number;
  line: number | null;
  raw: unknown;
  username: string | null;
  status: TriedStatus;
  /** the `user` destination as the control file set it */
  user: Record<string, unknown>;
  tags: Record<string, string> | null;
  /** the profile attributes as the control file set them */
  profile: Attributes;
  finished: FinishedRecord | null;
  errors: RecordError[];
}

export interface TriedFile {
  name: string;
  source: string | null;
  reader: string;
  /** records read (all of them, not only those shown) */
  records: number;
  counts: Record<TriedStatus, number>;
  /** the first `limit` records, in full */
  shown: TriedRecord[];
  /** for each top-level field the instructions read: in how many records it was present */
  fieldPresence: Record<string, number>;
  /** the reader's error, when the file could not be read to its end */
  failure: RecordError | null;
}

export interface TryResult {
  files: TriedFile[];
  records: number;
  counts: Record<TriedStatus, number>;
  /** every error found, in all records */
  errorCount: number;
  /** errors of records after those shown, up to maxErrors */
  moreErrors: RecordError[];
}

const defaultNormalise = (u: string) => u.normalize("NFC").trim().toLowerCase();

function emptyCounts(): Record<TriedStatus, number> {
  return { ok: 0, rejected: 0, "no-username": 0, duplicate: 0 };
}

export async function tryRecords(control: Control, inputs: TryInput[], options: TryOptions): Promise<TryResult> {
  const normalise = options.normaliseUsername ?? defaultNormalise;
  const maxErrors = options.maxErrors ?? 50;
  const extract = control.instructions.extractUsername;
  const sources = control.instructions.topLevelSources;
  const seen = new Set<string>();
  const result: TryResult = { files: [], records: 0, counts: emptyCounts(), errorCount: 0, moreErrors: [] };
  let index = 0;

  for (const input of inputs) {
    const reader = READERS[input.spec.read];
    const file: TriedFile = {
      name: input.name,
      source: input.source ?? null,
      reader: input.spec.read,
      records: 0,
      counts: emptyCounts(),
      shown: [],
      fieldPresence: Object.fromEntries(sources.map((s) => [s, 0])),
      failure: null,
    };
    result.files.push(file);
    if (!reader) {
      file.failure = { file: input.name, record: 0, line: null, username: null, message: `Unknown reader ${input.spec.read}` };
      result.errorCount++;
      continue;
    }
    try {
      for await (const batch of reader.read(input.open(), input.spec)) {
        for (let i = 0; i < batch.records.length; i++) {
          const raw = batch.records[i];
          const recno = ++file.records;
          const line = batch.lines[i] ?? null;
          if (raw !== null && typeof raw === "object")
            for (const s of sources) if ((raw as Record<string, unknown>)[s] !== undefined) file.fieldPresence[s]!++;
          const tried = tryOne(raw, { file: input.name, record: recno, index: index++, line });
          file.counts[tried.status]++;
          result.counts[tried.status]++;
          result.errorCount += tried.errors.length;
          if (file.shown.length < options.limit) file.shown.push(tried);
          else for (const e of tried.errors) if (result.moreErrors.length < maxErrors) result.moreErrors.push(e);
        }
        options.onProgress?.(input.name, file.records);
      }
    } catch (error) {
      if (!(error instanceof ReaderError)) throw error;
      file.failure = { file: input.name, record: error.record ?? file.records + 1, line: error.line ?? null, username: null, message: error.message };
      result.errorCount++;
    }
    result.records += file.records;
  }
  return result;

  function tryOne(raw: unknown, at: { file: string; record: number; index: number; line: number | null }): TriedRecord {
    const errors: RecordError[] = [];
    const error = (username: string | null, message: string) => errors.push({ file: at.file, record: at.record, line: at.line, username, message });
    const usernameRaw = extract ? extract(raw) : undefined;
    const username = usernameRaw === undefined ? "" : normalise(usernameRaw);
    const tried: TriedRecord = {
      ...at,
      raw,
      username: username || null,
      status: "ok",
      user: {},
      tags: null,
      profile: {},
      finished: null,
      errors,
    };
    if (username === "") {
      tried.status = "no-username";
      error(null, "No username in this record");
      return tried;
    }
    if (seen.has(username)) {
      tried.status = "duplicate";
      error(username, `Duplicate username: ${usernameRaw} (an earlier record has it; this one would be ignored)`);
      return tried;
    }
    seen.add(username);
    const transformed = control.transform(raw, null);
    tried.user = transformed.user;
    tried.tags = transformed.tags;
    tried.profile = transformed.profile.toAttributes();
    for (const e of transformed.errors) error(username, e);
    if (!transformed.complete) {
      tried.status = "rejected";
      return tried;
    }
    if (options.finish) {
      const finished = options.finish(username, transformed);
      tried.finished = finished;
      for (const p of finished.problems) error(username, p);
      if (finished.problems.length) tried.status = "rejected";
    }
    return tried;
  }
}
