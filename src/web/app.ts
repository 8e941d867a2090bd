// The daemon's HTTP face: one Hono app. This file only composes — the API routes live in api/,
// the UI pages are mounted here too (by the web UI's own module).
import { Hono } from "hono";
import { haploUserSyncApi, type ApiDeps } from "./api/haplo-user-sync.ts";

export type AppDeps = ApiDeps;

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  // Answers without touching the database: during a long apply on PGlite every query waits.
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.route("/api/haplo-user-sync", haploUserSyncApi(deps));
  return app;
}
