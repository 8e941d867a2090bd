// What every page of the web UI shares: its dependencies, the signed-in session on the request
// context, and small request helpers (the client's address, https, form fields).
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";
import type { Config } from "../../config/index.ts";
import type { Store } from "../../store/index.ts";
import type { LoginThrottle } from "../../intake/index.ts";
import type { Session } from "../auth/index.ts";
import type { Viewer } from "../../../views/layout.tsx";

export interface UiDeps {
  store: Store;
  config: Config;
  /** Sign-in throttles; made per app when absent (tests pass their own to control the clock). */
  throttles?: { address: LoginThrottle; account: LoginThrottle };
  /** Counts failed sign-ins (usersync_failed_logins_total{door="ui"}). */
  metrics?: { loginFailed(door: "ui"): void };
  /** Called when an action queued a run (approve, apply, re-apply): wakes the daemon's worker. */
  onQueued?: () => void;
  /** Called after the settings overrides were saved: the daemon reloads them (and updates `config`). */
  onSettingsChanged?: () => Promise<void>;
}

/** A one-time message shown at the top of the next page (after a redirect). */
export interface Flash {
  tone: "ok" | "warn" | "bad" | "info";
  text: string;
}

export type UiEnv = { Variables: { session: Session | null; flash: Flash | null } };
export type UiContext = Context<UiEnv>;

declare module "hono" {
  interface ContextRenderer {
    (content: string | Promise<string>, props: { title: string; active?: string; /** seconds: the page reloads itself (a run being applied) */ refresh?: number }): Response | Promise<Response>;
  }
}

export function viewerOf(c: UiContext): Viewer {
  const s = c.get("session");
  if (!s) throw new Error("page rendered without a session");
  return { username: s.username, role: s.role, csrfToken: s.csrfToken };
}

export function isAdmin(c: UiContext): boolean {
  return c.get("session")?.role === "admin";
}

/** The client's address: the connection's, or the first X-Forwarded-For hop when the proxy is trusted. */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded.slice(0, 100);
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function isHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  return trustProxy && c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

/** A text field of a posted form ('' when absent or a file). */
export async function formField(c: Context, name: string): Promise<string> {
  const body = await c.req.parseBody();
  const v = body[name];
  return typeof v === "string" ? v : "";
}

/** A positive integer from the URL, or null. */
export function intParam(value: string | undefined | null): number | null {
  if (!value || !/^[0-9]{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n > 0 && n <= 2_147_483_647 ? n : null;
}
