/** @jsxImportSource hono/jsx */
// The configuration as it is in force: read-only here (editing comes with the configuration
// work). Secrets are never shown: values under names like password, secret, token or key are
// replaced before they reach this page.
import type { FC } from "hono/jsx";
import { Empty, Time, valueText } from "./components.tsx";
import { GroupsTable, type GroupView } from "./model.tsx";

export interface ConfigPageProps {
  source: string | null;
  database: string;
  dataDir: string;
  sync: { autoApply: boolean; onRecordError: string; blockAfterAbsentRuns: number };
  safety: Record<string, unknown>;
  notifications: Record<string, unknown>;
  profile: { defaultType: string; attributes: { code: string; type: string; description?: string }[]; qualifiers: string[] };
  userTags: string[];
  intake: { http: string; sftp: string; watch: string };
  groups: GroupView[];
  settings: { key: string; value: unknown; updatedAt: Date; updatedBy: string | null }[];
}

const Entries: FC<{ value: Record<string, unknown>; empty: string }> = ({ value, empty }) =>
  Object.keys(value).length ? (
    <dl class="kv">
      {Object.entries(value).map(([k, v]) => (
        <>
          <dt>
            <code>{k}</code>
          </dt>
          <dd>
            <code>{valueText(v)}</code>
          </dd>
        </>
      ))}
    </dl>
  ) : (
    <Empty>{empty}</Empty>
  );

export const ConfigPage: FC<ConfigPageProps> = (p) => (
  <>
    <div class="page-head">
      <div>
        <h1>Configuration</h1>
        <p class="muted">
          In force now, from {p.source ? <code>{p.source}</code> : "the defaults (no usersync.json was found)"}. Read-only here: change usersync.json and
          restart.
        </p>
      </div>
    </div>
    <div class="grid">
      <section class="card">
        <h2>Sync</h2>
        <dl class="kv">
          <dt>Apply automatically</dt>
          <dd>{p.sync.autoApply ? "yes: a run is applied as soon as its files are complete" : "no: each run waits for an admin to apply it"}</dd>
          <dt>A record with errors</dt>
          <dd>
            {p.sync.onRecordError === "keep"
              ? "keep: the user keeps their last good state and is processed again next run"
              : "block: the user is blocked (Haplo’s behaviour)"}
          </dd>
          <dt>Block leavers after</dt>
          <dd>
            {p.sync.blockAfterAbsentRuns} run{p.sync.blockAfterAbsentRuns === 1 ? "" : "s"} absent from the feed
            {p.sync.blockAfterAbsentRuns > 1 ? " (until then: pending leaver)" : ""}
          </dd>
        </dl>
      </section>
      <section class="card">
        <h2>Safety checks</h2>
        <Entries value={p.safety} empty="No thresholds set in usersync.json (safety): the defaults of the safety checks apply." />
      </section>
      <section class="card">
        <h2>Notifications</h2>
        <Entries value={p.notifications} empty="None configured." />
      </section>
      <section class="card">
        <h2>Where things are</h2>
        <dl class="kv">
          <dt>Database</dt>
          <dd>{p.database}</dd>
          <dt>Data folder</dt>
          <dd>
            <code>{p.dataDir}</code>
          </dd>
          <dt>Upload API (HTTP)</dt>
          <dd>{p.intake.http}</dd>
          <dt>SFTP server</dt>
          <dd>{p.intake.sftp}</dd>
          <dt>Watched folder</dt>
          <dd>{p.intake.watch}</dd>
        </dl>
      </section>
    </div>
    <section class="card">
      <h2>Groups</h2>
      <GroupsTable groups={p.groups} />
    </section>
    <section class="card">
      <h2>Profile</h2>
      <dl class="kv">
        <dt>Default profile type</dt>
        <dd>
          <code>{p.profile.defaultType}</code>
        </dd>
        <dt>Extra attributes</dt>
        <dd>
          {p.profile.attributes.length
            ? p.profile.attributes.map((a) => (
                <div>
                  <code>{a.code}</code> ({a.type}){a.description ? ` — ${a.description}` : ""}
                </div>
              ))
            : <span class="muted">none beyond the built-in person attributes</span>}
        </dd>
        <dt>User tags</dt>
        <dd>{p.userTags.length ? p.userTags.map((t) => <code>{t} </code>) : <span class="muted">none</span>}</dd>
        <dt>Extra qualifiers</dt>
        <dd>{p.profile.qualifiers.length ? p.profile.qualifiers.map((q) => <code>{q} </code>) : <span class="muted">none</span>}</dd>
      </dl>
    </section>
    <section class="card">
      <h2>Stored settings</h2>
      {p.settings.length ? (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
                <th>Changed</th>
              </tr>
            </thead>
            <tbody>
              {p.settings.map((s) => (
                <tr>
                  <td>
                    <code>{s.key}</code>
                  </td>
                  <td class="wrap">
                    <code>{valueText(s.value)}</code>
                  </td>
                  <td class="nowrap">
                    <Time at={s.updatedAt} />
                    {s.updatedBy ? <div class="small muted">by {s.updatedBy}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>None.</Empty>
      )}
    </section>
  </>
);
