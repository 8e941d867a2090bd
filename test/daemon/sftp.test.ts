// The SFTP server with the real OpenSSH client (and ssh2's client where a test must cut a
// connection mid-upload): password and key logins, wrong credentials, jailed homes, refused files,
// size limit, dropped connections, two uploaders at once, and a daemon restart mid-run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "ssh2";
import { createSite, FEED_USERS, feedBatch, sftpBatch, waitForRun, api, type RunningDaemon, type RunJson, type Site } from "./helpers.ts";

describe("the SFTP server [pglite]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  let alice: string;
  const key = () => ({ key: site.clientKey });
  const currentRun = async () => (await (await api(daemon, site.apiKey, "/status")).json()) as RunJson;
  const accepted = (name: string) => daemon.logs.filter((l) => l.event === "upload.accepted" && l.name === name).length;

  beforeAll(async () => {
    site = await createSite("pglite");
    daemon = await site.start();
    alice = join(site.env.USERSYNC_DATA!, "sftp", "alice");
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("a feed uploaded by password login (sftp -b with BatchMode=no and SSH_ASKPASS) is applied", async () => {
    const upload = await sftpBatch(daemon, "bob", feedBatch(site.feedDir), { password: site.password }, site.dir);
    expect(upload.code).toBe(0);
    const run = await waitForRun(daemon, site.apiKey, 1);
    expect(run).toMatchObject({ status: "complete", errorCount: 0 });
    expect(run.counts.create).toBe(FEED_USERS);
    expect(daemon.logs.some((l) => l.event === "sftp.login" && l.account === "bob" && l.method === "password")).toBe(true);
    expect(JSON.stringify(daemon.logs)).not.toContain(site.password);
  }, 60_000);

  test("a wrong password is refused", async () => {
    const attempt = await sftpBatch(daemon, "bob", ["pwd"], { password: "not the password" }, site.dir);
    expect(attempt.code).toBe(255);
    expect(attempt.output).toContain("Permission denied");
    expect(daemon.logs.some((l) => l.event === "sftp.login-failed" && l.account === "bob" && l.method === "password")).toBe(true);
  }, 30_000);

  test("a key that is not the account's is refused", async () => {
    const stranger = join(site.dir, "stranger_ed25519");
    await Bun.spawn(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger]).exited;
    const attempt = await sftpBatch(daemon, "alice", ["pwd"], { key: stranger }, site.dir);
    expect(attempt.code).toBe(255);
    const unknownUser = await sftpBatch(daemon, "mallory", ["pwd"], key(), site.dir);
    expect(unknownUser.code).toBe(255);
  }, 30_000);

  test("paths stay inside the account's home: .. and absolute paths are jailed, symlinks out are refused", async () => {
    const sample = join(site.feedDir, "staff.json");
    // ".." cannot climb above the home: the file lands in the home itself
    const climb = await sftpBatch(daemon, "alice", ["cd ../../..", "pwd", `put ${sample} ../../escape.json.part`], key(), site.dir);
    expect(climb.code).toBe(0);
    expect(climb.output).toContain("Remote working directory: /");
    expect(existsSync(join(alice, "escape.json.part"))).toBe(true);
    expect(existsSync(join(site.env.USERSYNC_DATA!, "escape.json.part"))).toBe(false);
    expect(existsSync(join(site.env.USERSYNC_DATA!, "sftp", "escape.json.part"))).toBe(false);
    // an absolute path is a path in the home
    const outside = join(site.dir, "outside");
    mkdirSync(outside);
    const absolute = await sftpBatch(daemon, "alice", [`put ${sample} ${outside}/abs.json.part`], key(), site.dir);
    expect(absolute.code).not.toBe(0);
    expect(readdirSync(outside)).toEqual([]);
    // a symlink planted in the home that points outside leads nowhere
    writeFileSync(join(outside, "secret.txt"), "secret");
    symlinkSync(outside, join(alice, "link"));
    symlinkSync(join(outside, "new.json.part"), join(alice, "dangling.json.part"));
    for (const command of ["ls link", `get link/secret.txt ${join(site.dir, "stolen.txt")}`, `put ${sample} link/planted.json.part`, `put ${sample} dangling.json.part`]) {
      const attempt = await sftpBatch(daemon, "alice", [command], key(), site.dir);
      expect(attempt.code).not.toBe(0);
    }
    expect(existsSync(join(site.dir, "stolen.txt"))).toBe(false);
    expect(readdirSync(outside)).toEqual(["secret.txt"]);
  }, 60_000);

  test("ls, mkdir, put into a folder, rm and rmdir work inside the home", async () => {
    const sample = join(site.feedDir, "staff.json");
    const session = await sftpBatch(
      daemon,
      "alice",
      ["mkdir incoming", `put ${sample} incoming/staff.json.part`, "ls -l incoming", "rm incoming/staff.json.part", "rmdir incoming", "ls"],
      key(),
      site.dir,
    );
    expect(session.code).toBe(0);
    expect(session.output).toMatch(/-rw-r-----\s+1 alice\s+alice\s+\d+ \w{3} [ \d]\d \d\d:\d\d staff\.json\.part/);
    expect(existsSync(join(alice, "incoming"))).toBe(false);
  }, 30_000);

  test("an unknown file name is refused with the reason in rejected/, and the run goes on", async () => {
    const bogus = join(site.dir, "bogus.json");
    writeFileSync(bogus, "[]");
    const attempt = await sftpBatch(daemon, "alice", [`put ${bogus}`], key(), site.dir);
    expect(attempt.code).not.toBe(0);
    const reason = join(site.dir, "bogus.error.txt");
    const fetched = await sftpBatch(daemon, "alice", ["ls rejected", `get rejected/bogus.json.error.txt ${reason}`], key(), site.dir);
    expect(fetched.code).toBe(0);
    expect(readFileSync(reason, "utf8")).toContain("bogus.json was not accepted: File bogus is not read by the control file, which reads others, staff, students");
    expect(accepted("bogus")).toBe(0);
    expect(daemon.logs.some((l) => l.event === "upload.refused" && l.name === "bogus" && l.reason === "unknown-name")).toBe(true);
  }, 30_000);

  test("a file over the size limit is refused and nothing of it is kept", async () => {
    const big = join(site.dir, "staff.json");
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 0x20));
    const before = accepted("staff");
    const attempt = await sftpBatch(daemon, "alice", [`put ${big}`], key(), site.dir);
    expect(attempt.code).not.toBe(0);
    expect(existsSync(join(alice, "staff.json"))).toBe(false);
    expect(existsSync(join(alice, "rejected", "staff.json"))).toBe(false);
    expect(accepted("staff")).toBe(before);
  }, 30_000);

  test("a connection cut in the middle of an upload never produces an ingested file", async () => {
    const before = daemon.logs.filter((l) => l.event === "upload.accepted").length;
    const runBefore = (await currentRun()).id;
    await new Promise<void>((resolve, reject) => {
      const client = new Client();
      client.on("error", () => {});
      client.on("ready", () => {
        client.sftp((error, sftp) => {
          if (error) return reject(error);
          sftp.open("staff.json", "w", (error, handle) => {
            if (error) return reject(error);
            sftp.write(handle, Buffer.from('[{"id": "u9999999", "first": "Half'), 0, 30, 0, (error) => {
              if (error) return reject(error);
              // no CLOSE: the connection just goes
              (client as unknown as { _sock: { destroy(): void } })._sock.destroy();
              resolve();
            });
          });
        });
      });
      client.connect({ host: "127.0.0.1", port: daemon.sftp, username: "alice", privateKey: readFileSync(site.clientKey) });
    });
    await daemon.waitForLog((l) => l.event === "sftp.upload-abandoned" && l.file === "/staff.json");
    expect(existsSync(join(alice, "staff.json"))).toBe(false);
    expect(daemon.logs.filter((l) => l.event === "upload.accepted").length).toBe(before);
    expect((await currentRun()).id).toBe(runBefore); // no run was even opened
  }, 30_000);

  test("two uploaders at once fill one run, which is applied", async () => {
    const [a, b] = await Promise.all([
      sftpBatch(daemon, "alice", feedBatch(site.feedDir, ["staff.json", "students.tsv"]), key(), site.dir),
      sftpBatch(daemon, "bob", feedBatch(site.feedDir, ["others.json"]), { password: site.password }, site.dir),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const run = await waitForRun(daemon, site.apiKey, "current");
    expect(run.id).toBeGreaterThan(1);
    expect(run.status).toBe("complete");
    expect(run.counts.unchanged).toBe(FEED_USERS);
    const uploaders = daemon.logs.filter((l) => l.event === "upload.accepted" && l.runId === run.id).map((l) => `${l.by}:${l.name}`);
    expect(uploaders.sort()).toEqual(["alice:staff", "alice:students", "bob:others"]);
  }, 60_000);

  test("a run survives a daemon restart between two of its uploads", async () => {
    const first = await sftpBatch(daemon, "alice", feedBatch(site.feedDir, ["staff.json"]), key(), site.dir);
    expect(first.code).toBe(0);
    const open = await currentRun();
    expect(open).toMatchObject({ status: "uploading", missingFiles: ["others", "students"] });
    expect(await daemon.stop()).toBe(0);
    expect(daemon.logs.at(-1)!.event).toBe("daemon.stopped");

    daemon = await site.start();
    // ssh2's own client this time, for one of the files: put under a .part name, then rename
    await new Promise<void>((resolve, reject) => {
      const client = new Client();
      client.on("error", reject);
      client.on("ready", () =>
        client.sftp((error, sftp) => {
          if (error) return reject(error);
          sftp.fastPut(join(site.feedDir, "students.tsv"), "students.tsv.part", (error) => {
            if (error) return reject(error);
            sftp.rename("students.tsv.part", "students.tsv", (error) => {
              client.end();
              return error ? reject(error) : resolve();
            });
          });
        }),
      );
      client.connect({ host: "127.0.0.1", port: daemon.sftp, username: "alice", privateKey: readFileSync(site.clientKey) });
    });
    const second = await sftpBatch(daemon, "bob", feedBatch(site.feedDir, ["others.json"]), { password: site.password }, site.dir);
    expect(second.code).toBe(0);
    const run = await waitForRun(daemon, site.apiKey, open.id);
    expect(run.status).toBe("complete");
    expect(run.counts.unchanged).toBe(FEED_USERS);
  }, 90_000);
});

describe("failed logins are throttled per address, across SFTP and HTTP [pglite]", () => {
  let site: Site;
  beforeAll(async () => {
    site = await createSite("pglite", { config: { loginThrottle: { maxFailures: 3, windowSeconds: 60, blockSeconds: 60 } } });
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  test("after 3 wrong passwords even the right one is refused, and so is a good API key", async () => {
    const daemon = await site.start();
    expect((await api(daemon, site.apiKey, "/status")).status).toBe(404); // the key works: no runs yet
    for (let i = 0; i < 3; i++) expect((await sftpBatch(daemon, "bob", ["pwd"], { password: `wrong ${i}` }, site.dir)).code).toBe(255);
    expect((await sftpBatch(daemon, "bob", ["pwd"], { password: site.password }, site.dir)).code).toBe(255);
    expect(daemon.logs.some((l) => l.event === "sftp.login-throttled")).toBe(true);
    const response = await api(daemon, site.apiKey, "/status");
    expect(response.status).toBe(403);
    expect(await response.text()).toBe("THROTTLE");
  }, 60_000);
});
