// What every command that touches the store needs: the configuration, and the store opened.
import { engineSettings, loadConfig, type Config } from "../config/index.ts";
import { applyConfigGroups, type EngineSettings } from "../engine/index.ts";
import { openStore, type Store } from "../store/index.ts";

export interface Context {
  config: Config;
  store: Store;
  settings: EngineSettings;
}

export async function openContext(configPath?: string): Promise<Context> {
  const config = loadConfig(configPath);
  const store = await openStore(config);
  try {
    await applyConfigGroups(store.db, config.groups);
  } catch (error) {
    await store.close();
    throw error;
  }
  return { config, store, settings: engineSettings(config) };
}

export async function withContext<T>(configPath: string | undefined, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await openContext(configPath);
  try {
    return await fn(ctx);
  } finally {
    await ctx.store.close();
  }
}
