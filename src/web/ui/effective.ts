// The settings actions run with: the engine's and the safety checks' settings from usersync.json
// (as the CLI's withContext and the daemon compute them).
import { engineSettings } from "../../config/index.ts";
import { resolveSafetySettings, type EngineSettings, type SafetySettings } from "../../engine/index.ts";
import type { UiDeps } from "./context.ts";

export async function effectiveSettings(deps: UiDeps): Promise<{ settings: EngineSettings; safety: SafetySettings; autoApply: boolean }> {
  const { config } = deps;
  return { settings: engineSettings(config), safety: resolveSafetySettings(config.safety), autoApply: config.sync.autoApply };
}
