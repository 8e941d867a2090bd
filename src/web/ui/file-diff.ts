// What changed between two batch files of the same name: the records added, removed and changed,
// keyed by the username each run's own control file extracts. Both files are streamed through
// the control file's reader, so memory holds one 64-bit digest per username, not the files:
//   1. the older file: username → digest of the record (canonical JSON, so formatting does not count)
//   2. the newer file: each record is added, changed or unchanged; the older file's leftovers are removed
//   3. the older file again, only for the few records shown (the "before" side of changed and removed)
// Only the first `cap` records of each kind are kept to show; all are counted.
import { READERS, type Control, type FileSpec } from "../../control/index.ts";
import { canonicalJson, digestOf, normaliseUsername } from "../../engine/index.ts";
import { diffRecords, type FieldChange } from "./record-diff.ts";

export interface FeedFile {
  /** The run's control file, to read the file and find each record's username. */
  control: Control;
  spec: FileSpec;
  open(): AsyncIterable<Uint8Array>;
}

export interface RecordDiff {
  counts: { before: number; after: number; added: number; removed: number; changed: number; unchanged: number; withoutUsername: number; duplicates: number };
  added: { username: string; record: unknown }[];
  removed: { username: string; record: unknown }[];
  changed: { username: string; fields: FieldChange[] }[];
  cap: number;
}

async function* records(file: FeedFile): AsyncGenerator<{ username: string | null; record: unknown }> {
  const reader = READERS[file.spec.read];
  if (!reader) throw new Error(`Unknown reader ${file.spec.read}`);
  const extract = file.control.instructions.extractUsername;
  if (!extract) throw new Error("The control file has no top-level username instruction");
  for await (const batch of reader.read(file.open(), file.spec)) {
    for (const record of batch.records) {
      const raw = extract(record);
      const username = raw === undefined ? null : normaliseUsername(raw);
      yield { username: username || null, record };
    }
  }
}

export async function diffFeedFiles(older: FeedFile, newer: FeedFile, cap = 50): Promise<RecordDiff> {
  const counts = { before: 0, after: 0, added: 0, removed: 0, changed: 0, unchanged: 0, withoutUsername: 0, duplicates: 0 };
  const digests = new Map<string, number>();
  for await (const { username, record } of records(older)) {
    counts.before++;
    if (!username) continue;
    if (!digests.has(username)) digests.set(username, digestOf(canonicalJson(record)));
  }

  const added: RecordDiff["added"] = [];
  const changedAfter = new Map<string, unknown>();
  const seen = new Set<string>();
  for await (const { username, record } of records(newer)) {
    counts.after++;
    if (!username) {
      counts.withoutUsername++;
      continue;
    }
    if (seen.has(username)) {
      counts.duplicates++;
      continue;
    }
    seen.add(username);
    const old = digests.get(username);
    if (old === undefined) {
      counts.added++;
      if (added.length < cap) added.push({ username, record });
      continue;
    }
    digests.delete(username);
    if (old === digestOf(canonicalJson(record))) counts.unchanged++;
    else {
      counts.changed++;
      if (changedAfter.size < cap) changedAfter.set(username, record);
    }
  }
  seen.clear();

  // What is left of the older file's usernames was not in the newer one.
  counts.removed = digests.size;
  const shownRemoved = new Set<string>();
  for (const username of digests.keys()) {
    if (shownRemoved.size >= cap) break;
    shownRemoved.add(username);
  }
  digests.clear();

  const removed: RecordDiff["removed"] = [];
  const changedBefore = new Map<string, unknown>();
  if (shownRemoved.size || changedAfter.size) {
    for await (const { username, record } of records(older)) {
      if (!username) continue;
      if (shownRemoved.has(username) && !removed.some((r) => r.username === username)) removed.push({ username, record });
      else if (changedAfter.has(username) && !changedBefore.has(username)) changedBefore.set(username, record);
    }
  }
  const changed = [...changedAfter].map(([username, record]) => ({ username, fields: diffRecords(changedBefore.get(username), record) }));
  return { counts, added, removed, changed, cap };
}
