// Pass 1 of a run: read every file through its reader and stage one row per record into the
// `stage` table with COPY.
//
// Most records of a daily feed are exactly what was received last time. Those are recognised by
// their raw digest against the *settled* users (same control file and group definitions, no error
// outstanding, in the feed) and are not staged at all: they are counted, and that is all a run
// does with them. Every other record — new, changed, or due for another look — goes through the
// control file here, once; for a user the sync does not know yet, the whole account and profile it
// creates is staged too — or, when nothing after pass 1 can stop it, written into the store at
// once (DirectCreates). Users the sync knows who were in the last feed but not in this one are
// staged as 'absent' once every file has been read, so the plan (plan.ts) only ever looks at the
// few users something may happen to, never at the whole ledger.
// Per-record work is a plain synchronous loop over a batch (issue 9: an `await` in the hot loop
// halves its speed), and nothing queries the database per record.
import { READERS, ReaderError, type Control, type FileSpec, type RecordBatch } from "../control/index.ts";
import { CopyText, type Sql } from "../store/index.ts";
import { pgTextArray } from "./changes.ts";
import { digestOf } from "./digest.ts";
import { normaliseUsername } from "./normalise.ts";
import { memoryKeeper } from "./memory.ts";
import { DatabaseQueue } from "./queue.ts";
import type { Progress } from "./progress.ts";
import { mapRecord, userState, type MappingContext } from "./record.ts";

export const STAGE_TABLE = `CREATE TEMP TABLE stage (
  idx bigint,                 -- record number across the run's files, from 0 (Haplo's "record n"); null for 'absent'
  username text,              -- normalised; null when the record had none
  status text NOT NULL,       -- ok | created | rejected | duplicate | no-username | absent (known, in the last feed, not in this one)
                              -- (created: a new user pass 1 wrote into the store itself, StageContext.direct)
  digest bigint,              -- mapped output + definitions (change detection)
  raw_digest bigint,          -- the record as received
  email text,                 -- as mapped (trimmed); compared lower-cased for collisions
  file text,
  line integer,
  recno integer,              -- record number within its file, from 1
  messages text,              -- JSON array of log lines for this record, or null
  raw text,                   -- the record's text, when it went through the control file
  -- what a new user becomes (status ok, not known to the sync):
  name_first text, name_last text, title text, tags jsonb, types text[], profile_title text, attributes jsonb,
  groups text[], mapped text,
  user_id bigint, object_id bigint  -- a new user's ids, drawn in pass 1 (null for every other row)
) ON COMMIT DROP`;

const STAGE_COLUMNS = [
  "idx", "username", "status", "digest", "raw_digest", "email", "file", "line", "recno", "messages", "raw",
  "name_first", "name_last", "title", "tags", "types", "profile_title", "attributes", "groups", "mapped", "user_id", "object_id",
];

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
  /** records that went through the control file (the rest were the same as last time) */
  transformed: number;
  /** usable records: mapped without a fatal problem, or the same as last time */
  ok: number;
  rejected: number;
  /** records exactly as received last time from a settled user: not staged, unchanged */
  same: number;
  duplicates: number;
  noUsername: number;
  /** error lines logged in pass 1 */
  errors: number;
  files: Record<string, FileStats>;
  maxIdx: number;
  /** The field the usernames come from (the first top-level username instruction's source). */
  usernameField: string | null;
  /** new users staged with their account and ids, and their group memberships (the plan may still reject a few: collisions) */
  newUsers: number;
  newMemberships: number;
  /** staged records with log lines of their own (problems, warnings): none, and the log has nothing to read from the stage */
  withMessages: number;
}

/**
 * Draws `count` pairs of ids (users.id, objects.id) from the tables' sequences. Sequences are not
 * transactional, so the ids can be drawn on another connection while pass 1's COPY holds the
 * run's; ids a run does not use (a dry run, a collision, the end of a block) are gaps, nothing more.
 */
export type DrawIds = (count: number) => Promise<[string, string][]>;

export interface StageContext extends MappingContext {
  /**
   * Users the sync knows, by username: the raw digest of their last record when they are settled
   * (nothing outstanding, same control file and definitions), NOT_SETTLED when they must be looked
   * at again, or NOT_IN_FEED when they were not in the last feed. Users not in the map are new to
   * the sync. Staging marks each user it meets SEEN (one map, not a second set of a million names).
   */
  known: Map<string, number>;
  progress: Progress;
  drawIds: DrawIds;
  /**
   * Database work for the known users whose changed record was staged, numbered in [from, to)
   * (the before-images: apply.ts saveEarlyImages). Started after each segment of the stage is
   * copied in, so that the database does it while this process reads on: pass 1 keeps one core
   * busy and leaves the database's idle. Everything it was asked for is done when stageRecords returns.
   */
  alongside?: (from: number, to: number) => Promise<void>;
  /**
   * Write new users straight into the store, table by table, while the files are read (given
   * only when nothing decided after pass 1 can stop a new user being created: see run.ts
   * `createsInPassOne`). Their stage row is then a slim 'created' one, for the plan and the log.
   */
  direct?: DirectCreates;
}

/**
 * What pass 1 needs to write a new user's rows itself: their account, profile object,
 * memberships, ledger entry, undo record, timeline entry and log line — the rows apply.ts
 * CREATE_USERS / RECORD_TIMELINE and events.ts USER_ACTIONS write for a staged new user.
 *
 * Why: on a first load every user is new, and staging whole accounts to copy them once more
 * with INSERT … SELECT cost the database as much as writing them (at a million users the stage
 * is 1.3 GB, copied in and scanned again by each statement). Written in pass 1, the rows go to
 * the database while this process maps the next records: the two cores work at once.
 */
export interface DirectCreates {
  runId: number;
  /** The ledger's context (run.ts mappingContext). */
  context: string;
  /** Where the run's log starts (events.ts): a created user's line is base + (idx + 1) × 1000 + 900. */
  logBase: number;
  /** Group code → groups.id (a code with no group is no membership, as the join in CREATE_USERS drops it). */
  groupIds: Map<string, number>;
}

/** The tables pass 1 writes a new user into (DirectCreates), with the columns it gives; the rest take their defaults. */
const DIRECT_TABLES = {
  objects: ["id", "types", "title", "attributes"],
  users: ["id", "username", "email", "name_first", "name_last", "title", "tags", "profile_id"],
  memberships: ["user_id", "group_id", "added_by", "added_run_id"],
  sync_ledger: [
    "user_id", "username", "digest", "raw_digest", "context", "in_feed", "error", "warned",
    "created_run_id", "last_run_id", "state_run_id", "state_reason",
  ],
  run_changes: ["run_id", "user_id", "username", "action", "before"],
  received_records: ["username", "run_id", "file_name", "record_number", "raw_digest", "raw", "mapped"],
  run_events: ["run_id", "seq", "level", "action", "username", "message", "detail"],
} as const;

type DirectRows = Record<keyof typeof DIRECT_TABLES, CopyText>;

/** A segment of the stage is copied in once it holds this many known users' changed records… */
const SEGMENT_KNOWN = 5000;
/**
 * …or this many bytes of COPY text. Each segment is a COPY per table, and each COPY waits twice
 * for this process to answer the server (to start it, to send its rows) — on a first load, 8 of
 * them per segment while this process maps records: at 4 MB, the database waited for this
 * process a third of the time. At 16 MB a 1M first load took 72–74 s against 88–91 s (A/B, with
 * SLICE and the wait for the oldest segment below), peak memory 430–450 MB against 390–410.
 */
const SEGMENT_BYTES = 16 << 20;
/** Text handed over but not yet copied in, at most: past it, reading waits for the database. */
const AHEAD_BYTES = 48 << 20;
/**
 * Records mapped between two turns of the event loop (stageRecords): a turn is when a COPY the
 * server finished lets the next one start. 250 records are a few milliseconds; a whole batch of
 * 2,000 kept the server waiting for most of a hundred.
 */
const SLICE = 250;
/** The stage's buffer to begin with (StageWriter.rows). */
const STAGE_CAPACITY = 4 << 20;
/** A new buffer for one of the store's tables (DirectCreates); it grows to its share of a segment (a few MB) once, and is reused. */
const DIRECT_CAPACITY = 1 << 20;

/**
 * Copies the stage in, a segment at a time, while pass 1 goes on reading: each segment's COPY,
 * then the work for it, are queued one after another (as the run's one connection would anyway);
 * only when too much text waits does reading wait for them. Rows are written into `rows`
 * (CopyText: straight into bytes) and handed over a segment at a time.
 */
class StageWriter {
  private readonly queue = new DatabaseQueue();
  /**
   * the segment being written: it grows when a segment's stage rows need more (a staged first
   * load's), and stays that size; most runs stage little, and a buffer a segment's size from the
   * start cost an unchanged rerun of 100k users 55 MB of memory
   */
  readonly rows = new CopyText(STAGE_CAPACITY);
  /** new users' rows for the store's own tables (StageContext.direct), copied in after the segment's stage rows */
  readonly direct: DirectRows | null;
  private unsent = 0;
  /** segments whose rows are not copied in yet, oldest first (each takes itself off once copied in) */
  private readonly inFlight: Promise<void>[] = [];

  constructor(
    private readonly tx: Sql,
    direct: boolean,
  ) {
    this.direct = direct ? (Object.fromEntries(Object.keys(DIRECT_TABLES).map((t) => [t, new CopyText(DIRECT_CAPACITY)])) as DirectRows) : null;
  }

  get size(): number {
    let size = this.rows.size;
    if (this.direct) for (const rows of Object.values(this.direct)) size += rows.size;
    return size;
  }

  /** End the segment: queue its COPYs, then `after`. Waits only when too much is queued. */
  async flush(after?: () => Promise<void>): Promise<void> {
    const copies: [string, readonly string[], CopyText, Uint8Array][] = [];
    if (this.rows.size) copies.push(["stage", STAGE_COLUMNS, this.rows, this.rows.take()]);
    if (this.direct)
      for (const [table, rows] of Object.entries(this.direct))
        if (rows.size) copies.push([table, DIRECT_TABLES[table as keyof DirectRows], rows, rows.take()]);
    const size = copies.reduce((sum, [, , , bytes]) => sum + bytes.length, 0);
    this.unsent += size;
    const segment = this.queue.add(async () => {
      for (const [table, columns, rows, bytes] of copies) {
        await this.tx.copyInBytes(table, columns, [bytes]);
        rows.recycle(bytes); // copied in: the buffer takes later rows
      }
      this.unsent -= size;
      this.inFlight.shift(); // the queue runs in order: the oldest is this one
      if (after) await after();
    });
    this.inFlight.push(segment);
    // Too much queued: wait for the oldest segments only, until it is back under the bound — not
    // for the newest, which left the database nothing to do while the next segment was mapped.
    // (A failed segment stays first in line: waiting for it throws its failure.)
    while (this.unsent > AHEAD_BYTES) await this.inFlight[0];
  }

  /** Everything queued is done (its failure is thrown here). */
  async done(): Promise<void> {
    await this.flush();
    await this.queue.done();
  }

  /** The run is failing: let what is queued finish or fail before the transaction is rolled back. */
  async settle(): Promise<void> {
    await this.queue.done().catch(() => {});
  }
}

// Digests are non-negative (digest.ts), so these cannot be mistaken for one.
export const NOT_SETTLED = -1;
export const NOT_IN_FEED = -2;
const SEEN = -3;

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

function usernameSource(control: Control): string | null {
  const instruction = (control.control.instructions ?? []).find(
    (i) => i && (i.action ?? "field") === "field" && i.destination === "user" && i.name === "username" && typeof i.source === "string",
  );
  return instruction?.source ?? null;
}

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The stage's columns after `raw`: what a new user becomes (null for every other row). */
const PAYLOAD_COLUMNS = STAGE_COLUMNS.length - STAGE_COLUMNS.indexOf("raw") - 1;

/** Stage every record of every file. Files are read one after another, in the control file's order. */
export async function stageRecords(tx: Sql, files: RunFileInput[], ctx: StageContext): Promise<StageStats> {
  const stats: StageStats = {
    records: 0,
    transformed: 0,
    ok: 0,
    rejected: 0,
    same: 0,
    duplicates: 0,
    noUsername: 0,
    errors: 0,
    files: {},
    maxIdx: -1,
    usernameField: usernameSource(ctx.control),
    newUsers: 0,
    newMemberships: 0,
    withMessages: 0,
  };
  await tx.exec(STAGE_TABLE);
  const keepMemory = memoryKeeper();
  const seenNew = new Set<string>(); // usernames met in this feed that the sync does not know
  const { control, known, progress } = ctx;
  const extract = control.instructions.extractUsername!;
  const sources = control.instructions.topLevelSources;
  let idx = 0;
  // ids for new users, drawn ahead: the loop below is synchronous and takes at most one pair per record
  let ids: [string, string][] = [];
  let nextId = 0;
  // known users whose changed record the current segment of the stage holds, and where the segment starts
  let knownChanged = 0;
  let segmentFrom = 0;

  const { direct } = ctx;
  const writer = new StageWriter(tx, direct !== undefined);
  const rows = writer.rows;
  const store = writer.direct;

  /**
   * The synchronous per-record loop: a batch's records [from, to) → stage rows (a slice of it:
   * the caller turns the event loop in between). Returns `to`, or earlier, at the record it stopped
   * before, when the drawn ids run out (before the record that might need them).
   */
  function stageBatch(batch: RecordBatch, file: RunFileInput, fileStats: FileStats, from: number, to: number): number {
    const { records, texts, lines } = batch;
    /** A row's columns up to `raw`, in STAGE_COLUMNS order. */
    const head = (
      n: number,
      username: string | null,
      status: string,
      digest: number | null,
      rawDigest: number | null,
      email: string | null,
      recno: number,
      messages: string | null,
      raw: string | null,
      line: number | undefined,
    ) => rows.value(n).value(username).value(status).value(digest).value(rawDigest).value(email).value(file.name).value(line).value(recno).value(messages).value(raw);
    for (let i = from; i < to; i++) {
      if (nextId === ids.length) return i;
      const record = records[i];
      const n = idx++;
      const recno = ++fileStats.records;
      const line = lines[i];
      if (record !== null && typeof record === "object")
        for (const s of sources) if ((record as Record<string, unknown>)[s] !== undefined) fileStats.fieldPresence[s]!++;
      const usernameRaw = extract(record);
      const username = usernameRaw === undefined ? "" : normaliseUsername(usernameRaw);
      if (username === "") {
        stats.noUsername++;
        stats.errors++;
        stats.withMessages++;
        const text = texts?.[i] ?? JSON.stringify(record) ?? "null";
        const message = JSON.stringify([`ERROR: No username in record ${n}: ${truncate(text)}`]);
        head(n, null, "no-username", null, null, null, recno, message, null, line).nulls(PAYLOAD_COLUMNS).endRow();
        continue;
      }
      const last = known.get(username);
      if (last === SEEN || (last === undefined && seenNew.has(username))) {
        stats.duplicates++;
        stats.errors++;
        stats.withMessages++;
        const message = JSON.stringify([`ERROR: Duplicate username: ${usernameRaw} (ignoring record ${n})`]);
        head(n, username, "duplicate", null, null, null, recno, message, null, line).nulls(PAYLOAD_COLUMNS).endRow();
        continue;
      }
      if (last === undefined) seenNew.add(username);
      else known.set(username, SEEN);
      const text = texts?.[i] ?? JSON.stringify(record) ?? "null";
      const rawDigest = digestOf(text);
      if (last === rawDigest) {
        stats.ok++;
        stats.same++;
        continue;
      }
      stats.transformed++;
      const mapped = mapRecord(ctx, n, username, record, text, null);
      if (mapped.messages.length) stats.withMessages++;
      const messages = mapped.messages.length ? JSON.stringify(mapped.messages) : null;
      if (!mapped.ok) {
        stats.rejected++;
        stats.errors += mapped.messages.filter((m) => m.startsWith("ERROR: ")).length;
        if (last !== undefined && last >= 0) knownChanged++;
        head(n, username, "rejected", null, rawDigest, null, recno, messages, text, line).nulls(PAYLOAD_COLUMNS).endRow();
        continue;
      }
      stats.ok++;
      stats.errors += mapped.messages.length;
      if (last !== undefined) {
        // a known user: pass 2 applies the record to their stored profile
        head(n, username, "ok", mapped.digest, rawDigest, mapped.details.email, recno, messages, text, line).nulls(PAYLOAD_COLUMNS).endRow();
        if (last >= 0) knownChanged++; // known, and their record changed (not merely due for another look)
        continue;
      }
      const d = mapped.details;
      const state = userState(ctx, mapped, null, []);
      const [userId, objectId] = ids[nextId++]!;
      stats.newUsers++;
      stats.newMemberships += d.groups.length;
      if (store !== null) {
        // written into the store's tables now (DirectCreates); the stage keeps what the plan and the log read
        const { runId } = direct!;
        head(n, username, "created", mapped.digest, rawDigest, d.email, recno, messages, null, line).nulls(PAYLOAD_COLUMNS).endRow();
        store.objects.value(objectId).value(pgTextArray(state.profile.types)).value(state.profile.title).value(JSON.stringify(state.profile.attributes)).endRow();
        store.users.value(userId).value(username).value(d.email).value(d.nameFirst).value(d.nameLast).value(d.title).value(JSON.stringify(state.tags)).value(objectId).endRow();
        for (const code of d.groups) {
          const groupId = direct!.groupIds.get(code);
          if (groupId !== undefined) store.memberships.value(userId).value(groupId).value("sync").value(runId).endRow();
        }
        store.sync_ledger
          .value(userId).value(username).value(mapped.digest).value(rawDigest).value(direct!.context).value(true).value(false).value(messages !== null)
          .value(runId).value(runId).value(runId).value("created")
          .endRow();
        store.run_changes.value(runId).value(userId).value(username).value("create").value(null).endRow();
        store.received_records.value(username).value(runId).value(file.name).value(recno).value(rawDigest).value(text).value(mapped.mapped).endRow();
        store.run_events
          .value(runId).value(direct!.logBase + (n + 1) * 1000 + 900).value("info").value("create").value(username).value(`create ${username}`)
          .value(JSON.stringify({ file: file.name, record: recno }))
          .endRow();
        continue;
      }
      head(n, username, "ok", mapped.digest, rawDigest, d.email, recno, messages, text, line);
      rows
        .value(d.nameFirst)
        .value(d.nameLast)
        .value(d.title)
        .value(JSON.stringify(state.tags))
        .value(pgTextArray(state.profile.types))
        .value(state.profile.title)
        .value(JSON.stringify(state.profile.attributes))
        .value(pgTextArray(d.groups))
        .value(mapped.mapped)
        .value(userId)
        .value(objectId)
        .endRow();
    }
    return to;
  }

  /** End the stage's segment at record `to`, with the work alongside for its known users' changed records. */
  const endSegment = async (to: number) => {
    const from = segmentFrom;
    const work = ctx.alongside && knownChanged > 0 ? () => ctx.alongside!(from, to) : undefined;
    knownChanged = 0;
    segmentFrom = to;
    await writer.flush(work);
  };
  try {
    for (const file of files) {
      const reader = READERS[file.spec.read];
      if (!reader) throw new Error(`Unknown reader ${file.spec.read} for file ${file.name}`);
      const fileStats: FileStats = { records: 0, size: file.size, fieldPresence: Object.fromEntries(sources.map((s) => [s, 0])) };
      stats.files[file.name] = fileStats;
      try {
        for await (const batch of reader.read(file.open(), file.spec)) {
          keepMemory();
          for (let from = 0; from < batch.records.length; ) {
            if (nextId === ids.length) {
              // at most one pair per record left in the batch: on a first load every record takes one
              ids = await ctx.drawIds(batch.records.length - from);
              nextId = 0;
            }
            from = stageBatch(batch, file, fileStats, from, Math.min(batch.records.length, from + SLICE));
            if (knownChanged >= SEGMENT_KNOWN || writer.size >= SEGMENT_BYTES) await endSegment(idx);
            // Let the process's other work in between slices: the queued COPYs above all, each of
            // which needs this process to answer the server before it goes on — mapping a whole
            // batch left the database waiting — and the web UI and uploads (when the file and
            // the database keep up, this loop would otherwise run on promises alone, and requests
            // waited for the whole pass: measured, a page took 13 s during a million-user read).
            await new Promise((resolve) => setImmediate(resolve));
          }
          progress.update({ phase: "read", file: file.name, done: idx });
        }
      } catch (error) {
        if (error instanceof ReaderError) throw new FeedFileError(file.name, error);
        throw error;
      }
    }
    await endSegment(idx);
    // Whoever the sync knows from the last feed and did not meet in this one has left it.
    for (const [username, state] of known) {
      if (state === SEEN || state === NOT_IN_FEED) continue;
      rows.value(null).value(username).value("absent").nulls(STAGE_COLUMNS.length - 3).endRow();
      if (writer.size >= SEGMENT_BYTES) await writer.flush(); // everyone may have left: bounded, like the records
    }
    await writer.done();
  } catch (error) {
    await writer.settle();
    throw error;
  }
  stats.records = idx;
  stats.maxIdx = idx - 1;
  return stats;
}
