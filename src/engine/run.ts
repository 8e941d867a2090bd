// A sync run from start to end: the run's files (pinned by digest, with the control file that
// came with them) are read, staged, classified, prepared, checked and — unless it is a dry run or a
// safety check holds it — applied, all in ONE transaction. A crash, a kill or a database restart
// anywhere before the commit leaves the store exactly as it was; the run can then be applied again.
//
// Every run is planned before it is applied: the plan (counts per action, and per user the action
// and field-level changes, in the run's log) is kept whatever happens next. A safety check
// (safety.ts) may hold the run: all of it (nothing applied), or only its risky part (blocks,
// pending-leaver counts, group removals) while the rest is applied. A held run is approved by
// executing it again with `approval` — the plan is recomputed against the store as it is then, the
// checks are recorded but do not hold — or rejected (approval.ts).
import { ControlFileError, formatProblem, loadControl, type Control, type Lookups } from "../control/index.ts";
import type { ProfileAttribute } from "../control/index.ts";
import type { GroupDefinition } from "./profile.ts";
import type { MappingContext } from "./record.ts";
import { APPLY_LOCK, describeDatabaseError, isTransientDatabaseError, type Sql, type Store } from "../store/index.ts";
import { applyPlan, beforeImagesStart, discardUnappliedImages, holdRiskyPart, relabelImages, saveBeforeImages, saveEarlyImages, type HeldPart } from "./apply.ts";
import { prepareChanges, type ChangeStats } from "./changes.ts";
import { seqAfterLog, seqAfterRecords, writeLine, writeRunEvents } from "./events.ts";
import { contextDigest } from "./digest.ts";
import { definitionsDigest, loadGroupDefinitions } from "./groups.ts";
import { DeferredLookups, loadLookups, titleMappingTypes } from "./lookups.ts";
import { buildPlan, countPlan, hasForeignAccounts, type PlanCounts } from "./plan.ts";
import { notifyRunHeld } from "./notify.ts";
import { heldMessage, markFailed, markHeldUnreadable, outcomeLines, safetyLine } from "./outcome.ts";
import { createProgress, type ProgressState } from "./progress.ts";
import { unreadableFileVerdict, type OnTrip } from "./safety.ts";
import { memoryKeeper } from "./memory.ts";
import { FeedFileError, NOT_IN_FEED, NOT_SETTLED, stageRecords, type DrawIds, type RunFileInput, type StageStats } from "./stage.ts";

/** Settings the engine needs, from usersync.json (src/config). */
export interface EngineSettings {
  defaultType: string;
  profileAttributes: ProfileAttribute[];
  userTags: string[];
  qualifiers?: string[];
  onRecordError: "keep" | "block";
  blockAfterAbsentRuns: number;
}

export interface RunCounts {
  records: number;
  create: number;
  update: number;
  unblock: number;
  unchanged: number;
  block: number;
  pendingLeaver: number;
  reject: number;
  duplicates: number;
  noUsername: number;
  collisions: number;
  groupsAdded: number;
  groupsRemoved: number;
  errors: number;
  files: StageStats["files"];
}

/** One safety check's outcome: its figures against its bound, tripped or not. */
export interface SafetyCheckResult {
  /** first-run | empty-feed | blocks | file-change | schema-drift | field-change | errors | duplicates | readable-files */
  name: string;
  tripped: boolean;
  /** One line a person can act on, with the figures and the bound in it. */
  message: string;
  figures?: Record<string, unknown>;
  bound?: Record<string, unknown>;
  /** What a trip does (safety.ts OnTrip). */
  onTrip?: OnTrip;
}

/** What safety checks (src/engine/safety.ts) decide about a plan before it is applied; kept in runs.safety. */
export interface SafetyVerdict {
  held: boolean;
  /** When held: "run" — nothing was applied; "risky" — the safe part was applied, the risky part waits. */
  hold?: "run" | "risky";
  checks: SafetyCheckResult[];
  /** What a partial hold kept back. */
  heldPart?: HeldPart;
  /** A person approved the run: who, when, and the verdict that had held it. */
  approval?: { by: string; at: string; held: SafetyVerdict | null };
}

export type SafetyCheck = (input: { tx: Sql; runId: number; counts: RunCounts; stats: StageStats }) => Promise<SafetyVerdict>;

export interface RunOptions {
  settings: EngineSettings;
  dryRun?: boolean;
  /** Decides whether the plan may be applied; absent = always apply. */
  safety?: SafetyCheck;
  onProgress?: (state: ProgressState) => void;
  /** Who asked (cli, an admin's name, the daemon), for the log. */
  actor?: string;
  /**
   * A person approved this held run: it is executed again against the store as it is now, its
   * checks are recorded but do not hold, and its earlier log is kept above the new one.
   */
  approval?: { by: string };
}

export type RunStatus = "complete" | "failure" | "dry-run" | "held";

export interface RunOutcome {
  runId: number;
  status: RunStatus;
  counts: RunCounts | null;
  errorCount: number;
  message: string | null;
  safety: SafetyVerdict | null;
  durationMs: number;
  timings: ProgressState["timings"];
  /** A failure the database caused (connection lost, read-only, disk full): the same run may succeed if tried again. */
  retryable?: boolean;
}

export class RunError extends Error {}

/** A run failed, and recording its failure failed too: `reason` is why the run itself failed. */
export class FailureNotRecorded extends Error {
  constructor(
    readonly reason: string,
    override readonly cause: unknown,
    /** the run's own failure was the database's (isTransientDatabaseError) */
    readonly retryable = false,
  ) {
    super(`${reason} (and recording the failure failed: ${describeDatabaseError(cause)})`);
    this.name = "FailureNotRecorded";
  }
}

interface RunFileRow {
  name: string;
  digest: string;
  size: number;
  original_filename: string | null;
}

async function loadRunControl(store: Store, files: RunFileRow[], settings: EngineSettings, lookups: Lookups): Promise<Control> {
  const controlFile = files.find((f) => f.name === "_control");
  if (!controlFile) throw new RunError("The run has no control file (_control)");
  const text = await store.files.text(controlFile.digest);
  try {
    return loadControl(text, {
      profileAttributes: settings.profileAttributes,
      userTags: settings.userTags,
      qualifiers: settings.qualifiers,
      lookups,
    });
  } catch (error) {
    if (error instanceof ControlFileError) throw new RunError(`The control file is not valid: ${error.problems.map(formatProblem).join("; ")}`);
    throw error;
  }
}

export async function executeRun(store: Store, runId: number, options: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const { settings } = options;
  const { db } = store;
  const [run] = await db.query<{ status: string; safety: SafetyVerdict | null; attempts: number }>("SELECT status, safety, attempts FROM runs WHERE id = $1", [runId]);
  if (!run) throw new RunError(`There is no run ${runId}`);
  const approval = options.approval ? { by: options.approval.by, at: new Date().toISOString(), held: run.safety ?? null } : null;
  const files = await db.query<RunFileRow>("SELECT name, digest, size, original_filename FROM run_files WHERE run_id = $1 ORDER BY name", [runId]);
  await db.query("UPDATE runs SET status = 'running', started_at = now(), message = NULL WHERE id = $1", [runId]);
  const progress = createProgress(runId, options.onProgress);

  let counts: RunCounts | null = null;
  let verdict: SafetyVerdict | null = null;
  try {
    const lookups = new DeferredLookups();
    const control = await loadRunControl(store, files, settings, lookups);
    const inputs: RunFileInput[] = Object.entries(control.files).map(([name, spec]) => {
      const file = files.find((f) => f.name === name);
      if (!file) throw new RunError(`The run has no file named ${name}, which the control file reads`);
      if (!store.files.has(file.digest)) throw new RunError(`The stored bytes of file ${name} (${file.digest}) are missing from ${store.files.dir}`);
      return { name, spec, size: Number(file.size), open: () => store.files.stream(file.digest) };
    });
    const unknown = files.filter((f) => f.name !== "_control" && !(f.name in control.files));
    if (unknown.length) throw new RunError(`The control file does not read ${unknown.map((f) => f.name).join(", ")}`);

    const status = await db.transaction(async (tx) => {
      if (db.kind === "postgres") {
        await tx.query("SELECT pg_advisory_xact_lock($1)", [APPLY_LOCK]);
        // The run's statements join a few thousand staged rows against million-row tables: with
        // the default random_page_cost (4, for spinning disks) the planner scans whole tables
        // rather than use their indexes. Sorts and hashes of a run get more memory; JIT compiling
        // each big statement costs more than it saves. For this transaction only.
        await tx.exec("SET LOCAL random_page_cost = 1.1; SET LOCAL work_mem = '64MB'; SET LOCAL jit = off");
      }
      // The run ANALYZEs its own temporary tables (stage, plan, changes) so that the statements
      // joining them to million-row tables are planned for their real size. A sample of 3,000 rows
      // does for that; the default of 30,000 read nearly every page of tables this wide (ANALYZE
      // changes: 360 ms after 40,000 changed users). No other table is ANALYZEd in the run.
      await tx.exec("SET LOCAL default_statistics_target = 10");
      // An approved run keeps the log that explains why it was held, a retried one the failures
      // before it; any other run starts afresh.
      let base = 0;
      if (approval || run.attempts > 0) base = await seqAfterLog(tx, runId);
      else await tx.query("DELETE FROM run_events WHERE run_id = $1", [runId]);
      await writeLine(tx, runId, { seq: base, level: "info", action: "run", message: `START: ${new Date().toISOString()}` });
      if (approval)
        await writeLine(tx, runId, {
          seq: base + 1,
          level: "info",
          action: "approve",
          message: `APPROVED by ${approval.by}: the plan is computed again against the store as it is now, and applied; the safety checks are recorded but do not hold.`,
          detail: { by: approval.by },
        });
      const definitions = await loadGroupDefinitions(tx);
      lookups.inner = await loadLookups(tx, control.instructions.needs, titleMappingTypes(control));

      const mapping = mappingContext(control, definitions, settings.defaultType);
      const known = await loadKnownUsers(tx, mapping.context, control.instructions.needs.size > 0);
      // The before-images of the users the run may change (for undo) are saved while this process
      // maps records (pass 1, then pass 2), after `images`; a dry run applies nothing and needs none.
      const images = options.dryRun ? null : await beforeImagesStart(tx, runId);
      const foreign = await hasForeignAccounts(tx);
      const direct = createsInPassOne(options, approval !== null, foreign)
        ? { runId, context: mapping.context, logBase: base, groupIds: await groupIds(tx) }
        : undefined;
      const stats = await stageRecords(tx, inputs, {
        ...mapping,
        known,
        progress,
        drawIds: await idDrawer(store, tx),
        alongside: images === null ? undefined : (from, to) => saveEarlyImages(tx, runId, from, to),
        direct,
      });

      if (images !== null) await tx.exec("ANALYZE early_imaged");
      // a million users' map is garbage from here on: cleared, it no longer makes every full
      // collection of pass 2 walk it (nor keeps the process's memory up through the apply)
      known.clear();
      progress.update({ phase: "classify", done: 0, total: stats.records });
      let plan = await buildPlan(tx, { blockAfterAbsentRuns: settings.blockAfterAbsentRuns, onRecordError: settings.onRecordError, foreign });

      progress.update({ phase: "prepare", done: 0 });
      const alongside = images === null ? undefined : (from: number, to: number | null) => saveBeforeImages(tx, runId, mapping.context, from, to);
      const changeStats = await prepareChanges(tx, { ...mapping, progress, staged: stats, alongside });
      if (changeStats.lateRejects) plan = await demoteLateRejects(tx);
      if (images !== null) await relabelImages(tx, runId, images);
      counts = countsOf(stats, plan, changeStats);

      progress.update({ phase: "check" });
      verdict = options.safety ? await options.safety({ tx, runId, counts, stats }) : null;
      if (approval) verdict = { ...(verdict ?? { checks: [] }), held: false, hold: undefined, approval };
      let hold = verdict?.held ? (verdict.hold ?? "run") : null;
      const apply = !options.dryRun && hold !== "run";
      if (apply) {
        progress.update({ phase: "apply" });
        if (hold === "risky") {
          const part = (verdict!.heldPart = await holdRiskyPart(tx));
          // Only the risky part was to wait, and this plan has none: nothing is held (the trip stays recorded).
          if (!part.blocks && !part.pendingLeavers && !part.usersWithGroupRemovals) {
            verdict = { ...verdict!, held: false, hold: undefined };
            hold = null;
          } else await discardUnappliedImages(tx, runId, images!, false);
        }
        await applyPlan(tx, runId, mapping.context);
      } else if (images !== null) await discardUnappliedImages(tx, runId, images, true);
      progress.update({ phase: "events" });
      let seq = await writeRunEvents(tx, runId, stats.maxIdx, counts.unchanged, settings.blockAfterAbsentRuns, base, stats.withMessages > 0);
      for (const check of verdict?.checks ?? []) await writeLine(tx, runId, safetyLine(seq++, check, approval !== null));
      for (const line of outcomeLines(counts, verdict, hold, options.dryRun === true)) await writeLine(tx, runId, { ...line, seq: seq++ });
      await writeLine(tx, runId, { seq, level: "info", action: "run", message: `END: ${new Date().toISOString()}` });
      const [{ errors }] = (await tx.query<{ errors: number }>(
        "SELECT count(*)::int AS errors FROM run_events WHERE run_id = $1 AND level = 'error' AND seq >= $2",
        [runId, base],
      )) as [{ errors: number }];
      counts.errors = errors;
      // Record counts are facts of the files, whatever became of the run: the next run's file check compares with them.
      await tx.query(
        `UPDATE run_files f SET record_count = (e.value ->> 'records')::int FROM jsonb_each($2::text::jsonb) e
         WHERE f.run_id = $1 AND f.name = e.key`,
        [runId, JSON.stringify(stats.files)],
      );
      const status: RunStatus = options.dryRun ? "dry-run" : hold ? "held" : "complete";
      await tx.query(
        `UPDATE runs SET status = $2, counts = $3::text::jsonb, error_count = $4, safety = $5::text::jsonb, dry_run = $6,
           applied_at = CASE WHEN $7 THEN now() ELSE applied_at END, finished_at = now(), duration_ms = $8,
           approved_by = coalesce($9, approved_by), approved_at = CASE WHEN $9::text IS NOT NULL THEN now() ELSE approved_at END,
           message = $10
         WHERE id = $1`,
        [
          runId,
          status,
          JSON.stringify(counts),
          errors,
          verdict ? JSON.stringify(verdict) : null,
          options.dryRun === true,
          apply,
          elapsed(),
          approval?.by ?? null,
          hold ? heldMessage(verdict!, hold) : null,
        ],
      );
      return status;
    });
    progress.update({ phase: "maintain" });
    // The run is committed: tidying up after it (statistics, VACUUM) failing must not make it a failure.
    await db.maintain().catch((error: unknown) => console.warn(`maintenance after run ${runId} failed: ${error instanceof Error ? error.message : String(error)}`));
    progress.update({ phase: "done" });
    progress.finish();
    const finalCounts = counts as RunCounts | null;
    const finalVerdict = verdict as SafetyVerdict | null;
    if (status === "held" && finalVerdict) await notifyRunHeld({ runId, hold: finalVerdict.hold ?? "run", verdict: finalVerdict, counts: finalCounts });
    return {
      runId,
      status,
      counts: finalCounts,
      errorCount: finalCounts?.errors ?? 0,
      message: status === "held" && finalVerdict ? heldMessage(finalVerdict, finalVerdict.hold ?? "run") : null,
      safety: finalVerdict,
      durationMs: elapsed(),
      timings: progress.state.timings,
    };
  } catch (error) {
    progress.finish();
    const message = describeDatabaseError(error);
    // An unreadable file is no feed: with safety checks on, the run is held, never failed into "everyone left".
    if (error instanceof FeedFileError && options.safety && !approval && !options.dryRun) {
      const held = unreadableFileVerdict(error);
      await markHeldUnreadable(store, runId, held, elapsed());
      await notifyRunHeld({ runId, hold: "run", verdict: held, counts: null });
      return { runId, status: "held", counts: null, errorCount: 1, message: heldMessage(held, "run"), safety: held, durationMs: elapsed(), timings: progress.state.timings };
    }
    const retryable = isTransientDatabaseError(error);
    try {
      await markFailed(store, runId, message, elapsed(), { keepLog: approval !== null || run.attempts > 0 });
    } catch (recording) {
      // the database went away (a restart): the caller records it later, with the run's own reason
      throw new FailureNotRecorded(message, recording, retryable);
    }
    return { runId, status: "failure", counts: null, errorCount: 1, message, safety: null, durationMs: elapsed(), timings: progress.state.timings, retryable };
  }
}

/** What mapping a record depends on besides the record: the control file and the group definitions. */
function mappingContext(control: Control, definitions: GroupDefinition[], defaultType: string): MappingContext & { context: string } {
  // a short digest, not the definitions themselves: it is hashed into every record's digest
  const definitionsText = contextDigest(definitionsDigest(definitions, defaultType));
  return {
    control,
    definitions,
    knownGroups: new Set(definitions.map((d) => d.code)),
    managedGroups: new Set(definitions.filter((d) => d.managed).map((d) => d.code)),
    defaultType,
    definitionsText,
    context: contextDigest(`${ENGINE_MAPPING_VERSION}\n${control.digest}\n${definitionsText}`),
  };
}

/**
 * Bump when a change to the engine alters what a record maps to: every user is then mapped again
 * on the next run (their ledger context no longer matches).
 */
const ENGINE_MAPPING_VERSION = "1";

/**
 * The users the sync knows (stage.ts StageContext.known): the raw digest of their last record when
 * they are settled — mapped under this context, nothing outstanding, in the feed — NOT_SETTLED when
 * their next record must go through the control file whatever it is, NOT_IN_FEED when they were
 * not in the last feed. When the control file uses lookups (filters, mappings), their targets may
 * have changed: nobody is settled. (A user the sync blocked is never in the feed: blocking clears
 * in_feed, so the ledger alone says all this, without a join to users.)
 *
 * Read as a few long texts, one per range of user ids, each "state username" lines built by the
 * database (string_agg), all asked for at once: the database builds the next while this process
 * reads the last. A million users took 1.6–2.3 s read as rows (a cursor: an array and a joined
 * string per row) and take about 1 s this way — most of it the map itself.
 */
async function loadKnownUsers(tx: Sql, context: string, usesLookups: boolean): Promise<Map<string, number>> {
  const known = new Map<string, number>();
  const keepMemory = memoryKeeper();
  const [bounds] = await tx.query<{ low: number | null; high: number | null }>("SELECT min(user_id) AS low, max(user_id) AS high FROM sync_ledger");
  if (bounds?.low == null || bounds.high == null) return known; // an empty ledger: both are null
  const low = Number(bounds.low);
  const high = Number(bounds.high);
  const settled = usesLookups ? "false" : `context = '${context.replace(/'/g, "")}' AND NOT error AND NOT warned`;
  // a username may hold any character: backslashes and newlines are escaped (unescapeCopy reads them)
  const chunk = `SELECT string_agg((CASE WHEN NOT in_feed THEN ${NOT_IN_FEED} WHEN ${settled} THEN raw_digest ELSE ${NOT_SETTLED} END)
      || ' ' || replace(replace(username, '\\', '\\\\'), E'\\n', '\\n'), E'\\n') AS lines
    FROM sync_ledger WHERE user_id >= $1 AND user_id < $2`;
  const step = Math.max(1, Math.ceil((high - low + 1) / KNOWN_CHUNKS));
  const texts: Promise<{ lines: string | null }[]>[] = [];
  for (let from = low; from <= high; from += step) {
    const text = tx.query<{ lines: string | null }>(chunk, [from, from + step]);
    text.catch(() => {}); // awaited below, in order; if one fails, the rest are not
    texts.push(text);
  }
  for (const text of texts) {
    const [row] = await text;
    if (row?.lines) readKnownLines(row.lines, known);
    keepMemory();
  }
  return known;
}

/** How many texts loadKnownUsers asks for: enough to overlap building and reading them. */
const KNOWN_CHUNKS = 8;

/** "state username" lines, one per user, into `known`. A plain loop: it runs a million times. */
function readKnownLines(text: string, known: Map<string, number>): void {
  const n = text.length;
  let at = 0;
  while (at < n) {
    // the state: an integer, maybe negative (NOT_SETTLED, NOT_IN_FEED), up to 2^53 (a digest)
    let i = at;
    const negative = text.charCodeAt(i) === 45; // "-"
    if (negative) i++;
    let state = 0;
    for (let c = text.charCodeAt(i); c !== 32; c = text.charCodeAt(++i)) {
      if (!(c >= 48 && c <= 57)) throw new Error(`The ledger's usernames could not be read (at character ${i})`);
      state = state * 10 + (c - 48);
    }
    let end = text.indexOf("\n", i + 1);
    if (end < 0) end = n;
    known.set(unescapeCopy(text.slice(i + 1, end)), negative ? -state : state);
    at = end + 1;
  }
}

/**
 * Whether pass 1 may write new users into the store itself (stage.ts DirectCreates), instead of
 * staging them for the apply. Only when nothing decided after pass 1 can stop a new user being
 * created:
 * - not a dry run, and no safety check can hold the whole run (there are none, or a person
 *   approved it; a partial hold keeps back blocks and group removals, never creates);
 * - no account the sync does not own: the plan rejects a new user whose username or email one of
 *   them holds (plan.ts), and with none there is no such collision.
 * Whatever else fails fails the run's one transaction, and with it everything pass 1 wrote.
 */
function createsInPassOne(options: RunOptions, approved: boolean, foreign: boolean): boolean {
  return !options.dryRun && (!options.safety || approved) && !foreign;
}

async function groupIds(tx: Sql): Promise<Map<string, number>> {
  const rows = await tx.query<{ id: number; code: string }>("SELECT id, code FROM groups");
  return new Map(rows.map((r) => [r.code, Number(r.id)]));
}

/**
 * Where pass 1 draws new users' ids (stage.ts DrawIds). On PostgreSQL, from another connection of
 * the pool: the run's own is busy with the COPY. PGlite has one connection, but sends COPY data in
 * separate statements, so the draw goes between them, in the run's transaction.
 */
async function idDrawer(store: Store, tx: Sql): Promise<DrawIds> {
  const [row] = await tx.query<{ users: string; objects: string }>(
    "SELECT pg_get_serial_sequence('users', 'id') AS users, pg_get_serial_sequence('objects', 'id') AS objects",
  );
  // one text value, not a row per pair: half the time for a block of 2,000
  const draw = `SELECT string_agg(nextval($1::regclass) || ',' || nextval($2::regclass), ',') AS ids FROM generate_series(1, $3::int)`;
  const via = store.db.kind === "postgres" ? store.db : tx;
  const fetch = async (count: number): Promise<[string, string][]> => {
    const [{ ids }] = (await via.query<{ ids: string }>(draw, [row!.users, row!.objects, count])) as [{ ids: string }];
    const parts = ids.split(",");
    const pairs: [string, string][] = [];
    for (let i = 0; i < parts.length; i += 2) pairs.push([parts[i]!, parts[i + 1]!]);
    return pairs;
  };
  // The next block is drawn while the last one is used: on a first load every record takes a
  // pair, and waiting for each block cost seconds per million.
  let ahead: { count: number; pairs: Promise<[string, string][]> } | null = null;
  return async (count) => {
    const pairs = ahead && ahead.count >= count ? await ahead.pairs : await fetch(count);
    ahead = { count, pairs: fetch(count) };
    ahead.pairs.catch(() => {}); // a run that ends (or fails) first never takes it
    return pairs;
  };
}

/** COPY text format escapes backslash, tab, newline and carriage return in values. */
function unescapeCopy(value: string): string {
  if (!value.includes("\\")) return value;
  return value.replace(/\\(.)/g, (_, c: string) => (c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c));
}

/** Records that passed pass 1 but failed against the stored profile are rejects after all. */
async function demoteLateRejects(tx: Sql): Promise<PlanCounts> {
  await tx.exec(
    `UPDATE plan p SET action = 'reject', reason = 'record' FROM changes c
     WHERE c.idx = p.idx AND c.action = 'reject' AND p.action IN ('create', 'update', 'unblock')`,
  );
  return countPlan(tx);
}

function countsOf(stats: StageStats, plan: PlanCounts, changes: ChangeStats): RunCounts {
  return {
    records: stats.records,
    create: plan.create,
    update: plan.update,
    unblock: plan.unblock,
    unchanged: plan.unchanged + stats.same,
    block: plan.block,
    pendingLeaver: plan["pending-leaver"],
    reject: plan.reject + stats.duplicates + stats.noUsername,
    duplicates: stats.duplicates,
    noUsername: stats.noUsername,
    collisions: plan.collisions,
    groupsAdded: changes.groupsAdded,
    groupsRemoved: changes.groupsRemoved,
    errors: 0,
    files: stats.files,
  };
}

export { markFailed, seqAfterRecords };
