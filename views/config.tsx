/** @jsxImportSource hono/jsx */
// The configuration as it is in force, and (for an admin) the form that changes auto-apply, the
// safety checks, the notifications and the groups. Secrets are never shown: values under names like password, secret, token or key are
// replaced before they reach this page.
import type { FC } from "hono/jsx";
import { CsrfField, Empty, Time, valueText } from "./components.tsx";
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
  /** the edit form, for an admin */
  form?: ConfigFormProps | null;
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
          In force now, from {p.source ? <code>{p.source}</code> : "the defaults (no usersync.json was found)"}, with the settings changed here over
          it (see “Stored settings”, <code>config.overrides</code>). The rest: change usersync.json and restart.
        </p>
      </div>
    </div>
    {p.form ? <ConfigForm {...p.form} /> : null}
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

/** One safety check's editable fields, in the form. */
export const SAFETY_FORM: { check: string; label: string; numbers: { name: string; label: string }[]; onTrip: readonly string[] | null }[] = [
  { check: "firstRun", label: "First run (nothing applied before)", numbers: [], onTrip: null },
  { check: "emptyFeed", label: "Empty or unusable feed", numbers: [], onTrip: ["hold-run", "hold-risky", "warn"] },
  {
    check: "blocks",
    label: "Blocks",
    numbers: [
      { name: "maxUsers", label: "at most this many users" },
      { name: "maxPercent", label: "at most this % of the feed" },
    ],
    onTrip: ["hold-run", "hold-risky", "warn"],
  },
  { check: "fileChange", label: "A file’s size or record count", numbers: [{ name: "maxPercent", label: "moves at most this %" }], onTrip: ["hold-run", "hold-risky", "warn"] },
  { check: "schemaDrift", label: "A field gone from a file", numbers: [], onTrip: ["hold-run", "warn"] },
  {
    check: "fieldChange",
    label: "Mass change of one field",
    numbers: [
      { name: "maxPercent", label: "at most this % of users" },
      { name: "minUsers", label: "never below this many users" },
    ],
    onTrip: ["hold-run", "warn"],
  },
  {
    check: "errors",
    label: "Rise in records with errors",
    numbers: [
      { name: "maxPercent", label: "at most this %" },
      { name: "minRecords", label: "never below this many records" },
    ],
    onTrip: ["hold-run", "hold-risky", "warn"],
  },
  {
    check: "duplicates",
    label: "Rise in duplicate usernames",
    numbers: [
      { name: "maxPercent", label: "at most this %" },
      { name: "minRecords", label: "never below this many records" },
    ],
    onTrip: ["hold-run", "hold-risky", "warn"],
  },
];

export interface ConfigFormProps {
  csrf: string;
  /** the values shown: the settings in force, or what was posted when it was refused */
  values: Record<string, string>;
  /** field name → problems ("/safety/blocks/maxPercent: must be <= 100") */
  errors: Record<string, string[]>;
  /** problems that belong to no one field */
  general: string[];
}

const Problems: FC<{ errors: Record<string, string[]>; name: string }> = ({ errors, name }) =>
  errors[name]?.length ? (
    <div class="field-error" id={`error-${name.replace(/\./g, "-")}`}>
      {errors[name]!.map((p) => (
        <div>{p}</div>
      ))}
    </div>
  ) : null;

/** The form that changes auto-apply, the safety checks, the notifications and the managed groups. */
export const ConfigForm: FC<ConfigFormProps> = ({ csrf, values, errors, general }) => {
  const bad = (name: string) => (errors[name]?.length ? "field bad" : "field");
  const open = Object.keys(errors).length > 0 || general.length > 0;
  return (
    <section class="card" id="edit">
      <h2>Change the settings</h2>
      <p class="muted">
        Saved in the database over usersync.json (each section you save replaces the file’s), checked against the same schema, and used from the next
        run on. Every change is in the audit log.
      </p>
      {general.length ? (
        <div class="notice bad" role="alert">
          {general.map((p) => (
            <p>{p}</p>
          ))}
        </div>
      ) : null}
      <details class="confirm" open={open ? true : undefined}>
        <summary class="button secondary">Edit…</summary>
        <form method="post" action="/config" id="config-form" class="confirm-form">
          <CsrfField token={csrf} />
          <div class={bad("sync.autoApply")}>
            <label for="sync-autoApply">Apply automatically when a run’s files are complete</label>
            <select id="sync-autoApply" name="sync.autoApply">
              <option value="true" selected={values["sync.autoApply"] === "true"}>
                yes
              </option>
              <option value="false" selected={values["sync.autoApply"] === "false"}>
                no: each run waits for an admin to apply it
              </option>
            </select>
            <Problems errors={errors} name="sync.autoApply" />
          </div>
          {SAFETY_FORM.map((c) => (
            <fieldset>
              <legend>{c.label}</legend>
              <label class="check">
                <input type="checkbox" name={`safety.${c.check}.enabled`} value="1" checked={values[`safety.${c.check}.enabled`] === "1"} /> <span>checked</span>
              </label>
              {c.numbers.map((n) => {
                const name = `safety.${c.check}.${n.name}`;
                return (
                  <div class={bad(name)}>
                    <label for={name.replace(/\./g, "-")}>{n.label}</label>
                    <input type="number" step="any" id={name.replace(/\./g, "-")} name={name} value={values[name] ?? ""} />
                    <Problems errors={errors} name={name} />
                  </div>
                );
              })}
              {c.onTrip ? (
                <div class={bad(`safety.${c.check}.onTrip`)}>
                  <label for={`safety-${c.check}-onTrip`}>when it trips</label>
                  <select id={`safety-${c.check}-onTrip`} name={`safety.${c.check}.onTrip`}>
                    {c.onTrip.map((o) => (
                      <option value={o} selected={values[`safety.${c.check}.onTrip`] === o}>
                        {o}
                      </option>
                    ))}
                  </select>
                </div>
              ) : null}
              <Problems errors={errors} name={`safety.${c.check}`} />
            </fieldset>
          ))}
          <div class={bad("notifications")}>
            <label for="notifications">Notifications (JSON, as usersync.json’s “notifications”; secrets only as {"{"}"env": …{"}"} or {"{"}"file": …{"}"})</label>
            <textarea id="notifications" name="notifications" rows={8}>
              {values.notifications ?? "{}"}
            </textarea>
            <Problems errors={errors} name="notifications" />
          </div>
          <div class={bad("groups")}>
            <label for="groups">Groups (JSON list, as usersync.json’s “groups”: code, title, managed, profileType, pastProfileType)</label>
            <textarea id="groups" name="groups" rows={8}>
              {values.groups ?? "[]"}
            </textarea>
            <Problems errors={errors} name="groups" />
          </div>
          <div class="actions">
            <button type="submit">Save the settings</button>
            <a class="button secondary" href="/config">
              Cancel
            </a>
          </div>
        </form>
      </details>
    </section>
  );
};
