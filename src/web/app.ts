// The daemon's HTTP face: one Hono app. This file only composes — the API routes live in api/,
// the UI pages are mounted here too (by the web UI's own module).
import { Hono } from "hono";
import type { Config } from "../config/index.ts";
import { observeApp, type Metrics } from "../observe/index.ts";
import { scimApp } from "../scim/index.ts";
import { haploUserSyncApi, type ApiDeps } from "./api/haplo-user-sync.ts";
import { uiApp } from "./ui/index.ts";

export interface AppDeps extends ApiDeps {
  metrics: Metrics;
  config: Config;
  /** a run was queued from the UI (approve, apply, re-apply): wake the worker */
  onQueued?: () => void;
  /** the UI saved settings overrides (src/config/overrides.ts): apply them to the running daemon */
  onSettingsChanged?: () => Promise<void>;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  // Answers without touching the database: during a long apply on PGlite every query waits.
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.route("/api/haplo-user-sync", haploUserSyncApi(deps));
  app.route("/scim/v2", scimApp({ db: deps.store.db, metrics: deps.metrics }));
  app.route("/", observeApp({ db: deps.store.db, metrics: deps.metrics })); // /metrics, /readyz
  // last: the UI answers everything else (and asks for a session)
  app.route("/", uiApp({ store: deps.store, config: deps.config, metrics: deps.metrics, onQueued: deps.onQueued, onSettingsChanged: deps.onSettingsChanged }));
  return app;
}
