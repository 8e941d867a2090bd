// Stopping the daemon (SIGTERM) while a run applies: the apply finishes, then the process exits 0.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { population, writeFeed } from "../../bench/feed.ts";
import { BACKENDS } from "../helpers/store.ts";
import { api, createSite, waitForRun, type Site } from "./helpers.ts";

const USERS = 20_000;

for (const backend of BACKENDS) {
  describe(`stopping the daemon [${backend}]`, () => {
  let site: Site;
  beforeAll(async () => {
    site = await createSite(backend, { config: { http: { maxUploadBytes: 64 * 1024 * 1024 } } });
    await writeFeed(join(site.dir, "big"), population(USERS));
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("SIGTERM during an apply lets the apply finish, then exits cleanly", async () => {
    const daemon = await site.start();
    for (const [name, path] of [["_control", join(site.feedDir, "_control.json")], ["staff", join(site.dir, "big", "staff.json")], ["students", join(site.dir, "big", "students.tsv")], ["others", join(site.dir, "big", "others.json")]] as const) {
      const form = new FormData();
      form.append("name", name);
      form.append("file", Bun.file(path), path.split("/").pop());
      expect((await api(daemon, site.apiKey, "/upload-file", { method: "POST", body: form })).status).toBe(200);
    }
    expect((await api(daemon, site.apiKey, "/start-sync", { method: "POST" })).status).toBe(200);
    await daemon.waitForLog((l) => l.event === "run.started");
    const signalled = Date.now();
    expect(await daemon.stop()).toBe(0);
    const finished = daemon.logs.find((l) => l.event === "run.finished")!;
    // the signal came while the run was applying; the apply finished; then the process stopped
    expect(new Date(finished.time as string).getTime()).toBeGreaterThan(signalled);
    expect(finished.status).toBe("complete");
    expect(daemon.logs.at(-1)!.event).toBe("daemon.stopped");

    const again = await site.start();
    const run = await waitForRun(again, site.apiKey, 1);
    expect(run.status).toBe("complete");
    expect(run.counts.create).toBe(USERS);
    expect(again.logs.some((l) => l.event === "run.recovered")).toBe(false);
    expect(await again.stop()).toBe(0);
  }, 120_000);
});
}
