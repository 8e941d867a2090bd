/** @jsxImportSource hono/jsx */
// Signing in and out. The sign-in form has no session to carry a CSRF token, so it carries a
// random token that must match a cookie set with the form (double submit, SameSite=Strict).
// Failures are throttled per address and per account; after too many, even the right password is
// refused for a while. Every sign-in, failure and sign-out goes to the audit log.
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { LoginPage } from "../../../views/login.tsx";
import { audit } from "../../batch/index.ts";
import type { LoginThrottle } from "../../intake/index.ts";
import { createSession, endSession, normaliseAdminName, randomToken, sameToken, verifyLogin } from "../auth/index.ts";
import { clientAddress, formField, isHttps, type UiContext, type UiDeps, type UiEnv } from "./context.ts";
import { LOGIN_COOKIE, safeNext, SESSION_COOKIE, sessionCookieOptions } from "./security.ts";

export function registerLogin(app: Hono<UiEnv>, deps: UiDeps, throttles: { address: LoginThrottle; account: LoginThrottle }): void {
  const { db } = deps.store;
  const trustProxy = deps.config.http.trustProxy;

  const showForm = (c: UiContext, status: 200 | 401 | 403 | 429, props: { next: string; username?: string; problem?: string; info?: string }) => {
    // One token per browser, kept while it lasts: a second tab (or a stray request for an icon) does not spoil the first tab's form.
    const existing = getCookie(c, LOGIN_COOKIE);
    const csrf = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomToken();
    setCookie(c, LOGIN_COOKIE, csrf, { path: "/login", httpOnly: true, secure: isHttps(c, trustProxy), sameSite: "Strict", maxAge: 3600 });
    c.status(status);
    return c.render(<LoginPage csrf={csrf} {...props} />, { title: "Sign in" });
  };

  app.get("/login", (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.get("session")) return c.redirect(next, 303);
    return showForm(c, 200, { next, info: c.req.query("signed-out") !== undefined ? "You have signed out." : undefined });
  });

  app.post("/login", async (c) => {
    const next = safeNext(await formField(c, "next"));
    const username = (await formField(c, "username")).slice(0, 200);
    const password = await formField(c, "password");
    if (c.req.header("sec-fetch-site") === "cross-site" || !sameToken(await formField(c, "_csrf"), getCookie(c, LOGIN_COOKIE)))
      return showForm(c, 403, { next, username, problem: "The sign-in form had expired. Please sign in again." });

    const address = clientAddress(c, trustProxy);
    const account = normaliseAdminName(username);
    const blocked = [throttles.address, throttles.account].find((t, i) => t.isBlocked(i === 0 ? address : account));
    if (blocked) {
      await audit(db, { actor: account || "(empty)", action: "login-throttled", detail: { address } });
      return showForm(c, 429, { next, username, problem: `Too many failed sign-ins. Try again in ${Math.ceil(blocked.settings.blockMs / 60_000)} minutes.` });
    }
    const admin = await verifyLogin(db, username, password);
    if (!admin) {
      throttles.address.fail(address, "ui");
      throttles.account.fail(account, "ui");
      deps.metrics?.loginFailed("ui");
      await audit(db, { actor: account || "(empty)", action: "login-failed", detail: { address } });
      return showForm(c, 401, { next, username, problem: "Wrong account name or password (or the account is disabled)." });
    }
    throttles.address.succeed(address);
    throttles.account.succeed(account);
    // A new session every time: a token planted before sign-in is never promoted (no fixation).
    const old = getCookie(c, SESSION_COOKIE);
    if (old) await endSession(db, old);
    const session = await createSession(db, admin.id);
    setCookie(c, SESSION_COOKIE, session.token, sessionCookieOptions(isHttps(c, trustProxy), session.expiresAt));
    deleteCookie(c, LOGIN_COOKIE, { path: "/login" });
    await audit(db, { actor: admin.username, action: "login", detail: { address } });
    return c.redirect(next, 303);
  });

  app.post("/logout", async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    const session = c.get("session");
    if (token) await endSession(db, token);
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c, trustProxy) });
    if (session) await audit(db, { actor: session.username, action: "logout" });
    return c.redirect("/login?signed-out", 303);
  });
}
