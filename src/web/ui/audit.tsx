/** @jsxImportSource hono/jsx */
// The audit log page, newest first, keyset-paged by id.
import type { Hono } from "hono";
import { AuditPage, auditHref, type AuditRow } from "../../../views/audit.tsx";
import { intParam, type UiDeps, type UiEnv } from "./context.ts";

const PAGE = 50;

export function registerAudit(app: Hono<UiEnv>, deps: UiDeps): void {
  const { db } = deps.store;
  app.get("/audit", async (c) => {
    const actor = (c.req.query("actor") ?? "").trim().slice(0, 200);
    const action = (c.req.query("action") ?? "").trim().slice(0, 100);
    const before = intParam(c.req.query("before"));
    const after = intParam(c.req.query("after"));
    const filter = "($1::text = '' OR actor = lower($1)) AND ($2::text = '' OR action = $2)";
    let rows = after
      ? (await db.query<Record<string, any>>(`SELECT * FROM audit_log WHERE ${filter} AND id > $3 ORDER BY id ASC LIMIT $4`, [actor, action, after, PAGE])).reverse()
      : await db.query<Record<string, any>>(`SELECT * FROM audit_log WHERE ${filter} AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`, [
          actor,
          action,
          before,
          PAGE,
        ]);
    const list: AuditRow[] = rows.map((r) => ({ id: Number(r.id), at: r.at, actor: r.actor, action: r.action, target: r.target, detail: r.detail }));
    const exists = async (cmp: string, id: number) =>
      (await db.query(`SELECT 1 FROM audit_log WHERE ${filter} AND id ${cmp} $3 LIMIT 1`, [actor, action, id])).length > 0;
    const first = list[0]?.id;
    const last = list.at(-1)?.id;
    rows = [];
    return c.render(
      <AuditPage
        rows={list}
        actor={actor}
        action={action}
        newer={first !== undefined && (await exists(">", first)) ? auditHref({ actor, action, after: first }) : null}
        older={last !== undefined && (await exists("<", last)) ? auditHref({ actor, action, before: last }) : null}
      />,
      { title: "Audit log", active: "audit" },
    );
  });
}
