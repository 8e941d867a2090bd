// Retention of history (usersync.json `retention`; anchors (c) item 13). What ages out:
//   batchFilesDays       the stored bytes of batch files of finished runs (the run_files rows stay,
//                        marked removed, so the run still says what it received and its digests);
//   receivedRecordsDays  per-user received data, except each user's latest record;
//   runLogDays           runs' log lines (run_events) and undo images (run_changes); the run and
//                        its counts stay.
// Never touched: runs still open (uploading, ready, queued, running, held), the files of the latest
// complete run (the next run is compared with it, and it can be re-applied), current users.
// The daemon calls applyRetention once a day; `usersync retention run` does it by hand.
import type { RetentionConfig } from "../config/index.ts";
import type { Store } from "../store/index.ts";
import { silentLogger, type Logger } from "../util/log.ts";

const OPEN_STATUSES = ["uploading", "ready", "queued", "running", "held"];
const DAY_MS = 86_400_000;

export interface RetentionResult {
  batchFiles: { files: number; bytes: number; runs: number };
  receivedRecords: number;
  runEvents: number;
  runChanges: number;
  dryRun: boolean;
}

export function retentionConfigured(retention: RetentionConfig): boolean {
  return Boolean(retention.batchFilesDays || retention.receivedRecordsDays || retention.runLogDays);
}

const cutoff = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();

/** Runs old enough to lose their `days`-limited history: finished before the cutoff, not open. */
const OLD_RUNS = `SELECT id FROM runs WHERE coalesce(finished_at, created_at) < $1::timestamptz AND status <> ALL (string_to_array($2, ','))`;

export async function applyRetention(
  store: Store,
  retention: RetentionConfig,
  options: { now?: Date; dryRun?: boolean; log?: Logger; actor?: string } = {},
): Promise<RetentionResult> {
  const now = options.now ?? new Date();
  const dryRun = options.dryRun === true;
  const log = options.log ?? silentLogger;
  const { db } = store;
  const open = OPEN_STATUSES.join(",");
  const result: RetentionResult = { batchFiles: { files: 0, bytes: 0, runs: 0 }, receivedRecords: 0, runEvents: 0, runChanges: 0, dryRun };
  const unreferenced: string[] = [];

  await db.transaction(async (tx) => {
    if (retention.batchFilesDays) {
      const before = cutoff(now, retention.batchFilesDays);
      const params = [before, open];
      const candidates = `SELECT f.id, f.run_id, f.digest, f.size FROM run_files f WHERE f.removed_at IS NULL AND f.run_id IN (${OLD_RUNS})
        AND f.run_id IS DISTINCT FROM (SELECT max(id) FROM runs WHERE status = 'complete' AND NOT dry_run)`;
      const rows = await tx.query<{ id: number; run_id: number; digest: string; size: number }>(candidates, params);
      result.batchFiles.runs = new Set(rows.map((r) => Number(r.run_id))).size;
      // A digest's bytes go only when no file that is kept still points at them (identical uploads are stored once).
      const gone = await tx.query<{ digest: string; size: number }>(
        `SELECT DISTINCT c.digest, c.size FROM (${candidates}) c
         WHERE NOT EXISTS (SELECT 1 FROM run_files k WHERE k.digest = c.digest AND k.removed_at IS NULL AND k.id NOT IN (SELECT id FROM (${candidates}) c2))`,
        params,
      );
      result.batchFiles.files = gone.length;
      result.batchFiles.bytes = gone.reduce((n, g) => n + Number(g.size), 0);
      unreferenced.push(...gone.map((g) => g.digest));
      if (!dryRun && rows.length)
        await tx.query(`UPDATE run_files SET removed_at = now(), removed_reason = 'retention' WHERE id IN (SELECT id FROM (${candidates}) c)`, params);
    }
    if (retention.receivedRecordsDays) {
      const older = `FROM received_records r WHERE r.created_at < $1::timestamptz
        AND EXISTS (SELECT 1 FROM received_records n WHERE n.username = r.username AND n.id > r.id)`;
      const before = cutoff(now, retention.receivedRecordsDays);
      if (dryRun) result.receivedRecords = Number((await tx.query<{ n: number }>(`SELECT count(*)::bigint AS n ${older}`, [before]))[0]!.n);
      else result.receivedRecords = Number((await tx.query<{ n: number }>(`WITH d AS (DELETE ${older} RETURNING 1) SELECT count(*)::bigint AS n FROM d`, [before]))[0]!.n);
    }
    if (retention.runLogDays) {
      const before = cutoff(now, retention.runLogDays);
      for (const [table, key] of [["run_events", "runEvents"], ["run_changes", "runChanges"]] as const) {
        const where = `FROM ${table} WHERE run_id IN (${OLD_RUNS})`;
        result[key] = dryRun
          ? Number((await tx.query<{ n: number }>(`SELECT count(*)::bigint AS n ${where}`, [before, open]))[0]!.n)
          : Number((await tx.query<{ n: number }>(`WITH d AS (DELETE ${where} RETURNING 1) SELECT count(*)::bigint AS n FROM d`, [before, open]))[0]!.n);
      }
    }
    if (!dryRun)
      await tx.query("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, 'retention', NULL, $2::text::jsonb)", [
        options.actor ?? "retention",
        JSON.stringify({ settings: retention, ...result }),
      ]);
  });

  // The bytes go after the commit: a failure here leaves a harmless orphan file, never a row that
  // points at nothing.
  if (!dryRun)
    for (const digest of unreferenced) {
      try {
        await Bun.file(store.files.pathOf(digest)).delete();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") log.warn("retention-file-not-deleted", { digest, error: (error as Error).message });
      }
    }
  if (!dryRun) await db.maintain();
  log.info("retention", { ...result });
  return result;
}
