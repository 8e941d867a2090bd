// The Haplo-compatible HTTP API against the real daemon, with curl where Haplo's clients would use
// it: authentication (Basic haplo:KEY, X-Oneis-Key, _ak), Haplo's answers word for word, the
// refusals, the size limit, the run status an uploader polls, and `usersync push`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli } from "../helpers/cli.ts";
import { api, createSite, curl, FEED_USERS, waitForRun, type RunJson, type RunningDaemon, type Site } from "./helpers.ts";

describe("the HTTP upload API [pglite]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  let upload: string;
  let basic: string[];
  const file = (name: string) => join(site.feedDir, name);

  beforeAll(async () => {
    site = await createSite("pglite");
    daemon = await site.start();
    upload = `${daemon.url}/api/haplo-user-sync/upload-file`;
    basic = ["-u", `haplo:${site.apiKey}`];
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("/healthz answers", async () => {
    const response = await fetch(`${daemon.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test("requests without a valid key get Haplo's 403 answers", async () => {
    expect(await curl(["-X", "POST", `${daemon.url}/api/haplo-user-sync/start-sync`])).toEqual({ status: 403, body: "UNAUTHORISED" });
    expect(await curl(["-X", "POST", "-u", "haplo:this-is-not-a-valid-key", `${daemon.url}/api/haplo-user-sync/start-sync`])).toEqual({ status: 403, body: "INVALID-API-KEY" });
    // too short to be a key; and Basic credentials for another user than "haplo" are not a key
    expect((await curl(["-X", "POST", "-H", "X-Oneis-Key: short", `${daemon.url}/api/haplo-user-sync/start-sync`])).body).toBe("INVALID-API-KEY");
    expect((await curl(["-X", "POST", "-u", `admin:${site.apiKey}`, `${daemon.url}/api/haplo-user-sync/start-sync`])).body).toBe("UNAUTHORISED");
    // only an upload may carry its key in a multipart body: anything else without a key is refused
    expect(await curl(["-F", "x=y", `${daemon.url}/api/haplo-user-sync/start-sync`])).toEqual({ status: 403, body: "UNAUTHORISED" });
    expect(await curl(["-F", "name=staff", `${daemon.url}/api/haplo-user-sync/upload-file`])).toEqual({ status: 403, body: "UNAUTHORISED" });
    // a multipart upload whose _ak is wrong keeps nothing
    const refused = await curl(["-F", "name=staff", "-F", "_ak=this-is-not-a-valid-key", "-F", `file=@${file("staff.json")}`, upload]);
    expect(refused).toEqual({ status: 403, body: "INVALID-API-KEY" });
  });

  test("start-sync says the run is not ready, in Haplo's three formats", async () => {
    const start = `${daemon.url}/api/haplo-user-sync/start-sync`;
    expect(await curl(["-X", "POST", ...basic, start])).toEqual({ status: 400, body: "Last sync is not ready. Upload all the required files." });
    const json = await curl(["-X", "POST", ...basic, `${start}/json`]);
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body)).toEqual({ status: "missing-files", error: true, message: "Last sync is not ready. Upload all the required files." });
    expect(await curl(["-X", "POST", ...basic, `${start}/xml`])).toEqual({
      status: 200,
      body: '<response><sync status="missing-files" error="true">Last sync is not ready. Upload all the required files.</sync></response>',
    });
  });

  test("upload-file answers Haplo's pretty JSON; name comes from the form or the query string; X-Oneis-Key and _ak work too", async () => {
    const control = await curl([...basic, "-F", "name=_control", "-F", `file=@${file("_control.json")}`, upload]);
    expect(control.status).toBe(200);
    const digest = new Bun.CryptoHasher("sha256").update(await Bun.file(file("_control.json")).arrayBuffer()).digest("hex");
    expect(control.body).toBe(`{\n  "digest": "${digest}",\n  "fileSize": ${Bun.file(file("_control.json")).size},\n  "filename": "_control.json"\n}`);
    // the Windows uploader's way: name in the query string
    const staff = await curl(["-H", `X-Oneis-Key: ${site.apiKey}`, "-F", `file=@${file("staff.json")}`, `${upload}?name=staff`]);
    expect(staff.status).toBe(200);
    expect(JSON.parse(staff.body).filename).toBe("staff.json");
    const students = await curl(["-F", `_ak=${site.apiKey}`, "-F", "name=students", "-F", `file=@${file("students.tsv")}`, upload]);
    expect(students.status).toBe(200);
    // a urlencoded POST carries _ak too
    expect((await curl(["-d", `_ak=${site.apiKey}`, `${daemon.url}/api/haplo-user-sync/start-sync`])).body).toBe("Last sync is not ready. Upload all the required files.");
  });

  test("bad uploads are refused with 400 and a reason, and nothing is added to the run", async () => {
    const sample = file("others.json");
    expect(await curl([...basic, "-F", "name=../../etc/passwd", "-F", `file=@${sample}`, upload])).toEqual({ status: 400, body: "Bad name parameter: ../../etc/passwd" });
    expect((await curl([...basic, "-F", "name=others", upload])).body).toContain("No file uploaded");
    expect((await curl([...basic, "-F", `file=@${sample}`, upload])).body).toContain("No name parameter");
    expect(await curl([...basic, "-F", "name=staff", "-F", `file=@${sample}`, upload])).toEqual({ status: 400, body: "File staff has already been uploaded for this sync run." });
    const unknown = await curl([...basic, "-F", "name=employees", "-F", `file=@${sample}`, upload]);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain("File employees is not read by the control file");
    const big = join(site.dir, "big.json");
    writeFileSync(big, Buffer.alloc(1024 * 1024 + 1, 0x20));
    expect(await curl([...basic, "-F", "name=others", "-F", `file=@${big}`, upload])).toEqual({ status: 400, body: "The file is larger than the limit of 1048576 bytes" });
    const run = (await (await api(daemon, site.apiKey, "/status")).json()) as RunJson;
    expect(run).toMatchObject({ status: "uploading", missingFiles: ["others"] });
  });

  test("once every file is in, start-sync queues the run and the status endpoint shows it applied", async () => {
    expect((await curl([...basic, "-F", "name=others", "-F", `file=@${file("others.json")}`, upload])).status).toBe(200);
    expect(await curl(["-X", "POST", ...basic, `${daemon.url}/api/haplo-user-sync/start-sync`])).toEqual({ status: 200, body: "OK. Sync queued." });
    const run = await waitForRun(daemon, site.apiKey, "current");
    expect(run).toMatchObject({ status: "complete", errorCount: 0, errorDelta: 0, missingFiles: [] });
    expect(run.counts.create).toBe(FEED_USERS);
    const byId = (await (await api(daemon, site.apiKey, `/run/${run.id}`)).json()) as RunJson;
    expect(byId.id).toBe(run.id);
    expect((await api(daemon, site.apiKey, "/run/999")).status).toBe(404);
    // the uploads are in the audit log, with who sent them
    expect(daemon.logs.filter((l) => l.event === "upload.accepted" && l.by === "test uploader").length).toBe(4);
  }, 60_000);

  test("usersync push uploads, starts, waits, and its exit code tells the outcome", async () => {
    const env = { USERSYNC_API_KEY: site.apiKey };
    const files = ["staff=staff.json", "students=students.tsv", "others=others.json"].map((f) => f.replace("=", `=${site.feedDir}/`));
    const pushed = await cli(["push", "--server", daemon.url, "--start", "--wait", ...files], { env });
    expect(pushed.stderr).toBe("");
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain("start-sync: OK. Sync queued.");
    expect(pushed.stdout).toMatch(/run \d+: complete; 120 records: 0 created, 0 updated, 0 unblocked, 120 unchanged/);
    expect(pushed.stdout).not.toContain(site.apiKey);
    // one file only: the run is not ready
    const partial = await cli(["push", "--server", daemon.url, "--start", files[0]!], { env });
    expect(partial.code).toBe(2);
    expect(partial.stdout).toContain("start-sync: Last sync is not ready. Upload all the required files.");
    // the same file again is refused: exit 2, the server's reason on stderr
    const again = await cli(["push", "--server", daemon.url, files[0]!], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("was not accepted: HTTP 400 File staff has already been uploaded for this sync run.");
    const noKey = await cli(["push", "--server", daemon.url, files[0]!], { env: { USERSYNC_API_KEY: undefined } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("Set USERSYNC_API_KEY");
  }, 60_000);
});

describe("start-sync with auto-apply off [pglite]", () => {
  let site: Site;
  beforeAll(async () => {
    site = await createSite("pglite", { config: { sync: { autoApply: false } } });
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("answers disabled, and the run waits for a person", async () => {
    const daemon = await site.start();
    for (const [name, path] of [["_control", "_control.json"], ["staff", "staff.json"], ["students", "students.tsv"], ["others", "others.json"]] as const) {
      const form = new FormData();
      form.append("name", name);
      form.append("file", Bun.file(join(site.feedDir, path)), path);
      expect((await api(daemon, site.apiKey, "/upload-file", { method: "POST", body: form })).status).toBe(200);
    }
    const json = await api(daemon, site.apiKey, "/start-sync/json", { method: "POST" });
    expect(await json.json()).toEqual({ status: "admin-intervention-required", error: false, message: "OK: Auto apply disabled; must apply manually." });
    const text = await api(daemon, site.apiKey, "/start-sync", { method: "POST" });
    expect(text.status).toBe(200);
    expect(await text.text()).toBe("OK: Auto apply disabled; must apply manually.");
    const run = (await (await api(daemon, site.apiKey, "/status")).json()) as RunJson;
    expect(run.status).toBe("ready");
  }, 60_000);
});
