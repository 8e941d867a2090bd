/** @jsxImportSource hono/jsx */
// Pages about runs: the list, one run, its log, its errors as CSV, its files and their diffs.
import type { Hono } from "hono";
import { stream } from "hono/streaming";
import { FileDiffPage } from "../../../views/file-diff.tsx";
import { RunLogPage } from "../../../views/run-log.tsx";
import { RunPage } from "../../../views/run.tsx";
import { RunsPage } from "../../../views/runs.tsx";
import { intParam, isAdmin, type UiDeps, type UiEnv } from "./context.ts";
import { allowedRunActions, RUN_ACTION_LABELS } from "./run-actions.tsx";
import { csvRow } from "./csv.ts";
import { controlOfRun, prettyJson } from "./data/control.ts";
import { countLines, LEVELS, logFacets, logPage, problemLines, type LogFilter } from "./data/log.ts";
import { getRun, listRuns, RUN_STATUSES, runFiles } from "./data/runs.ts";
import { contentDisposition } from "./download.ts";
import { diffFeedFiles } from "./file-diff.ts";
import { lineDiff } from "./line-diff.ts";
import { notFound } from "./pages.tsx";
import { liveProgress } from "../../engine/index.ts";

const PAGE_SIZES = [50, 200, 1000];
/** Files larger than this are not diffed on request (two passes over each side). */
const MAX_DIFF_BYTES = 512 * 1024 * 1024;

export function registerRuns(app: Hono<UiEnv>, deps: UiDeps): void {
  const { store, config } = deps;
  const { db } = store;

  app.get("/runs", async (c) => {
    const status = (RUN_STATUSES as readonly string[]).includes(c.req.query("status") ?? "") ? c.req.query("status")! : null;
    const page = await listRuns(db, { before: intParam(c.req.query("before")), after: intParam(c.req.query("after")), status });
    return c.render(<RunsPage page={page} status={status} statuses={RUN_STATUSES} />, { title: "Runs", active: "runs" });
  });

  app.get("/runs/:id", async (c) => {
    const id = intParam(c.req.param("id"));
    const run = id ? await getRun(db, id) : null;
    if (!run) return notFound(c, "There is no such run.");
    const facets = await logFacets(db, run);
    const files = await runFiles(db, run.id);
    const firstErrors = (await logPage(db, run.id, { level: "error" }, { limit: 10 })).lines;
    const planPreview =
      run.status === "held" || run.status === "dry-run"
        ? (
            await db.query<Record<string, any>>(
              `SELECT seq, level, action, username, message, detail FROM run_events
               WHERE run_id = $1 AND action IN ('create', 'update', 'unblock', 'block', 'pending-leaver') AND level = 'info' AND username IS NOT NULL
               ORDER BY seq LIMIT 30`,
              [run.id],
            )
          ).map((r) => ({ seq: Number(r.seq), level: r.level, action: r.action, username: r.username, message: r.message, detail: r.detail }))
        : [];
    const logLines = facets.reduce((s, f) => s + f.n, 0);
    const actions = isAdmin(c)
      ? allowedRunActions(run, files.some((f) => f.name === "_control")).map((action) => ({
          action,
          label: RUN_ACTION_LABELS[action],
          danger: action === "reject" || action === "cancel" || action === "revert",
        }))
      : [];
    // a run this process is applying: where it is, reloaded every few seconds (no script needed)
    const progress = run.status === "running" ? liveProgress(run.id) : null;
    return c.render(
      <RunPage run={run} files={files} logLines={logLines} firstErrors={firstErrors} planPreview={planPreview} actions={actions} progress={progress} />,
      { title: `Run ${run.id}`, active: "runs", refresh: run.status === "running" ? 3 : undefined },
    );
  });

  app.get("/runs/:id/log", async (c) => {
    const id = intParam(c.req.param("id"));
    const run = id ? await getRun(db, id) : null;
    if (!run) return notFound(c, "There is no such run.");
    const q = (name: string) => (c.req.query(name) ?? "").trim();
    const filter: LogFilter = {
      level: (LEVELS as readonly string[]).includes(q("level")) ? q("level") : null,
      action: /^[a-z-]{1,40}$/.test(q("action")) ? q("action") : null,
      username: q("user").slice(0, 300) || null,
    };
    const size = PAGE_SIZES.includes(Number(q("size"))) ? Number(q("size")) : 200;
    const after = /^[0-9]{1,18}$/.test(q("after")) ? Number(q("after")) : null;
    const before = /^[0-9]{1,18}$/.test(q("before")) ? Number(q("before")) : null;
    const [facets, page] = [await logFacets(db, run), await logPage(db, run.id, filter, { after, before, limit: size })];
    const total = facets.reduce((s, f) => s + f.n, 0);
    const matching = await countLines(db, run.id, filter, facets);
    return c.render(
      <RunLogPage run={run} filter={filter} openChanges={q("changes") === "1"} page={page} facets={facets} total={total} matching={matching} pageSize={size} />,
      { title: `Run ${run.id} log`, active: "runs" },
    );
  });

  app.get("/runs/:id/errors.csv", async (c) => {
    const id = intParam(c.req.param("id"));
    const run = id ? await getRun(db, id) : null;
    if (!run) return notFound(c, "There is no such run.");
    c.header("Content-Type", "text/csv; charset=utf-8");
    c.header("Content-Disposition", contentDisposition(`run-${run.id}-errors.csv`));
    return stream(c, async (out) => {
      // A byte-order mark, so that spreadsheets read the file as UTF-8.
      await out.write(`\ufeff${csvRow(["run", "line", "level", "action", "username", "file", "record", "file line", "message"])}`);
      for await (const batch of problemLines(db, run.id))
        await out.write(
          batch.map((l) => csvRow([run.id, l.seq, l.level, l.action, l.username, l.detail?.file, l.detail?.record, l.detail?.line, l.message])).join(""),
        );
    });
  });

  app.get("/runs/:id/files/:name", async (c) => {
    const id = intParam(c.req.param("id"));
    const [file] = id
      ? await db.query<{ digest: string; size: number; original_filename: string | null }>(
          "SELECT digest, size, original_filename FROM run_files WHERE run_id = $1 AND name = $2",
          [id, c.req.param("name")],
        )
      : [];
    if (!file) return notFound(c, "This run has no file of that name.");
    if (!store.files.has(file.digest)) return notFound(c, `The stored bytes of this file (SHA-256 ${file.digest}) are missing from the file store.`, 410);
    const name = c.req.param("name");
    // Only the file's own name: an uploader's path (or "../") never reaches the header.
    const filename = (file.original_filename || (name === "_control" ? "_control.json" : name)).split(/[\\/]/).pop() || name;
    return new Response(store.files.stream(file.digest), {
      headers: {
        "Content-Type": "application/octet-stream",
        "Content-Length": String(file.size),
        "Content-Disposition": contentDisposition(`run-${id}-${filename}`),
        "Cache-Control": "private, no-store",
      },
    });
  });

  app.get("/runs/:id/files/:name/diff", async (c) => {
    const id = intParam(c.req.param("id"));
    const name = c.req.param("name");
    const files = id ? await runFiles(db, id) : [];
    const file = files.find((f) => f.name === name);
    if (!id || !file) return notFound(c, "This run has no file of that name.");
    if (!file.previous) return notFound(c, `No earlier run has a file named ${name} to compare with.`);
    const previousRunId = file.previous.runId;
    const render = (props: Omit<Parameters<typeof FileDiffPage>[0], "runId" | "name" | "previousRunId">) =>
      c.render(<FileDiffPage runId={id} name={name} previousRunId={previousRunId} {...props} />, { title: `${name}: changes`, active: "runs" });
    const digests = [file.previous.digest, file.digest];
    if (digests.some((d) => !store.files.has(d))) return render({ problem: "The stored bytes of one of the two files are missing from the file store." });
    if (name === "_control") {
      const [before, after] = await Promise.all(digests.map((d) => store.files.text(d)));
      return render({ lines: lineDiff(prettyJson(before!), prettyJson(after!)) });
    }
    if (digests.some((d) => store.files.size(d) > MAX_DIFF_BYTES)) return render({ problem: "These files are too large to compare here; download both instead." });
    const [olderControl, newerControl] = [await controlOfRun(store, config, previousRunId), await controlOfRun(store, config, id)];
    if (typeof olderControl === "string" || typeof newerControl === "string")
      return render({ problem: `The files cannot be read: ${[olderControl, newerControl].filter((x) => typeof x === "string").join(" ")}` });
    const olderSpec = olderControl.files[name];
    const newerSpec = newerControl.files[name];
    if (!olderSpec || !newerSpec) return render({ problem: `The control file of run ${olderSpec ? id : previousRunId} does not read a file named ${name}.` });
    try {
      const records = await diffFeedFiles(
        { control: olderControl, spec: olderSpec, open: () => store.files.stream(digests[0]!) },
        { control: newerControl, spec: newerSpec, open: () => store.files.stream(digests[1]!) },
      );
      return render({ records });
    } catch (error) {
      return render({ problem: `The files could not be compared: ${error instanceof Error ? error.message : String(error)}` });
    }
  });
}
