// The upload API, wire-compatible with Haplo's (reference §5.2), so existing upload scripts and
// the Windows uploader work unchanged — plus a JSON status an uploader can poll.
//
//   POST /api/haplo-user-sync/upload-file          multipart name + file → 200 {digest, fileSize, filename}
//   POST /api/haplo-user-sync/start-sync[/json|/xml]  → ok | disabled | unready | unsafe
//   GET  /api/haplo-user-sync/run/ID, /status      → the run's status, files and counts (usersync's own)
import { Hono, type Context } from "hono";
import { runReport, UploadRefused, type StartStatus } from "../../batch/index.ts";
import { FEED_NAME } from "../../control/index.ts";
import type { Intake } from "../../intake/index.ts";
import type { LoginThrottle } from "../../intake/throttle.ts";
import { FileTooLargeError, NoSpaceError, type Store } from "../../store/index.ts";
import type { Logger } from "../../util/log.ts";
import { ApiAuthError, apiKeyAuth, forbidden, type ApiEnv } from "./auth.ts";
import { MultipartError, readMultipart } from "./multipart.ts";

export interface ApiDeps {
  store: Store;
  intake: Intake;
  throttle: LoginThrottle;
  log: Logger;
  maxUploadBytes: number;
  trustProxy: boolean;
}

/** Haplo's start-sync answers, word for word. */
const START: Record<StartStatus, { message: string; json: string; error: boolean }> = {
  ok: { message: "OK. Sync queued.", json: "queued-for-apply", error: false },
  disabled: { message: "OK: Auto apply disabled; must apply manually.", json: "admin-intervention-required", error: false },
  unready: { message: "Last sync is not ready. Upload all the required files.", json: "missing-files", error: true },
  unsafe: { message: "OK: Files uploaded are too different to previous sync; must apply manually.", json: "admin-intervention-required", error: false },
};

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function haploUserSyncApi(deps: ApiDeps): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>();
  api.use("*", apiKeyAuth({ db: deps.store.db, throttle: deps.throttle, log: deps.log, trustProxy: deps.trustProxy }));

  api.post("/upload-file", async (c) => {
    const queryName = c.req.query("name");
    if (queryName !== undefined && !FEED_NAME.test(queryName)) return c.text(`Bad name parameter: ${queryName}`, 400);
    const length = Number(c.req.header("content-length") ?? 0);
    if (length > deps.maxUploadBytes + 1024 * 1024) return c.text(`The file is larger than the limit of ${deps.maxUploadBytes} bytes`, 400);
    let upload;
    try {
      upload = await readMultipart(c.req.raw, {
        files: deps.store.files,
        maxBytes: deps.maxUploadBytes,
        beforeFile: async (fields) => {
          if (c.get("uploader") === null) await c.get("authenticate")(fields._ak);
          const name = queryName ?? fields.name;
          // refuse before keeping a byte when the name is already known to be bad
          if (name !== undefined && !FEED_NAME.test(name)) throw new UploadRefused("bad-name", `Bad name parameter: ${name}`);
        },
      });
    } catch (error) {
      if (error instanceof ApiAuthError) return forbidden(c, error);
      // a full disk: 507, with the reason (a bare 500 said nothing)
      if (error instanceof NoSpaceError) {
        deps.log.error("upload.refused", { via: "http", reason: "no-space" });
        return c.text(error.message, 507);
      }
      if (error instanceof FileTooLargeError || error instanceof MultipartError || error instanceof UploadRefused) return c.text(error.message, 400);
      throw error;
    }
    if (c.get("uploader") === null) {
      // a multipart request with no file part: authenticate from its fields now
      try {
        await c.get("authenticate")(upload.fields._ak);
      } catch (error) {
        if (error instanceof ApiAuthError) return forbidden(c, error);
        throw error;
      }
    }
    const name = queryName ?? upload.fields.name;
    if (name === undefined || name === "") return c.text("No name parameter: give the file's name in the control file (name=staff), or _control", 400);
    if (!FEED_NAME.test(name)) return c.text(`Bad name parameter: ${name}`, 400);
    if (!upload.stored) return c.text("No file uploaded: send it as the multipart part named file", 400);
    try {
      const accepted = await deps.intake.ingestStored({ name, filename: upload.filename, via: "http", by: c.get("uploader") }, upload.stored);
      // Haplo answers pretty-printed JSON
      return c.body(JSON.stringify({ digest: accepted.digest, fileSize: accepted.fileSize, filename: accepted.filename }, null, 2), 200, {
        "content-type": "application/json; charset=utf-8",
        // usersync's own addition (Haplo clients ignore it): the run to poll at run/ID
        "x-usersync-run": String(accepted.runId),
      });
    } catch (error) {
      if (error instanceof UploadRefused) return c.text(error.message, 400);
      throw error;
    }
  });

  const startSync = async (c: Context<ApiEnv>, format: "text" | "json" | "xml") => {
    const result = await deps.intake.startSync(`http:${c.get("uploader") ?? "?"}`);
    const answer = START[result.status];
    if (format === "json") return c.json({ status: answer.json, error: answer.error, message: answer.message });
    if (format === "xml")
      return c.body(`<response><sync status="${answer.json}" error="${answer.error}">${xmlEscape(answer.message)}</sync></response>`, 200, {
        "content-type": "application/xml; charset=utf-8",
      });
    return c.text(answer.message, result.status === "unready" ? 400 : 200);
  };
  api.post("/start-sync", (c) => startSync(c, "text"));
  api.post("/start-sync/json", (c) => startSync(c, "json"));
  api.post("/start-sync/xml", (c) => startSync(c, "xml"));

  api.get("/status", async (c) => {
    const report = await runReport(deps.store.db, "current");
    return report ? c.json(report) : c.json({ error: "There are no sync runs yet" }, 404);
  });
  api.get("/run/:id{[0-9]+}", async (c) => {
    const report = await runReport(deps.store.db, Number(c.req.param("id")));
    return report ? c.json(report) : c.json({ error: `There is no run ${c.req.param("id")}` }, 404);
  });
  return api;
}
