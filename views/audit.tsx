/** @jsxImportSource hono/jsx */
// The audit log: every change made through the UI (and every sign-in), newest first.
import type { FC } from "hono/jsx";
import { Empty, href, Pager, Time, UserLink, valueText } from "./components.tsx";

export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  detail: unknown;
}

export const AuditPage: FC<{ rows: AuditRow[]; actor: string; action: string; newer: string | null; older: string | null }> = ({ rows, actor, action, newer, older }) => (
  <>
    <div class="page-head">
      <div>
        <h1>Audit log</h1>
        <p class="muted">Who changed what, and when — every change made through the UI, and every sign-in.</p>
      </div>
    </div>
    <section class="card">
      <form class="inline" method="get" action="/audit" role="search">
        <div>
          <label for="actor">Who</label>
          <input type="search" id="actor" name="actor" value={actor} autocapitalize="none" spellcheck={false} />
        </div>
        <div>
          <label for="action">Action</label>
          <input type="search" id="action" name="action" value={action} placeholder="e.g. user.block" autocapitalize="none" spellcheck={false} />
        </div>
        <button type="submit">Filter</button>
      </form>
      {rows.length ? (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Action</th>
                <th>On</th>
                <th class="hide-sm">Detail</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <td class="nowrap">
                    <Time at={r.at} seconds />
                  </td>
                  <td>{r.actor}</td>
                  <td>
                    <code>{r.action}</code>
                  </td>
                  <td class="wrap">{r.target ? r.action.startsWith("user.") ? <UserLink username={r.target} /> : r.target : <span class="muted">–</span>}</td>
                  <td class="hide-sm wrap small">{r.detail ? <code>{valueText(r.detail)}</code> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>Nothing recorded{actor || action ? " that matches" : " yet"}.</Empty>
      )}
      <Pager newer={newer} older={older} />
    </section>
  </>
);

export const auditHref = (query: Record<string, string | number | null>) => href("/audit", query);
