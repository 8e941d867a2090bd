// The guards in front of every page: security headers, the session from the cookie, CSRF on every
// form post, and the admin role for every change. Order matters and is set in index.ts.
import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { loadSession, sameToken } from "../auth/index.ts";
import { formField, isHttps, type UiDeps, type UiEnv } from "./context.ts";

export const SESSION_COOKIE = "usersync_session";
export const LOGIN_COOKIE = "usersync_login";

/** Paths anyone may open: the sign-in page, the stylesheet and the icon. */
export function isPublicPath(path: string): boolean {
  return path === "/login" || path.startsWith("/assets/") || path === "/favicon.ico";
}

// No script at all, styles only from our own stylesheet, no framing, forms only to ourselves.
const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function securityHeaders(deps: UiDeps): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", CSP);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "same-origin");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    h.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
    if (isHttps(c, deps.config.http.trustProxy)) h.set("Strict-Transport-Security", "max-age=31536000");
  };
}

/** Loads the session; sends anyone without one to the sign-in page (GET) or refuses (anything else). */
export function requireSession(deps: UiDeps): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    c.set("session", token ? await loadSession(deps.store.db, token) : null);
    if (isPublicPath(c.req.path) || c.get("session")) return next();
    // Only a page the person navigated to is sent to the sign-in page; an image, a download or a script gets a plain 401.
    const dest = c.req.header("sec-fetch-dest");
    if ((c.req.method === "GET" || c.req.method === "HEAD") && (!dest || dest === "document")) {
      const url = new URL(c.req.url);
      const back = url.pathname + url.search;
      return c.redirect(back === "/" ? "/login" : `/login?next=${encodeURIComponent(back)}`, 303);
    }
    return c.text("You are not signed in (or your session has ended). Sign in again.", 401);
  };
}

const REFUSED_CSRF = "This form did not come from this site, or it has expired. Go back, reload the page and try again.";

/**
 * Every form post must carry the session's CSRF token, and must not come from another site.
 * (The sign-in form, posted before there is a session, has its own check in login.tsx.)
 */
export function requireCsrf(): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.path === "/login") return next();
    if (c.req.header("sec-fetch-site") === "cross-site") return c.text(REFUSED_CSRF, 403);
    const type = c.req.header("content-type") ?? "";
    if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) return c.text(REFUSED_CSRF, 403);
    const session = c.get("session");
    if (!session || !sameToken(await formField(c, "_csrf"), session.csrfToken)) return c.text(REFUSED_CSRF, 403);
    return next();
  };
}

/** Viewers may look at everything and change nothing: every post but signing out needs the admin role. */
export function requireAdminForChanges(): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.path === "/login" || c.req.path === "/logout") return next();
    if (c.get("session")?.role !== "admin") return c.text("Your account may look but not change anything (role: viewer).", 403);
    return next();
  };
}

/**
 * Where to go after signing in: only a path on this site. Anything else — another host,
 * "//host", "/\host", a scheme — goes to the dashboard (no open redirect).
 */
export function safeNext(next: string | undefined | null): string {
  if (!next || next.length > 2000 || !next.startsWith("/") || next.startsWith("//") || /[\\\u0000-\u001f\u007f]/.test(next)) return "/";
  try {
    const url = new URL(next, "http://usersync.invalid");
    if (url.origin !== "http://usersync.invalid") return "/";
    const path = url.pathname + url.search;
    return path === "/login" || path.startsWith("/login?") ? "/" : path;
  } catch {
    return "/";
  }
}

export function sessionCookieOptions(https: boolean, expires?: Date) {
  return { path: "/", httpOnly: true, secure: https, sameSite: "Lax" as const, ...(expires ? { expires } : {}) };
}
