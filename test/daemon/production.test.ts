// The production parts, through the real daemon: a run's report reaches the webhook, /metrics and
// /readyz answer, SCIM serves the synced users with a read-only token, and a first run that
// start-sync calls "unsafe" is planned and held — with its plan visible — until approved.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cli } from "../helpers/cli.ts";
import { api, createSite, FEED_USERS, waitForRun, type RunningDaemon, type Site } from "./helpers.ts";

async function uploadFeed(daemon: RunningDaemon, site: Site) {
  for (const [name, file] of [
    ["_control", "_control.json"],
    ["staff", "staff.json"],
    ["students", "students.tsv"],
    ["others", "others.json"],
  ] as const) {
    const form = new FormData();
    form.set("name", name);
    form.set("file", Bun.file(join(site.feedDir, file)), file);
    const response = await api(daemon, site.apiKey, "/upload-file", { method: "POST", body: form });
    expect(response.status).toBe(200);
  }
}

describe("the daemon in production [pglite]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  const hooks: unknown[] = [];
  const hookServer = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      hooks.push(await request.json());
      return new Response("ok");
    },
  });

  beforeAll(async () => {
    site = await createSite("pglite", {
      config: {
        notifications: { hostname: "sync.test", webhooks: [{ url: `http://127.0.0.1:${hookServer.port}/hook`, format: "json" }] },
        safety: {}, // the defaults: the first run is held
      },
    });
    daemon = await site.start();
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await site?.cleanup();
    hookServer.stop(true);
  });

  test("a first run is answered 'unsafe', planned and held with its plan, and the held notice goes out", async () => {
    await uploadFeed(daemon, site);
    const start = await api(daemon, site.apiKey, "/start-sync/json", { method: "POST" });
    expect(await start.json()).toMatchObject({ status: "admin-intervention-required" });
    const run = await waitForRun(daemon, site.apiKey, "current");
    expect(run.status).toBe("held");
    expect(run.counts).toMatchObject({ create: FEED_USERS, records: FEED_USERS });
    const deadline = Date.now() + 10_000;
    while (!hooks.length && Date.now() < deadline) await Bun.sleep(100);
    expect(hooks[0]).toMatchObject({ status: "held", runId: run.id });
  }, 60_000);

  test("/metrics and /readyz answer, and count what happened", async () => {
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/usersync_runs\{status="held"\} 1/);
    expect(metrics).toMatch(/usersync_uploads_total\{via="http"\} 4/);
  });

  test("SCIM answers with a read-only token, and refuses an upload key", async () => {
    await daemon.stop(); // the CLI and the daemon do not share the embedded database
    const token = await cli(["scim-token", "create", "idp"], { cwd: site.dir, env: site.env });
    expect(token.code).toBe(0);
    daemon = await site.start();
    const scim = (path: string, secret: string) => fetch(`${daemon.url}/scim/v2${path}`, { headers: { authorization: `Bearer ${secret}` } });
    const list = await scim("/Users?count=1", token.stdout.trim());
    expect(list.status).toBe(200);
    expect(list.headers.get("content-type")).toContain("application/scim+json");
    expect(await list.json()).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], totalResults: 0 });
    expect((await scim("/Users", site.apiKey)).status).toBe(401);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/usersync_failed_logins_total\{door="scim"\} 1/);
  }, 60_000);
});
