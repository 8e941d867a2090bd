/** @jsxImportSource hono/jsx */
// The model page and the control-file generator.
import type { Hono } from "hono";
import { GeneratedPage, ModelPage, type GroupView } from "../../../views/model.tsx";
import { controlTemplate, userSyncModel } from "../../control/index.ts";
import type { Config } from "../../config/index.ts";
import type { Sql } from "../../store/index.ts";
import type { UiDeps, UiEnv } from "./context.ts";
import { contentDisposition } from "./download.ts";

export async function groupViews(db: Sql): Promise<GroupView[]> {
  const rows = await db.query<Record<string, any>>(
    `SELECT g.code, g.title, g.managed, g.profile_type, g.past_profile_type, (SELECT count(*)::int FROM memberships m WHERE m.group_id = g.id) AS members
     FROM groups g ORDER BY g.position, g.code`,
  );
  return rows.map((r) => ({
    code: r.code,
    title: r.title,
    managed: r.managed,
    profileType: r.profile_type,
    pastProfileType: r.past_profile_type,
    members: Number(r.members),
  }));
}

export function modelOf(config: Config) {
  return userSyncModel({ profileAttributes: config.profile.attributes, userTags: config.userTags });
}

export function registerModel(app: Hono<UiEnv>, deps: UiDeps): void {
  const { db } = deps.store;
  app.get("/model", async (c) => c.render(<ModelPage model={modelOf(deps.config)} groups={await groupViews(db)} />, { title: "Model", active: "model" }));

  app.get("/model/generate", (c) => {
    const model = modelOf(deps.config);
    // Only names the model has: the form offers nothing else, and anything else is ignored.
    const known = (v: string) => {
      const at = v.indexOf("^");
      return at > 0 && model.destinations.get(v.slice(0, at))?.names.has(v.slice(at + 1)) === true;
    };
    const names = (c.req.queries("pick") ?? []).slice(0, 500).filter(known);
    const multivalue = (c.req.queries("mv") ?? []).slice(0, 500).filter((v) => known(v) && names.includes(v));
    // The control-file language's own generator (src/control/template.ts, reference §3.8).
    const text = `${JSON.stringify(controlTemplate(model, { names, multivalue }), null, 2)}\n`;
    if (c.req.query("download") === "1") {
      return new Response(text, { headers: { "Content-Type": "application/json; charset=utf-8", "Content-Disposition": contentDisposition("control.json") } });
    }
    const url = new URL(c.req.url);
    url.searchParams.set("download", "1");
    return c.render(<GeneratedPage text={text} downloadHref={url.pathname + url.search} backHref="/model" />, { title: "Generated control file", active: "model" });
  });
}
