/** @jsxImportSource hono/jsx */
// Pieces about runs used by several pages: the outcome in one sentence, the counts as figures,
// the change in errors against the previous run, and the safety verdict.
import type { FC } from "hono/jsx";
import type { RunView, SafetyVerdictView } from "../src/web/ui/data/runs.ts";
import { Badge, Figure, href, Time, valueText } from "./components.tsx";
import { duration, num, plural } from "./format.ts";

export function count(run: RunView, key: string): number {
  const v = run.counts[key];
  return typeof v === "number" ? v : 0;
}

/** Users in the feed: records with a usable, unique username. */
export function usersInFeed(run: RunView): number {
  return Math.max(0, count(run, "records") - count(run, "duplicates") - count(run, "noUsername"));
}

const KIND_LABEL: Record<string, string> = { feed: "feed", reapply: "re-apply", replay: "replay", revert: "revert" };

/** "Run 12 · re-apply of run 9 · from sftp" */
export function runTitle(run: RunView): string {
  const parts = [`Run ${run.id}`];
  if (run.kind !== "feed") parts.push(`${KIND_LABEL[run.kind] ?? run.kind}${run.basedOnRunId ? ` of run ${run.basedOnRunId}` : ""}`);
  return parts.join(" · ");
}

/** What the run did (or would do), in one sentence a newcomer understands. */
export function outcomeSentence(run: RunView): string {
  const changes = [
    [count(run, "create"), "created"],
    [count(run, "update"), "updated"],
    [count(run, "unblock"), "unblocked"],
    [count(run, "block"), "blocked"],
  ] as const;
  const did = changes.filter(([n]) => n > 0).map(([n, w]) => `${num(n)} ${w}`);
  const what = did.length ? did.join(", ") : "no changes";
  const errors = plural(run.errorCount, "error");
  switch (run.status) {
    case "complete":
      return `Applied: ${what}; ${errors}.`;
    case "held":
      return run.safety?.hold === "risky"
        ? `Held in part by a safety check — the safe part was applied; the risky part (blocks, group removals) waits for a decision. The whole plan: ${what}; ${errors}.`
        : `Held by a safety check — nothing was applied. It would have: ${what}; ${errors}.`;
    case "dry-run":
      return `Dry run — nothing was applied. It would: ${what}; ${errors}.`;
    case "failure":
      return "Failed — nothing was applied.";
    case "rejected":
      return `Rejected by ${run.approvedBy ?? "an admin"} — nothing was applied.`;
    case "cancelled":
      return "Cancelled — nothing was applied.";
    case "uploading":
      return "Waiting for its files.";
    case "ready":
      return "All files received; waiting to be applied.";
    case "queued":
      return "Waiting in the queue to be applied.";
    case "running":
      return "Being applied now.";
    default:
      return run.status;
  }
}

export const ErrorDelta: FC<{ run: RunView }> = ({ run }) => {
  if (run.previousErrors === null || !["complete", "failure", "held", "dry-run", "rejected"].includes(run.status)) return <span class="muted">–</span>;
  const d = run.errorCount - run.previousErrors;
  if (d === 0) return <span class="muted" title="the same as the previous run">±0</span>;
  return (
    <span class={d > 0 ? "delta-up" : "delta-down"} title={`${d > 0 ? "more" : "fewer"} errors than the previous run (${num(run.previousErrors)})`}>
      {d > 0 ? "+" : "−"}
      {num(Math.abs(d))}
    </span>
  );
};

export const RunFigures: FC<{ run: RunView }> = ({ run }) => {
  const log = (action: string) => href(`/runs/${run.id}/log`, { action, changes: 1 });
  return (
    <dl class="figures">
      <Figure label="Records" value={num(count(run, "records"))} />
      <Figure label="Created" value={num(count(run, "create"))} href={log("create")} tone={count(run, "create") ? "ok" : undefined} />
      <Figure label="Updated" value={num(count(run, "update"))} href={log("update")} />
      <Figure label="Unblocked" value={num(count(run, "unblock"))} href={log("unblock")} />
      <Figure label="Unchanged" value={num(count(run, "unchanged"))} />
      <Figure label="Blocked" value={num(count(run, "block"))} href={log("block")} tone={count(run, "block") ? "warn" : undefined} />
      <Figure label="Pending leavers" value={num(count(run, "pendingLeaver"))} href={log("pending-leaver")} />
      <Figure label="Rejected" value={num(count(run, "reject"))} href={href(`/runs/${run.id}/log`, { level: "error" })} tone={count(run, "reject") ? "bad" : undefined} />
      <Figure label="Errors" value={num(run.errorCount)} href={href(`/runs/${run.id}/log`, { level: "error" })} tone={run.errorCount ? "bad" : "ok"} />
    </dl>
  );
};

export const RunLine: FC<{ run: RunView }> = ({ run }) => (
  <p>
    <Badge status={run.status} /> <a href={`/runs/${run.id}`}>{runTitle(run)}</a> <span class="muted">· from {run.source ?? "?"} ·</span>{" "}
    <Time at={run.finishedAt ?? run.createdAt} relative />
    {run.durationMs !== null ? <span class="muted"> · took {duration(run.durationMs)}</span> : null}
  </p>
);

function figureText(v: unknown): string {
  return typeof v === "number" ? num(v) : valueText(v);
}

const TRIP_LABEL: Record<string, string> = { "hold-run": "holds the run", "hold-risky": "holds the risky part", warn: "warning only" };

function Figures({ values, label }: { values: Record<string, unknown> | undefined; label?: string }) {
  if (!values || !Object.keys(values).length) return null;
  return (
    <ul class="plain">
      {Object.entries(values).map(([k, v]) => (
        <li>
          <span class="muted">
            {label ? `${label} ` : ""}
            {k}:
          </span>{" "}
          <strong>{figureText(v)}</strong>
        </li>
      ))}
    </ul>
  );
}

export const SafetyVerdict: FC<{ safety: SafetyVerdictView | null; status: string }> = ({ safety, status }) => {
  if (!safety || !safety.checks?.length)
    return <p class="muted">{status === "held" ? "Held, but no check recorded why." : "No safety checks were recorded for this run."}</p>;
  return (
    <>
      {safety.hold === "risky" && safety.heldPart ? (
        <p>
          <strong>Held in part:</strong> the safe part of the plan was applied; waiting for a decision: {num(safety.heldPart.blocks)} blocks,{" "}
          {num(safety.heldPart.pendingLeavers)} pending leavers, and {num(safety.heldPart.usersWithGroupRemovals)} users whose update removes them from{" "}
          {num(safety.heldPart.groupRemovals)} managed group(s).
        </p>
      ) : null}
      {safety.approval ? (
        <p>
          Approved by <strong>{safety.approval.by}</strong> <Time at={safety.approval.at} />
          {safety.approval.held ? `; it had been held by: ${safety.approval.held.checks.filter((c) => c.tripped).map((c) => c.name).join(", ") || "—"}` : ""}.
        </p>
      ) : null}
      <div class="scroll">
        <table class="stack">
          <thead>
            <tr>
              <th>Check</th>
              <th>Result</th>
              <th>What it found</th>
              <th>Figures</th>
            </tr>
          </thead>
          <tbody>
            {safety.checks.map((check) => (
              <tr class={check.tripped ? "row-warn" : undefined}>
                <td class="nowrap">
                  <strong>{check.name}</strong>
                </td>
                <td>
                  {check.tripped ? <Badge status="held" label="tripped" /> : <Badge status="complete" label="passed" />}
                  {check.tripped && check.onTrip ? <div class="small muted">{TRIP_LABEL[check.onTrip] ?? check.onTrip}</div> : null}
                </td>
                <td class="wrap">{check.message}</td>
                <td class="small">
                  <Figures values={check.figures} />
                  <Figures values={check.bound} label="bound" />
                  {!check.figures && !check.bound ? <span class="muted">–</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
};
