/** @jsxImportSource hono/jsx */
// The dashboard: did the last feed work, and what did it change — at a glance. Held runs that
// need a decision come first.
import type { FC } from "hono/jsx";
import type { RunView, UserFigures } from "../src/web/ui/data/runs.ts";
import { BarChart } from "./chart.tsx";
import { Badge, Empty, Figure, href, Notice, Time } from "./components.tsx";
import { num, when } from "./format.ts";
import { count, ErrorDelta, outcomeSentence, RunFigures, RunLine, runTitle, usersInFeed } from "./run-bits.tsx";

export interface DashboardProps {
  held: RunView[];
  inProgress: RunView[];
  last: RunView | null;
  recent: RunView[];
  users: UserFigures;
  lastFileAt: Date | null;
  schedule: string | null;
}

export const DashboardPage: FC<DashboardProps> = ({ held, inProgress, last, recent, users, lastFileAt, schedule }) => {
  // Failed runs read nothing, so they have no counts: they are left out of the count charts (not drawn as zero).
  const counted = recent.filter((r) => r.status !== "failure");
  const point = (r: RunView, value: number) => ({ runId: r.id, label: `${r.status}, ${when(r.createdAt)}`, value, applied: r.status === "complete" });
  const points = (value: (r: RunView) => number) => counted.map((r) => point(r, value(r)));
  const latest = [...recent].reverse().slice(0, 6);
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Dashboard</h1>
          <p class="muted">The health of the user feed. Times are UTC.</p>
        </div>
      </div>

      {held.length ? (
        <Notice tone="warn" title={`${held.length === 1 ? "A run is" : `${held.length} runs are`} held and need${held.length === 1 ? "s" : ""} a decision`}>
          <p>A safety check stopped {held.length === 1 ? "this run" : "these runs"} before anything was written. Review what tripped and what the run would change.</p>
          <ul>
            {held.map((run) => (
              <li>
                <a href={`/runs/${run.id}`}>{runTitle(run)}</a> <span class="muted">(<Time at={run.createdAt} relative />)</span>:{" "}
                {run.safety?.checks?.filter((c) => c.tripped).map((c) => c.message).join("; ") || outcomeSentence(run)}
              </li>
            ))}
          </ul>
        </Notice>
      ) : null}

      <div class="grid">
        <section class="card" aria-labelledby="last-run">
          <div class="card-head">
            <h2 id="last-run">Last run</h2>
            {last ? <a href={`/runs/${last.id}`}>Open run {last.id} →</a> : null}
          </div>
          {last ? (
            <>
              <RunLine run={last} />
              <p>
                <strong>{outcomeSentence(last)}</strong> {last.status === "failure" && last.message ? <span>{last.message}</span> : null}{" "}
                {last.previousErrors !== null ? (
                  <span class="small">
                    Errors against the previous run: <ErrorDelta run={last} />
                  </span>
                ) : null}
              </p>
              {["complete", "held", "dry-run"].includes(last.status) ? <RunFigures run={last} /> : null}
              <h3>Recent runs</h3>
              <div class="scroll">
                <table>
                  <tbody>
                    {latest.map((r) => (
                      <tr>
                        <td class="nowrap">
                          <a href={`/runs/${r.id}`}>Run {r.id}</a>
                        </td>
                        <td>
                          <Badge status={r.status} />
                        </td>
                        <td class="nowrap hide-sm">
                          <Time at={r.createdAt} />
                        </td>
                        <td class="num" title="errors">
                          {num(r.errorCount)} err. <ErrorDelta run={r} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : (
            <Empty>No run has read a feed yet. Runs appear here once files arrive (SFTP, the watched folder, the upload API or usersync apply).</Empty>
          )}
        </section>

        <section class="card" aria-labelledby="feed">
          <h2 id="feed">Feed</h2>
          <dl class="kv">
            <dt>Last file received</dt>
            <dd>{lastFileAt ? <Time at={lastFileAt} relative /> : <span class="muted">never</span>}</dd>
            <dt>Next file expected</dt>
            <dd>{schedule ?? <span class="muted">No schedule configured</span>}</dd>
            <dt>In progress</dt>
            <dd>
              {inProgress.length
                ? inProgress.map((r) => (
                    <div>
                      <a href={`/runs/${r.id}`}>Run {r.id}</a> <Badge status={r.status} /> <span class="muted small">{outcomeSentence(r)}</span>
                    </div>
                  ))
                : <span class="muted">nothing</span>}
            </dd>
          </dl>
          <h3>Users managed by the sync</h3>
          <dl class="figures">
            <Figure label="Managed" value={num(users.managed)} href="/users" />
            <Figure label="Active" value={num(users.active)} tone="ok" />
            <Figure label="Blocked by the sync" value={num(users.blockedSync)} href={href("/users", { state: "blocked-sync" })} />
            <Figure label="Blocked by an admin" value={num(users.blockedAdmin)} href={href("/users", { state: "blocked-admin" })} />
            <Figure label="Record rejected" value={num(users.inError)} href={href("/users", { state: "error" })} tone={users.inError ? "bad" : undefined} />
            <Figure label="Pending leavers" value={num(users.pending)} href={href("/users", { state: "pending" })} tone={users.pending ? "warn" : undefined} />
          </dl>
        </section>
      </div>

      <section class="card" aria-labelledby="trend">
        <div class="card-head">
          <h2 id="trend">The last {recent.length} runs</h2>
          <a href="/runs">All runs →</a>
        </div>
        {recent.length ? (
          <div class="charts">
            <BarChart title="Users in feed" points={points(usersInFeed)} colour="#1a5fb4" />
            <BarChart title="Created" points={points((r) => count(r, "create"))} colour="#1d7a3e" />
            <BarChart title="Updated" points={points((r) => count(r, "update"))} colour="#5b6675" />
            <BarChart title="Blocked" points={points((r) => count(r, "block"))} colour="#b26a00" />
            <BarChart title="Errors" points={recent.map((r) => point(r, r.errorCount))} colour="#b3261e" />
          </div>
        ) : (
          <Empty>The charts fill in as runs complete.</Empty>
        )}
        {recent.length ? (
          <p class="chart-note">
            Each bar is a run, oldest on the left; point at a bar for its figures, click it to open the run. Pale bars are runs that changed nothing (held or dry
            runs: what they would have done). Failed runs appear only in Errors.
          </p>
        ) : null}
      </section>
    </>
  );
};
