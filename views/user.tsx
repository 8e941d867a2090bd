/** @jsxImportSource hono/jsx */
// One user: why they are in their state (first), the actions an admin may take, the account,
// groups, profile, the sync's ledger, the log lines that named them, and the timeline of every
// distinct record received for them with what changed from one to the next.
import type { FC } from "hono/jsx";
import type { UserReport } from "../src/engine/index.ts";
import type { TimelineEntry, UserEvent } from "../src/web/ui/data/users.ts";
import type { FieldChange } from "../src/web/ui/record-diff.ts";
import { Badge, Empty, href, Notice, Time, userHref } from "./components.tsx";
import { FieldChanges } from "./file-diff.tsx";
import { num } from "./format.ts";

export interface ProfileLine {
  code: string;
  label: string;
  values: { text: string; qualifier?: string; ref?: number }[];
}

export interface TimelineItem {
  entry: TimelineEntry;
  /** null for the first record ever received */
  changes: FieldChange[] | null;
  mappedChanges: FieldChange[] | null;
}

export interface UserPageProps {
  username: string;
  report: UserReport | null;
  profile: ProfileLine[];
  events: UserEvent[];
  timeline: { items: TimelineItem[]; olderHref: string | null; newerHref: string | null; total: number };
  canChange: boolean;
  done?: string | null;
}

const STATE_TONE: Record<string, "ok" | "warn" | "bad" | "info"> = {
  active: "ok",
  "blocked-sync": "bad",
  "blocked-admin": "bad",
  "pending-leaver": "warn",
  "absent-active": "warn",
  "not-synced": "info",
  "not-synced-blocked": "bad",
};

const DONE: Record<string, string> = {
  reprocess: "Done: the user will be processed again in the next run, whatever their record says.",
  block: "Done: the account is blocked by an admin. The sync will not unblock it.",
  unblock: "Done: the account is active again.",
};

const Actions: FC<{ username: string; report: UserReport }> = ({ username, report }) => {
  const base = userHref(username);
  return (
    <div class="actions">
      {report.ledger && !report.ledger.error ? (
        <a class="button secondary" href={`${base}/confirm/reprocess`}>
          Re-process in the next run
        </a>
      ) : null}
      {report.user.active ? (
        <a class="button danger" href={`${base}/confirm/block`}>
          Block account
        </a>
      ) : (
        <a class="button" href={`${base}/confirm/unblock`}>
          Unblock account
        </a>
      )}
    </div>
  );
};

const Timeline: FC<{ items: TimelineItem[] }> = ({ items }) => (
  <ol class="timeline">
    {items.map(({ entry, changes, mappedChanges }) => (
      <li>
        <div>
          <span class="when">
            <Time at={entry.at} />
          </span>{" "}
          · <a href={`/runs/${entry.runId}`}>run {entry.runId}</a>
          {entry.fileName ? (
            <span class="muted">
              {" "}
              · {entry.fileName}
              {entry.recordNumber ? `, record ${entry.recordNumber}` : ""}
            </span>
          ) : null}
        </div>
        {changes === null ? (
          <p class="small">First record received.</p>
        ) : changes.length ? (
          <FieldChanges fields={changes} />
        ) : (
          <p class="small muted">Same data as before, in a different form.</p>
        )}
        {mappedChanges && mappedChanges.length ? (
          <details>
            <summary class="small">What the control file made of it: {num(mappedChanges.length)} change(s)</summary>
            <FieldChanges fields={mappedChanges} />
          </details>
        ) : null}
        <details>
          <summary class="small">Record as received</summary>
          <pre class="code">{JSON.stringify(entry.raw, null, 2)}</pre>
          {entry.mapped !== null && entry.mapped !== undefined ? (
            <>
              <p class="small muted">Mapped to:</p>
              <pre class="code">{JSON.stringify(entry.mapped, null, 2)}</pre>
            </>
          ) : null}
        </details>
      </li>
    ))}
  </ol>
);

export const UserPage: FC<UserPageProps> = ({ username, report, profile, events, timeline, canChange, done }) => {
  const u = report?.user;
  const name = u ? [u.title, u.nameFirst, u.nameLast].filter(Boolean).join(" ") : "";
  const stateRun = report?.ledger?.stateRunId;
  return (
    <>
      <div class="page-head">
        <div>
          <div class="crumbs">
            <a href="/users">Users</a> /
          </div>
          <h1>
            {username} {report ? <Badge status={report.state.code} /> : <Badge status="uploading" label="no account" />}
          </h1>
          {u ? (
            <p class="muted">
              {name || "no name"} · {u.email ?? "no email"}
            </p>
          ) : null}
        </div>
        {report && canChange ? <Actions username={username} report={report} /> : null}
      </div>

      {done && DONE[done] ? <Notice tone="ok">{DONE[done]}</Notice> : null}

      {report ? (
        <Notice tone={STATE_TONE[report.state.code] ?? "info"} title="Why this state">
          <p>{report.state.summary}</p>
          {report.state.details.length ? (
            <ul>
              {report.state.details.map((d) => (
                <li>{d}</li>
              ))}
            </ul>
          ) : null}
          {stateRun ? (
            <p class="small">
              <a href={href(`/runs/${stateRun}/log`, { user: username, changes: 1 })}>What run {stateRun} did to {username} →</a>
            </p>
          ) : null}
        </Notice>
      ) : (
        <Notice tone="info" title="No account">
          <p>There is no account named {username}. {timeline.total ? "Records were received for this username, though; see below and the log lines for why none was created." : ""}</p>
        </Notice>
      )}

      {report?.recentProblems.length ? (
        <Notice tone="bad" title={`Problems in run ${report.recentProblems[0]!.runId}`}>
          <ul>
            {report.recentProblems.map((p) => (
              <li>{p.message}</li>
            ))}
          </ul>
        </Notice>
      ) : null}

      {report && u ? (
        <div class="grid two">
          <section class="card" aria-labelledby="account">
            <h2 id="account">Account</h2>
            <dl class="kv">
              <dt>Username</dt>
              <dd>{u.username}</dd>
              <dt>User id</dt>
              <dd>{u.id}</dd>
              <dt>Name</dt>
              <dd>{name || <span class="muted">–</span>}</dd>
              <dt>Email</dt>
              <dd>{u.email ?? <span class="muted">–</span>}</dd>
              <dt>Account</dt>
              <dd>
                {u.active ? (
                  <Badge status="active" />
                ) : (
                  <>
                    <Badge status={u.blockedBy === "admin" ? "blocked-admin" : u.blockedBy === "sync" ? "blocked-sync" : "failure"} label={u.blockedBy ? undefined : "blocked"} />{" "}
                    {u.blockedAt ? <Time at={u.blockedAt} /> : null}
                  </>
                )}
              </dd>
              {Object.keys(u.tags).length ? (
                <>
                  <dt>Tags</dt>
                  <dd>
                    {Object.entries(u.tags).map(([k, v]) => (
                      <div>
                        <code>{k}</code> = {v}
                      </div>
                    ))}
                  </dd>
                </>
              ) : null}
              <dt>Created</dt>
              <dd>
                <Time at={u.createdAt} />
              </dd>
              <dt>Updated</dt>
              <dd>
                <Time at={u.updatedAt} />
              </dd>
            </dl>
          </section>

          <section class="card" aria-labelledby="profile">
            <h2 id="profile">Profile</h2>
            {report.profile ? (
              <>
                <p>
                  <strong>{report.profile.title || "(no title)"}</strong>{" "}
                  <span class="muted small">
                    · {report.profile.types.join(", ")} · object {report.profile.id}, version {report.profile.version}
                  </span>
                </p>
                <dl class="kv">
                  {profile.map((line) => (
                    <>
                      <dt title={line.code}>{line.label}</dt>
                      <dd>
                        {line.values.map((v) => (
                          <div>
                            {v.text}
                            {v.qualifier ? <span class="muted small"> ({v.qualifier})</span> : null}
                          </div>
                        ))}
                      </dd>
                    </>
                  ))}
                </dl>
              </>
            ) : (
              <Empty>No profile object.</Empty>
            )}
          </section>
          <section class="card" aria-labelledby="groups">
            <h2 id="groups">Groups</h2>
            {report.groups.length ? (
              <div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th>Group</th>
                      <th>Managed?</th>
                      <th>Added</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.groups.map((g) => (
                      <tr>
                        <td>
                          <code>{g.code}</code>
                          {g.title && g.title !== g.code ? <div class="small muted">{g.title}</div> : null}
                        </td>
                        <td>
                          {g.managed ? <Badge status="running" label="managed" /> : <Badge status="uploading" label="not managed" />}
                          <div class="small muted">{g.managed ? "follows the feed exactly" : "never removed by the sync"}</div>
                        </td>
                        <td class="small">
                          by {g.addedBy}
                          {g.addedRunId ? (
                            <>
                              {" "}
                              in <a href={`/runs/${g.addedRunId}`}>run {g.addedRunId}</a>
                            </>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <Empty>In no group.</Empty>
            )}
          </section>
          <section class="card" aria-labelledby="ledger">
            <h2 id="ledger">The sync’s ledger</h2>
            {report.ledger ? (
              <dl class="kv">
                <dt>In the latest feed</dt>
                <dd>{report.ledger.inFeed ? "yes" : "no"}</dd>
                <dt>Last record rejected</dt>
                <dd>{report.ledger.error ? <Badge status="failure" label="yes: processed again next run" /> : "no"}</dd>
                <dt>Absent runs in a row</dt>
                <dd>{report.ledger.absentRuns}</dd>
                <dt>Created by</dt>
                <dd>{report.ledger.createdRunId ? <a href={`/runs/${report.ledger.createdRunId}`}>run {report.ledger.createdRunId}</a> : "–"}</dd>
                <dt>Last changed by</dt>
                <dd>{report.ledger.lastRunId ? <a href={`/runs/${report.ledger.lastRunId}`}>run {report.ledger.lastRunId}</a> : "–"}</dd>
                <dt>State set by</dt>
                <dd>
                  {report.ledger.stateRunId ? <a href={`/runs/${report.ledger.stateRunId}`}>run {report.ledger.stateRunId}</a> : "–"}
                  {report.ledger.stateReason ? <span class="muted"> ({report.ledger.stateReason})</span> : null}
                </dd>
                <dt>Data digest</dt>
                <dd>
                  <code>{report.ledger.digest}</code>
                </dd>
              </dl>
            ) : (
              <p class="muted">Not in the ledger: the sync did not create this account and never changes or blocks it.</p>
            )}
          </section>


        </div>
      ) : null}

      <section class="card" aria-labelledby="events">
        <h2 id="events">What the sync did to {username}</h2>
        {events.length ? (
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Level</th>
                  <th>Log line</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e) => (
                  <tr>
                    <td class="nowrap">
                      <a href={href(`/runs/${e.runId}/log`, { user: username, changes: 1 })}>run {e.runId}</a>
                      {e.runStatus !== "complete" ? (
                        <div>
                          <Badge status={e.runStatus} />
                          {e.runStatus === "held" || e.runStatus === "dry-run" ? <span class="small muted"> not applied</span> : null}
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <span class={`badge ${e.level === "error" ? "bad" : e.level === "warn" ? "warn" : "outline"}`}>{e.level}</span>
                    </td>
                    <td class="wrap">{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>No run’s log names this user (unchanged users are not listed one by one).</Empty>
        )}
      </section>

      <section class="card" aria-labelledby="timeline">
        <div class="card-head">
          <h2 id="timeline">Received data</h2>
          <span class="muted small">{num(timeline.total)} distinct record(s), newest first</span>
        </div>
        {timeline.items.length ? <Timeline items={timeline.items} /> : <Empty>No record has been received for this username.</Empty>}
        {timeline.olderHref || timeline.newerHref ? (
          <nav class="pager" aria-label="Timeline pages">
            {timeline.newerHref ? <a href={timeline.newerHref}>← Newest</a> : <span class="disabled">← Newest</span>}
            {timeline.olderHref ? <a href={timeline.olderHref}>Older →</a> : <span class="disabled">Older →</span>}
          </nav>
        ) : null}
      </section>
    </>
  );
};
