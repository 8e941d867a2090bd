// /metrics (Prometheus text format) and /readyz, served over real HTTP by the sub-app the daemon
// mounts, against real runs on PGlite and PostgreSQL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Hono } from "hono";
import { createMetrics, observeApp, type Metrics } from "../../src/observe/index.ts";
import { applyFeed, json, person, simpleControl } from "../helpers/feeds.ts";
import { describeEachBackend } from "../helpers/store.ts";

/** The value of one sample line (`name{labels} value`) in a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeEachBackend("metrics and readiness", [{ code: "staff", managed: true }], (t) => {
  let server: ReturnType<typeof Bun.serve>;
  let metrics: Metrics;
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  beforeAll(() => {
    metrics = createMetrics(t().store.db);
    const app = new Hono();
    app.route("/", observeApp({ db: t().store.db, metrics }));
    server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  });
  afterAll(() => server.stop(true));

  test("/metrics reports runs by status, the last run's duration and speed, users by state, uploads and failed logins", async () => {
    const { store } = t();
    await applyFeed(store, simpleControl(), { staff: json([person("ann"), person("bob"), person("cat"), person("dan")]) });
    const second = await applyFeed(store, simpleControl(), { staff: json([person("ann"), person("bob"), person("eve", { email: "bad" })]) });
    await store.db.query("UPDATE users SET active = false, blocked_by = 'admin' WHERE username = 'ann'");
    metrics.uploadReceived("sftp", 1200);
    metrics.uploadReceived("sftp", 800);
    metrics.uploadReceived("http", 10);
    metrics.loginFailed("scim");
    metrics.runFinished("complete", 1.5);

    const response = await fetch(url("/metrics"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    expect(text).toContain("# TYPE usersync_runs gauge");
    expect(sample(text, 'usersync_runs{status="complete"}')).toBe(2);
    expect(sample(text, 'usersync_runs{status="held"}')).toBe(0);
    const [run] = await store.db.query<{ duration_ms: number }>("SELECT duration_ms FROM runs WHERE id = $1", [second.runId]);
    expect(sample(text, "usersync_last_complete_run_duration_seconds")).toBeCloseTo(run!.duration_ms / 1000, 5);
    expect(sample(text, "usersync_last_complete_run_records_per_second")).toBeCloseTo(3 / (run!.duration_ms / 1000), 3);
    expect(sample(text, "usersync_last_complete_run_errors")).toBe(second.errorCount);
    expect(sample(text, 'usersync_users{state="active"}')).toBe(1); // bob
    expect(sample(text, 'usersync_users{state="blocked-by-sync"}')).toBe(2); // cat, dan
    expect(sample(text, 'usersync_users{state="blocked-by-admin"}')).toBe(1); // ann
    expect(sample(text, 'usersync_users{state="managed-by-sync"}')).toBe(4);
    expect(sample(text, 'usersync_uploads_total{via="sftp"}')).toBe(2);
    expect(sample(text, 'usersync_upload_bytes_total{via="sftp"}')).toBe(2000);
    expect(sample(text, 'usersync_uploads_total{via="http"}')).toBe(1);
    expect(sample(text, 'usersync_failed_logins_total{door="scim"}')).toBe(1);
    expect(sample(text, 'usersync_runs_finished_total{status="complete"}')).toBe(1);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(1e6);
  });

  test("/metrics can require a bearer token", async () => {
    const app = new Hono();
    app.route("/", observeApp({ db: t().store.db, metrics, metricsToken: "scrape-me" }));
    expect((await app.request("/metrics")).status).toBe(401);
    expect((await app.request("/metrics", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await app.request("/metrics", { headers: { authorization: "Bearer scrape-me" } })).status).toBe(200);
  });

  test("/readyz is 200 when the database answers and every migration is applied, 503 otherwise", async () => {
    const ok = await fetch(url("/readyz"));
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(body).toMatchObject({ ready: true, database: "ok", migrations: { upToDate: true } });
    expect(body.migrations.applied).toBe(body.migrations.expected);

    const { store } = t();
    const saved = await store.db.query<{ hash: string; created_at: string }>("SELECT hash, created_at::text AS created_at FROM drizzle.__drizzle_migrations ORDER BY id");
    await store.db.exec("DELETE FROM drizzle.__drizzle_migrations");
    try {
      const behind = await fetch(url("/readyz"));
      expect(behind.status).toBe(503);
      expect(await behind.json()).toMatchObject({ ready: false, database: "ok", problem: "migrations are not all applied" });
    } finally {
      for (const m of saved) await store.db.query("INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2::bigint)", [m.hash, m.created_at]);
    }
    expect((await fetch(url("/readyz"))).status).toBe(200);
  });

  test("/readyz answers 503 'busy' when the database does not answer in time (an apply holding the embedded database)", async () => {
    const { store } = t();
    const app = new Hono();
    app.route("/", observeApp({ db: store.db, metrics, readyTimeoutMs: 200 }));
    // Hold the database the way an apply does: on PGlite a transaction keeps the one connection;
    // on PostgreSQL a lock on the migrations table makes the readiness query wait.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = store.db.transaction(async (tx) => {
      await tx.exec("LOCK TABLE drizzle.__drizzle_migrations IN ACCESS EXCLUSIVE MODE");
      await held;
    });
    try {
      await Bun.sleep(50);
      const busy = await app.request("/readyz");
      expect(busy.status).toBe(503);
      expect(await busy.json()).toMatchObject({ ready: false, database: "busy" });
    } finally {
      release();
      await holder;
    }
    expect((await app.request("/readyz")).status).toBe(200);
  });
});
