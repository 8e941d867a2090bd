// SFTP connections dropped mid-upload, 50 times, four ways (seeded): the OpenSSH client killed
// while it puts a file under its real name or under a .part name (bandwidth-limited so the kill
// lands mid-transfer), and ssh2's client writing part of a file and then destroying its socket or
// ending the connection without a CLOSE. No partial file is ever ingested, no run is even opened,
// nothing is left in the home; then a complete upload is ingested exactly once and applied.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "ssh2";
import { api, createSite, FEED_USERS, feedBatch, sftpBatch, waitForRun, type RunningDaemon, type Site } from "../daemon/helpers.ts";
import { mulberry32, recordFigures, SEED } from "./helpers.ts";

const DROPS = 50;
type Mode = "openssh-kill" | "openssh-kill-part" | "ssh2-destroy" | "ssh2-end";
const MODES: Mode[] = ["openssh-kill", "openssh-kill-part", "ssh2-destroy", "ssh2-end"];

describe("SFTP connections dropped mid-upload [pglite]", () => {
  let site: Site;
  let daemon: RunningDaemon;
  let home: string;
  let big: string;
  const abandoned = () => daemon.logs.filter((l) => l.event === "sftp.upload-abandoned").length;
  const accepted = () => daemon.logs.filter((l) => l.event === "upload.accepted");

  beforeAll(async () => {
    site = await createSite("pglite");
    daemon = await site.start();
    home = join(site.env.USERSYNC_DATA!, "sftp", "alice");
    // just under the 1 MB limit, a real feed file's start followed by padding
    big = join(site.dir, "staff-big.json");
    const head = readFileSync(join(site.feedDir, "staff.json"));
    writeFileSync(big, Buffer.concat([head, Buffer.alloc(1000 * 1000 - head.length, 0x20)]));
  }, 60_000);
  afterAll(async () => {
    await site.cleanup();
  });

  /** The OpenSSH client puts `big` at 200 KB/s; it is killed once the server has some of it, before the end. */
  async function opensshKill(target: string, random: () => number): Promise<number> {
    const batch = join(site.dir, `drop-${crypto.randomUUID()}.txt`);
    writeFileSync(batch, target.endsWith(".part") ? `put ${big} ${target}\nrename ${target} ${target.slice(0, -5)}\n` : `put ${big} ${target}\n`);
    const proc = Bun.spawn(
      ["sftp", "-l", "1600", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-i", site.clientKey, "-P", String(daemon.sftp), "-b", batch, "alice@127.0.0.1"],
      { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
    );
    const path = join(home, target);
    const deadline = Date.now() + 20_000;
    while (!(existsSync(path) && statSync(path).size > 0)) {
      if (Date.now() > deadline) throw new Error("the upload never started");
      await Bun.sleep(10);
    }
    await Bun.sleep(Math.round(random() * 1500));
    const sent = existsSync(path) ? statSync(path).size : -1;
    proc.kill("SIGKILL");
    await proc.exited;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(statSync(big).size); // mid-transfer, not after it
    return sent;
  }

  /** ssh2's client writes the first `bytes` of a file, then drops the connection without a CLOSE. */
  function ssh2Drop(target: string, bytes: number, how: "destroy" | "end"): Promise<number> {
    const data = readFileSync(big).subarray(0, bytes);
    return new Promise((resolve, reject) => {
      const client = new Client();
      client.on("error", () => {});
      client.on("ready", () =>
        client.sftp((error, sftp) => {
          if (error) return reject(error);
          sftp.open(target, "w", (error, handle) => {
            if (error) return reject(error);
            let offset = 0;
            const next = () => {
              if (offset >= data.length) {
                if (how === "destroy") (client as unknown as { _sock: { destroy(): void } })._sock.destroy();
                else client.end();
                return resolve(offset);
              }
              const n = Math.min(32 * 1024, data.length - offset);
              sftp.write(handle, data, offset, n, offset, (error) => {
                if (error) return reject(error);
                offset += n;
                next();
              });
            };
            next();
          });
        }),
      );
      client.connect({ host: "127.0.0.1", port: daemon.sftp, username: "alice", privateKey: readFileSync(site.clientKey) });
    });
  }

  test(`${DROPS} uploads cut off mid-file: nothing partial is ever ingested, then a complete upload is ingested exactly once`, async () => {
    const random = mulberry32(SEED + 2);
    const byMode: Record<string, number> = {};
    let bytesSent = 0;
    for (let i = 0; i < DROPS; i++) {
      const mode = MODES[Math.floor(random() * MODES.length)]!;
      const target = ["staff.json", "students.tsv", "others.json", "_control.json"][Math.floor(random() * 4)]!;
      const before = abandoned();
      if (mode === "openssh-kill") bytesSent += await opensshKill(target, random);
      else if (mode === "openssh-kill-part") bytesSent += await opensshKill(`${target}.part`, random);
      else bytesSent += await ssh2Drop(mode === "ssh2-end" ? target : `${target}.part`, 1 + Math.floor(random() * 900_000), mode === "ssh2-destroy" ? "destroy" : "end");
      // the server saw the connection go, with a file open for writing, and threw the file away
      await daemon.waitForLog(() => abandoned() > before, 15_000).catch(() => {});
      expect(abandoned()).toBe(before + 1);
      byMode[mode] = (byMode[mode] ?? 0) + 1;
    }
    expect(accepted().length).toBe(0);
    expect((await api(daemon, site.apiKey, "/status")).status).toBe(404); // no run was even opened
    expect(readdirSync(home).filter((f) => f !== "rejected")).toEqual([]);

    // the complete feed, afterwards: each file ingested once, one run, applied
    const upload = await sftpBatch(daemon, "alice", feedBatch(site.feedDir), { key: site.clientKey }, site.dir);
    expect(upload.code).toBe(0);
    const run = await waitForRun(daemon, site.apiKey, "current");
    expect(run).toMatchObject({ id: 1, status: "complete", errorCount: 0 });
    expect(run.counts.create).toBe(FEED_USERS);
    expect(accepted().map((l) => l.name).sort()).toEqual(["_control", "others", "staff", "students"]);
    expect(readdirSync(home).filter((f) => f !== "rejected")).toEqual([]);
    recordFigures("sftp-drops", "SFTP connections dropped mid-upload", {
      drops: DROPS,
      byMode,
      bytesSentBeforeDrops: bytesSent,
      partialFilesIngested: 0,
      runsOpenedByDrops: 0,
      completeUploadIngested: "once (4 files, 1 run, 120 users created)",
      lost: "nothing",
    });
  }, 240_000);
});
