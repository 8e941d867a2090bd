// The web UI: a Hono app of server-rendered pages (views/), meant to be mounted at "/" by the
// daemon's HTTP app. Every page needs a session except the sign-in page and the stylesheet;
// every form post needs the session's CSRF token; every change needs the admin role and is
// written to the audit log.
//
// Mounting: register the UI LAST in the daemon's app, after /healthz and the API routes —
//   app.get("/healthz", …); app.route("/api/haplo-user-sync", api); app.route("/", uiApp({ store, config }));
// Hono runs handlers in the order they were registered, so the UI's guards (sign-in redirect,
// CSRF) then never stand in front of a route the API answers (checked: a UI mounted first would
// answer 401 to API calls). c.env must be Bun's server (as Bun.serve passes it to fetch) for the
// sign-in throttle to see client addresses.
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { LoginThrottle } from "../../intake/index.ts";
import { ACCOUNT_THROTTLE, ADDRESS_THROTTLE } from "../auth/index.ts";
import { iconPath, iconText, stylesheetPath, stylesheetText } from "./assets.ts";
import { registerAudit } from "./audit.tsx";
import type { UiContext, UiDeps, UiEnv } from "./context.ts";
import { sizeLimit } from "../../../views/format.ts";
import { CONTROL_FORM_MAX_BYTES, registerControl, TRY_SAMPLE_MAX_BYTES } from "./control.tsx";
import { registerControlEdit } from "./control-edit.tsx";
import { registerDashboard } from "./dashboard.tsx";
import { registerLogin } from "./login.tsx";
import { registerModel } from "./model.tsx";
import { flashMessages, redirectWithFlash } from "./flash.ts";
import { notFound, renderer } from "./pages.tsx";
import { registerRunActions } from "./run-actions.tsx";
import { registerRuns } from "./runs.tsx";
import { requireAdminForChanges, requireCsrf, requireSession, securityHeaders } from "./security.ts";
import { registerSettings } from "./settings.tsx";
import { registerUsers } from "./users.tsx";

export type { UiDeps } from "./context.ts";

/** Largest form post the UI accepts; the control file's upload and "try it" have their own, larger limits. */
const MAX_FORM_BYTES = 64 * 1024;
/** Room for the other fields of a multipart post (the CSRF token, a reason, the boundaries). */
const FORM_SLACK = 64 * 1024;

/** The body limit of each post: the form limit, or a larger one for the control file's uploads. */
function bodyLimits(): MiddlewareHandler<UiEnv> {
  const tooLarge = (what: string, max: number) =>
    bodyLimit({
      maxSize: max + FORM_SLACK,
      // said on the control page (the post is not read, so nothing of it can be kept)
      onError: (c) => redirectWithFlash(c as UiContext, "/control", "bad", `Refused: ${what} is larger than ${sizeLimit(max)}. Nothing was saved or read.`),
    });
  const byPath = new Map<string, MiddlewareHandler>([
    ["/control/upload", tooLarge("the control file", CONTROL_FORM_MAX_BYTES)],
    ["/control/try", tooLarge("the sample (with the pasted control file)", TRY_SAMPLE_MAX_BYTES + CONTROL_FORM_MAX_BYTES)],
  ]);
  const form = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text("The form is too large.", 413) });
  return (c, next) => (byPath.get(c.req.path) ?? form)(c, next);
}

export function uiApp(deps: UiDeps): Hono<UiEnv> {
  const throttles = deps.throttles ?? { address: new LoginThrottle(ADDRESS_THROTTLE), account: new LoginThrottle(ACCOUNT_THROTTLE) };
  const app = new Hono<UiEnv>();

  app.use("*", securityHeaders(deps));
  app.get(stylesheetPath, (c) => c.body(stylesheetText, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=31536000, immutable" }));
  app.get(iconPath, (c) => c.body(iconText, 200, { "Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400" }));
  app.get("/favicon.ico", (c) => c.redirect(iconPath, 301));
  app.use("*", bodyLimits());
  app.use("*", requireSession(deps));
  app.use("*", requireCsrf());
  app.use("*", requireAdminForChanges());
  app.use("*", flashMessages());
  app.use("*", renderer);

  registerLogin(app, deps, throttles);
  registerDashboard(app, deps);
  registerRuns(app, deps);
  registerRunActions(app, deps);
  registerUsers(app, deps);
  registerModel(app, deps);
  registerControl(app, deps);
  registerControlEdit(app, deps);
  registerSettings(app, deps);
  registerAudit(app, deps);

  app.notFound((c) => (c.get("session") ? notFound(c, "There is no such page.") : c.text("Not found", 404)));
  app.onError((error, c) => {
    console.error(`usersync ui: ${c.req.method} ${c.req.path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return c.text("Something went wrong on the server; the error was logged.", 500);
  });
  return app;
}
