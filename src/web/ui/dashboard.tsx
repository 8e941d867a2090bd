/** @jsxImportSource hono/jsx */
// The dashboard: held runs first, the last run and its result, the feed, and the trend.
import type { Hono } from "hono";
import { DashboardPage } from "../../../views/dashboard.tsx";
import type { UiDeps, UiEnv } from "./context.ts";
import { heldRuns, lastFileReceivedAt, recentFinishedRuns, runsInProgress, userFigures } from "./data/runs.ts";

export function registerDashboard(app: Hono<UiEnv>, deps: UiDeps): void {
  const { db } = deps.store;
  app.get("/", async (c) => {
    const recent = await recentFinishedRuns(db, 30);
    const page = (
      <DashboardPage
        held={await heldRuns(db)}
        inProgress={await runsInProgress(db)}
        last={recent.at(-1) ?? null}
        recent={recent}
        users={await userFigures(db)}
        lastFileAt={await lastFileReceivedAt(db)}
        // Schedules and expected-arrival deadlines come with the notifications work.
        schedule={null}
      />
    );
    return c.render(page, { title: "Dashboard", active: "dashboard" });
  });
}
