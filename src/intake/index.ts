// Intake: the three doors batch files come in by — the SFTP server (sftp/), the watched folder
// (watch/) and the Haplo-compatible HTTP API (src/web/api/) — all lead here. `ingest` keeps the
// bytes (content-addressed, size-bounded) and hands them to the batch assembler; when a run is
// then complete, SFTP and folder uploads start it at once (auto-apply), while HTTP uploaders call
// start-sync themselves, as Haplo's upload scripts do.
import { receiveFile, requestApply, UploadRefused, type AcceptedFile, type StartResult, type UploadVia } from "../batch/index.ts";
import type { ControlOptions } from "../control/index.ts";
import { preflightChecks, type SafetySettings } from "../engine/safety.ts";
import { FileTooLargeError, NoSpaceError, type Store, type StoredFile } from "../store/index.ts";
import type { Logger } from "../util/log.ts";

export { DEFAULT_THROTTLE, LoginThrottle, type ThrottleSettings } from "./throttle.ts";

export interface Upload {
  name: string;
  filename: string | null;
  via: UploadVia;
  by: string | null;
}

export interface IntakeOptions {
  store: Store;
  log: Logger;
  control: ControlOptions;
  autoApply: boolean;
  safety: SafetySettings;
  /** Called when a run has been queued, to wake the worker. */
  onQueued: () => void;
  /** Called for every accepted upload (the metrics' upload counters). */
  onAccepted?: (via: Upload["via"], bytes: number) => void;
}

export interface Intake {
  /** Keep the bytes (refusing past `maxBytes`), then add them to the current run. Throws UploadRefused or FileTooLargeError. */
  ingest(upload: Upload, bytes: AsyncIterable<Uint8Array>, maxBytes: number): Promise<AcceptedFile>;
  /** Add bytes already in the file store to the current run. */
  ingestStored(upload: Upload, stored: StoredFile): Promise<AcceptedFile>;
  /** start-sync: queue the ready run (or say why not). */
  startSync(actor: string): Promise<StartResult>;
  /** Resolves once the uploads being ingested right now are done (at shutdown, after the doors close). */
  drain(): Promise<void>;
}

export function createIntake(options: IntakeOptions): Intake {
  const { store, log } = options;

  const startSync = async (actor: string): Promise<StartResult> => {
    const result = await requestApply(store, {
      autoApply: options.autoApply,
      preflight: (db, runId) => preflightChecks(db, runId, options.safety),
      actor,
    });
    if (result.status === "ok") {
      log.info("run.queued", { runId: result.runId, by: actor });
      options.onQueued();
    } else {
      // Haplo raised a health event for every status but ok
      log.warn("run.not-applied", { runId: result.runId, by: actor, status: result.status, checks: result.safety?.checks.filter((c) => c.tripped) });
    }
    return result;
  };

  const inFlight = new Set<Promise<unknown>>();
  const tracked = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => {});
    return work;
  };

  const ingestStored = (upload: Upload, stored: StoredFile): Promise<AcceptedFile> => tracked(addToRun(upload, stored));
  const addToRun = async (upload: Upload, stored: StoredFile): Promise<AcceptedFile> => {
    const fields = { via: upload.via, by: upload.by, name: upload.name, filename: upload.filename, digest: stored.digest, size: stored.size };
    let accepted: AcceptedFile;
    try {
      accepted = await receiveFile(store, { ...upload, stored }, { control: options.control });
    } catch (error) {
      if (error instanceof UploadRefused) log.warn("upload.refused", { ...fields, reason: error.reason, message: error.message });
      throw error;
    }
    log.info("upload.accepted", { ...fields, runId: accepted.runId, runStatus: accepted.runStatus, missing: accepted.missing, detached: accepted.detached });
    options.onAccepted?.(upload.via, stored.size);
    if (accepted.runStatus === "ready" && upload.via !== "http") await startSync(`${upload.via}:${upload.by ?? "?"}`);
    return accepted;
  };

  return {
    ingestStored,
    startSync,
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
    async ingest(upload, bytes, maxBytes) {
      let stored: StoredFile;
      try {
        stored = await store.files.put(bytes, maxBytes);
      } catch (error) {
        if (error instanceof FileTooLargeError) log.warn("upload.refused", { via: upload.via, by: upload.by, name: upload.name, reason: "too-large", limit: maxBytes });
        // A full disk is no fault of the file, but the uploader must hear why and send it again;
        // the file store kept nothing of it.
        if (error instanceof NoSpaceError) {
          log.error("upload.refused", { via: upload.via, by: upload.by, name: upload.name, reason: "no-space" });
          throw new UploadRefused("no-space", error.message);
        }
        throw error;
      }
      return ingestStored(upload, stored);
    },
  };
}
