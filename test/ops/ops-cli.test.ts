// `usersync retention run` and `usersync erase-person`, through the real command line.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/index.ts";
import { cli } from "../helpers/cli.ts";
import { json, person, simpleControl } from "../helpers/feeds.ts";

let dir: string;
const env = () => ({ USERSYNC_DATA: join(dir, "data"), DATABASE_URL: undefined, USERSYNC_CONFIG: undefined });
const run = (args: string[]) => cli(args, { cwd: dir, env: env() });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "usersync-ops-cli-"));
  writeFileSync(join(dir, "usersync.json"), JSON.stringify({ groups: [{ code: "staff", managed: true }], retention: { batchFilesDays: 30, runLogDays: 60 }, safety: { firstRun: { enabled: false } } })); // the first-run gate is tested in test/safety
  writeFileSync(join(dir, "control.json"), simpleControl());
  writeFileSync(join(dir, "day1.json"), json([person("ann"), person("bob")]));
  writeFileSync(join(dir, "day2.json"), json([person("ann", { last: "Later" }), person("bob")]));
  expect((await run(["apply", "-q", "--control", "control.json", "staff=day1.json"])).code).toBe(0);
  expect((await run(["apply", "-q", "--control", "control.json", "staff=day2.json"])).code).toBe(0);
  const store = await openStore({ dataDir: join(dir, "data"), databaseUrl: null, filesDir: join(dir, "data", "files") });
  await store.db.query("UPDATE runs SET created_at = now() - interval '90 days', finished_at = now() - interval '90 days' WHERE id = 1");
  await store.close();
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("usersync retention run: a dry run says what would go, then it goes, and the second pass finds nothing", async () => {
  const dry = await run(["retention", "run", "--dry-run"]);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain("Dry run: retention would delete:");
  expect(dry.stdout).toContain("batch files older than 30 days: 1 file(s)"); // run 1's feed; the control file is shared with run 2
  expect(dry.stdout).toMatch(/logs of runs older than 60 days: [1-9]\d* log line\(s\)/);
  const done = await run(["retention", "run"]);
  expect(done.code).toBe(0);
  expect(done.stdout).toContain("retention deleted:");
  expect(done.stdout).toContain("1 file(s)");
  expect((await run(["retention", "run"])).stdout).toContain("0 file(s)");
  const log = await run(["run", "1"]);
  expect(log.stdout).toContain("Run 1 — complete");
  expect((await run(["retention"])).code).toBe(2);
}, 60_000);

test("usersync erase-person: a dry run, then the erasure; the account stays", async () => {
  const dry = await run(["erase-person", "BOB", "--dry-run"]);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain("Would erase bob from history:");
  expect(dry.stdout).toContain("received records: 1");
  const done = await run(["erase-person", "bob"]);
  expect(done.code).toBe(0);
  expect(done.stdout).toContain("Erased bob from history:");
  expect(done.stdout).toContain("stored batch files: 1 rewritten without their records, 0 deleted whole"); // run 2's file; run 1's went by retention
  expect(done.stdout).toContain("the account itself is kept");
  expect(done.stderr).toContain("searching stored batch files: 1 of 1");
  const user = await run(["user", "bob"]);
  expect(user.code).toBe(0);
  const refused = await run(["erase-person", "bob", "--delete-account"]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain("bob's account is active");
  expect((await run(["erase-person"])).code).toBe(2);
}, 60_000);
