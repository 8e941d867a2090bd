// One store per test file and backend, with the demo history in it and the UI served on port 0.
// The sign-in throttles run on a clock the tests can move.
import type { Config } from "../../src/config/index.ts";
import { LoginThrottle } from "../../src/intake/index.ts";
import { ACCOUNT_THROTTLE, ADDRESS_THROTTLE } from "../../src/web/auth/index.ts";
import type { UiServer } from "../../src/web/ui/dev.ts";
import { openTestStore, resetStore, type Backend, type TestStore } from "../helpers/store.ts";
import { buildDemo, demoConfig, GROUPS, type Demo } from "./demo-data.ts";
import { startUi } from "./server.ts";

export interface WebEnv {
  ts: TestStore;
  demo: Demo;
  config: Config;
  ui: UiServer;
  clock: { now: number };
  close(): Promise<void>;
}

export async function openWebEnv(backend: Backend, configure: (config: Config) => Config = (c) => c): Promise<WebEnv> {
  const ts = await openTestStore(backend);
  await resetStore(ts.store, GROUPS);
  const demo = await buildDemo(ts.store);
  const config = configure(demoConfig(ts.dir));
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const ui = startUi({
    store: ts.store,
    config,
    throttles: { address: new LoginThrottle(ADDRESS_THROTTLE, now), account: new LoginThrottle(ACCOUNT_THROTTLE, now) },
  });
  return {
    ts,
    demo,
    config,
    ui,
    clock,
    async close() {
      await ui.stop();
      await ts.close();
    },
  };
}
