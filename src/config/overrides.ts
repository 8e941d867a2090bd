// Settings changed in the web UI, over usersync.json: auto-apply, the safety checks, the
// notifications and the managed groups. Kept as ONE row of `settings` (key "config.overrides"),
// each present section replacing the file's section whole, and validated by the same ajv schema
// (and the same extra checks) as usersync.json. Everything that opens the store applies them:
// the daemon at start and again when the UI saves (src/daemon/index.ts), the command line
// (src/cli/context.ts) — so the worker, start-sync, the notifications and `usersync approve` all
// see the same settings.
import type { Sql } from "../store/index.ts";
import { checkStaleFeedSettings } from "../notify/stale.ts";
import { checkConfig, checkGroups, type Config, type GroupConfig, type NotificationsConfig, type SafetyConfig } from "./index.ts";

export const OVERRIDES_KEY = "config.overrides";

export interface ConfigOverrides {
  sync?: { autoApply?: boolean };
  safety?: SafetyConfig;
  notifications?: NotificationsConfig;
  groups?: GroupConfig[];
}

export async function readOverrides(db: Sql): Promise<ConfigOverrides> {
  const [row] = await db.query<{ value: ConfigOverrides | null }>("SELECT value FROM settings WHERE key = $1", [OVERRIDES_KEY]);
  return row?.value ?? {};
}

/** The configuration with the overrides over it (a section present in the overrides replaces the file's). */
export function withOverrides(config: Config, o: ConfigOverrides): Config {
  return {
    ...config,
    sync: { ...config.sync, ...(o.sync?.autoApply === undefined ? {} : { autoApply: o.sync.autoApply }) },
    safety: o.safety ?? config.safety,
    notifications: o.notifications ?? config.notifications,
    groups: o.groups ?? config.groups,
  };
}

/** Problems, each "JSON path: message" (as usersync.json's): the schema's, then the checks it cannot express. */
export function checkOverrides(o: ConfigOverrides): string[] {
  const problems = checkConfig(o);
  if (problems.length) return problems;
  return [...checkGroups(o.groups ?? []), ...checkStaleFeedSettings(o.notifications?.staleFeed)];
}

export async function saveOverrides(db: Sql, o: ConfigOverrides, by: string): Promise<void> {
  await db.query(
    `INSERT INTO settings (key, value, updated_by) VALUES ($1, $2::text::jsonb, $3)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`,
    [OVERRIDES_KEY, JSON.stringify(o), by],
  );
}
