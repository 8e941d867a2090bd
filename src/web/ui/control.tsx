/** @jsxImportSource hono/jsx */
// The control-file pages: current version, history, one version, download, and a diff. For an
// admin, the control page also carries the forms of control-edit.tsx (upload a version, try it).
import type { Hono } from "hono";
import { ControlDiffPage, ControlPage, ControlVersionCard } from "../../../views/control.tsx";
import { ControlTryForm, ControlUploadForm, type TryFormProps, type UploadFormProps } from "../../../views/control-edit.tsx";
import { intParam, isAdmin, viewerOf, type UiContext, type UiDeps, type UiEnv } from "./context.ts";
import { controlHistory, currentControlId, getControlVersion, prettyJson, runsOfControl } from "./data/control.ts";
import { contentDisposition } from "./download.ts";
import { lineDiff } from "./line-diff.ts";
import { notFound } from "./pages.tsx";

/** Largest control file the upload form takes (a feed's `_control` upload may be larger: MAX_CONTROL_BYTES). */
export const CONTROL_FORM_MAX_BYTES = 1024 * 1024;
/** Largest sample "try it" reads, and how many of its records are shown. */
export const TRY_SAMPLE_MAX_BYTES = 5 * 1024 * 1024;
export const TRY_LIMIT = 20;

/** What a refused upload or a "try it" put back on the control page. */
export interface ControlPageState {
  upload?: Omit<UploadFormProps, "csrf" | "maxBytes">;
  trial?: Omit<TryFormProps, "csrf" | "maxBytes" | "limit" | "names"> & { names?: string[] };
}

export async function renderControlPage(c: UiContext, deps: UiDeps, state: ControlPageState = {}, status: 200 | 400 | 413 = 200) {
  const { db } = deps.store;
  const currentId = await currentControlId(db);
  const current = currentId ? await getControlVersion(db, currentId) : null;
  const history = await controlHistory(db);
  const csrf = isAdmin(c) ? viewerOf(c).csrfToken : null;
  const currentNames = current ? current.expectedFiles.filter((n) => n !== "_control") : [];
  const forms = csrf ? (
    <>
      <ControlUploadForm csrf={csrf} maxBytes={CONTROL_FORM_MAX_BYTES} {...(state.upload ?? { text: "", comment: "", problems: [], warnings: [] })} />
      <ControlTryForm
        csrf={csrf}
        maxBytes={TRY_SAMPLE_MAX_BYTES}
        limit={TRY_LIMIT}
        {...(state.trial ?? { name: currentNames[0] ?? "", controlText: "", problems: [] })}
        names={state.trial?.names ?? currentNames}
      />
    </>
  ) : null;
  c.status(status);
  return c.render(
    <ControlPage
      current={current}
      currentPretty={current ? prettyJson(current.content) : ""}
      currentRuns={current ? await runsOfControl(db, current.id, 20) : []}
      history={history}
      forms={forms}
    />,
    { title: "Control files", active: "control" },
  );
}

export function registerControl(app: Hono<UiEnv>, deps: UiDeps): void {
  const { db } = deps.store;

  app.get("/control", (c) => renderControlPage(c, deps));

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
