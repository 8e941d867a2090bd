// The benchmark as a smoke test (issue 9: "CI runs the bench at 10 k as a smoke test only"): the
// whole of `make bench` at 10,000 users — feeds, the floor, every scenario on PostgreSQL and PGlite,
// the write floor, the report — must run to its end and write a report with every row. No timing
// is asserted: speed is judged by the benchmark itself, on a quiet machine (docs/PERFORMANCE.md).
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BACKENDS } from "../helpers/store.ts";
import { BUN, ROOT } from "../helpers/cli.ts";

test.skipIf(!BACKENDS.includes("postgres"))(
  "make bench at 10k runs every scenario on both databases and writes the report",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "usersync-bench-smoke-"));
    const out = join(dir, "PERFORMANCE.md");
    try {
      const proc = Bun.spawn([BUN, "bench/run.ts", "--sizes", "10k", "--pglite-max", "10k", "--out", out], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      expect({ code, stderr: code === 0 ? "" : stderr.slice(-2000) }).toEqual({ code: 0, stderr: "" });
      const report = readFileSync(out, "utf8");
      for (const backend of ["postgres", "pglite"])
        for (const scenario of ["initial load", "unchanged rerun", "day 2, 1 % churn", "day 2, 5 % churn"])
          expect(report).toMatch(new RegExp(`\\| ${backend} \\| 10k \\| ${scenario} \\| \\d+\\.\\d\\d \\|`));
      // the write floor, kept up row by row and with the indexes built after the rows
      expect(report).toMatch(/\| 10k \| \d+\.\d\d \| \d+\.\d\d× \| objects [^|]+\| \d+\.\d\d \| \d+\.\d\d× \| objects [^|]*, indexes \d+\.\d\d \| \d+ MB \|/);
      expect(report).toContain("## Targets (issue 9), from this run");
      expect(stdout).toContain("floor 10k:");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  300_000,
);
