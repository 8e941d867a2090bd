// usersync push --server URL NAME=PATH ... [--start] [--wait]
// The uploader as a client command (replacing Haplo's Windows uploader): uploads the files over
// the HTTP API, optionally starts the sync and waits for it. The key comes from USERSYNC_API_KEY
// and is never printed. Unlike Haplo's uploader, the exit code tells what happened.
import { parseArgs } from "node:util";
import { basename } from "node:path";
import { parseFileArgs } from "./apply.ts";
import { EXIT, UsageError, type Command } from "./command.ts";

function baseUrl(server: string): string {
  const url = /^https?:\/\//i.test(server) ? server : `https://${server}`; // Haplo's HAPLO_SERVER is a host name
  return url.replace(/\/+$/, "");
}

const TERMINAL = new Set(["complete", "failure", "held", "dry-run", "cancelled"]);

export const pushCommand: Command = {
  name: "push",
  summary: "Upload feed files to a usersync (or Haplo) server over HTTP, and start the sync",
  usage: `usersync push --server URL NAME=PATH ... [--start] [--wait]

Uploads each file as NAME (its key in the control file's "files", or _control) to
URL/api/haplo-user-sync/upload-file, the API of usersync and of Haplo. With --start, then asks the
server to apply the run (start-sync); with --wait, also waits for the run to finish (usersync
servers only). The API key is read from USERSYNC_API_KEY (usersync api-key create) and never
printed. A URL without a scheme means https://.

Exit code: 0 done; 1 applied, some records had errors (--wait); 2 an upload or the run failed,
or the run is not ready; 3 the server held the run or has auto-apply off: a person must apply it.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { server: { type: "string" }, start: { type: "boolean" }, wait: { type: "boolean" }, quiet: { type: "boolean", short: "q" } },
    });
    if (!values.server) throw new UsageError("--server URL is required");
    const key = process.env.USERSYNC_API_KEY;
    if (!key) throw new UsageError("Set USERSYNC_API_KEY to the API key (usersync api-key create)");
    const files = parseFileArgs(positionals);
    if (!files.length && !values.start) throw new UsageError("Name at least one file: NAME=PATH (or --start alone)");
    const api = `${baseUrl(values.server)}/api/haplo-user-sync`;
    const headers = { authorization: `Basic ${Buffer.from(`haplo:${key}`).toString("base64")}`, "user-agent": "usersync push" };
    const say = (line: string) => values.quiet || console.log(line);

    let runId: string | null = null;
    for (const file of files) {
      const form = new FormData();
      form.append("name", file.name);
      form.append("file", Bun.file(file.path), basename(file.path));
      let response: Response;
      try {
        response = await fetch(`${api}/upload-file`, { method: "POST", headers, body: form });
      } catch (error) {
        console.error(`${file.name}: could not reach ${api}: ${(error as Error).message}`);
        return EXIT.failure;
      }
      const body = await response.text();
      if (response.status !== 200) {
        console.error(`${file.name} (${file.path}) was not accepted: HTTP ${response.status} ${body.trim()}`);
        return EXIT.failure;
      }
      const answer = JSON.parse(body) as { digest: string; fileSize: number };
      runId = response.headers.get("x-usersync-run") ?? runId;
      say(`${file.name}: uploaded ${answer.fileSize} bytes (sha256 ${answer.digest})${runId ? ` to run ${runId}` : ""}`);
    }
    if (!values.start) return EXIT.ok;

    const started = await fetch(`${api}/start-sync/json`, { method: "POST", headers });
    if (started.status !== 200) {
      console.error(`start-sync: HTTP ${started.status} ${(await started.text()).trim()}`);
      return EXIT.failure;
    }
    const answer = (await started.json()) as { status: string; error: boolean; message: string };
    say(`start-sync: ${answer.message}`);
    if (answer.status === "missing-files") return EXIT.failure;
    if (answer.status !== "queued-for-apply") return EXIT.held;
    if (!values.wait) return EXIT.ok;

    for (;;) {
      const response = await fetch(runId ? `${api}/run/${runId}` : `${api}/status`, { headers });
      if (response.status !== 200) {
        console.error(`waiting for the run: HTTP ${response.status} ${(await response.text()).trim()}`);
        return EXIT.failure;
      }
      const run = (await response.json()) as { id: number; status: string; errorCount: number; message: string | null; counts: Record<string, number> };
      if (TERMINAL.has(run.status)) {
        const c = run.counts;
        say(
          `run ${run.id}: ${run.status}${run.message ? ` — ${run.message}` : ""}` +
            (c.records !== undefined ? `; ${c.records} records: ${c.create} created, ${c.update} updated, ${c.unblock} unblocked, ${c.unchanged} unchanged, ${c.block} blocked, ${c.reject} rejected; ${run.errorCount} errors` : ""),
        );
        if (run.status === "failure" || run.status === "cancelled") return EXIT.failure;
        if (run.status === "held") return EXIT.held;
        return run.errorCount > 0 ? EXIT.runErrors : EXIT.ok;
      }
      await Bun.sleep(1000);
    }
  },
};
