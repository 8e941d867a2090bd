/** @jsxImportSource hono/jsx */
// Read-only pages about how the daemon is set up: the configuration in force, and the uploaders
// (SFTP accounts and API keys) — never showing a secret.
import type { Hono } from "hono";
import { ConfigPage } from "../../../views/config.tsx";
import { NewApiKeyPage, UploadersPage, type SftpAccountView, type UploadersAdmin } from "../../../views/uploaders.tsx";
import { audit } from "../../batch/index.ts";
import { createApiKey, revokeApiKey } from "../../intake/api-keys.ts";
import { ACCOUNT_NAME, parsePublicKeys, setAccountDisabled, upsertAccount } from "../../intake/sftp/index.ts";
import { formField, intParam, isAdmin, viewerOf, type UiContext, type UiDeps, type UiEnv } from "./context.ts";
import { redirectWithFlash } from "./flash.ts";
import { notFound } from "./pages.tsx";
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

  const renderUploaders = async (c: UiContext, extra: Omit<UploadersAdmin, "csrf"> = {}, status: 200 | 400 = 200) => {
    const accounts = await db.query<Record<string, any>>("SELECT name, password_hash IS NOT NULL AS has_password, public_keys, disabled, created_at FROM sftp_accounts ORDER BY name");
    const sftp: SftpAccountView[] = accounts
      .filter((a) => !config.sftp.accounts.some((x) => x.name === a.name))
      .map((a) => ({
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
      "SELECT id, name, key_prefix, scope, path_prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY revoked_at IS NOT NULL, created_at DESC",
    );
    c.status(status);
    return c.render(
      <UploadersPage
        sftp={sftp}
        keys={keys.map((k) => ({
          id: Number(k.id),
          name: k.name,
          prefix: k.key_prefix,
          scope: k.scope,
          pathPrefix: k.path_prefix,
          createdAt: k.created_at,
          lastUsedAt: k.last_used_at,
          revokedAt: k.revoked_at,
        }))}
        admin={isAdmin(c) ? { csrf: viewerOf(c).csrfToken, ...extra } : null}
      />,
      { title: "Uploaders", active: "uploaders" },
    );
  };

  app.get("/uploaders", (c) => renderUploaders(c));

  // SFTP accounts: the same functions as `usersync sftp-user add|disable|enable` (intake/sftp/accounts.ts).
  app.post("/uploaders/sftp", async (c) => {
    const body = await c.req.parseBody();
    const text = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : "");
    const name = text("name").trim();
    const password = text("password");
    const keysText = text("keys");
    const errors: Record<string, string> = {};
    if (!ACCOUNT_NAME.test(name)) errors.name = "Letters, digits, _ . and - (up to 64, not starting with . or -).";
    else if (config.sftp.accounts.some((a) => a.name === name)) errors.name = `${name} is defined in usersync.json, which wins over the database: change it there.`;
    if (password && password.length < 12) errors.password = "The password must be at least 12 characters.";
    let keys: string[] = [];
    try {
      keys = parsePublicKeys(keysText, "The keys").map((k) => k.line);
    } catch (error) {
      errors.keys = error instanceof Error ? error.message : String(error);
    }
    if (!password && !keys.length && !errors.keys && !errors.password) errors.password = "Give a password, one or more public keys, or both.";
    if (Object.keys(errors).length) return renderUploaders(c, { sftpErrors: errors, sftpValues: { name, keys: keysText } }, 400);
    const passwordHash = password ? await Bun.password.hash(password, { algorithm: "argon2id" }) : undefined;
    const actor = viewerOf(c).username;
    const result = await upsertAccount(db, name, { publicKeys: keys, passwordHash });
    await audit(db, { actor, action: `sftp-account-${result}`, target: `sftp ${name}`, detail: { keysAdded: keys.length, passwordSet: passwordHash !== undefined, via: "ui" } });
    return redirectWithFlash(c, "/uploaders", "ok", `SFTP account ${name} ${result}${keys.length ? `, ${keys.length} key(s) added` : ""}${passwordHash ? ", password set" : ""}.`);
  });

  app.post("/uploaders/sftp/:name/:action", async (c) => {
    const name = c.req.param("name");
    const action = c.req.param("action");
    if (action !== "disable" && action !== "enable") return notFound(c, "There is no such action.");
    if (config.sftp.accounts.some((a) => a.name === name))
      return redirectWithFlash(c, "/uploaders", "bad", `${name} is defined in usersync.json: ${action} it there.`);
    if (!(await setAccountDisabled(db, name, action === "disable"))) return redirectWithFlash(c, "/uploaders", "bad", `There is no SFTP account ${name}.`);
    await audit(db, { actor: viewerOf(c).username, action: `sftp-account-${action}d`, target: `sftp ${name}`, detail: { via: "ui" } });
    return redirectWithFlash(c, "/uploaders", "ok", `SFTP account ${name} ${action}d.`);
  });

  // API keys: the same functions as `usersync api-key create|revoke` (intake/api-keys.ts).
  app.post("/uploaders/api-keys", async (c) => {
    const name = (await formField(c, "name")).trim();
    if (!name || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name))
      return renderUploaders(c, { keyErrors: { name: "Give the key a name (up to 100 characters): who or what uploads with it." }, keyValues: { name } }, 400);
    const { id, key } = await createApiKey(db, name);
    await audit(db, { actor: viewerOf(c).username, action: "api-key-created", target: `api key ${id}`, detail: { name, via: "ui" } });
    // shown in this answer only (never in a redirect, a cookie or a log); the page is not cached (no-store)
    return c.render(<NewApiKeyPage id={id} name={name} secret={key} />, { title: "API key created", active: "uploaders" });
  });

  app.post("/uploaders/api-keys/:id/revoke", async (c) => {
    const id = intParam(c.req.param("id"));
    if (!id) return notFound(c, "There is no such API key.");
    const count = await revokeApiKey(db, String(id));
    if (!count) return redirectWithFlash(c, "/uploaders", "bad", `API key ${id} does not exist or is already revoked.`);
    await audit(db, { actor: viewerOf(c).username, action: "api-key-revoked", target: `api key ${id}`, detail: { via: "ui" } });
    return redirectWithFlash(c, "/uploaders", "ok", `API key ${id} revoked: uploads with it are refused from now on.`);
  });
}
