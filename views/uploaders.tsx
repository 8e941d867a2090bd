/** @jsxImportSource hono/jsx */
// Who may upload batch files: SFTP accounts and API keys. Read-only here; no secret is ever
// shown — for SFTP, whether a password is set and each key's fingerprint; for API keys, only the
// first characters that tell them apart.
import type { Child, FC } from "hono/jsx";
import { Badge, CsrfField, Empty, Time } from "./components.tsx";

export interface SftpAccountView {
  name: string;
  from: "database" | "usersync.json";
  hasPassword: boolean;
  keys: { type: string; fingerprint: string; comment: string }[];
  disabled: boolean;
  createdAt: Date | null;
}

export interface ApiKeyView {
  id: number;
  name: string;
  prefix: string;
  scope: string;
  pathPrefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What an admin gets on top of the lists: the forms, and the errors and values of a refused one. */
export interface UploadersAdmin {
  csrf: string;
  sftpErrors?: Record<string, string>;
  sftpValues?: { name: string; keys: string };
  keyErrors?: Record<string, string>;
  keyValues?: { name: string };
}

/** A small confirm step that needs no script: the button only appears once the summary is opened. */
export const DetailsConfirm: FC<{ summary: string; action: string; csrf: string; button: string; danger?: boolean; children?: Child }> = ({
  summary,
  action,
  csrf,
  button,
  danger,
  children,
}) => (
  <details class="confirm">
    <summary class={`button small-button ${danger ? "danger" : "secondary"}`}>{summary}</summary>
    <form method="post" action={action}>
      <CsrfField token={csrf} />
      {children}
      <button type="submit" class={danger ? "danger" : undefined}>
        {button}
      </button>
    </form>
  </details>
);

export const FieldError: FC<{ errors?: Record<string, string>; name: string }> = ({ errors, name }) =>
  errors?.[name] ? (
    <p class="field-error" id={`${name}-error`}>
      {errors[name]}
    </p>
  ) : null;

/** The page shown once, right after an API key is made: the only time its secret is ever shown. */
// (the prop is not called "key": JSX keeps that name for itself and never passes it on)
export const NewApiKeyPage: FC<{ id: number; name: string; secret: string }> = ({ id, name, secret }) => (
  <>
    <div class="page-head">
      <h1>API key created</h1>
    </div>
    <div class="notice warn">
      <p>
        <strong>Copy the key now: it is shown only this once.</strong> usersync keeps only its SHA-256, so it cannot show it again; if it is lost,
        revoke it and create another.
      </p>
    </div>
    <section class="card">
      <dl class="kv">
        <dt>Name</dt>
        <dd>{name}</dd>
        <dt>Number</dt>
        <dd>{id}</dd>
        <dt>Key</dt>
        <dd>
          <p class="secret" id="new-key">
            {secret}
          </p>
        </dd>
      </dl>
      <p class="muted">
        Uploaders send it as HTTP Basic credentials with the user name <code>haplo</code> (or an <code>X-Oneis-Key</code> header) to{" "}
        <code>/api/haplo-user-sync/</code>.
      </p>
      <p>
        <a class="button" href="/uploaders">
          Done
        </a>
      </p>
    </section>
  </>
);

export const UploadersPage: FC<{ sftp: SftpAccountView[]; keys: ApiKeyView[]; admin?: UploadersAdmin | null }> = ({ sftp, keys, admin }) => (
  <>
    <div class="page-head">
      <div>
        <h1>Uploaders</h1>
        <p class="muted">The accounts and keys that may upload batch files. Secrets are never shown.</p>
      </div>
    </div>
    <section class="card">
      <h2>SFTP accounts</h2>
      {sftp.length ? (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Account</th>
                <th>State</th>
                <th>Password</th>
                <th>Public keys</th>
                <th class="hide-sm">Defined in</th>
                <th class="hide-sm">Created</th>
                {admin ? <th></th> : null}
              </tr>
            </thead>
            <tbody>
              {sftp.map((a) => (
                <tr>
                  <td>
                    <code>{a.name}</code>
                  </td>
                  <td>{a.disabled ? <Badge status="cancelled" label="disabled" /> : <Badge status="complete" label="enabled" />}</td>
                  <td>{a.hasPassword ? "set" : <span class="muted">none</span>}</td>
                  <td class="wrap">
                    {a.keys.length
                      ? a.keys.map((k) => (
                          <div class="small">
                            {k.type} <code>{k.fingerprint}</code> {k.comment ? <span class="muted">{k.comment}</span> : null}
                          </div>
                        ))
                      : <span class="muted">none</span>}
                  </td>
                  <td class="hide-sm">{a.from}</td>
                  <td class="hide-sm">
                    <Time at={a.createdAt} />
                  </td>
                  {admin ? (
                    <td>
                      {a.from === "usersync.json" ? (
                        <span class="muted small">change it in usersync.json</span>
                      ) : a.disabled ? (
                        <DetailsConfirm summary="Enable…" action={`/uploaders/sftp/${encodeURIComponent(a.name)}/enable`} csrf={admin.csrf} button={`Enable ${a.name}`}>
                          <p class="small">{a.name} will be able to log in and upload again.</p>
                        </DetailsConfirm>
                      ) : (
                        <DetailsConfirm summary="Disable…" action={`/uploaders/sftp/${encodeURIComponent(a.name)}/disable`} csrf={admin.csrf} button={`Disable ${a.name}`} danger>
                          <p class="small">{a.name} will no longer be able to log in (at their next login). Their keys and password are kept.</p>
                        </DetailsConfirm>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>No SFTP accounts.</Empty>
      )}
      {admin ? (
        <details class="confirm" open={admin.sftpErrors ? true : undefined}>
          <summary class="button secondary">Add an SFTP account…</summary>
          <form method="post" action="/uploaders/sftp" id="add-sftp">
            <CsrfField token={admin.csrf} />
            <div class={`field${admin.sftpErrors?.name ? " bad" : ""}`}>
              <label for="sftp-name">Account name (an existing account gets the keys added, and the password replaced if you give one)</label>
              <input type="text" id="sftp-name" name="name" required maxLength={64} value={admin.sftpValues?.name ?? ""} />
              <FieldError errors={admin.sftpErrors} name="name" />
            </div>
            <div class={`field${admin.sftpErrors?.password ? " bad" : ""}`}>
              <label for="sftp-password">Password (at least 12 characters; stored only as an argon2id hash)</label>
              <input type="password" id="sftp-password" name="password" autocomplete="new-password" maxLength={1000} />
              <FieldError errors={admin.sftpErrors} name="password" />
            </div>
            <div class={`field${admin.sftpErrors?.keys ? " bad" : ""}`}>
              <label for="sftp-keys">OpenSSH public keys, one a line (the .pub file, or authorized_keys lines)</label>
              <textarea id="sftp-keys" name="keys" rows={3}>
                {admin.sftpValues?.keys ?? ""}
              </textarea>
              <FieldError errors={admin.sftpErrors} name="keys" />
            </div>
            <button type="submit">Save the account</button>
          </form>
        </details>
      ) : null}
    </section>
    <section class="card">
      <h2>API keys</h2>
      {keys.length ? (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Key starts with</th>
                <th>State</th>
                <th class="hide-sm">Scope</th>
                <th class="hide-sm">Created</th>
                <th>Last used</th>
                {admin ? <th></th> : null}
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.revokedAt ? <Badge status="cancelled" label="revoked" /> : <Badge status="complete" label="active" />}</td>
                  <td class="hide-sm">
                    {k.scope} <code>{k.pathPrefix}</code>
                  </td>
                  <td class="hide-sm">
                    <Time at={k.createdAt} />
                  </td>
                  <td>{k.lastUsedAt ? <Time at={k.lastUsedAt} relative /> : <span class="muted">never</span>}</td>
                  {admin ? (
                    <td>
                      {k.revokedAt ? null : (
                        <DetailsConfirm summary="Revoke…" action={`/uploaders/api-keys/${k.id}/revoke`} csrf={admin.csrf} button={`Revoke “${k.name}”`} danger>
                          <p class="small">Uploads with this key are refused from now on. This cannot be undone.</p>
                        </DetailsConfirm>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>No API keys.</Empty>
      )}
      {admin ? (
        <details class="confirm" open={admin.keyErrors ? true : undefined}>
          <summary class="button secondary">Create an API key…</summary>
          <form method="post" action="/uploaders/api-keys" id="create-key">
            <CsrfField token={admin.csrf} />
            <div class={`field${admin.keyErrors?.name ? " bad" : ""}`}>
              <label for="key-name">Name (who or what uploads with it)</label>
              <input type="text" id="key-name" name="name" required maxLength={100} value={admin.keyValues?.name ?? ""} />
              <FieldError errors={admin.keyErrors} name="name" />
            </div>
            <p class="muted small">The key is shown once, on the next page, and never again.</p>
            <button type="submit">Create the key</button>
          </form>
        </details>
      ) : null}
    </section>
  </>
);
