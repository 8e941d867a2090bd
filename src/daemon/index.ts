// `usersync serve`: one process runs the SFTP server, the folder watcher, the HTTP server (API and,
// later, UI) and the worker that applies runs one at a time. Stopping (SIGTERM/SIGINT) first
// closes every door — no new uploads — then lets a running apply finish (or, if the process is
// killed, roll back: an apply is one transaction), then closes the database.
import { join } from "node:path";
import { recoverInterruptedRuns } from "../batch/index.ts";
import { engineSettings, type Config } from "../config/index.ts";
import { readOverrides, withOverrides } from "../config/overrides.ts";
import { applyConfigGroups } from "../engine/index.ts";
import { resolveSafetySettings } from "../engine/safety.ts";
import { createIntake, LoginThrottle, type IntakeOptions } from "../intake/index.ts";
import { createSftpServer, type SftpServer } from "../intake/sftp/index.ts";
import { watchFolder, type FolderWatcher } from "../intake/watch/index.ts";
import { openStore, type Store } from "../store/index.ts";
import type { Logger } from "../util/log.ts";
import { createMetrics } from "../observe/index.ts";
import { startHousekeeping, type Housekeeping } from "../ops/housekeeping.ts";
import { createApp } from "../web/app.ts";
import { startWorker, type WorkerOptions } from "./worker.ts";

export interface Daemon {
  store: Store;
  httpPort: number | null;
  sftpPort: number | null;
  stop(): Promise<void>;
}

export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  const store = await openStore(config);
  // doors first (no new uploads), then the worker (the apply in progress finishes), then the database
  const stoppers: (() => Promise<void> | void)[] = [];
  let worker: ReturnType<typeof startWorker> | null = null;
  let intake: ReturnType<typeof createIntake> | null = null;
  let housekeeping: Housekeeping | null = null;
  const stopAll = async () => {
    for (const stop of stoppers) await stop();
    await intake?.drain();
    await housekeeping?.stop();
    await worker?.stop();
    await store.close();
  };
  // settings changed in the web UI (src/config/overrides.ts) over usersync.json's; read again when the UI saves
  const fileConfig = structuredClone(config);
  try {
    Object.assign(config, withOverrides(fileConfig, await readOverrides(store.db)));
    await applyConfigGroups(store.db, config.groups);
    for (const runId of await recoverInterruptedRuns(store))
      log.warn("run.recovered", { runId, message: "interrupted by a stopped process: marked failed, nothing of it was applied" });

    const settings = engineSettings(config);
    const safety = resolveSafetySettings(config.safety);
    const metrics = createMetrics(store.db);
    const workerOptions: WorkerOptions = {
      store,
      settings,
      safety,
      log: log.child({ component: "worker" }),
      metrics,
      notify: { store, config, log: log.child({ component: "notify" }) },
      retryDelaysMs: config.sync.retryAfterSeconds.map((seconds) => seconds * 1000),
    };
    worker = startWorker(workerOptions);
    const intakeOptions: IntakeOptions = {
      store,
      log: log.child({ component: "intake" }),
      control: settings,
      autoApply: config.sync.autoApply,
      safety,
      onQueued: () => worker?.wake(),
      onAccepted: (via, bytes) => metrics.uploadReceived(via, bytes),
    };
    intake = createIntake(intakeOptions);
    // The worker and start-sync read these options at each run; the notifications read `config`.
    const reloadSettings = async () => {
      Object.assign(config, withOverrides(fileConfig, await readOverrides(store.db)));
      workerOptions.safety = intakeOptions.safety = resolveSafetySettings(config.safety);
      intakeOptions.autoApply = config.sync.autoApply;
      await applyConfigGroups(store.db, config.groups);
      log.info("settings.reloaded", { autoApply: config.sync.autoApply });
    };
    const throttle = new LoginThrottle(
      {
        maxFailures: config.loginThrottle.maxFailures,
        windowMs: config.loginThrottle.windowSeconds * 1000,
        blockMs: config.loginThrottle.blockSeconds * 1000,
      },
      Date.now,
      (door) => metrics.loginFailed(door),
    );
    // the stale-feed check every minute, retention once a day
    housekeeping = startHousekeeping({ store, config, log: log.child({ component: "housekeeping" }) });

    let httpPort: number | null = null;
    if (config.http.enabled) {
      const app = createApp({
        store,
        intake,
        throttle,
        metrics,
        config,
        log: log.child({ component: "http" }),
        maxUploadBytes: config.http.maxUploadBytes,
        trustProxy: config.http.trustProxy,
        onQueued: () => worker?.wake(),
        onSettingsChanged: reloadSettings,
      });
      const server = Bun.serve({
        hostname: config.listen,
        port: config.http.port,
        fetch: app.fetch,
        // the multipart envelope around the largest file allowed; past this Bun answers 413 itself
        maxRequestBodySize: config.http.maxUploadBytes + 1024 * 1024,
        // during an apply on PGlite a request may wait for the database: do not cut it off
        idleTimeout: 255,
      });
      httpPort = server.port ?? null;
      log.info("http.listening", { address: config.listen, port: httpPort });
      stoppers.push(() => server.stop());
    }

    let sftp: SftpServer | null = null;
    let sftpPort: number | null = null;
    if (config.sftp.enabled) {
      sftp = createSftpServer({
        dataDir: config.dataDir,
        db: store.db,
        accounts: config.sftp.accounts,
        intake,
        throttle,
        maxFileBytes: config.sftp.maxFileBytes,
        log: log.child({ component: "sftp" }),
      });
      sftpPort = await sftp.listen(config.sftp.port, config.listen);
      stoppers.push(() => sftp!.close());
    }

    let watcher: FolderWatcher | null = null;
    if (config.watch.dir) {
      watcher = watchFolder({ dir: config.watch.dir, intake, stabilityMs: config.watch.stabilityMs, maxFileBytes: config.http.maxUploadBytes, log: log.child({ component: "watch" }) });
      await watcher.ready;
      stoppers.push(() => watcher!.close());
    }

    log.info("daemon.ready", {
      http: httpPort,
      sftp: sftpPort,
      watch: config.watch.dir,
      database: store.db.description,
      data: config.dataDir,
      sftpHomes: join(config.dataDir, "sftp"),
      autoApply: config.sync.autoApply,
    });
    return {
      store,
      httpPort,
      sftpPort,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
