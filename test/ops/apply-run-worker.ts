// A separate process applying one run, as a second daemon would: `bun apply-run-worker.ts RUN_ID`
// with DATABASE_URL and USERSYNC_FILES_DIR set. Prints the outcome as JSON on stdout.
import { executeRun } from "../../src/engine/index.ts";
import { openStore } from "../../src/store/index.ts";
import { DEFAULT_SETTINGS } from "../helpers/feeds.ts";

const runId = Number(process.argv[2]);
const store = await openStore({ dataDir: process.env.USERSYNC_DATA!, databaseUrl: process.env.DATABASE_URL!, filesDir: process.env.USERSYNC_FILES_DIR! });
try {
  const outcome = await executeRun(store, runId, { settings: DEFAULT_SETTINGS });
  console.log(JSON.stringify({ runId: outcome.runId, status: outcome.status, counts: outcome.counts, message: outcome.message }));
} finally {
  await store.close();
}
