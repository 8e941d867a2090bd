// Reference objects for mappings, through the real command line: `usersync objects load` creates
// or updates them by behaviour code (or by types and title), `objects list` shows them; then
// `usersync check` looks refs up in the embedded database — unless a daemon holds it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/index.ts";
import { cli } from "../helpers/cli.ts";

const REALISTIC = join(import.meta.dir, "..", "fixtures", "control", "realistic");

describe("usersync objects, on the embedded database", () => {
  let dir: string;
  let env: Record<string, string | undefined>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "usersync-objects-"));
    cpSync(REALISTIC, dir, { recursive: true });
    env = { DATABASE_URL: undefined, USERSYNC_CONFIG: undefined, USERSYNC_DATA: join(dir, "data") };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("load creates the objects, and loading the same file again changes nothing", async () => {
    const first = await cli(["objects", "load", "departments.json"], { cwd: dir, env });
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe("departments.json: 2 object(s): 2 created, 0 updated, 0 unchanged.\n");
    const again = await cli(["objects", "load", "departments.json"], { cwd: dir, env });
    expect(again.stdout).toBe("departments.json: 2 object(s): 0 created, 0 updated, 2 unchanged.\n");
    const list = await cli(["objects", "list"], { cwd: dir, env });
    expect(list.stdout.split("\n").slice(0, 3)).toEqual([
      "ID  TYPES                                    TITLE      BEHAVIOUR",
      "1   hres:type:research-institute:department  Chemistry  example:research-institute:chemistry",
      "2   hres:type:research-institute:department  Physics    example:research-institute:physics",
    ]);
  }, 60_000);

  test("a changed title updates the object in place; an object without a behaviour is matched by types and title", async () => {
    writeFileSync(
      join(dir, "more.json"),
      JSON.stringify([
        { types: ["hres:type:research-institute:department"], title: "Chemistry and Biochemistry", behaviour: "example:research-institute:chemistry", alternativeTitles: ["Chemistry"] },
        { type: "example:type:panel", title: "Ethics panel" },
      ]),
    );
    expect((await cli(["objects", "load", "more.json"], { cwd: dir, env })).stdout).toBe("more.json: 2 object(s): 1 created, 1 updated, 0 unchanged.\n");
    expect((await cli(["objects", "load", "more.json"], { cwd: dir, env })).stdout).toBe("more.json: 2 object(s): 0 created, 0 updated, 2 unchanged.\n");
    const list = JSON.parse((await cli(["objects", "list", "--json", "--type", "hres:type:research-institute:department"], { cwd: dir, env })).stdout);
    expect(list).toEqual([
      { id: 1, types: ["hres:type:research-institute:department"], title: "Chemistry and Biochemistry", behaviour: "example:research-institute:chemistry" },
      { id: 2, types: ["hres:type:research-institute:department"], title: "Physics", behaviour: "example:research-institute:physics" },
    ]);
  }, 60_000);

  test("a bad file is refused whole, every problem named by its place", async () => {
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify([{ types: [], title: "A" }, { types: ["t"], title: "" }, { types: ["t"], title: "B", behaviour: "x:b", colour: "red" }, { types: ["t"], title: "C", behaviour: "x:b" }]),
    );
    const result = await cli(["objects", "load", "bad.json"], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      [
        "bad.json has 4 problem(s):",
        "  - [0].types: must be a non-empty list of type codes",
        "  - [1].title: must be non-empty text",
        "  - [2].colour: unknown property (an object has types, type, title, behaviour, alternativeTitles)",
        "  - [3].behaviour: x:b is also the behaviour of [2]",
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "comma.json"), '[{"types": ["t"], "title": "A",}]');
    expect((await cli(["objects", "load", "comma.json"], { cwd: dir, env })).stderr).toContain("comma.json: Invalid JSON at line 1, column 32");
  });

  test("check uses the embedded database when it is free, and says so when a daemon holds it", async () => {
    const args = ["check", "control.json", "staff=staff.json"];
    const free = await cli(args, { cwd: dir, env });
    expect(free.stdout).toContain(`checked against the embedded database in ${join(dir, "data")}`);
    expect(free.stdout).toContain("(Chemistry and Biochemistry, behaviour example:research-institute:chemistry)");

    const daemon = await openStore({ dataDir: join(dir, "data"), databaseUrl: null, filesDir: join(dir, "data", "files") });
    try {
      const held = await cli(args, { cwd: dir, env });
      expect(held.stdout).toContain(`checked against no database (${join(dir, "data")} is in use by a running daemon)`);
      expect(held.stdout).toContain("ref (the object with behaviour example:research-institute:chemistry; not looked up: no database)");
    } finally {
      await daemon.close();
    }
  }, 60_000);
});
