/** @jsxImportSource hono/jsx */
// The admin's actions on a run — approve, reject, apply, cancel, re-apply, replay (a dry run
// against today's store), revert — each behind a confirmation page, each a form post with the
// CSRF token, each audited, each ending in a redirect with a one-time message. Every action calls
// the same function the command line (or the daemon) uses; this file only decides which actions
// a run's state allows, and words the answer.
import type { Hono } from "hono";
import { ConfirmPage } from "../../../views/confirm.tsx";
import { runHref } from "../../../views/components.tsx";
import { num } from "../../../views/format.ts";
import { cancelRun, queueApprovedRun, reapplyRun, ReapplyError, requestApply, RunStateError } from "../../batch/index.ts";
import { ApprovalError, rejectRun, replayRun, revertRun, RevertError, RunError } from "../../engine/index.ts";
import { preflightChecks } from "../../engine/safety.ts";
import { intParam, isAdmin, viewerOf, type UiContext, type UiDeps, type UiEnv } from "./context.ts";
import { getRun, type RunView } from "./data/runs.ts";
import { effectiveSettings } from "./effective.ts";
import { redirectWithFlash } from "./flash.ts";
import { notFound } from "./pages.tsx";

export const RUN_ACTIONS = ["approve", "reject", "apply", "cancel", "reapply", "replay", "revert"] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

export const RUN_ACTION_LABELS: Record<RunAction, string> = {
  approve: "Approve and apply",
  reject: "Reject",
  apply: "Apply",
  cancel: "Cancel",
  reapply: "Re-apply",
  replay: "Dry-run against today (replay)",
  revert: "Revert",
};

/** What a run's state allows. `hasControl`: the run has its _control file (re-apply and replay need it). */
export function allowedRunActions(run: Pick<RunView, "status" | "kind" | "appliedAt">, hasControl: boolean): RunAction[] {
  const out: RunAction[] = [];
  const s = run.status;
  if (s === "held") out.push("approve", "reject");
  // a ready run waits for a person (auto-apply off); a dry run's files can be applied as a new run
  if (s === "ready" || (s === "dry-run" && hasControl && run.kind !== "revert")) out.push("apply");
  if (["uploading", "ready", "queued", "held"].includes(s)) out.push("cancel");
  if (["complete", "failure", "cancelled", "rejected"].includes(s) && hasControl && run.kind !== "revert") out.push("reapply");
  if (hasControl && !["uploading", "queued", "running"].includes(s)) out.push("replay");
  if (run.appliedAt && s !== "running") out.push("revert");
  return out;
}

async function hasControlFile(deps: UiDeps, runId: number): Promise<boolean> {
  const rows = await deps.store.db.query("SELECT 1 FROM run_files WHERE run_id = $1 AND name = '_control'", [runId]);
  return rows.length > 0;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** The errors the run functions throw for a refused action: shown to the person, never a 500. */
const isRefusal = (error: unknown) =>
  error instanceof ApprovalError || error instanceof RevertError || error instanceof RunError || error instanceof ReapplyError || error instanceof RunStateError;

export function registerRunActions(app: Hono<UiEnv>, deps: UiDeps): void {
  const { store } = deps;

  const load = async (c: UiContext) => {
    const id = intParam(c.req.param("id"));
    const run = id ? await getRun(store.db, id) : null;
    const action = c.req.param("action") as RunAction;
    return { run, action, known: (RUN_ACTIONS as readonly string[]).includes(action) };
  };

  app.get("/runs/:id/confirm/:action", async (c) => {
    const { run, action, known } = await load(c);
    if (!run) return notFound(c, "There is no such run.");
    if (!known) return notFound(c, "There is no such action.");
    if (!isAdmin(c)) return c.text("Your account may look but not change anything (role: viewer).", 403);
    const back = runHref(run.id);
    if (!allowedRunActions(run, await hasControlFile(deps, run.id)).includes(action))
      return redirectWithFlash(c, back, "bad", `Run ${run.id} is ${run.status}: it cannot be ${pastTense(action)} now.`);
    const common = { action: `${back}/${action}`, csrf: viewerOf(c).csrfToken, cancel: back };
    const force = (what: string) => (
      <label class="check">
        <input type="checkbox" name="force" value="1" /> <span>{what}</span>
      </label>
    );
    const page = (() => {
      switch (action) {
        case "approve":
          return (
            <ConfirmPage
              title={`Approve run ${run.id}?`}
              button="Approve and apply"
              fields={force("Approve even if a newer run has been applied since (its newer data would be overwritten by this run’s older files)")}
              {...common}
            >
              <p>
                The run is queued and the daemon applies it: its files are planned again against the users <strong>as they are then</strong> (not the
                plan shown when it was held), the safety checks are recorded but no longer hold it, and the plan is applied. You are recorded as the
                person who approved it. A mistaken approval is undone with “Revert”.
              </p>
            </ConfirmPage>
          );
        case "reject":
          return (
            <ConfirmPage
              title={`Reject run ${run.id}?`}
              button="Reject the run"
              danger
              fields={
                <div class="field">
                  <label for="reason">Reason (kept in the run’s log)</label>
                  <input type="text" id="reason" name="reason" maxLength={500} />
                </div>
              }
              {...common}
            >
              <p>Nothing more of this run will ever be applied.</p>
              {run.appliedAt ? <p>Its safe part was applied when it was held and stays applied; “Revert” undoes it.</p> : null}
            </ConfirmPage>
          );
        case "apply":
          return run.status === "ready" ? (
            <ConfirmPage title={`Apply run ${run.id}?`} button="Apply" {...common}>
              <p>
                The run’s files are all in. It is checked first (the checks that need no plan: the first run, file sizes); if one trips, the run is held
                for a decision. Otherwise it is queued and the daemon applies it.
              </p>
            </ConfirmPage>
          ) : (
            <ConfirmPage title={`Apply the files of run ${run.id}?`} button="Apply as a new run" {...common}>
              <p>
                Run {run.id} was a dry run: it applied nothing. Its files — the same stored bytes and control file — are queued as a <strong>new run</strong>{" "}
                (a re-apply), planned against the users as they are then, and applied. As for any re-apply, the safety checks are recorded but do not
                hold it.
              </p>
            </ConfirmPage>
          );
        case "cancel":
          return (
            <ConfirmPage title={`Cancel run ${run.id}?`} button="Cancel the run" danger {...common}>
              <p>The run is marked cancelled and will never be applied. Its files stay stored, and the next upload starts a new run.</p>
            </ConfirmPage>
          );
        case "reapply":
          return (
            <ConfirmPage title={`Re-apply run ${run.id}?`} button="Re-apply as a new run" {...common}>
              <p>
                Its files — the same stored bytes, the same control file — are queued as a new run, planned against the users as they are then, and
                applied. The safety checks are recorded but do not hold it (a person asked for it). To see first what it would do, use “Dry-run against
                today” instead.
              </p>
            </ConfirmPage>
          );
        case "replay":
          return (
            <ConfirmPage title={`Replay run ${run.id} as a dry run?`} button="Run the dry run" {...common}>
              <p>
                Its files are run again, as a new run of kind “replay”, against the users <strong>as they are today</strong>, with the safety checks —
                and nothing is applied. The new run’s page then shows the plan, user by user. It runs now; a large feed takes a while.
              </p>
            </ConfirmPage>
          );
        case "revert":
          return (
            <ConfirmPage
              title={`Revert run ${run.id}?`}
              button="Revert"
              danger
              fields={force("Revert even if later runs (or people) changed some of the same users since — their later changes are undone too")}
              buttons={
                <button type="submit" name="mode" value="dry-run" class="secondary">
                  Show what it would do (dry run)
                </button>
              }
              {...common}
            >
              <p>
                Every user, profile, group membership and ledger entry this run changed is put back as it was before it; users it created are deleted.
                The revert is a run of its own, with its own log, so it can be reverted too. If later changes touched the same users it is refused and
                says which — unless you tick the box.
              </p>
            </ConfirmPage>
          );
      }
    })();
    return c.render(page, { title: `Confirm: ${action} run ${run.id}`, active: "runs" });
  });

  app.post("/runs/:id/:action", async (c) => {
    const { run, action, known } = await load(c);
    if (!run) return notFound(c, "There is no such run.");
    if (!known) return notFound(c, "There is no such action.");
    const back = runHref(run.id);
    const by = viewerOf(c).username;
    const actor = `ui:${by}`;
    const body = await c.req.parseBody();
    const field = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : "");
    const force = field("force") === "1";
    if (!allowedRunActions(run, await hasControlFile(deps, run.id)).includes(action))
      return redirectWithFlash(c, back, "bad", `Run ${run.id} is ${run.status}: it cannot be ${pastTense(action)}. Nothing was done.`);
    try {
      switch (action) {
        case "approve":
          await queueApprovedRun(store, run.id, { by, force });
          deps.onQueued?.();
          return redirectWithFlash(c, back, "ok", `Run ${run.id} approved: it is queued, and the daemon applies it next.`);
        case "reject": {
          const reason = field("reason").trim().slice(0, 500) || undefined;
          const { partlyApplied } = await rejectRun(store, run.id, { by, reason });
          return redirectWithFlash(
            c,
            back,
            "ok",
            `Run ${run.id} rejected.${partlyApplied ? " Its safe part, applied when it was held, stays: “Revert” undoes it." : " Nothing of it was applied."}`,
          );
        }
        case "apply": {
          if (run.status === "dry-run") {
            const newId = await reapplyRun(store, run.id, actor);
            deps.onQueued?.();
            return redirectWithFlash(c, runHref(newId), "ok", `The files of run ${run.id} are queued as run ${newId}; the daemon applies it next.`);
          }
          const { safety } = await effectiveSettings(deps);
          const result = await requestApply(store, { autoApply: true, preflight: (db, runId) => preflightChecks(db, runId, safety), actor });
          if (result.runId !== run.id) return redirectWithFlash(c, back, "bad", `Run ${run.id} is not the run waiting to be applied. Nothing was done.`);
          if (result.status === "ok") deps.onQueued?.();
          if (result.status === "unsafe") deps.onQueued?.(); // the worker plans it, held, so its page shows what it would do
          const text =
            result.status === "ok"
              ? `Run ${run.id} is queued; the daemon applies it next.`
              : result.status === "unsafe"
                ? `A safety check tripped: run ${run.id} is held. It is being planned, so that you can see what it would do and decide.`
                : `Run ${run.id} is not ready to apply (${result.status}). Nothing was done.`;
          return redirectWithFlash(c, back, result.status === "ok" ? "ok" : "warn", text);
        }
        case "cancel":
          await cancelRun(store, run.id, actor);
          return redirectWithFlash(c, back, "ok", `Run ${run.id} cancelled.`);
        case "reapply": {
          const newId = await reapplyRun(store, run.id, actor);
          deps.onQueued?.();
          return redirectWithFlash(c, runHref(newId), "ok", `Run ${run.id} is re-applied as run ${newId}; the daemon applies it next.`);
        }
        case "replay": {
          const { settings, safety } = await effectiveSettings(deps);
          const outcome = await replayRun(store, run.id, { settings, safety, source: "ui" });
          await store.db.query("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, 'run-replayed', $2, $3::text::jsonb)", [
            actor,
            `run ${run.id}`,
            JSON.stringify({ replayRun: outcome.runId, status: outcome.status }),
          ]);
          return redirectWithFlash(
            c,
            runHref(outcome.runId),
            outcome.status === "failure" ? "bad" : "ok",
            `Run ${outcome.runId} replays run ${run.id} against today’s users as a dry run: ${outcome.status}${outcome.message ? ` — ${outcome.message}` : ""}. Nothing was applied.`,
          );
        }
        case "revert": {
          const dryRun = field("mode") === "dry-run";
          const outcome = await revertRun(store, run.id, { by, dryRun, force, source: "ui" });
          const k = outcome.counts;
          const what = `${num(k.restored)} users put back, ${num(k.deleted)} deleted (created by run ${run.id}), ${num(k.recreated)} created again`;
          const conflicts = outcome.conflicts.length
            ? ` Later changes to the same users: ${outcome.conflicts.map((x) => `${num(x.users)} ${x.runId === null ? "outside the sync" : `by run ${x.runId}`}`).join(", ")}${dryRun ? " — a revert would be refused unless forced." : " — undone too (forced)."}`
            : "";
          return redirectWithFlash(
            c,
            runHref(outcome.runId),
            dryRun ? "info" : "ok",
            dryRun ? `Dry run of a revert of run ${run.id}: it would have ${what}. Nothing was changed.${conflicts}` : `Run ${run.id} reverted: ${what}.${conflicts}`,
          );
        }
      }
    } catch (error) {
      if (!isRefusal(error)) throw error;
      return redirectWithFlash(c, back, "bad", `${RUN_ACTION_LABELS[action]}: refused. ${message(error)}`);
    }
  });
}

function pastTense(action: RunAction): string {
  return { approve: "approved", reject: "rejected", apply: "applied", cancel: "cancelled", reapply: "re-applied", replay: "replayed", revert: "reverted" }[action];
}
