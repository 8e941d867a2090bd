// The settings actions run with: usersync.json's, with the settings changed in the UI over them
// (src/config/overrides.ts), computed as the CLI's withContext and the daemon compute them.
import { engineSettings } from "../../config/index.ts";
import { readOverrides, withOverrides } from "../../config/overrides.ts";
import { resolveSafetySettings, type EngineSettings, type SafetySettings } from "../../engine/index.ts";
import type { UiDeps } from "./context.ts";

export async function effectiveSettings(deps: UiDeps): Promise<{ settings: EngineSettings; safety: SafetySettings; autoApply: boolean }> {
  const config = withOverrides(deps.config, await readOverrides(deps.store.db));
  return { settings: engineSettings(config), safety: resolveSafetySettings(config.safety), autoApply: config.sync.autoApply };
}
