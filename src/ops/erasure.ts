// Erasing one person from stored history, on request (anchors (c) item 13). What is erased:
//   - their received data (received_records): every raw and mapped record received for them;
//   - their log lines (run_events): the username and the detail go, the line stays as "[erased]"
//     so run counts still add up; their undo images (run_changes) go (a run can no longer undo
//     them);
//   - their records in stored batch files: each file that holds one is REWRITTEN without it and
//     stored under its new SHA-256; the run keeps the digest of what was uploaded in
//     original_digest, so the audit trail says the file was altered, and when. JSON arrays keep
//     every other record's text byte for byte; line formats (TSV, CSV) lose just the record's
//     lines. A file in a format that cannot be rewritten record by record is deleted whole
//     (marked removed by 'erasure'): erasure wins over keeping other people's history.
//   - optionally (--delete-account) the account itself, only once the sync has blocked it.
// The audit log records that an erasure happened, with a hash of the username, never the name.
import iconv from "iconv-lite";
import { ControlFileError, formatProblem, loadControl, READERS, type Control } from "../control/index.ts";
import { normaliseUsername, type EngineSettings } from "../engine/index.ts";
import { APPLY_LOCK, type Store } from "../store/index.ts";
import { normaliseCharset } from "../control/readers/decode.ts";

export class ErasureError extends Error {}

export interface ErasureResult {
  username: string;
  receivedRecords: number;
  logLines: number;
  undoImages: number;
  filesRewritten: number;
  filesRemoved: number;
  accountDeleted: boolean;
  accountExists: boolean;
  dryRun: boolean;
}

interface FileRow {
  digest: string;
  name: string;
  control_digest: string | null;
}

/** A file's text without the given person's records, or null when the format cannot be rewritten record by record. */
type Rewrite = { bytes: Uint8Array; removed: number } | null;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function decode(bytes: Uint8Array, charset: string): string {
  const text = charset === "utf-8" || charset === "utf8" ? new TextDecoder("utf-8", { fatal: true }).decode(bytes) : iconv.decode(Buffer.from(bytes), charset);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function encode(text: string, charset: string): Uint8Array {
  return charset === "utf-8" || charset === "utf8" ? new TextEncoder().encode(text) : new Uint8Array(iconv.encode(text, charset));
}

/** Lines with their endings, numbered as the readers number them (CRLF, CR and LF each end one line). */
function splitLines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

export async function eraseFromFile(
  bytes: Uint8Array,
  spec: { read: string; charset?: string; singleRecord?: boolean } & Record<string, unknown>,
  isPerson: (record: unknown) => boolean,
): Promise<Rewrite> {
  const reader = READERS[spec.read];
  if (!reader) return null;
  const charset = normaliseCharset(spec.charset);
  // Which records are the person's, and where they start (the readers number lines from 1).
  const starts: number[] = [];
  const matching: number[] = [];
  const texts: string[] = [];
  for await (const batch of reader.read((async function* () { yield bytes; })(), spec as never)) {
    batch.records.forEach((record, i) => {
      starts.push(batch.lines[i] ?? 0);
      texts.push(batch.texts?.[i] ?? "");
      if (isPerson(record)) matching.push(starts.length - 1);
    });
  }
  if (!matching.length) return { bytes, removed: 0 };
  const text = decode(bytes, charset);
  if (spec.read === "json") {
    if (spec.singleRecord) return { bytes: encode("null", charset), removed: 1 };
    const trimmed = text.trimStart();
    if (trimmed.startsWith("[")) {
      const keep = texts.filter((_, i) => !matching.includes(i));
      return { bytes: encode(`[\n${keep.join(",\n")}\n]\n`, charset), removed: matching.length };
    }
    // A top-level object whose values are records: the keys are not in the reader's output, so parse.
    const object = JSON.parse(trimmed) as Record<string, unknown>;
    for (const [key, value] of Object.entries(object)) if (isPerson(value)) delete object[key];
    return { bytes: encode(`${JSON.stringify(object, null, 1)}\n`, charset), removed: matching.length };
  }
  if (spec.read === "tsv-with-name-row" || spec.read === "csv") {
    // A record runs from its first line to the line before the next record (a CSV record may span lines).
    const lines = splitLines(text);
    const drop = new Set<number>();
    for (const index of matching) {
      const from = starts[index]!;
      const to = index + 1 < starts.length ? starts[index + 1]! - 1 : lines.length;
      for (let line = from; line <= to; line++) drop.add(line);
    }
    return { bytes: encode(lines.filter((_, i) => !drop.has(i + 1)).join(""), charset), removed: matching.length };
  }
  return null;
}

/** A PostgreSQL regular expression matching the name as a whole word (not "bob" inside "bobby"). */
function namePattern(username: string): string {
  return `(?<![[:alnum:]_])${username.replace(/[\\^$.*+?()[\]{}|-]/g, "\\$&")}(?![[:alnum:]_])`;
}

export async function erasePerson(
  store: Store,
  rawUsername: string,
  options: { settings: EngineSettings; dryRun?: boolean; deleteAccount?: boolean; actor: string; onProgress?: (searched: number, files: number) => void },
): Promise<ErasureResult> {
  const username = normaliseUsername(rawUsername);
  if (!username) throw new ErasureError("Give the username to erase");
  const { db } = store;
  const dryRun = options.dryRun === true;
  const [busy] = await db.query<{ id: number; status: string }>("SELECT id, status FROM runs WHERE status IN ('queued', 'running') LIMIT 1");
  if (busy) throw new ErasureError(`Run ${busy.id} is ${busy.status}: erase when no run is being applied`);

  const [account] = await db.query<{ id: number; active: boolean; profile_id: number | null; in_feed: boolean | null; managed: boolean }>(
    `SELECT u.id, u.active, u.profile_id, l.in_feed, (l.user_id IS NOT NULL) AS managed FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id WHERE u.username = $1`,
    [username],
  );
  if (options.deleteAccount && account && (account.active || account.in_feed))
    throw new ErasureError(`${username}'s account is ${account.active ? "active" : "still in the feed"}: only an account the sync has blocked (the person left the feed) can be deleted`);

  // 1. The stored batch files: every distinct file of every run whose bytes are still kept.
  const files = await db.query<FileRow & { run_id: number }>(
    `SELECT DISTINCT ON (f.digest) f.digest, f.name, f.run_id, c.digest AS control_digest
     FROM run_files f JOIN runs r ON r.id = f.run_id LEFT JOIN run_files c ON c.run_id = f.run_id AND c.name = '_control'
     WHERE f.name <> '_control' AND f.removed_at IS NULL ORDER BY f.digest, f.run_id DESC`,
  );
  const rewrites: { digest: string; bytes: Uint8Array | null }[] = [];
  for (const [index, file] of files.entries()) {
    options.onProgress?.(index, files.length);
    if (!store.files.has(file.digest) || !file.control_digest || !store.files.has(file.control_digest)) continue;
    let control: Control;
    try {
      control = loadControl(await store.files.text(file.control_digest), {
        profileAttributes: options.settings.profileAttributes,
        userTags: options.settings.userTags,
        qualifiers: options.settings.qualifiers,
      });
    } catch (error) {
      // Nothing has been changed yet: stop, rather than guess what the file holds.
      const why = error instanceof ControlFileError ? error.problems.map(formatProblem).join("; ") : (error as Error).message;
      throw new ErasureError(`Run ${file.run_id}'s control file no longer loads with this configuration, so its file ${file.name} cannot be searched: ${why}`);
    }
    const spec = control.files[file.name];
    const extract = control.instructions.extractUsername;
    if (!spec || !extract) continue;
    const isPerson = (record: unknown) => {
      const value = extract(record);
      return value !== undefined && normaliseUsername(value) === username;
    };
    let rewrite: Rewrite;
    try {
      rewrite = await eraseFromFile(await readAll(store.files.stream(file.digest)), spec, isPerson);
    } catch {
      rewrite = null; // a file its own reader cannot read cannot be searched: it goes whole
    }
    if (rewrite && rewrite.removed === 0) continue;
    rewrites.push({ digest: file.digest, bytes: rewrite?.bytes ?? null });
  }

  options.onProgress?.(files.length, files.length);
  const result: ErasureResult = {
    username,
    receivedRecords: 0,
    logLines: 0,
    undoImages: 0,
    filesRewritten: rewrites.filter((r) => r.bytes).length,
    filesRemoved: rewrites.filter((r) => !r.bytes).length,
    accountDeleted: false,
    accountExists: Boolean(account),
    dryRun,
  };
  const count = async (sql: string) => Number((await db.query<{ n: number }>(sql, [username]))[0]!.n);
  if (dryRun) {
    result.receivedRecords = await count("SELECT count(*)::bigint AS n FROM received_records WHERE username = $1");
    const pattern = namePattern(username);
    result.logLines = Number((await db.query<{ n: number }>("SELECT count(*)::bigint AS n FROM run_events WHERE username = $1 OR message ~* $2", [username, pattern]))[0]!.n);
    result.undoImages = await count("SELECT count(*)::bigint AS n FROM run_changes WHERE username = $1");
    result.accountDeleted = Boolean(options.deleteAccount && account);
    return result;
  }

  // The new bytes are stored before the transaction (content-addressed: harmless if it fails).
  const stored = new Map<string, { digest: string; size: number } | null>();
  for (const r of rewrites) stored.set(r.digest, r.bytes ? await store.files.put((async function* () { yield r.bytes!; })()) : null);

  await db.transaction(async (tx) => {
    if (db.kind === "postgres") await tx.query("SELECT pg_advisory_xact_lock($1)", [APPLY_LOCK]);
    const n = async (sql: string, params: unknown[] = [username]) =>
      Number((await tx.query<{ n: number }>(`WITH d AS (${sql} RETURNING 1) SELECT count(*)::bigint AS n FROM d`, params))[0]!.n);
    result.receivedRecords = await n("DELETE FROM received_records WHERE username = $1");
    // Their lines lose username and detail; the name goes from every message that names it, in any
    // case — also lines not tied to them (another record's error quoting it), where only the name goes.
    const pattern = namePattern(username);
    result.logLines = await n(
      `UPDATE run_events SET message = regexp_replace(message, $2, '[erased]', 'gi'),
         detail = CASE WHEN username = $1 THEN NULL ELSE detail END, username = CASE WHEN username = $1 THEN NULL ELSE username END
       WHERE username = $1 OR message ~* $2`,
      [username, pattern],
    );
    result.undoImages = await n("DELETE FROM run_changes WHERE username = $1");
    await tx.query("UPDATE audit_log SET target = '[erased]', detail = NULL WHERE target IN ($1, 'user ' || $1)", [username]);
    for (const [old, replacement] of stored) {
      if (replacement)
        await tx.query("UPDATE run_files SET digest = $2, size = $3, original_digest = coalesce(original_digest, $1) WHERE digest = $1", [old, replacement.digest, replacement.size]);
      else await tx.query("UPDATE run_files SET removed_at = now(), removed_reason = 'erasure', original_digest = coalesce(original_digest, $1) WHERE digest = $1", [old]);
    }
    if (options.deleteAccount && account) {
      // (the bulk tables carry no foreign keys, for the engine's speed: each goes explicitly)
      await tx.query("DELETE FROM memberships WHERE user_id = $1", [account.id]);
      await tx.query("DELETE FROM sync_ledger WHERE user_id = $1", [account.id]);
      await tx.query("DELETE FROM users WHERE id = $1", [account.id]);
      if (account.profile_id !== null) await tx.query("DELETE FROM objects WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE profile_id = $1)", [account.profile_id]);
      result.accountDeleted = true;
    }
    await tx.query("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, 'erase-person', $2, $3::text::jsonb)", [
      options.actor,
      `sha256:${new Bun.CryptoHasher("sha256").update(username).digest("hex")}`,
      JSON.stringify({ ...result, username: undefined }),
    ]);
  });
  // The old bytes go once nothing points at them.
  for (const old of stored.keys()) {
    const [still] = await db.query("SELECT 1 FROM run_files WHERE digest = $1 LIMIT 1", [old]);
    if (!still) await Bun.file(store.files.pathOf(old)).delete().catch(() => {});
  }
  await db.maintain();
  return result;
}
