// usersync reapply: a finished run's files applied again as a new run, through the real command
// line — how an operator completes a run that failed (docs/RELIABILITY.md: a killed daemon).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../helpers/cli.ts";
import { CHECKS_WARN_ONLY, json, person, simpleControl } from "../helpers/feeds.ts";
import { BACKENDS, createPostgresDatabase } from "../helpers/store.ts";

for (const backend of BACKENDS) {
  describe(`usersync reapply [${backend}]`, () => {
    let dir: string;
    let env: Record<string, string | undefined>;
    let dropDb: (() => Promise<void>) | null = null;
    const run = (args: string[]) => cli(args, { cwd: dir, env });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `usersync-reapply-${backend}-`));
      writeFileSync(
        join(dir, "usersync.json"),
        JSON.stringify({ groups: [{ code: "staff", managed: true }], safety: CHECKS_WARN_ONLY }),
      );
      writeFileSync(join(dir, "control.json"), simpleControl());
      writeFileSync(join(dir, "day1.json"), json([person("a1"), person("a2"), person("a3")]));
      writeFileSync(join(dir, "day2.json"), json([person("a1"), person("a2")]));
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

    test("re-applying an old run puts its feed back as a new run, planned against the store as it is now", async () => {
      expect((await run(["apply", "-q", "--control", "control.json", "staff=day1.json"])).code).toBe(0);
      expect((await run(["apply", "-q", "--control", "control.json", "staff=day2.json"])).code).toBe(0);
      const again = await run(["reapply", "1", "-q", "--by", "ops"]);
      expect(again.stderr).toBe("");
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("Run 3 re-applied the files of run 1.");
      expect(again.stdout).toContain("Run 3: complete");
      // a3 left in run 2 and is back: unblocked; a1 and a2 are unchanged
      expect(again.stdout).toContain("1 unblocked, 2 unchanged");
      expect(again.stdout).toContain("reactivate a3");
      const runs = await run(["runs"]);
      expect(runs.stdout).toMatch(/\n3\s+complete\s+reapply \(cli\)/);
    }, 60_000);

    test("only a finished run can be re-applied; an unknown run is refused", async () => {
      const unknown = await run(["reapply", "99"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("usersync reapply: There is no run 99");
      const queued = await run(["reapply", "1", "--queue"]);
      expect(queued.code).toBe(0);
      expect(queued.stdout).toContain("Run 4 queued: the files of run 1");
      const busy = await run(["reapply", "2"]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain("Run 4 is queued: wait for it to finish");
    }, 60_000);
  });
}
