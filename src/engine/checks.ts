// The safety checks, one function each: a figure of the run against a bound, reported whether it
// trips or not (safety.ts puts them together into a verdict). Bounds are strict: "more than 10 %"
// means 10 % exactly does not trip. Percentages are compared in integers (n × 100 > P × total) so
// that a bound never trips by a rounding error.
//
// "The last applied run" — the baseline of the file and schema checks — is the latest feed or
// re-apply run that applied something (complete, or the safe part of a partial hold) and was not
// reverted afterwards. Haplo compared with the previous run of ANY status, so a cancelled or failed
// run with no files forced a manual apply (reference §9 item 9).
import type { Sql } from "../store/index.ts";
import type { RunCounts, SafetyCheckResult } from "./run.ts";
import type { SafetySettings } from "./safety.ts";
import type { StageStats } from "./stage.ts";

const APPLIED = `r.id <> $1 AND r.applied_at IS NOT NULL AND r.kind IN ('feed', 'reapply')
  AND NOT EXISTS (SELECT 1 FROM runs v WHERE v.kind = 'revert' AND v.based_on_run_id = r.id AND v.status = 'complete'
    AND NOT EXISTS (SELECT 1 FROM runs w WHERE w.kind = 'revert' AND w.based_on_run_id = v.id AND w.status = 'complete'))`;

export interface Baseline {
  runId: number;
  size: number;
  records: number | null;
  /** For each field the control file read then: in how many of the file's records it was present. */
  fieldPresence: Record<string, number> | null;
}

export interface AppliedRun {
  id: number;
  /** its counts (runs.counts), for the surge checks' baseline */
  counts: Partial<RunCounts>;
}

export async function lastAppliedRun(db: Sql, runId: number): Promise<AppliedRun | null> {
  const [row] = await db.query<{ id: number; counts: Partial<RunCounts> | null }>(
    `SELECT r.id, r.counts FROM runs r WHERE ${APPLIED} ORDER BY r.applied_at DESC, r.id DESC LIMIT 1`,
    [runId],
  );
  return row ? { id: Number(row.id), counts: row.counts ?? {} } : null;
}

/** For each file name, the same-named file of the last applied run that had one. */
export async function lastAppliedFiles(db: Sql, runId: number): Promise<Map<string, Baseline>> {
  const rows = await db.query<{ name: string; run_id: number; size: number; records: number | null; presence: Record<string, number> | null }>(
    `SELECT DISTINCT ON (f.name) f.name, r.id AS run_id, f.size,
       coalesce(f.record_count, (r.counts -> 'files' -> f.name ->> 'records')::int) AS records,
       r.counts -> 'files' -> f.name -> 'fieldPresence' AS presence
     FROM runs r JOIN run_files f ON f.run_id = r.id
     WHERE ${APPLIED} AND f.name <> '_control'
     ORDER BY f.name, r.applied_at DESC, r.id DESC`,
    [runId],
  );
  return new Map(
    rows.map((r) => [
      r.name,
      { runId: Number(r.run_id), size: Number(r.size), records: r.records === null ? null : Number(r.records), fieldPresence: r.presence },
    ]),
  );
}

/** Sync-owned users in the feed before this run: the population a block percentage is taken of. */
export async function usersInFeed(tx: Sql): Promise<number> {
  const [row] = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM sync_ledger WHERE in_feed");
  return row?.n ?? 0;
}

/** How many users this run changes each field of (from the prepared changes), set-based. */
export async function changedFieldCounts(tx: Sql): Promise<Map<string, number>> {
  const rows = await tx.query<{ field: string; n: number }>(
    `SELECT k AS field, count(*)::int AS n FROM changes c CROSS JOIN LATERAL jsonb_object_keys(c.detail -> 'changes') AS k
     WHERE c.action IN ('update', 'unblock') AND jsonb_typeof(c.detail -> 'changes') = 'object'
     GROUP BY k`,
  );
  return new Map(rows.map((r) => [r.field, r.n]));
}

const num = (n: number) => n.toLocaleString("en-US");
const percent = (n: number, of: number) => (of === 0 ? "0%" : `${((n * 100) / of).toFixed(1)}%`);
const signed = (now: number, before: number) => (before === 0 ? (now === 0 ? "0%" : "+∞%") : `${now >= before ? "+" : ""}${(((now - before) * 100) / before).toFixed(1)}%`);
/** n is more than `max` percent of `of`. */
const above = (n: number, max: number, of: number) => n * 100 > max * of;

export function firstRunCheck(last: AppliedRun | null): SafetyCheckResult {
  return {
    name: "first-run",
    tripped: last === null,
    onTrip: "hold-run",
    message: last
      ? `Not the first run: run ${last.id} was applied before.`
      : "The very first run: nothing has been applied before, so a person approves it.",
    figures: { lastAppliedRun: last?.id ?? null },
    bound: { earlierAppliedRuns: 1 },
  };
}

export function emptyFeedCheck(s: SafetySettings["emptyFeed"], stats: StageStats): SafetyCheckResult {
  const emptyFiles = Object.entries(stats.files)
    .filter(([, f]) => f.records === 0)
    .map(([name]) => name);
  const problems: string[] = [];
  if (emptyFiles.length) problems.push(`${emptyFiles.length === 1 ? "File" : "Files"} ${emptyFiles.join(", ")} parsed to zero records`);
  if (stats.ok === 0)
    problems.push(stats.records === 0 ? "the feed has no records at all" : `none of its ${num(stats.records)} records is usable (every one was rejected)`);
  return {
    name: "empty-feed",
    tripped: problems.length > 0,
    onTrip: s.onTrip,
    message: problems.length
      ? `${problems.join("; ")}. An empty or unusable feed is never taken to mean that everyone left.`
      : `${num(stats.ok)} usable records of ${num(stats.records)}; every file has records.`,
    figures: { records: stats.records, usableRecords: stats.ok, emptyFiles },
    bound: { minUsableRecords: 1, minRecordsPerFile: 1 },
  };
}

export function blocksCheck(s: SafetySettings["blocks"], counts: RunCounts, inFeed: number): SafetyCheckResult {
  const blocks = counts.block;
  const tripped = blocks > s.maxUsers || above(blocks, s.maxPercent, inFeed);
  return {
    name: "blocks",
    tripped,
    onTrip: s.onTrip,
    message:
      `The plan blocks ${num(blocks)} users (${percent(blocks, inFeed)} of the ${num(inFeed)} users in the feed before this run)` +
      `${counts.pendingLeaver ? `, plus ${num(counts.pendingLeaver)} pending leavers not yet blocked` : ""}; ` +
      `the bound is ${num(s.maxUsers)} users or ${s.maxPercent}%.`,
    figures: { blocks, pendingLeavers: counts.pendingLeaver, usersInFeed: inFeed, percent: inFeed ? (blocks * 100) / inFeed : 0 },
    bound: { maxUsers: s.maxUsers, maxPercent: s.maxPercent },
  };
}

export interface CurrentFile {
  name: string;
  size: number;
  /** null in the preflight, before the file has been read */
  records: number | null;
}

export function fileChangeCheck(s: SafetySettings["fileChange"], files: CurrentFile[], baseline: Map<string, Baseline>): SafetyCheckResult {
  // Haplo's rule, as a ratio both ways: 10 % trips above 1.1 × the earlier figure, or below 1/1.1 of it.
  const moved = (now: number, before: number) => now * 100 > before * (100 + s.maxPercent) || before * 100 > now * (100 + s.maxPercent);
  const figures: Record<string, unknown> = {};
  const tripped: string[] = [];
  const compared: number[] = [];
  for (const file of files) {
    const base = baseline.get(file.name);
    if (!base) {
      figures[file.name] = { size: file.size, records: file.records, baselineRun: null };
      continue;
    }
    compared.push(base.runId);
    const sizeMoved = moved(file.size, base.size);
    const recordsMoved = file.records !== null && base.records !== null && moved(file.records, base.records);
    figures[file.name] = {
      size: file.size,
      previousSize: base.size,
      sizeChange: signed(file.size, base.size),
      records: file.records,
      previousRecords: base.records,
      recordsChange: file.records !== null && base.records !== null ? signed(file.records, base.records) : null,
      baselineRun: base.runId,
    };
    if (sizeMoved || recordsMoved) {
      const parts: string[] = [];
      if (sizeMoved) parts.push(`${num(file.size)} bytes against ${num(base.size)} (${signed(file.size, base.size)})`);
      if (recordsMoved) parts.push(`${num(file.records!)} records against ${num(base.records!)} (${signed(file.records!, base.records!)})`);
      tripped.push(`file ${file.name} has ${parts.join(" and ")} in run ${base.runId}`);
    }
  }
  const runs = [...new Set(compared)];
  return {
    name: "file-change",
    tripped: tripped.length > 0,
    onTrip: s.onTrip,
    message: tripped.length
      ? `${tripped.join("; ")}: more than ±${s.maxPercent}% against the last applied run.`
      : runs.length
        ? `Every file within ±${s.maxPercent}% of the last applied run (run ${runs.join(", ")}) in size${files.some((f) => f.records !== null) ? " and records" : ""}.`
        : "No earlier applied run has these files: nothing to compare with.",
    figures: { files: figures },
    bound: { maxPercent: s.maxPercent },
  };
}

export function schemaDriftCheck(s: SafetySettings["schemaDrift"], stats: StageStats, baseline: Map<string, Baseline>): SafetyCheckResult {
  const everywhere = (field: string) => Object.values(stats.files).some((f) => (f.fieldPresence[field] ?? 0) > 0);
  const absent: { file: string; field: string; previouslyPresent: number | null; baselineRun: number | null }[] = [];
  for (const [file, f] of Object.entries(stats.files)) {
    if (f.records === 0) continue; // an empty file is the empty-feed check's business
    const base = baseline.get(file);
    for (const [field, present] of Object.entries(f.fieldPresence)) {
      if (present > 0) continue;
      const before = base?.fieldPresence?.[field];
      if (field === stats.usernameField || (before !== undefined && before > 0) || ((before === undefined || !base) && !everywhere(field)))
        absent.push({ file, field, previouslyPresent: before ?? null, baselineRun: before !== undefined && base ? base.runId : null });
    }
  }
  const describe = (a: (typeof absent)[number]) =>
    `"${a.field}" is absent from every record of file ${a.file}` +
    (a.previouslyPresent ? ` (it was in ${num(a.previouslyPresent)} records in run ${a.baselineRun})` : a.field === stats.usernameField ? " (it holds the usernames)" : "");
  return {
    name: "schema-drift",
    tripped: absent.length > 0,
    onTrip: s.onTrip,
    message: absent.length
      ? `${absent.map(describe).join("; ")}: a column or field the control file reads has vanished.`
      : "Every field the control file reads is present in each file where it was before.",
    figures: { absent, fieldPresence: Object.fromEntries(Object.entries(stats.files).map(([n, f]) => [n, f.fieldPresence])) },
    bound: { minRecordsWithField: 1 },
  };
}

export function fieldChangeCheck(s: SafetySettings["fieldChange"], counts: RunCounts, changed: Map<string, number>): SafetyCheckResult {
  const known = counts.update + counts.unchanged + counts.unblock;
  const fields = [...changed.entries()].filter(([field]) => !s.fields || s.fields.includes(field)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const tripped = fields.filter(([, n]) => n >= s.minUsers && above(n, s.maxPercent, known));
  const bound = `the bound is ${s.maxPercent}% (checked from ${num(s.minUsers)} users)`;
  const top = fields[0];
  return {
    name: "field-change",
    tripped: tripped.length > 0,
    onTrip: s.onTrip,
    message: tripped.length
      ? `${tripped.map(([f, n]) => `${f} changes for ${num(n)} of the ${num(known)} known users (${percent(n, known)})`).join("; ")}; ${bound}.`
      : top
        ? `The most-changed field, ${top[0]}, changes for ${num(top[1])} of the ${num(known)} known users (${percent(top[1], known)}); ${bound}.`
        : `No field of a known user changes; ${bound}.`,
    figures: { knownUsers: known, changedUsers: Object.fromEntries(fields.slice(0, 20)), tripped: tripped.map(([f]) => f) },
    bound: { maxPercent: s.maxPercent, minUsers: s.minUsers, fields: s.fields },
  };
}

/**
 * A surge: the count rose, against the last applied run, by more than maxPercent % of the records
 * (and by at least minRecords). A steady rate of bad records is the source's business, reported in
 * every run's log; a sudden rise is a mangled file.
 */
function surgeCheck(
  name: string,
  what: string,
  s: { maxPercent: number; minRecords: number; onTrip: SafetySettings["errors"]["onTrip"] },
  n: number,
  records: number,
  last: { runId: number; n: number } | null,
): SafetyCheckResult {
  const previous = last?.n ?? 0;
  const rise = Math.max(n - previous, 0);
  const tripped = rise >= s.minRecords && above(rise, s.maxPercent, records);
  const against = last ? `${num(previous)} in run ${last.runId}` : "none before";
  return {
    name,
    tripped,
    onTrip: s.onTrip,
    message:
      `${num(n)} ${what} of ${num(records)} records (${percent(n, records)}) against ${against}: a rise of ${num(rise)} (${percent(rise, records)} of the records); ` +
      `the bound is a rise of ${s.maxPercent}% (checked from ${num(s.minRecords)} records).`,
    figures: { [name]: n, previous, rise, records, percent: records ? (rise * 100) / records : 0, baselineRun: last?.runId ?? null },
    bound: { maxPercent: s.maxPercent, minRecords: s.minRecords },
  };
}

const rejected = (c: Partial<RunCounts>) => (c.reject ?? 0) - (c.duplicates ?? 0);

export function errorsCheck(s: SafetySettings["errors"], counts: RunCounts, last: AppliedRun | null): SafetyCheckResult {
  return surgeCheck("errors", "records rejected", s, rejected(counts), counts.records, last && { runId: last.id, n: rejected(last.counts) });
}

export function duplicatesCheck(s: SafetySettings["duplicates"], counts: RunCounts, last: AppliedRun | null): SafetyCheckResult {
  return surgeCheck("duplicates", "duplicate usernames", s, counts.duplicates, counts.records, last && { runId: last.id, n: last.counts.duplicates ?? 0 });
}
