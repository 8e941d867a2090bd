/** @jsxImportSource hono/jsx */
// Who may upload batch files: SFTP accounts and API keys. Read-only here; no secret is ever
// shown — for SFTP, whether a password is set and each key's fingerprint; for API keys, only the
// first characters that tell them apart.
import type { FC } from "hono/jsx";
import { Badge, Empty, Time } from "./components.tsx";

export interface SftpAccountView {
  name: string;
  from: "database" | "usersync.json";
  hasPassword: boolean;
  keys: { type: string; fingerprint: string; comment: string }[];
  disabled: boolean;
  createdAt: Date | null;
}

export interface ApiKeyView {
  name: string;
  prefix: string;
  scope: string;
  pathPrefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export const UploadersPage: FC<{ sftp: SftpAccountView[]; keys: ApiKeyView[] }> = ({ sftp, keys }) => (
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
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>No SFTP accounts.</Empty>
      )}
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
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>No API keys.</Empty>
      )}
    </section>
  </>
);
