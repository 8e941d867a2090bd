// The embedded database's folder lock: a second process gets a clear refusal, never silent data loss.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/index.ts";
import { cli } from "../helpers/cli.ts";

test("a second process opening the same PGlite data folder is refused with a clear message", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usersync-lock-"));
  const store = await openStore({ dataDir: dir, databaseUrl: null, filesDir: join(dir, "files") });
  try {
    const second = await cli(["runs"], { env: { USERSYNC_DATA: dir, DATABASE_URL: undefined, USERSYNC_CONFIG: undefined }, cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`The data folder ${dir} is in use by process ${process.pid}`);
    expect(second.stderr).toContain("can only be opened by one process at a time");
  } finally {
    await store.close();
  }
  // once released, it opens
  const third = await cli(["runs"], { env: { USERSYNC_DATA: dir, DATABASE_URL: undefined, USERSYNC_CONFIG: undefined }, cwd: dir });
  expect(third.code).toBe(0);
  expect(third.stdout).toContain("No sync runs yet.");
  rmSync(dir, { recursive: true, force: true });
}, 60_000);
