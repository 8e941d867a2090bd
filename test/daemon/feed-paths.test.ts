// One feed, three ways in, against the real daemon (issue 5 "Done when"): an OpenSSH `sftp -b`
// upload, the curl script of docs/UPLOAD.md (what Haplo's documented upload script does), and a
// folder drop. Each is applied, and the three give the same users. On PGlite and PostgreSQL.
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";
import { BACKENDS } from "../helpers/store.ts";
import { createSite, FEED_USERS, feedBatch, sftpBatch, usersOf, waitForRun, type Site } from "./helpers.ts";

/** The upload script exactly as docs/UPLOAD.md gives it. */
function uploadScriptFromDocs(): string {
  const doc = readFileSync(join(ROOT, "docs", "UPLOAD.md"), "utf8");
  const script = doc.match(/```sh\n(#!\/bin\/sh\n# upload-feed\.sh[\s\S]*?)```/)?.[1];
  if (!script) throw new Error("docs/UPLOAD.md has no upload-feed.sh block");
  return script;
}

const FILES = { _control: "_control.json", staff: "staff.json", students: "students.tsv", others: "others.json" };

for (const backend of BACKENDS) {
  describe(`one feed by SFTP, by HTTP and by folder [${backend}]`, () => {
    const sites: Site[] = [];
    const users: Record<string, string> = {};
    afterAll(async () => {
      for (const site of sites) await site.cleanup();
    });

    test("an OpenSSH sftp -b upload of a 3-file feed (key login) is applied", async () => {
      const site = await createSite(backend);
      sites.push(site);
      const daemon = await site.start();
      const upload = await sftpBatch(daemon, "alice", [...feedBatch(site.feedDir), "ls -l"], { key: site.clientKey }, site.dir);
      expect(upload.output).not.toContain("Couldn't");
      expect(upload.code).toBe(0);
      const run = await waitForRun(daemon, site.apiKey, "current");
      expect(run).toMatchObject({ id: 1, status: "complete", errorCount: 0 });
      expect(run.counts.create).toBe(FEED_USERS);
      expect(run.files.map((f) => `${f.name}:${f.uploadedVia}`)).toEqual(["_control:sftp", "others:sftp", "staff:sftp", "students:sftp"]);
      expect(daemon.logs.some((l) => l.event === "sftp.login" && l.account === "alice" && l.method === "publickey")).toBe(true);
      expect(await daemon.stop()).toBe(0);
      users.sftp = await usersOf(site);
    }, 120_000);

    test("the curl script of docs/UPLOAD.md (upload each file, then start-sync/json) is applied", async () => {
      const site = await createSite(backend);
      sites.push(site);
      const daemon = await site.start();
      const script = join(site.dir, "upload-feed.sh");
      writeFileSync(script, uploadScriptFromDocs(), { mode: 0o755 });
      const proc = Bun.spawn(["sh", script, ...Object.entries(FILES).map(([name, file]) => `${name}=${join(site.feedDir, file)}`)], {
        env: { ...process.env, USERSYNC_SERVER: daemon.url, USERSYNC_API_KEY: site.apiKey },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(out).toContain('{"status":"queued-for-apply","error":false,"message":"OK. Sync queued."}');
      const run = await waitForRun(daemon, site.apiKey, 1);
      expect(run).toMatchObject({ status: "complete", errorCount: 0 });
      expect(run.counts.create).toBe(FEED_USERS);
      // the key never reaches the log
      expect(JSON.stringify(daemon.logs)).not.toContain(site.apiKey);
      expect(await daemon.stop()).toBe(0);
      users.http = await usersOf(site);
    }, 120_000);

    test("a feed dropped into the watched folder is applied, and the files move to processed/", async () => {
      const site = await createSite(backend, { watch: true });
      sites.push(site);
      const daemon = await site.start();
      const watchDir = join(site.dir, "watch");
      for (const file of Object.values(FILES)) copyFileSync(join(site.feedDir, file), join(watchDir, file));
      await daemon.waitForLog((l) => l.event === "run.finished", 60_000);
      const run = await waitForRun(daemon, site.apiKey, 1);
      expect(run).toMatchObject({ status: "complete", errorCount: 0 });
      expect(run.counts.create).toBe(FEED_USERS);
      expect(readdirSync(join(watchDir, "processed")).sort()).toEqual(Object.values(FILES).sort());
      expect(readdirSync(watchDir).sort()).toEqual(["processed", "rejected"]);
      expect(await daemon.stop()).toBe(0);
      users.folder = await usersOf(site);
    }, 120_000);

    test("the three give the same users", () => {
      expect(users.sftp!.split("\n").length).toBe(FEED_USERS);
      expect(users.http).toBe(users.sftp!);
      expect(users.folder).toBe(users.sftp!);
    });
  });
}
