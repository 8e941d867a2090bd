// What every command that touches the store needs: the configuration, and the store opened.
import { engineSettings, loadConfig, type Config } from "../config/index.ts";
import { readOverrides, withOverrides } from "../config/overrides.ts";
import { applyConfigGroups, resolveSafetySettings, type EngineSettings, type SafetySettings } from "../engine/index.ts";
import { openStore, type Store } from "../store/index.ts";

export interface Context {
  config: Config;
  store: Store;
  settings: EngineSettings;
  /** usersync.json `safety`, with the defaults filled in */
  safety: SafetySettings;
}

export async function openContext(configPath?: string): Promise<Context> {
  const fileConfig = loadConfig(configPath);
  const store = await openStore(fileConfig);
  let config = fileConfig;
  try {
    // settings changed in the web UI, over usersync.json's (src/config/overrides.ts)
    config = withOverrides(fileConfig, await readOverrides(store.db));
    await applyConfigGroups(store.db, config.groups);
  } catch (error) {
    await store.close();
    throw error;
  }
  return { config, store, settings: engineSettings(config), safety: resolveSafetySettings(config.safety) };
}

export async function withContext<T>(configPath: string | undefined, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await openContext(configPath);
  try {
    return await fn(ctx);
  } finally {
    await ctx.store.close();
  }
}
