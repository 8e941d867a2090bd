// Replay (`usersync replay RUN`): what would happen if a past run's files arrived now. A new run
// (kind 'replay', based_on_run_id = RUN) takes the same files — the same stored bytes, the same
// pinned control file — and is executed as a dry run against today's store, safety checks
// included, so its plan and verdict show what today would do. Nothing is applied.
import type { Store } from "../store/index.ts";
import { executeRun, RunError, type EngineSettings, type RunOptions, type RunOutcome } from "./run.ts";
import { planSafetyCheck, type SafetySettings } from "./safety.ts";

export interface ReplayOptions {
  settings: EngineSettings;
  safety: SafetySettings;
  source?: string;
  onProgress?: RunOptions["onProgress"];
}

export async function replayRun(store: Store, runId: number, options: ReplayOptions): Promise<RunOutcome> {
  const newId = await store.db.transaction(async (tx) => {
    const [old] = await tx.query<{ control_file_id: number | null }>("SELECT control_file_id FROM runs WHERE id = $1", [runId]);
    if (!old) throw new RunError(`There is no run ${runId}`);
    const [{ control }] = (await tx.query<{ control: number }>(
      "SELECT count(*)::int AS control FROM run_files WHERE run_id = $1 AND name = '_control'",
      [runId],
    )) as [{ control: number }];
    if (!control) throw new RunError(`Run ${runId} has no control file, so it cannot be replayed`);
    const [row] = await tx.query<{ id: number }>(
      `INSERT INTO runs (status, kind, source, control_file_id, based_on_run_id, dry_run) VALUES ('ready', 'replay', $1, $2, $3, true) RETURNING id`,
      [options.source ?? "cli", old.control_file_id, runId],
    );
    const id = Number(row!.id);
    await tx.query(
      `INSERT INTO run_files (run_id, name, original_filename, size, digest, replaceable, record_count, uploaded_via, uploaded_by)
       SELECT $2, name, original_filename, size, digest, false, record_count, uploaded_via, uploaded_by FROM run_files WHERE run_id = $1`,
      [runId, id],
    );
    return id;
  });
  return executeRun(store, newId, { settings: options.settings, safety: planSafetyCheck(options.safety), dryRun: true, onProgress: options.onProgress });
}
