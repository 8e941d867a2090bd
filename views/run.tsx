/** @jsxImportSource hono/jsx */
// One run: what it did (or would do), why it was held, its files, and its first errors.
import type { FC } from "hono/jsx";
import type { ProgressState } from "../src/engine/progress.ts";
import type { LogLineView } from "../src/web/ui/data/log.ts";
import type { RunFileView, RunView } from "../src/web/ui/data/runs.ts";
import { Badge, Empty, href, Notice, Time } from "./components.tsx";
import { bytes, duration, num } from "./format.ts";
import { LogTable } from "./log-table.tsx";
import { count, ErrorDelta, outcomeSentence, RunFigures, runTitle, SafetyVerdict } from "./run-bits.tsx";

export interface RunPageProps {
  run: RunView;
  files: RunFileView[];
  logLines: number;
  firstErrors: LogLineView[];
  planPreview: LogLineView[];
  /** the actions this run's state allows, for an admin (empty for a viewer) */
  actions?: { action: string; label: string; danger?: boolean }[];
  /** where the apply is now, for a run this process is applying */
  progress?: (ProgressState & { elapsed: number; phaseElapsed: number }) | null;
}

/** The phases of a run (src/engine/progress.ts), in order, in words. */
const PHASES: [ProgressState["phase"], string][] = [
  ["read", "Reading and mapping the files"],
  ["classify", "Working out what changes"],
  ["prepare", "Preparing each change"],
  ["check", "Safety checks"],
  ["apply", "Writing users, profiles and groups"],
  ["events", "Writing the log"],
  ["maintain", "Updating the database's statistics"],
];

export const RunProgress: FC<{ progress: NonNullable<RunPageProps["progress"]> }> = ({ progress }) => {
  const current = PHASES.findIndex(([phase]) => phase === progress.phase);
  const seconds = (s: number) => duration(Math.round(s * 1000));
  return (
    <section class="card" aria-labelledby="progress">
      <div class="card-head">
        <h2 id="progress">Progress</h2>
        <span class="small muted">{seconds(progress.elapsed)} so far · this page reloads itself</span>
      </div>
      <ol class="progress-phases">
        {PHASES.map(([phase, label], i) => {
          const took = progress.timings[phase];
          if (i < current) return <li class="done">{label} <span class="muted small">({took === undefined ? "skipped" : seconds(took)})</span></li>;
          if (i > current) return <li class="muted">{label}</li>;
          return (
            <li aria-current="step">
              <strong>{label}</strong>
              {progress.file ? ` — file ${progress.file}` : ""}
              {progress.done ? (
                <span>
                  {" "}— {num(progress.done)}
                  {progress.total ? ` of ${num(progress.total)}` : ""} {progress.phase === "read" ? "records" : "rows"}
                  {progress.rate ? `, ${num(Math.round(progress.rate))} a second` : ""}
                </span>
              ) : null}{" "}
              <span class="muted small">({seconds(progress.phaseElapsed)})</span>
            </li>
          );
        })}
      </ol>
    </section>
  );
};

const fileHref = (runId: number, name: string) => `/runs/${runId}/files/${encodeURIComponent(name)}`;

export const RunTabs: FC<{ run: RunView; active: "summary" | "log"; logLines?: number }> = ({ run, active, logLines }) => (
  <nav class="facets" aria-label="Run pages">
    <a href={`/runs/${run.id}`} aria-current={active === "summary" ? "true" : undefined}>
      Summary
    </a>
    <a href={`/runs/${run.id}/log`} aria-current={active === "log" ? "true" : undefined}>
      Log{logLines !== undefined ? ` (${num(logLines)} lines)` : ""}
    </a>
    <a href={`/runs/${run.id}/errors.csv`}>Errors as CSV</a>
  </nav>
);

export const RunHead: FC<{ run: RunView }> = ({ run }) => (
  <div class="page-head">
    <div>
      <div class="crumbs">
        <a href="/runs">Runs</a> /
      </div>
      <h1>
        {runTitle(run)} <Badge status={run.status} />
      </h1>
      <p class="muted">
        from {run.source ?? "?"} · created <Time at={run.createdAt} relative />
      </p>
    </div>
  </div>
);

const PLAN_ACTIONS = [
  ["create", "create"],
  ["update", "update"],
  ["unblock", "unblock"],
  ["block", "block"],
  ["pendingLeaver", "pending-leaver"],
] as const;

export const RunActions: FC<{ run: RunView; actions: { action: string; label: string; danger?: boolean }[] }> = ({ run, actions }) =>
  actions.length ? (
    <section class="card" aria-labelledby="actions">
      <h2 id="actions">Actions</h2>
      <div class="actions run-actions">
        {actions.map((a) => (
          <a class={`button${a.danger ? " danger" : a.action === "approve" || a.action === "apply" ? "" : " secondary"}`} href={`/runs/${run.id}/confirm/${a.action}`}>
            {a.label}
          </a>
        ))}
      </div>
      <p class="muted small">Each asks you to confirm first.</p>
    </section>
  ) : null;

export const RunPage: FC<RunPageProps> = ({ run, files, logLines, firstErrors, planPreview, actions = [], progress }) => {
  const tone = run.status === "complete" ? (run.errorCount ? "warn" : "ok") : run.status === "failure" || run.status === "rejected" ? "bad" : run.status === "held" ? "warn" : "info";
  const showPlan = run.status === "held" || run.status === "dry-run";
  const planTotal = PLAN_ACTIONS.reduce((sum, [key]) => sum + count(run, key), 0);
  return (
    <>
      <RunHead run={run} />
      <RunTabs run={run} active="summary" logLines={logLines} />

      <Notice tone={tone}>
        <p>
          <strong>{outcomeSentence(run)}</strong>
        </p>
        {/* a failure's reason; on a queued run, the failed attempt and when the daemon tries it again */}
        {(run.status === "failure" || run.status === "queued") && run.message ? <p>{run.message}</p> : null}
        {run.status === "held" ? (
          <p>
            A safety check tripped, so nothing was written. The checks below say what they found; the plan says exactly what applying
            this run would change.
          </p>
        ) : null}
      </Notice>

      {progress ? <RunProgress progress={progress} /> : null}

      <RunActions run={run} actions={actions} />

      {Object.keys(run.counts).length ? (
        <section class="card" aria-labelledby="counts">
          <div class="card-head">
            <h2 id="counts">{showPlan ? "What it would do" : "What it did"}</h2>
            <span class="small">
              Errors against the previous run: <ErrorDelta run={run} />
            </span>
          </div>
          <RunFigures run={run} />
        </section>
      ) : null}

      {run.safety?.checks?.length || run.status === "held" ? (
        <section class="card" aria-labelledby="safety">
          <h2 id="safety">Safety checks</h2>
          <SafetyVerdict safety={run.safety} status={run.status} />
        </section>
      ) : null}
      {showPlan ? (
        <section class="card" aria-labelledby="plan">
          <div class="card-head">
            <h2 id="plan">The plan: what applying this run would change</h2>
            <a href={href(`/runs/${run.id}/log`, { changes: 1 })}>Whole plan in the log →</a>
          </div>
          <ul class="facets">
            {PLAN_ACTIONS.map(([key, action]) => (
              <li>
                <a href={href(`/runs/${run.id}/log`, { action, changes: 1 })}>
                  {action} ({num(count(run, key))})
                </a>
              </li>
            ))}
          </ul>
          {planPreview.length ? <LogTable lines={planPreview} /> : <Empty>Nothing would change.</Empty>}
          {planPreview.length ? (
            <p class="muted small">
              {planPreview.length < planTotal ? `The first ${planPreview.length} of ${num(planTotal)} changes` : `All ${planTotal} changes`}; open “changes” under a
              line to see each field before and after.
            </p>
          ) : null}
        </section>
      ) : null}
      <div class="grid two">
        <section class="card" aria-labelledby="details">
          <h2 id="details">Details</h2>
          <dl class="kv">
            <dt>Status</dt>
            <dd>
              <Badge status={run.status} />
              {run.dryRun && run.status !== "dry-run" ? " (dry run)" : ""}
            </dd>
            <dt>Kind</dt>
            <dd>
              {run.kind}
              {run.basedOnRunId ? (
                <>
                  {" "}
                  of <a href={`/runs/${run.basedOnRunId}`}>run {run.basedOnRunId}</a>
                </>
              ) : null}
            </dd>
            <dt>Control file</dt>
            <dd>{run.controlFileId ? <a href={`/control/${run.controlFileId}`}>version {run.controlFileId}</a> : <span class="muted">–</span>}</dd>
            <dt>Created</dt>
            <dd>
              <Time at={run.createdAt} seconds />
            </dd>
            <dt>Started</dt>
            <dd>
              <Time at={run.startedAt} seconds />
            </dd>
            <dt>Applied</dt>
            <dd>
              <Time at={run.appliedAt} seconds />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time at={run.finishedAt} seconds /> {run.durationMs !== null ? <span class="muted">({duration(run.durationMs)})</span> : null}
            </dd>
            {run.approvedBy ? (
              <>
                <dt>Decided by</dt>
                <dd>
                  {run.approvedBy} <Time at={run.approvedAt} />
                </dd>
              </>
            ) : null}
            {run.message ? (
              <>
                <dt>Message</dt>
                <dd>{run.message}</dd>
              </>
            ) : null}
            {run.safety?.checks?.length ? null : (
              <>
                <dt>Safety checks</dt>
                <dd class="muted">none recorded</dd>
              </>
            )}
          </dl>
        </section>
        <section class="card" aria-labelledby="errors">
          <div class="card-head">
            <h2 id="errors">Errors</h2>
            {run.errorCount ? (
              <span class="actions">
                <a href={href(`/runs/${run.id}/log`, { level: "error" })}>All {num(run.errorCount)} →</a>
                <a class="button secondary" href={`/runs/${run.id}/errors.csv`}>
                  CSV
                </a>
              </span>
            ) : null}
          </div>
          {firstErrors.length ? <LogTable lines={firstErrors} /> : <Empty>No errors.</Empty>}
        </section>
      </div>


      <section class="card" aria-labelledby="files">
        <h2 id="files">Files</h2>
        {files.length ? (
          <div class="scroll">
            <table class="stack">
              <thead>
                <tr>
                  <th>Name</th>
                  <th class="hide-sm">Uploaded as</th>
                  <th class="num">Size</th>
                  <th class="hide-sm">SHA-256</th>
                  <th class="hide-sm">Via</th>
                  <th>Against the previous</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {files.map((f) => (
                  <tr>
                    <td>
                      <code>{f.name}</code>
                    </td>
                    <td class="hide-sm wrap">{f.originalFilename ?? "–"}</td>
                    <td class="num" data-label="Size">{bytes(f.size)}</td>
                    <td class="hide-sm">
                      <code title={f.digest}>{f.digest.slice(0, 12)}…</code>
                    </td>
                    <td class="hide-sm">
                      {f.uploadedVia ?? "–"}
                      {f.uploadedBy ? ` (${f.uploadedBy})` : ""}
                    </td>
                    <td>
                      {f.previous ? (
                        f.previous.digest === f.digest ? (
                          <span class="muted">identical to run {f.previous.runId}</span>
                        ) : (
                          <a href={`${fileHref(run.id, f.name)}/diff`}>changes since run {f.previous.runId}</a>
                        )
                      ) : (
                        <span class="muted">first of its name</span>
                      )}
                    </td>
                    <td>
                      <a class="button secondary" href={fileHref(run.id, f.name)} download>
                        Download
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>This run has no files yet.</Empty>
        )}
      </section>

    </>
  );
};
