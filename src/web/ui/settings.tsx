/** @jsxImportSource hono/jsx */
// Read-only pages about how the daemon is set up: the configuration in force, and the uploaders
// (SFTP accounts and API keys) — never showing a secret.
import type { Hono } from "hono";
import { ConfigPage } from "../../../views/config.tsx";
import { UploadersPage, type SftpAccountView } from "../../../views/uploaders.tsx";
import type { UiDeps, UiEnv } from "./context.ts";
import { groupViews } from "./model.tsx";

const SECRET_NAME = /pass|secret|token|credential|private|api.?key|^key$/i;

/** A copy of a settings value with anything under a secret-sounding name replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return "…";
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) ? "(hidden)" : redact(v, depth + 1)]));
  return value;
}

/** "ssh-ed25519 AAAA… comment" → type, OpenSSH SHA256 fingerprint, comment. */
export function keyFingerprint(line: string): { type: string; fingerprint: string; comment: string } {
  const parts = line.trim().split(/\s+/);
  const at = parts.findIndex((p) => /^AAAA[A-Za-z0-9+/=]+$/.test(p));
  if (at < 0) return { type: "unreadable key", fingerprint: "", comment: "" };
  const blob = Buffer.from(parts[at]!, "base64");
  const fingerprint = `SHA256:${new Bun.CryptoHasher("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
  return { type: parts[at - 1] ?? "key", fingerprint, comment: parts.slice(at + 1).join(" ").slice(0, 100) };
}

export function registerSettings(app: Hono<UiEnv>, deps: UiDeps): void {
  const { db } = deps.store;
  const { config } = deps;

  app.get("/config", async (c) => {
    const settings = await db.query<Record<string, any>>("SELECT key, value, updated_at, updated_by FROM settings ORDER BY key");
    return c.render(
      <ConfigPage
        source={config.source}
        database={deps.store.db.description}
        dataDir={config.dataDir}
        sync={config.sync}
        safety={redact(config.safety) as Record<string, unknown>}
        notifications={redact(config.notifications) as Record<string, unknown>}
        profile={config.profile}
        userTags={config.userTags}
        intake={{
          http: config.http.enabled ? `on ${config.listen}:${config.http.port}` : "off",
          sftp: config.sftp.enabled ? `on ${config.listen}:${config.sftp.port}` : "off",
          watch: config.watch.dir ?? "none",
        }}
        groups={await groupViews(db)}
        settings={settings.map((s) => ({ key: s.key, value: redact(s.value), updatedAt: s.updated_at, updatedBy: s.updated_by }))}
      />,
      { title: "Configuration", active: "config" },
    );
  });

  app.get("/uploaders", async (c) => {
    const accounts = await db.query<Record<string, any>>("SELECT name, password_hash IS NOT NULL AS has_password, public_keys, disabled, created_at FROM sftp_accounts ORDER BY name");
    const sftp: SftpAccountView[] = accounts.map((a) => ({
      name: a.name,
      from: "database",
      hasPassword: a.has_password,
      keys: (a.public_keys ?? []).map(keyFingerprint),
      disabled: a.disabled,
      createdAt: a.created_at,
    }));
    for (const a of config.sftp.accounts)
      sftp.push({ name: a.name, from: "usersync.json", hasPassword: !!a.passwordHash, keys: (a.publicKeys ?? []).map(keyFingerprint), disabled: !!a.disabled, createdAt: null });
    const keys = await db.query<Record<string, any>>(
      "SELECT name, key_prefix, scope, path_prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY revoked_at IS NOT NULL, created_at DESC",
    );
    return c.render(
      <UploadersPage
        sftp={sftp}
        keys={keys.map((k) => ({
          name: k.name,
          prefix: k.key_prefix,
          scope: k.scope,
          pathPrefix: k.path_prefix,
          createdAt: k.created_at,
          lastUsedAt: k.last_used_at,
          revokedAt: k.revoked_at,
        }))}
      />,
      { title: "Uploaders", active: "uploaders" },
    );
  });
}
