// Webhook POSTs: Haplo's monitoring endpoint (form fields hostname, status, syncTime, errors,
// errorDelta, reference §6.9) or the same as JSON with the counts and the new problems.
import type { NotificationsConfig } from "../config/index.ts";
import { readSecret } from "./secrets.ts";

export type WebhookSettings = NonNullable<NotificationsConfig["webhooks"]>[number];

export class WebhookError extends Error {}

/** POSTs `form` (format "form") or `json` (format "json"); throws unless the endpoint answers 2xx. */
export async function postWebhook(
  hook: WebhookSettings,
  bodies: { form: Record<string, string>; json: unknown },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const headers: Record<string, string> = { "user-agent": "usersync" };
  if (hook.token) {
    const token = readSecret(hook.token, `webhook ${hostOf(hook.url)} token`, env);
    headers.authorization = hook.user ? `Basic ${Buffer.from(`${hook.user}:${token}`).toString("base64")}` : `Bearer ${token}`;
  }
  let body: string;
  if ((hook.format ?? "form") === "json") {
    headers["content-type"] = "application/json";
    body = JSON.stringify(bodies.json);
  } else {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(bodies.form).toString();
  }
  let response: Response;
  try {
    response = await fetch(hook.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(hook.timeoutMs ?? 10_000) });
  } catch (error) {
    throw new WebhookError(`POST to ${hostOf(hook.url)} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) throw new WebhookError(`POST to ${hostOf(hook.url)} answered HTTP ${response.status}`);
  return response.status;
}

/** The URL without credentials, path or query, for logs (a webhook URL may carry a secret in its path). */
export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(invalid URL)";
  }
}
