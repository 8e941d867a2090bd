// The development loop through the real command line: `usersync check` catches every broken
// control file of the test set before a run starts (test/fixtures/control/broken), shows what
// each record becomes, and `usersync control-template` prints a file that `check` accepts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../helpers/cli.ts";
import { createPostgresDatabase } from "../helpers/store.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "control");
const BROKEN = join(FIXTURES, "broken");
const REALISTIC = join(FIXTURES, "realistic");
const NO_DATABASE = { DATABASE_URL: undefined, USERSYNC_CONFIG: undefined, USERSYNC_DATA: undefined };

interface Case {
  exit: number;
  expect: string[];
  files?: Record<string, string>;
}
const CASES: Record<string, Case> = JSON.parse(readFileSync(join(BROKEN, "EXPECTED.json"), "utf8"));

let empty: string;
beforeAll(() => {
  empty = mkdtempSync(join(tmpdir(), "usersync-check-"));
});
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe("usersync check catches every broken control file of the test set", () => {
  for (const [file, expected] of Object.entries(CASES)) {
    test(`${file} (exit ${expected.exit})`, async () => {
      const files = Object.entries(expected.files ?? {}).map(([name, path]) => `${name}=${join(BROKEN, path)}`);
      const result = await cli(["check", join(BROKEN, file), ...files], { cwd: empty, env: NO_DATABASE });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(expected.exit);
      if (expected.exit === 2) expect(result.stdout).toContain("NOT VALID");
      for (const line of expected.expect) expect(result.stdout).toContain(line);
    });
  }
});

describe("usersync check on a good control file", () => {
  test("a valid file whose records all map cleanly exits 0", async () => {
    const result = await cli(["check", join(FIXTURES, "docs", "minimal-fixed.json"), `DEFAULT=${join(FIXTURES, "docs", "users.json")}`], { cwd: empty, env: NO_DATABASE });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("valid — reads DEFAULT (json)");
    expect(result.stdout).toContain("warning: files.DEFAULT:");
    expect(result.stdout).toContain("2 record(s) read: 2 would be applied, 0 rejected");
  });

  test("without files it only validates", async () => {
    const result = await cli(["check", join(REALISTIC, "control.json"), "--config", join(REALISTIC, "usersync.json")], { cwd: empty, env: NO_DATABASE });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Give files to try it on:");
  });

  test("the realistic example, without a database: each record shown with its mapped user and profile, errors with their place", async () => {
    const result = await cli(
      ["check", join(REALISTIC, "control.json"), `staff=${join(REALISTIC, "staff.json")}`, `students=${join(REALISTIC, "students.tsv")}`, "--config", join(REALISTIC, "usersync.json")],
      { cwd: empty, env: NO_DATABASE },
    );
    expect(result.code).toBe(1); // valid, but E1002's record is aborted by the file itself
    const out = result.stdout;
    expect(out).toContain("checked against no database");
    expect(out).toContain("record 1 (line 2) — username e1001");
    expect(out).toContain("groups hres:group:researchers, example:group:ethics-panel");
    expect(out).toContain('profile: type hres:type:person:researcher; title "Dr Ada Lovelace"');
    expect(out).toContain("Augusta Ada King <person-name> [dc:qualifier:alternative]");
    expect(out).toContain("hres:attribute:research-institute: ref (the object with behaviour example:research-institute:chemistry; not looked up: no database)");
    expect(out).toContain("record 2 (line 6) — username e1002: REJECTED");
    expect(out).toContain("error:   Suspended record skipped (file staff, record 2, line 6)");
    expect(out).toContain("Zoë Ångström");
    expect(out).toContain("4 record(s) read: 3 would be applied, 1 rejected, 0 without a username, 0 duplicate(s); 1 error(s).");
  });

  test("--limit shows fewer records in full; the errors of the others are still listed with their place", async () => {
    const result = await cli(
      ["check", join(REALISTIC, "control.json"), `staff=${join(REALISTIC, "staff.json")}`, "--limit", "1", "--config", join(REALISTIC, "usersync.json")],
      { cwd: empty, env: NO_DATABASE },
    );
    expect(result.stdout).toContain("… 1 more record(s) not shown (--limit 1)");
    expect(result.stdout).toContain("Errors in the records not shown:\n  - Suspended record skipped (file staff, record 2, line 6, user e1002)");
    expect(result.stdout).toContain("Not given (a run needs them too): students");
  });

  test("--json gives the whole result", async () => {
    const result = await cli(["check", join(REALISTIC, "control.json"), `staff=${join(REALISTIC, "staff.json")}`, "--json", "--config", join(REALISTIC, "usersync.json")], {
      cwd: empty,
      env: NO_DATABASE,
    });
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(true);
    expect(report.files[0].shown[1]).toMatchObject({ username: "e1002", status: "rejected", errors: [{ file: "staff", record: 2, line: 6, message: "Suspended record skipped" }] });
    expect(report.files[0].shown[0].finished.profile.types).toEqual(["hres:type:person:researcher"]);
    const invalid = await cli(["check", join(BROKEN, "unknown-name.json"), "--json"], { cwd: empty, env: NO_DATABASE });
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ valid: false, problems: [{ path: "instructions[4]" }] });
  });

  test("a file the control file does not read, or that does not exist, is a usage error", async () => {
    const config = ["--config", join(REALISTIC, "usersync.json")];
    const unknown = await cli(["check", join(REALISTIC, "control.json"), `teachers=${join(REALISTIC, "staff.json")}`, ...config], { cwd: empty, env: NO_DATABASE });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("The control file does not read teachers; it reads staff, students");
    const missing = await cli(["check", join(REALISTIC, "control.json"), "staff=/nonexistent.json", ...config], { cwd: empty, env: NO_DATABASE });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("File not found for staff: /nonexistent.json");
  });

  test("a file that cannot be read is an error naming its line (exit 2)", async () => {
    writeFileSync(join(empty, "broken.json"), '[{"PersonId": "E1"},\n {"PersonId": }]');
    const result = await cli(["check", join(REALISTIC, "control.json"), `staff=${join(empty, "broken.json")}`, "--config", join(REALISTIC, "usersync.json")], { cwd: empty, env: NO_DATABASE });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("FILE ERROR: Record 2 is not valid JSON");
    expect(result.stdout).toContain("(file staff, record 2, line 2)");
  });
});

describe("usersync check with a database", () => {
  let dir: string;
  let dropDb: (() => Promise<void>) | null = null;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "usersync-check-db-"));
    cpSync(REALISTIC, dir, { recursive: true });
    const db = await createPostgresDatabase();
    dropDb = db.drop;
    env = { ...NO_DATABASE, DATABASE_URL: db.url, USERSYNC_DATA: join(dir, "data") };
  }, 60_000);
  afterAll(async () => {
    await dropDb?.();
    rmSync(dir, { recursive: true, force: true });
  });

  test("refs are looked up among the loaded reference objects; an unknown group code is an error", async () => {
    const loaded = await cli(["objects", "load", "departments.json"], { cwd: dir, env });
    expect(loaded.code).toBe(0);
    const result = await cli(["check", "control.json", "staff=staff.json", "students=students.tsv"], { cwd: dir, env });
    expect(result.stdout).toContain("checked against the PostgreSQL database (DATABASE_URL)");
    expect(result.stdout).toMatch(/hres:attribute:research-institute: ref \d+ \(Chemistry, behaviour example:research-institute:chemistry\)/);
    expect(result.stdout).toMatch(/hres:attribute:research-institute: ref \d+ \(Physics, behaviour example:research-institute:physics\)/);
    expect(result.code).toBe(1);

    writeFileSync(join(dir, "odd.json"), JSON.stringify([{ PersonId: "X1", Forename: "A", Surname: "B", Mail: "a@example.org", Category: "ACAD", ExtraGroups: ["example:group:nope"], DeptCode: "BIOL" }]));
    const odd = await cli(["check", "control.json", "staff=odd.json"], { cwd: dir, env });
    expect(odd.stdout).toContain("error:   Value in input data cannot be mapped for input field DeptCode: BIOL (file staff, record 1, line 1)");
    expect(odd.stdout).toContain("record 1 (line 1) — username x1: REJECTED");
  });
});

describe("usersync control-template", () => {
  test("prints a control file listing every destination and name, which check accepts", async () => {
    const template = await cli(["control-template", "--config", join(REALISTIC, "usersync.json")], { cwd: empty, env: NO_DATABASE });
    expect(template.code).toBe(0);
    const control = JSON.parse(template.stdout);
    expect(control.files).toEqual({ TODO: { read: "json" } });
    const written = control.instructions.map((i: { destination: string; name: string }) => `${i.destination}^${i.name}`);
    for (const name of ["user^username", "user^nameFirst", "user^nameLast", "user^email", "user^groups", "user^title", "profile^std:attribute:job-title", "profile^hres:attribute:research-institute", "value:person-name^last", "value:postal-address^country"])
      expect(written).toContain(name);
    expect(control.instructions).toContainEqual({ source: "TODO-TELEPHONE", destination: "profile", name: "std:attribute:telephone", country: "GB" });
    expect(control.instructions).toContainEqual({ source: "TODO-URL", destination: "profile", name: "std:attribute:url", filters: ["haplo:fix-up-url"] });
    expect(control.instructions).toContainEqual({ action: "field-structured", structured: "value:person-name", destination: "profile", name: "dc:attribute:title" });
    expect(control.mapping.department).toEqual({ types: ["hres:type:research-institute:department"], using: "behaviour", values: { "TODO-V0": "TODO-behaviour:code" } });

    writeFileSync(join(empty, "template.json"), template.stdout);
    const checked = await cli(["check", "template.json", "--config", join(REALISTIC, "usersync.json")], { cwd: empty, env: NO_DATABASE });
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain("template.json: valid");
  });

  test("--names picks names (the username always comes first); --multivalue adds remove-values", async () => {
    const result = await cli(["control-template", "--names", "email,std:attribute:telephone", "--multivalue", "std:attribute:telephone"], { cwd: empty, env: NO_DATABASE });
    expect(JSON.parse(result.stdout).instructions).toEqual([
      { source: "TODO-USERNAME", destination: "user", name: "username" },
      { source: "TODO-EMAIL", destination: "user", name: "email" },
      { action: "remove-values", destination: "profile", name: "std:attribute:telephone" },
      { source: "TODO-TELEPHONE", destination: "profile", name: "std:attribute:telephone", country: "GB", multivalue: true },
    ]);
    const unknown = await cli(["control-template", "--names", "emial"], { cwd: empty, env: NO_DATABASE });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("emial: no such name");
  });
});
