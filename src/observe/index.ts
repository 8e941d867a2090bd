// Observability as a Hono sub-app the daemon mounts at the root:
//
//   app.route("/", observeApp({ db: store.db, metrics }))   →  GET /metrics, GET /readyz
//
// `metrics` is one createMetrics(store.db) per process, shared with whoever counts things
// (intake: metrics.uploadReceived; logins: metrics.loginFailed; the worker: metrics.runFinished).
// /metrics carries counts only, no personal data; pass `metricsToken` to require
// "Authorization: Bearer <token>" anyway.
import { Hono } from "hono";
import { timingSafeEqual } from "node:crypto";
import type { Sql } from "../store/index.ts";
import type { Metrics } from "./metrics.ts";
import { readiness } from "./ready.ts";

export { createMetrics, type LoginDoor, type Metrics, type UploadVia } from "./metrics.ts";
export { readiness, type Readiness } from "./ready.ts";

export interface ObserveOptions {
  db: Sql;
  metrics: Metrics;
  metricsToken?: string;
  /** How long /readyz waits for the database before answering 503 "busy" (default 5 s). */
  readyTimeoutMs?: number;
}

export function observeApp(options: ObserveOptions): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    if (options.metricsToken && !sameToken(c.req.header("authorization"), `Bearer ${options.metricsToken}`)) return c.text("Unauthorized\n", 401);
    try {
      return c.body(await options.metrics.render(), 200, { "content-type": options.metrics.contentType, "cache-control": "no-store" });
    } catch (error) {
      return c.text(`# metrics unavailable: ${(error as Error).message}\n`, 503);
    }
  });
  app.get("/readyz", async (c) => {
    const state = await readiness(options.db, options.readyTimeoutMs);
    return c.json(state, state.ready ? 200 : 503, { "cache-control": "no-store" });
  });
  return app;
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = new Bun.CryptoHasher("sha256").update(given).digest();
  const b = new Bun.CryptoHasher("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
