/** @jsxImportSource hono/jsx */
// Control files: the current version, the history (which version processed which runs), one
// version, and the difference between two versions.
import type { Child, FC } from "hono/jsx";
import type { ControlHistoryRow, ControlVersion } from "../src/web/ui/data/control.ts";
import type { DiffRow } from "../src/web/ui/line-diff.ts";
import { Badge, Empty, href, Notice, Time } from "./components.tsx";
import { bytes, num } from "./format.ts";
import { LineDiff } from "./line-diff.tsx";

const short = (digest: string) => `${digest.slice(0, 10)}…`;

export const ControlVersionCard: FC<{ version: ControlVersion; pretty: string; current: boolean; runs: { id: number; status: string }[] }> = ({ version, pretty, current, runs }) => (
  <>
    <section class="card">
      <div class="card-head">
        <h2>
          Version {version.id} {current ? <Badge status="complete" label="current" /> : null}
        </h2>
        <a class="button secondary" href={`/control/${version.id}/download`}>
          Download
        </a>
      </div>
      <dl class="kv">
        <dt>Files a run needs</dt>
        <dd>
          {version.expectedFiles.map((f) => (
            <code>{f} </code>
          ))}
        </dd>
        <dt>Saved</dt>
        <dd>
          <Time at={version.createdAt} /> {version.uploadedBy ? `by ${version.uploadedBy}` : ""}
        </dd>
        <dt>Reason</dt>
        <dd>{version.comment ?? <span class="muted">–</span>}</dd>
        <dt>SHA-256</dt>
        <dd>
          <code>{version.digest}</code>
        </dd>
        <dt>Used by</dt>
        <dd>
          {runs.length
            ? runs.map((r, i) => (
                <>
                  {i ? ", " : ""}
                  <a href={`/runs/${r.id}`}>run {r.id}</a>
                </>
              ))
            : <span class="muted">no run yet</span>}
        </dd>
      </dl>
    </section>
    <section class="card">
      <h2>Content</h2>
      <pre class="code">{pretty}</pre>
    </section>
  </>
);

export const ControlPage: FC<{
  current: ControlVersion | null;
  currentPretty: string;
  currentRuns: { id: number; status: string }[];
  history: ControlHistoryRow[];
  /** the admin's forms (upload a version, try it), shown above the current version */
  forms?: Child;
}> = ({ current, currentPretty, currentRuns, history, forms }) => (
  <>
    <div class="page-head">
      <div>
        <h1>Control files</h1>
        <p class="muted">How the feed’s files map onto users. Every version is kept, and every run records the version it used.</p>
      </div>
    </div>
    {forms}
    {current ? (
      <ControlVersionCard version={current} pretty={currentPretty} current runs={currentRuns} />
    ) : (
      <Notice tone="info">
        <p>No control file has been made current yet.{history.length ? " The history below lists the versions runs have used." : ""}</p>
      </Notice>
    )}
    <section class="card">
      <h2>History</h2>
      {history.length ? (
        <form method="get" action="/control/diff">
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>From</th>
                  <th>To</th>
                  <th>Version</th>
                  <th>Saved</th>
                  <th class="hide-sm">SHA-256</th>
                  <th class="num hide-sm">Size</th>
                  <th>Runs</th>
                  <th class="hide-sm">Reason</th>
                </tr>
              </thead>
              <tbody>
                {history.map((v, i) => (
                  <tr>
                    <td>
                      <input type="radio" name="from" value={String(v.id)} checked={i === 1} aria-label={`compare from version ${v.id}`} />
                    </td>
                    <td>
                      <input type="radio" name="to" value={String(v.id)} checked={i === 0} aria-label={`compare to version ${v.id}`} />
                    </td>
                    <td>
                      <a href={`/control/${v.id}`}>version {v.id}</a> {v.current ? <Badge status="complete" label="current" /> : null}
                    </td>
                    <td class="nowrap">
                      <Time at={v.createdAt} />
                      {v.uploadedBy ? <div class="small muted">by {v.uploadedBy}</div> : null}
                    </td>
                    <td class="hide-sm">
                      <code title={v.digest}>{short(v.digest)}</code>
                    </td>
                    <td class="num hide-sm">{bytes(v.size)}</td>
                    <td>
                      {v.runs ? (
                        <>
                          {num(v.runs)} run{v.runs === 1 ? "" : "s"}: <a href={`/runs/${v.firstRunId}`}>{v.firstRunId}</a>
                          {v.lastRunId !== v.firstRunId ? (
                            <>
                              {" "}
                              to <a href={`/runs/${v.lastRunId}`}>{v.lastRunId}</a>
                            </>
                          ) : null}
                        </>
                      ) : (
                        <span class="muted">none</span>
                      )}
                    </td>
                    <td class="hide-sm wrap">{v.comment ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {history.length > 1 ? (
            <p>
              <button type="submit">Compare the two chosen versions</button>
            </p>
          ) : null}
        </form>
      ) : (
        <Empty>No control file has been used yet.</Empty>
      )}
    </section>
  </>
);

export const ControlDiffPage: FC<{ from: ControlVersion; to: ControlVersion; diff: { rows: DiffRow[]; added: number; removed: number } }> = ({ from, to, diff }) => (
  <>
    <div class="page-head">
      <div>
        <div class="crumbs">
          <a href="/control">Control files</a> /
        </div>
        <h1>
          Version {from.id} → version {to.id}
        </h1>
        <p class="muted">
          {num(diff.added)} line(s) added, {num(diff.removed)} removed (both pretty-printed, so only real changes show).{" "}
          <a href={href("/control/diff", { from: to.id, to: from.id })}>Swap</a>
        </p>
      </div>
    </div>
    <section class="card">{diff.added || diff.removed ? <LineDiff rows={diff.rows} /> : <Empty>The two versions have the same content.</Empty>}</section>
  </>
);
