// usersync serve   (the daemon: SFTP server, watched folder, HTTP API, background apply)
import { parseArgs } from "node:util";
import { loadConfig } from "../config/index.ts";
import { startDaemon } from "../daemon/index.ts";
import { createLogger } from "../util/log.ts";
import type { Command } from "./command.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "Run the daemon: SFTP server, watched folder, HTTP upload API, background apply",
  usage: `usersync serve [--config usersync.json]

Runs until stopped (SIGTERM or Ctrl-C). Batch files come in over SFTP (accounts: usersync
sftp-user), into the watched folder (watch.dir / USERSYNC_WATCH_DIR) and through the Haplo-
compatible HTTP API (keys: usersync api-key); a complete run is applied in the background, one
at a time. Logs are JSON lines on stdout; the first "daemon.ready" line gives the ports.

Ports: USERSYNC_HTTP_PORT (8080), USERSYNC_SFTP_PORT (2222); 0 picks a free port.
On stop, uploads are refused at once and a running apply finishes before the process exits;
a second signal exits at once (the apply then rolls back: nothing of it is kept).`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { config: { type: "string" } } });
    const config = loadConfig(values.config);
    const log = createLogger({ level: config.log.level });
    // A daemon logs an unexpected error and carries on serving rather than dying with it.
    process.on("unhandledRejection", (error) => log.error("daemon.unexpected-error", { error }));
    const daemon = await startDaemon(config, log);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          log.warn("daemon.killed", { signal, message: "second signal: exiting now; an apply in progress rolls back" });
          process.exit(130);
        }
        stopping = true;
        log.info("daemon.stopping", { signal });
        daemon.stop().then(resolve, (error) => {
          log.error("daemon.stop-failed", { error });
          resolve();
        });
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });
    log.info("daemon.stopped");
    return 0;
  },
};
