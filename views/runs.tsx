/** @jsxImportSource hono/jsx */
// The list of runs, newest first, with their counts and the change in errors.
import type { FC } from "hono/jsx";
import type { RunPage } from "../src/web/ui/data/runs.ts";
import { Badge, Empty, href, Pager, Time } from "./components.tsx";
import { num, plural } from "./format.ts";
import { count, ErrorDelta } from "./run-bits.tsx";

/** A count, or a dash for a run that never counted anything (failed, cancelled, still uploading). */
function cell(run: RunPage["runs"][number], key: string): string {
  return Object.keys(run.counts).length ? num(count(run, key)) : "–";
}

export const RunsPage: FC<{ page: RunPage; status: string | null; statuses: readonly string[] }> = ({ page, status, statuses }) => (
  <>
    <div class="page-head">
      <div>
        <h1>Runs</h1>
        <p class="muted">Every batch of files the sync received, newest first.</p>
      </div>
    </div>
    <section class="card">
      <nav class="facets" aria-label="Filter by status">
        <a href="/runs" aria-current={status ? undefined : "true"}>
          all
        </a>
        {statuses.map((s) => (
          <a href={href("/runs", { status: s })} aria-current={s === status ? "true" : undefined}>
            {s}
          </a>
        ))}
      </nav>
      {page.runs.length ? (
        <>
        <ul class="cards show-sm">
          {page.runs.map((run) => (
            <li>
              <div>
                <Badge status={run.status} /> <a href={`/runs/${run.id}`}>Run {run.id}</a>
                {run.kind !== "feed" ? <span class="muted"> · {run.kind}</span> : null} <span class="muted small">· <Time at={run.createdAt} /></span>
              </div>
              {Object.keys(run.counts).length ? (
                <div class="small">
                  {cell(run, "create")} created · {cell(run, "update")} updated · {cell(run, "block")} blocked · {plural(run.errorCount, "error")} (<ErrorDelta run={run} />)
                </div>
              ) : run.message ? (
                <div class="small muted">{run.message}</div>
              ) : null}
            </li>
          ))}
        </ul>
        <div class="scroll hide-sm">
          <table>
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Created</th>
                <th class="hide-sm">Source</th>
                <th class="num hide-sm">Records</th>
                <th class="num" title="users created">New</th>
                <th class="num">Updated</th>
                <th class="num hide-sm">Unblocked</th>
                <th class="num">Blocked</th>
                <th class="num hide-sm">Pending</th>
                <th class="num hide-sm">Rejected</th>
                <th class="num">Errors</th>
                <th class="num" title="change in errors against the previous run">±</th>
              </tr>
            </thead>
            <tbody>
              {page.runs.map((run) => (
                <tr class={run.status === "failure" ? "row-bad" : run.status === "held" ? "row-warn" : undefined}>
                  <td>
                    <a href={`/runs/${run.id}`}>{run.id}</a>
                    {run.kind !== "feed" ? <span class="muted small"> {run.kind}</span> : null}
                  </td>
                  <td>
                    <Badge status={run.status} />
                  </td>
                  <td class="nowrap">
                    <Time at={run.createdAt} />
                  </td>
                  <td class="hide-sm">{run.source ?? "–"}</td>
                  <td class="num hide-sm">{cell(run, "records")}</td>
                  <td class="num">{cell(run, "create")}</td>
                  <td class="num">{cell(run, "update")}</td>
                  <td class="num hide-sm">{cell(run, "unblock")}</td>
                  <td class="num">{cell(run, "block")}</td>
                  <td class="num hide-sm">{cell(run, "pendingLeaver")}</td>
                  <td class="num hide-sm">{cell(run, "reject")}</td>
                  <td class="num">{run.errorCount ? <a href={href(`/runs/${run.id}/log`, { level: "error" })}>{num(run.errorCount)}</a> : "0"}</td>
                  <td class="num">
                    <ErrorDelta run={run} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        </>
      ) : (
        <Empty>{status ? `No run is ${status}.` : "No runs yet."}</Empty>
      )}
      <Pager newer={page.newer ? href("/runs", { status, after: page.newer }) : null} older={page.older ? href("/runs", { status, before: page.older }) : null} />
    </section>
  </>
);
