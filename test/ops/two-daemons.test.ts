// Scale-out, end to end: two `usersync serve` daemons against one real PostgreSQL database and one
// shared folder of batch files. Files are uploaded to BOTH (the control file to one, the feed to
// the other), the run is started on either, and exactly one daemon applies it, once; each daemon
// then reports the same result.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, cli, MAIN } from "../helpers/cli.ts";
import { json, person, simpleControl } from "../helpers/feeds.ts";
import { BACKENDS, createPostgresDatabase } from "../helpers/store.ts";

interface Daemon {
  name: string;
  base: string;
  proc: ReturnType<typeof Bun.spawn>;
  lines: () => Record<string, unknown>[];
}

describe.skipIf(!BACKENDS.includes("postgres"))("two daemons sharing one PostgreSQL database", () => {
  let dir: string;
  let db: { url: string; drop(): Promise<void> };
  let key = "";
  const daemons: Daemon[] = [];
  const env = (instance: string) => ({
    USERSYNC_CONFIG: join(dir, "usersync.json"),
    DATABASE_URL: db.url,
    USERSYNC_DATA: join(dir, instance),
    USERSYNC_FILES_DIR: join(dir, "shared-files"),
    USERSYNC_HTTP_PORT: "0",
    USERSYNC_SFTP_PORT: "0",
  });

  async function start(name: string): Promise<Daemon> {
    const proc = Bun.spawn([BUN, MAIN, "serve"], { cwd: dir, env: { ...process.env, ...env(name) }, stdout: "pipe", stderr: "pipe" });
    const seen: Record<string, unknown>[] = [];
    let ready: (port: number) => void = () => {};
    const port = new Promise<number>((resolve) => (ready = resolve));
    (async () => {
      const decoder = new TextDecoder();
      let rest = "";
      for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
        rest += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = rest.indexOf("\n")) !== -1) {
          const line = JSON.parse(rest.slice(0, nl)) as Record<string, unknown>;
          rest = rest.slice(nl + 1);
          seen.push(line);
          if (line.event === "daemon.ready") ready(line.http as number);
        }
      }
    })();
    const http = await Promise.race([port, Bun.sleep(30_000).then(() => Promise.reject(new Error(`daemon ${name} did not get ready`)))]);
    return { name, base: `http://127.0.0.1:${http}/api/haplo-user-sync`, proc, lines: () => seen };
  }

  const auth = () => ({ authorization: `Basic ${btoa(`haplo:${key}`)}` });
  async function upload(daemon: Daemon, name: string, file: string) {
    const form = new FormData();
    form.set("name", name);
    form.set("file", Bun.file(join(dir, file)), file);
    const response = await fetch(`${daemon.base}/upload-file`, { method: "POST", headers: auth(), body: form });
    expect(response.status).toBe(200);
  }
  async function statusOf(daemon: Daemon, runId: number) {
    return (await (await fetch(`${daemon.base}/run/${runId}`, { headers: auth() })).json()) as { status: string; counts: Record<string, number> };
  }
  async function waitFor(daemon: Daemon, runId: number) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const report = await statusOf(daemon, runId);
      if (["complete", "failure", "held"].includes(report.status) || Date.now() > deadline) return report;
      await Bun.sleep(100);
    }
  }
  const startedBy = (runId: number) => daemons.filter((d) => d.lines().some((l) => l.event === "run.started" && l.runId === runId)).map((d) => d.name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "usersync-two-daemons-"));
    db = await createPostgresDatabase();
    writeFileSync(join(dir, "usersync.json"), JSON.stringify({ groups: [{ code: "staff", managed: true }], safety: { firstRun: { enabled: false } } })); // the first-run gate is tested in test/safety
    writeFileSync(join(dir, "control.json"), simpleControl());
    writeFileSync(join(dir, "day1.json"), json(Array.from({ length: 500 }, (_, i) => person(`u${i}`))));
    writeFileSync(join(dir, "day2.json"), json(Array.from({ length: 490 }, (_, i) => person(`u${i}`))));
    const created = await cli(["api-key", "create", "--name", "uploader"], { cwd: dir, env: env("cli") });
    expect(created.code).toBe(0);
    key = created.stdout.trim();
    daemons.push(await start("a"), await start("b"));
  }, 90_000);

  afterAll(async () => {
    for (const d of daemons) d.proc.kill("SIGTERM");
    for (const d of daemons) await d.proc.exited;
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a feed uploaded partly to each daemon is applied once, by one of them, and both report it", async () => {
    const [a, b] = daemons as [Daemon, Daemon];
    await upload(a, "_control", "control.json");
    await upload(b, "staff", "day1.json");
    const start = await fetch(`${a.base}/start-sync/json`, { method: "POST", headers: auth() });
    expect(await start.json()).toMatchObject({ status: "queued-for-apply" });
    const report = await waitFor(b, 1);
    expect(report).toMatchObject({ status: "complete", counts: { records: 500, create: 500 } });
    expect(await statusOf(a, 1)).toMatchObject({ status: "complete" });
    expect(startedBy(1).length).toBe(1);
  }, 90_000);

  test("the next feed, started on the other daemon, sees the first one's users", async () => {
    const [a, b] = daemons as [Daemon, Daemon];
    await upload(b, "staff", "day2.json");
    const start = await fetch(`${b.base}/start-sync/json`, { method: "POST", headers: auth() });
    expect(await start.json()).toMatchObject({ status: "queued-for-apply" });
    const report = await waitFor(a, 2);
    expect(report).toMatchObject({ status: "complete", counts: { create: 0, unchanged: 490, block: 10 } });
    expect(startedBy(2).length).toBe(1);
  }, 90_000);
});
