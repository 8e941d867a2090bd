/** @jsxImportSource hono/jsx */
// The control-file pages: current version, history, one version, download, and a diff.
import type { Hono } from "hono";
import { ControlDiffPage, ControlPage, ControlVersionCard } from "../../../views/control.tsx";
import { intParam, type UiDeps, type UiEnv } from "./context.ts";
import { controlHistory, currentControlId, getControlVersion, prettyJson, runsOfControl } from "./data/control.ts";
import { contentDisposition } from "./download.ts";
import { lineDiff } from "./line-diff.ts";
import { notFound } from "./pages.tsx";

export function registerControl(app: Hono<UiEnv>, deps: UiDeps): void {
  const { db } = deps.store;

  app.get("/control", async (c) => {
    const currentId = await currentControlId(db);
    const current = currentId ? await getControlVersion(db, currentId) : null;
    const history = await controlHistory(db);
    return c.render(
      <ControlPage current={current} currentPretty={current ? prettyJson(current.content) : ""} currentRuns={current ? await runsOfControl(db, current.id, 20) : []} history={history} />,
      { title: "Control files", active: "control" },
    );
  });

  app.get("/control/diff", async (c) => {
    const [fromId, toId] = [intParam(c.req.query("from")), intParam(c.req.query("to"))];
    const [from, to] = [fromId ? await getControlVersion(db, fromId) : null, toId ? await getControlVersion(db, toId) : null];
    if (!from || !to) return notFound(c, "Choose two versions to compare.");
    return c.render(<ControlDiffPage from={from} to={to} diff={lineDiff(prettyJson(from.content), prettyJson(to.content))} />, {
      title: `Control file ${from.id} → ${to.id}`,
      active: "control",
    });
  });

  app.get("/control/:id", async (c) => {
    const id = intParam(c.req.param("id"));
    const version = id ? await getControlVersion(db, id) : null;
    if (!version) return notFound(c, "There is no such control-file version.");
    const current = (await currentControlId(db)) === version.id;
    return c.render(
      <>
        <div class="page-head">
          <div>
            <div class="crumbs">
              <a href="/control">Control files</a> /
            </div>
            <h1>Control file, version {version.id}</h1>
          </div>
        </div>
        <ControlVersionCard version={version} pretty={prettyJson(version.content)} current={current} runs={await runsOfControl(db, version.id)} />
      </>,
      { title: `Control file ${version.id}`, active: "control" },
    );
  });

  app.get("/control/:id/download", async (c) => {
    const id = intParam(c.req.param("id"));
    const version = id ? await getControlVersion(db, id) : null;
    if (!version) return notFound(c, "There is no such control-file version.");
    return new Response(version.content, {
      headers: { "Content-Type": "application/octet-stream", "Content-Disposition": contentDisposition(`control-${version.id}.json`) },
    });
  });
}
