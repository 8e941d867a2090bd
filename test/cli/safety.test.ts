// The safety commands end to end through the real command line (issue 6, "Done when"): the first
// run held (exit code 3) and approved; a truncated file held, blocking nobody, and rejected; a dry
// run showing the plan per user; a bad run approved by mistake and undone with one command; a
// replay. Each on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../helpers/cli.ts";
import { json, person, simpleControl } from "../helpers/feeds.ts";
import { BACKENDS, createPostgresDatabase } from "../helpers/store.ts";

const people = (from: number, to: number, more: (n: number) => Record<string, unknown> = () => ({})) =>
  Array.from({ length: to - from + 1 }, (_, i) => person(`U${String(from + i).padStart(4, "0")}`, more(from + i)));

for (const backend of BACKENDS) {
  describe(`usersync safety commands, end to end [${backend}]`, () => {
    let dir: string;
    let env: Record<string, string | undefined>;
    let dropDb: (() => Promise<void>) | null = null;
    const run = (args: string[]) => cli(args, { cwd: dir, env });
    const apply = (file: string, more: string[] = []) => run(["apply", "-q", "--control", "control.json", ...more, `staff=${file}`]);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `usersync-safety-cli-${backend}-`));
      writeFileSync(join(dir, "usersync.json"), JSON.stringify({ groups: [{ code: "staff", managed: true, profileType: "t:staff", pastProfileType: "t:staff-past" }] }));
      writeFileSync(join(dir, "control.json"), simpleControl());
      const day1 = json(people(1, 50));
      writeFileSync(join(dir, "day1.json"), day1);
      writeFileSync(join(dir, "truncated.json"), day1.slice(0, 1500));
      writeFileSync(join(dir, "day2.json"), json(people(1, 48, (n) => (n === 1 ? { email: "ada@new.example.org" } : {}))));
      writeFileSync(join(dir, "half.json"), json(people(1, 25)));
      env = { USERSYNC_DATA: join(dir, "data"), DATABASE_URL: undefined, USERSYNC_CONFIG: undefined, USER: "tester" };
      if (backend === "postgres") {
        const db = await createPostgresDatabase();
        env.DATABASE_URL = db.url;
        dropDb = db.drop;
      }
    }, 60_000);

    afterAll(async () => {
      await dropDb?.();
      rmSync(dir, { recursive: true, force: true });
    });

    test("the first run is held with exit code 3 and its plan; approve applies it", async () => {
      const first = await apply("day1.json");
      expect(first.code).toBe(3);
      expect(first.stdout).toContain("Run 1: held — Held by safety checks (first-run): nothing was applied");
      expect(first.stdout).toContain("TRIPPED first-run: The very first run: nothing has been applied before, so a person approves it.");
      expect(first.stdout).toContain("approve: usersync approve 1 [--by NAME]    reject: usersync reject 1");
      expect(first.stdout).toContain("  create u0050");
      const approved = await run(["approve", "1", "-q", "--by", "ops"]);
      expect(approved.code).toBe(0);
      expect(approved.stdout).toContain("Run 1: complete");
      expect(approved.stdout).toContain("approved by ops; the safety checks were recorded and did not hold:");
      const again = await run(["approve", "1"]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain("usersync approve: Run 1 is complete: only a held run can be approved");
    }, 60_000);

    test("a truncated file is held, blocks nobody, says why, and is rejected", async () => {
      const truncated = await apply("truncated.json");
      expect(truncated.code).toBe(3);
      expect(truncated.stdout).toContain("Run 2: held — Held by safety checks (readable-files): nothing was applied");
      expect(truncated.stdout).toMatch(/TRIPPED readable-files: File staff \(line 1\): The JSON document ends early, after \d+ complete record\(s\)/);
      const u50 = await run(["user", "u0050"]);
      expect(u50.stdout).toContain("Active: in the feed since run 1.");
      const shown = await run(["run", "2"]);
      expect(shown.stdout).toContain("TRIPPED readable-files");
      const rejected = await run(["reject", "2", "--reason", "truncated upload"]);
      expect(rejected.code).toBe(0);
      expect(rejected.stdout).toBe("Run 2: rejected by tester. Nothing of it was applied.\n");
    }, 60_000);

    test("a dry run prints the plan per user, with field-level changes, and the safety verdict", async () => {
      const dry = await apply("day2.json", ["--dry-run"]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain("Run 3: dry-run");
      expect(dry.stdout).toContain("safety checks: all passed");
      expect(dry.stdout).toContain("Plan, per user:\n  update u0001\n      email: \"u0001@example.org\" → \"ada@new.example.org\"");
      expect(dry.stdout).toContain("  block u0049\n  block u0050\n");
      const runs = await run(["runs"]);
      expect(runs.stdout).toMatch(/^3\s+dry-run\s+cli/m);
      expect(runs.stdout).toMatch(/^2\s+rejected\s+cli/m);
    }, 60_000);

    test("a bad run approved by mistake is undone with one command, after a dry run of the revert", async () => {
      const bad = await apply("half.json");
      expect(bad.code).toBe(3);
      expect(bad.stdout).toContain("TRIPPED blocks: The plan blocks 25 users (50.0% of the 50 users in the feed before this run)");
      const approved = await run(["approve", "4", "-q"]);
      expect(approved.code).toBe(0);
      expect((await run(["user", "u0040"])).stdout).toContain("Blocked by the sync in run 4: they were no longer in the feed.");

      const preview = await run(["revert", "4", "--dry-run"]);
      expect(preview.code).toBe(0);
      expect(preview.stdout).toContain("Run 5: dry-run — revert of run 4: would have 25 users put back, 0 deleted (created by run 4), 0 created again; nothing was changed");
      expect(preview.stdout).toContain("  revert u0040: back to the state before run 4\n      active: false → true");
      expect((await run(["user", "u0040"])).stdout).toContain("Blocked by the sync in run 4");

      const revert = await run(["revert", "4"]);
      expect(revert.code).toBe(0);
      expect(revert.stdout).toContain("Run 6: complete — revert of run 4: 25 users put back");
      const u40 = await run(["user", "u0040"]);
      expect(u40.stdout).toContain("Active: in the feed since run 1.");
      expect(u40.stdout).toContain("Run 6 (on ");
      expect(u40.stdout).toContain("reverted run 4: this user was put back to their state before run 4.");
      const twice = await run(["revert", "4"]);
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain("usersync revert: Run 4 was already reverted by run 6");
    }, 60_000);

    test("replay dry-runs a past run's files against today's store", async () => {
      const replay = await run(["replay", "4", "-q"]);
      expect(replay.code).toBe(0);
      expect(replay.stdout).toContain("Replay of run 4 against today's store:\nRun 7: dry-run");
      expect(replay.stdout).toContain("the safety checks WOULD HOLD this run if it were applied:");
      expect(replay.stdout).toContain("  block u0026");
      expect((await run(["user", "u0026"])).stdout).toContain("Active");
      const runs = await run(["runs", "-n", "3"]);
      expect(runs.stdout).toMatch(/^7\s+dry-run\s+replay \(cli\)/m);
      expect(runs.stdout).toMatch(/^6\s+complete\s+revert \(cli\)/m);
    }, 60_000);

    test("--help lists the safety commands and exit code 3", async () => {
      const help = await run(["--help"]);
      for (const name of ["approve", "reject", "revert", "replay"]) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\s`, "m"));
      expect(help.stdout).toContain("3 a run held by a safety check");
    });
  });
}
