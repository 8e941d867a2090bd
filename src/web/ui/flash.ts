// One-time messages after an action ("Run 12 approved: it is queued"): the post sets a short-lived
// HttpOnly cookie and redirects; the next page shows the message (escaped like any text) and the
// cookie is cleared. A cookie rather than a query parameter, so nobody can craft a link that
// puts words of their choosing on our pages.
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Flash, UiContext, UiEnv } from "./context.ts";

export const FLASH_COOKIE = "usersync_flash";

/** Remember a message for the next page and redirect there (303: the browser GETs it). */
export function redirectWithFlash(c: UiContext, location: string, tone: Flash["tone"], text: string): Response {
  setCookie(c, FLASH_COOKIE, encodeURIComponent(JSON.stringify({ tone, text: text.slice(0, 1000) })), {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    maxAge: 120,
  });
  return c.redirect(location, 303);
}

/** Reads the message for this page; clears it once a page (HTML) has shown it. */
export function flashMessages(): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    c.set("flash", null);
    const raw = c.req.method === "GET" ? getCookie(c, FLASH_COOKIE) : undefined;
    if (raw) {
      try {
        const value = JSON.parse(decodeURIComponent(raw)) as Flash;
        if (["ok", "warn", "bad", "info"].includes(value.tone) && typeof value.text === "string") c.set("flash", { tone: value.tone, text: value.text });
      } catch {
        // a mangled cookie: drop it
      }
    }
    await next();
    if (raw && (c.res.headers.get("content-type") ?? "").startsWith("text/html"))
      c.res.headers.append("Set-Cookie", `${FLASH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`);
  };
}
