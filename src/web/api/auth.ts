// API key authentication, as Haplo's platform does it (reference §5.1): `Authorization: Basic
// base64("haplo:" + key)`, or an `X-Oneis-Key` header, or a POSTed `_ak` parameter. Failures are
// 403 with Haplo's codes (INVALID-API-KEY, THROTTLE, UNAUTHORISED) and are counted per address by
// the shared login throttle. A multipart upload may carry `_ak` as a field: then the check runs
// when the file part starts (src/web/api/multipart.ts), before a byte of the file is kept.
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/bun";
import { verifyApiKey } from "../../intake/api-keys.ts";
import type { LoginThrottle } from "../../intake/throttle.ts";
import type { Sql } from "../../store/index.ts";
import type { Logger } from "../../util/log.ts";

export type ApiEnv = {
  Variables: {
    /** The API key's name, once authenticated. */
    uploader: string | null;
    address: string;
    /** Set when the key is expected in the multipart body (`_ak` field). */
    authenticate: (key: string | undefined) => Promise<string>;
  };
};

export class ApiAuthError extends Error {
  constructor(readonly code: "INVALID-API-KEY" | "THROTTLE" | "UNAUTHORISED") {
    super(code);
  }
}

export function forbidden(c: Context, error: ApiAuthError) {
  return c.text(error.code, 403);
}

/** The key a request carries in its headers or query string, if any. */
export function keyFromRequest(c: Context): string | undefined {
  const authorization = c.req.header("authorization");
  if (authorization?.toLowerCase().startsWith("basic ")) {
    const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
    // the platform only recognises Basic credentials for the user "haplo"
    if (decoded.startsWith("haplo:")) return decoded.slice("haplo:".length);
  }
  return c.req.header("x-oneis-key") ?? c.req.query("_ak") ?? undefined;
}

function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function apiKeyAuth(options: { db: Sql; throttle: LoginThrottle; log: Logger; trustProxy: boolean }): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const address = clientAddress(c, options.trustProxy);
    c.set("address", address);
    const authenticate = async (key: string | undefined): Promise<string> => {
      if (options.throttle.isBlocked(address)) {
        options.log.warn("http.auth-throttled", { address, path: c.req.path });
        throw new ApiAuthError("THROTTLE");
      }
      if (!key) throw new ApiAuthError("UNAUTHORISED");
      const found = await verifyApiKey(options.db, key, c.req.path);
      if (!found) {
        const blocked = options.throttle.fail(address);
        options.log.warn("http.auth-failed", { address, path: c.req.path, nowThrottled: blocked });
        throw new ApiAuthError("INVALID-API-KEY");
      }
      options.throttle.succeed(address);
      c.set("uploader", found.name);
      return found.name;
    };
    c.set("authenticate", authenticate);
    c.set("uploader", null);
    let key = keyFromRequest(c);
    const contentType = c.req.header("content-type") ?? "";
    if (!key && contentType.startsWith("application/x-www-form-urlencoded")) {
      const body = await c.req.text();
      if (body.length <= 64 * 1024) key = new URLSearchParams(body).get("_ak") ?? undefined;
    }
    // an upload without a key in the headers: its handler authenticates from the `_ak` field
    // before it keeps a byte of the file (and refuses the request if there is none)
    if (!key && c.req.method === "POST" && c.req.path.endsWith("/upload-file") && contentType.startsWith("multipart/form-data") && !options.throttle.isBlocked(address))
      return next();
    try {
      await authenticate(key);
    } catch (error) {
      if (error instanceof ApiAuthError) return forbidden(c, error);
      throw error;
    }
    return next();
  };
}
