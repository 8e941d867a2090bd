// A read-only SCIM 2.0 endpoint (RFC 7643, RFC 7644) over the user store, for the systems that log
// people in (an IdP, an SSO proxy, an application) — as a Hono sub-app the daemon mounts:
//
//   app.route("/scim/v2", scimApp({ db: store.db, metrics }))
//
// GET /Users, /Users/{id}, /Groups, /Groups/{id}, /ServiceProviderConfig, /ResourceTypes[/{id}],
// /Schemas[/{id}]; filter (eq, ne, co, sw, ew, gt, ge, lt, le, pr, and, or, not, value paths),
// startIndex/count paging, attributes/excludedAttributes. Every request needs a bearer token made
// with `usersync scim-token create`; there is no write operation (501 for any other method).
import { Hono, type Context } from "hono";
import type { LoginDoor } from "../observe/metrics.ts";
import type { Sql } from "../store/index.ts";
import { listOf, MAX_RESULTS, resourceTypes, schemas, serviceProviderConfig } from "./discovery.ts";
import { ScimFilterError } from "./filter.ts";
import { getGroup, getUser, listGroups, listUsers, type Page } from "./resources.ts";
import { verifyScimToken } from "./tokens.ts";

export { createScimToken, listScimTokens, revokeScimToken, verifyScimToken, SCIM_SCOPE } from "./tokens.ts";

export const SCIM_CONTENT_TYPE = "application/scim+json";
const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const DEFAULT_COUNT = 100;

export interface ScimOptions {
  db: Sql;
  /** Counts refused tokens (usersync_failed_logins_total{door="scim"}). */
  metrics?: { loginFailed(door: LoginDoor): void };
  /** Public base address of this endpoint for `location` and `$ref` (e.g. https://sync.example.org/scim/v2); default: from the request. */
  baseUrl?: string;
}

type Variables = { base: string };

function scimJson(c: Context, body: unknown, status = 200): Response {
  return c.body(JSON.stringify(body), status as 200, { "content-type": SCIM_CONTENT_TYPE, "cache-control": "no-store" });
}

export function scimError(c: Context, status: number, detail: string, scimType?: string): Response {
  return scimJson(c, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail }, status);
}

/** startIndex (1-based, below 1 means 1) and count (negative means 0, capped at MAX_RESULTS): RFC 7644 §3.4.2.4. */
function pageOf(c: Context): Page | string {
  const start = c.req.query("startIndex");
  const count = c.req.query("count");
  const startIndex = start === undefined ? 1 : Number(start);
  const n = count === undefined ? DEFAULT_COUNT : Number(count);
  if (!Number.isInteger(startIndex)) return `startIndex must be an integer, not "${start}"`;
  if (!Number.isInteger(n)) return `count must be an integer, not "${count}"`;
  return { startIndex: Math.max(1, Math.min(startIndex, 2 ** 31 - 1)), count: Math.max(0, Math.min(n, MAX_RESULTS)) };
}

/** attributes / excludedAttributes (RFC 7644 §3.4.2.5), applied to top-level attributes and one level below. */
export function project(resource: Record<string, unknown>, attributes?: string, excluded?: string): Record<string, unknown> {
  const names = (list?: string) =>
    (list ?? "")
      .split(",")
      .map((a) => a.trim().replace(/^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i, ""))
      .filter(Boolean);
  const always = new Set(["schemas", "id"]);
  const wanted = names(attributes);
  const out: Record<string, unknown> = {};
  if (wanted.length) {
    for (const [key, value] of Object.entries(resource)) {
      if (always.has(key)) {
        out[key] = value;
        continue;
      }
      const subs = wanted.filter((w) => w.toLowerCase().startsWith(`${key.toLowerCase()}.`)).map((w) => w.slice(key.length + 1).toLowerCase());
      if (wanted.some((w) => w.toLowerCase() === key.toLowerCase())) out[key] = value;
      else if (subs.length && value && typeof value === "object" && !Array.isArray(value))
        out[key] = Object.fromEntries(Object.entries(value).filter(([k]) => subs.includes(k.toLowerCase())));
      else if (subs.length && Array.isArray(value))
        out[key] = value.map((v) => Object.fromEntries(Object.entries(v as object).filter(([k]) => subs.includes(k.toLowerCase()))));
    }
  } else Object.assign(out, resource);
  for (const name of names(excluded)) {
    const key = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key && !always.has(key)) delete out[key];
  }
  return out;
}

const membersWanted = (c: Context) => {
  const attributes = c.req.query("attributes");
  const excluded = c.req.query("excludedAttributes");
  if (excluded && /(^|,)\s*members\s*(,|$)/i.test(excluded)) return false;
  if (attributes && !/(^|,)\s*members(\.|\s*(,|$))/i.test(attributes)) return false;
  return true;
};

export function scimApp(options: ScimOptions): Hono<{ Variables: Variables }> {
  const { db } = options;
  const app = new Hono<{ Variables: Variables }>();

  app.use("*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match ? await verifyScimToken(db, match[1]!) : null;
    if (!token) {
      options.metrics?.loginFailed("scim");
      c.header("WWW-Authenticate", 'Bearer realm="usersync SCIM"');
      return scimError(c, 401, header ? "The bearer token is not valid or has been revoked" : "A bearer token is required (usersync scim-token create)");
    }
    const url = new URL(c.req.url);
    c.set("base", (options.baseUrl ?? `${url.origin}${baseOf(url.pathname)}`).replace(/\/+$/, ""));
    await next();
  });

  app.get("/ServiceProviderConfig", (c) => scimJson(c, serviceProviderConfig(c.get("base"))));
  app.get("/ResourceTypes", (c) => scimJson(c, listOf(resourceTypes(c.get("base")))));
  app.get("/ResourceTypes/:id", (c) => {
    const found = resourceTypes(c.get("base")).find((r) => r.id === c.req.param("id"));
    return found ? scimJson(c, found) : scimError(c, 404, `No resource type ${c.req.param("id")}`);
  });
  app.get("/Schemas", (c) => scimJson(c, listOf(schemas(c.get("base")))));
  app.get("/Schemas/:id", (c) => {
    const found = schemas(c.get("base")).find((s) => s.id === c.req.param("id"));
    return found ? scimJson(c, found) : scimError(c, 404, `No schema ${c.req.param("id")}`);
  });

  app.get("/Users", async (c) => {
    const page = pageOf(c);
    if (typeof page === "string") return scimError(c, 400, page, "invalidValue");
    const list = await listUsers(db, c.get("base"), c.req.query("filter"), page);
    list.Resources = list.Resources.map((r) => project(r, c.req.query("attributes"), c.req.query("excludedAttributes")));
    return scimJson(c, list);
  });
  app.get("/Users/:id", async (c) => {
    const user = await getUser(db, c.get("base"), c.req.param("id"));
    return user ? scimJson(c, project(user, c.req.query("attributes"), c.req.query("excludedAttributes"))) : scimError(c, 404, `User ${c.req.param("id")} not found`);
  });
  app.get("/Groups", async (c) => {
    const page = pageOf(c);
    if (typeof page === "string") return scimError(c, 400, page, "invalidValue");
    const list = await listGroups(db, c.get("base"), c.req.query("filter"), page, membersWanted(c));
    list.Resources = list.Resources.map((r) => project(r, c.req.query("attributes"), c.req.query("excludedAttributes")));
    return scimJson(c, list);
  });
  app.get("/Groups/:id", async (c) => {
    const group = await getGroup(db, c.get("base"), c.req.param("id"), membersWanted(c));
    return group ? scimJson(c, project(group, c.req.query("attributes"), c.req.query("excludedAttributes"))) : scimError(c, 404, `Group ${c.req.param("id")} not found`);
  });

  app.on(["POST", "PUT", "PATCH", "DELETE"], "*", (c) => scimError(c, 501, "This SCIM endpoint is read-only: users and groups come from the feed"));
  // (a catch-all route, not notFound(): a mounted sub-app's notFound handler is not used by its parent)
  app.all("*", (c) => scimError(c, 404, `No SCIM resource at ${new URL(c.req.url).pathname}`));
  app.onError((error, c) => {
    if (error instanceof ScimFilterError) return scimError(c, 400, error.message, "invalidFilter");
    return scimError(c, 500, "Internal error");
  });
  return app;
}

/** The mount point of the SCIM endpoint in a request path: everything up to and including /scim/v2 (or /v2). */
function baseOf(pathname: string): string {
  const at = pathname.search(/\/(Users|Groups|ServiceProviderConfig|ResourceTypes|Schemas)(\/|$)/);
  return at === -1 ? pathname : pathname.slice(0, at);
}
