// The daemon's periodic chores in one place, so `usersync serve` starts them with one call:
//
//   const housekeeping = startHousekeeping({ store, config, log });   …   await housekeeping.stop();
//
//   - every minute: the stale-feed check (notifications.staleFeed), which alerts once per missed deadline;
//   - a few minutes after start, then once a day: retention (usersync.json `retention`).
// A chore never overlaps itself, and a failure is logged, never thrown: the daemon keeps running.
import type { Config } from "../config/index.ts";
import { checkStaleFeed } from "../notify/index.ts";
import type { Store } from "../store/index.ts";
import { silentLogger, type Logger } from "../util/log.ts";
import { applyRetention, retentionConfigured } from "./retention.ts";

export interface HousekeepingOptions {
  store: Store;
  config: Pick<Config, "notifications" | "retention">;
  log?: Logger;
  staleCheckEveryMs?: number;
  retentionFirstAfterMs?: number;
  retentionEveryMs?: number;
}

export interface Housekeeping {
  stop(): Promise<void>;
}

export function startHousekeeping(options: HousekeepingOptions): Housekeeping {
  const log = options.log ?? silentLogger;
  const running = new Set<Promise<unknown>>();
  const timers: ReturnType<typeof setTimeout>[] = [];
  let stopped = false;

  const chore = (name: string, work: () => Promise<unknown>) => {
    let busy = false;
    return () => {
      if (busy || stopped) return;
      busy = true;
      const job = work()
        .catch((error: unknown) => log.error(`${name}-failed`, { error: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          busy = false;
          running.delete(job);
        });
      running.add(job);
    };
  };

  if (options.config.notifications.staleFeed) {
    const check = chore("stale-feed-check", () => checkStaleFeed({ store: options.store, config: options.config, log }, new Date()));
    timers.push(setInterval(check, options.staleCheckEveryMs ?? 60_000));
  }
  if (retentionConfigured(options.config.retention)) {
    const retain = chore("retention", () => applyRetention(options.store, options.config.retention, { log, actor: "daemon" }));
    timers.push(
      setTimeout(() => {
        retain();
        timers.push(setInterval(retain, options.retentionEveryMs ?? 86_400_000));
      }, options.retentionFirstAfterMs ?? 5 * 60_000),
    );
  }

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
    },
  };
}
