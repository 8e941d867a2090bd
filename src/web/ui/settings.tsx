/** @jsxImportSource hono/jsx */
// Read-only pages about how the daemon is set up: the configuration in force, and the uploaders
// (SFTP accounts and API keys) — never showing a secret.
import type { Hono } from "hono";
import { ConfigPage, SAFETY_FORM, type ConfigFormProps } from "../../../views/config.tsx";
import type { Config } from "../../config/index.ts";
import { checkOverrides, readOverrides, saveOverrides, withOverrides, type ConfigOverrides } from "../../config/overrides.ts";
import { applyConfigGroups, resolveSafetySettings } from "../../engine/index.ts";
import { parseJsonWithPosition } from "../../util/json.ts";
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

  const renderConfig = async (c: UiContext, form: Omit<ConfigFormProps, "csrf"> | null, status: 200 | 400 = 200) => {
    const overrides = await readOverrides(db);
    const effective = withOverrides(config, overrides);
    const settings = await db.query<Record<string, any>>("SELECT key, value, updated_at, updated_by FROM settings ORDER BY key");
    c.status(status);
    return c.render(
      <ConfigPage
        source={effective.source}
        database={deps.store.db.description}
        dataDir={effective.dataDir}
        sync={effective.sync}
        safety={redact(effective.safety) as Record<string, unknown>}
        notifications={redact(effective.notifications) as Record<string, unknown>}
        profile={effective.profile}
        userTags={effective.userTags}
        intake={{
          http: effective.http.enabled ? `on ${effective.listen}:${effective.http.port}` : "off",
          sftp: effective.sftp.enabled ? `on ${effective.listen}:${effective.sftp.port}` : "off",
          watch: effective.watch.dir ?? "none",
        }}
        groups={await groupViews(db)}
        settings={settings.map((s) => ({ key: s.key, value: redact(s.value), updatedAt: s.updated_at, updatedBy: s.updated_by }))}
        form={isAdmin(c) ? { csrf: viewerOf(c).csrfToken, ...(form ?? { values: formValues(effective), errors: {}, general: [] }) } : null}
      />,
      { title: "Configuration", active: "config" },
    );
  };

  app.get("/config", (c) => renderConfig(c, null));

  app.post("/config", async (c) => {
    const body = await c.req.parseBody();
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === "string" && k !== "_csrf") values[k] = v;
    const { overrides, errors } = overridesFromForm(values);
    for (const problem of checkOverrides(overrides)) {
      const path = problem.slice(0, problem.indexOf(":"));
      const field = fieldOf(path, values);
      (errors[field] ??= []).push(problem);
    }
    if (Object.keys(errors).length) {
      const general = errors[""] ?? [];
      delete errors[""];
      return renderConfig(c, { values, errors, general: general.length || Object.keys(errors).length ? ["Nothing was saved: correct the settings marked below.", ...general] : [] }, 400);
    }
    const before = await readOverrides(db);
    const by = viewerOf(c).username;
    await saveOverrides(db, overrides, by);
    // what changed against the settings in force before (usersync.json's, or earlier overrides)
    const [was, now] = [withOverrides(config, before), withOverrides(config, overrides)];
    const section = (c: Config, k: keyof ConfigOverrides) => (k === "sync" ? { autoApply: c.sync.autoApply } : k === "safety" ? resolveSafetySettings(c.safety) : c[k]);
    const changed = (Object.keys(overrides) as (keyof ConfigOverrides)[]).filter((k) => JSON.stringify(section(was, k)) !== JSON.stringify(section(now, k)));
    await audit(db, {
      actor: by,
      action: "config-changed",
      target: "settings config.overrides",
      detail: {
        changed,
        before: redact(Object.fromEntries(changed.map((k) => [k, section(was, k)]))),
        after: redact(Object.fromEntries(changed.map((k) => [k, section(now, k)]))),
      } as Record<string, unknown>,
    });
    if (deps.onSettingsChanged) await deps.onSettingsChanged();
    else await applyConfigGroups(db, withOverrides(config, overrides).groups);
    return redirectWithFlash(c, "/config", "ok", changed.length ? `Settings saved (${changed.join(", ")}); they apply from the next run.` : "Settings saved; nothing had changed.");
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

/** The form's fields for the settings in force. */
function formValues(config: Config): Record<string, string> {
  const values: Record<string, string> = { "sync.autoApply": String(config.sync.autoApply) };
  const safety = resolveSafetySettings(config.safety) as unknown as Record<string, Record<string, unknown>>;
  for (const c of SAFETY_FORM) {
    const check = safety[c.check] ?? {};
    if (check.enabled) values[`safety.${c.check}.enabled`] = "1";
    for (const n of c.numbers) values[`safety.${c.check}.${n.name}`] = String(check[n.name] ?? "");
    if (c.onTrip) values[`safety.${c.check}.onTrip`] = String(check.onTrip ?? "hold-run");
  }
  values.notifications = JSON.stringify(config.notifications ?? {}, null, 2);
  values.groups = JSON.stringify(config.groups ?? [], null, 2);
  return values;
}

/**
 * The overrides a posted form means. Numbers that are not numbers are kept as text, so that the
 * schema's own message reaches the field; JSON that does not parse is a field error with its line
 * and column.
 */
function overridesFromForm(values: Record<string, string>): { overrides: ConfigOverrides; errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const autoApply = values["sync.autoApply"];
  const safety: Record<string, Record<string, unknown>> = {};
  for (const c of SAFETY_FORM) {
    const check: Record<string, unknown> = { enabled: values[`safety.${c.check}.enabled`] === "1" };
    for (const n of c.numbers) {
      const raw = (values[`safety.${c.check}.${n.name}`] ?? "").trim();
      if (raw !== "") check[n.name] = Number.isFinite(Number(raw)) ? Number(raw) : raw;
    }
    if (c.onTrip && values[`safety.${c.check}.onTrip`]) check.onTrip = values[`safety.${c.check}.onTrip`];
    safety[c.check] = check;
  }
  const json = (name: "notifications" | "groups") => {
    const parsed = parseJsonWithPosition(values[name] ?? "");
    if (parsed.ok) return parsed.value;
    errors[name] = [`/${name}: ${parsed.error} (line ${parsed.line}, column ${parsed.column})`];
    return undefined;
  };
  const notifications = json("notifications");
  const groups = json("groups");
  const overrides: ConfigOverrides = {
    sync: { autoApply: autoApply === "false" ? false : autoApply === "true" ? true : (autoApply as unknown as boolean) },
    safety: safety as ConfigOverrides["safety"],
    ...(notifications === undefined ? {} : { notifications: notifications as ConfigOverrides["notifications"] }),
    ...(groups === undefined ? {} : { groups: groups as ConfigOverrides["groups"] }),
  };
  return { overrides, errors };
}

/** The form field a problem's JSON path belongs to ("" for none). */
function fieldOf(path: string, values: Record<string, string>): string {
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "notifications" || parts[0] === "groups") return parts[0];
  if (parts[0] === "sync") return "sync.autoApply";
  if (parts[0] === "safety" && parts.length >= 3 && `safety.${parts[1]}.${parts[2]}` in values) return `safety.${parts[1]}.${parts[2]}`;
  if (parts[0] === "safety" && parts.length >= 2) return `safety.${parts[1]}`;
  return "";
}
