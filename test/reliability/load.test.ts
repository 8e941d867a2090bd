// Load on loopback: 20 OpenSSH `sftp` uploaders and 50 curl uploads at once into one run of a
// 70-file feed, plus 10 uploaders racing for one name. Every complete file is ingested exactly once
// (counted in the store: one run, its run_files, the audit log), the racers yield exactly one
// winner, the run is applied, and the daemon's RSS, sampled from /proc every 50 ms throughout,
// stays under a stated bound.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { feedControl, population, writeFeed, type FeedFile } from "../../bench/feed.ts";
import { api, createSite, curl, sftpBatch, waitForRun, type RunningDaemon, type Site } from "../daemon/helpers.ts";
import { BACKENDS } from "../helpers/store.ts";
import { recordFigures, sampleRss } from "./helpers.ts";

const SFTP_UPLOADERS = 20;
const HTTP_UPLOADS = 50;
const RACERS = 10;
const USERS_PER_FILE = 200;
/** The bound the daemon's resident memory must stay under, uploads and apply included. */
const RSS_BOUND_MB = 512;

describe.skipIf(!BACKENDS.includes("postgres"))("load: 20 SFTP uploaders and 50 HTTP uploads at once [postgres]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  const sftpFiles: FeedFile[] = Array.from({ length: SFTP_UPLOADERS }, (_, i) => ({ name: `sftp${String(i + 1).padStart(2, "0")}`, format: i % 2 ? "tsv" : "json" }));
  const httpFiles: FeedFile[] = Array.from({ length: HTTP_UPLOADS }, (_, i) => ({ name: `http${String(i + 1).padStart(2, "0")}`, format: i % 2 ? "tsv" : "json" }));
  const race: FeedFile = { name: "race", format: "json" };
  const files = [...sftpFiles, ...httpFiles, race];
  const users = files.length * USERS_PER_FILE;
  const path = (f: FeedFile) => join(site.dir, "load", `${f.name}.${f.format}`);

  beforeAll(async () => {
    site = await createSite("postgres", { config: { safety: { firstRun: { enabled: false }, fileChange: { enabled: false } } } });
    await writeFeed(join(site.dir, "load"), population(users), files);
    writeFileSync(join(site.dir, "load", "_control.json"), feedControl(files));
    daemon = await site.start();
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("every complete file is ingested exactly once, the racers have one winner, the run applies, RSS stays bounded", async () => {
    const rss = sampleRss(daemon.pid, 50);
    const started = performance.now();
    const control = await curl(["-u", `haplo:${site.apiKey}`, "-F", "name=_control", "-F", `file=@${join(site.dir, "load", "_control.json")}`, `${daemon.url}/api/haplo-user-sync/upload-file`]);
    expect(control.status).toBe(200);
    const upload = `${daemon.url}/api/haplo-user-sync/upload-file`;
    const [sftpResults, httpResults, raceResults] = await Promise.all([
      Promise.all(
        sftpFiles.map((f) => {
          const name = `${f.name}.${f.format}`;
          return sftpBatch(daemon, "alice", [`put ${path(f)} ${name}.part`, `rename ${name}.part ${name}`], { key: site.clientKey }, site.dir);
        }),
      ),
      Promise.all(httpFiles.map((f) => curl(["-u", `haplo:${site.apiKey}`, "-F", `name=${f.name}`, "-F", `file=@${path(f)}`, upload]))),
      Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          i % 2
            ? sftpBatch(daemon, "alice", [`put ${path(race)} race-${i}.json.part`, `rename race-${i}.json.part race.json`], { key: site.clientKey }, site.dir).then((r) => ({
                ok: r.code === 0,
                // a racer whose rename found another's race.json still there is told so by SFTP itself
                renameRefused: r.output.includes("Failure") && !r.output.includes("already been uploaded"),
              }))
            : curl(["-u", `haplo:${site.apiKey}`, "-F", "name=race", "-F", `file=@${path(race)}`, upload]).then((r) => ({ ok: r.status === 200, renameRefused: false })),
        ),
      ),
    ]);
    const uploadMs = Math.round(performance.now() - started);
    for (const r of sftpResults) expect(r).toMatchObject({ code: 0 });
    for (const r of httpResults) expect(r.status).toBe(200);
    expect(raceResults.filter((r) => r.ok).length).toBe(1);
    const renameRefused = raceResults.filter((r) => r.renameRefused).length;

    // SFTP's last upload may already have queued it (auto-apply); otherwise start-sync does
    await api(daemon, site.apiKey, "/start-sync", { method: "POST" });
    const run = await waitForRun(daemon, site.apiKey, "current", 180_000);
    const totalMs = Math.round(performance.now() - started);
    const { maxKiB, samples } = rss.stop();
    expect(run).toMatchObject({ id: 1, status: "complete", errorCount: 0 });
    expect(run.counts.create).toBe(users);

    // counted in the store: one run, each file once, each accepted upload audited once
    const sql = postgres(site.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      const [runs] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM runs`;
      expect(runs!.n).toBe(1);
      const names = await sql<{ name: string; n: number }[]>`SELECT name, count(*)::int AS n FROM run_files WHERE run_id = 1 GROUP BY name ORDER BY name`;
      expect(names.length).toBe(files.length + 1);
      expect(names.every((r) => r.n === 1)).toBe(true);
      const audited = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'upload'`;
      const refused = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'upload-refused'`;
      expect(audited[0]!.n).toBe(files.length + 1);
      // every loser was refused: by the run assembler (audited: "already uploaded") or by SFTP's rename
      expect(refused[0]!.n + renameRefused).toBe(RACERS - 1);
    } finally {
      await sql.end();
    }
    expect(daemon.logs.filter((l) => l.event === "upload.accepted").length).toBe(files.length + 1);
    const maxMB = Math.round(maxKiB / 1024);
    expect(maxMB).toBeLessThan(RSS_BOUND_MB);
    recordFigures("load", "concurrent SFTP and HTTP uploads", {
      sftpUploaders: SFTP_UPLOADERS,
      httpUploads: HTTP_UPLOADS,
      racersForOneName: RACERS,
      racersAccepted: 1,
      racersRefusedAsDuplicates: RACERS - 1 - renameRefused,
      racersRefusedAtRename: renameRefused,
      files: files.length + 1,
      users,
      uploadWallMs: uploadMs,
      uploadAndApplyWallMs: totalMs,
      maxRssMB: maxMB,
      rssBoundMB: RSS_BOUND_MB,
      rssSamples: samples,
      filesIngestedOnce: files.length + 1,
      lost: "nothing",
    });
  }, 300_000);
});
