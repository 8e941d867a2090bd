/** @jsxImportSource hono/jsx */
// Small pieces shared by the pages. Every value is rendered as text (hono/jsx escapes it); no
// component takes raw HTML.
import type { Child, FC } from "hono/jsx";
import { ago, isoOf, when } from "./format.ts";

/** The colour a run's or user's state is shown in. */
const STATUS_TONE: Record<string, string> = {
  complete: "ok",
  active: "ok",
  held: "warn",
  "dry-run": "info",
  running: "info",
  ready: "info",
  queued: "info",
  uploading: "idle",
  failure: "bad",
  rejected: "bad",
  cancelled: "idle",
  "blocked-sync": "bad",
  "blocked-admin": "bad",
  "pending-leaver": "warn",
  "absent-active": "warn",
  "not-synced": "idle",
  "not-synced-blocked": "bad",
};

const STATUS_LABEL: Record<string, string> = {
  "dry-run": "dry run",
  "blocked-sync": "blocked by the sync",
  "blocked-admin": "blocked by an admin",
  "pending-leaver": "pending leaver",
  "absent-active": "not in feed, active",
  "not-synced": "not managed by the sync",
  "not-synced-blocked": "blocked, not managed by the sync",
};

export const Badge: FC<{ status: string; label?: string }> = ({ status, label }) => (
  <span class={`badge ${STATUS_TONE[status] ?? ""}`}>{label ?? STATUS_LABEL[status] ?? status}</span>
);

export const Time: FC<{ at: Date | string | null | undefined; relative?: boolean; seconds?: boolean }> = ({ at, relative, seconds }) => {
  const iso = isoOf(at);
  if (!iso) return <span class="muted">–</span>;
  return (
    <time datetime={iso} title={`${iso} (UTC)`}>
      {when(at, seconds)}
      {relative ? <span class="muted"> · {ago(at)}</span> : null}
    </time>
  );
};

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

export const Notice: FC<{ tone: "ok" | "warn" | "bad" | "info"; title?: string; children?: Child }> = ({ tone, title, children }) => (
  <div class={`notice ${tone}`} role={tone === "bad" ? "alert" : undefined}>
    {title ? <h2>{title}</h2> : null}
    {children}
  </div>
);

export const Figure: FC<{ label: string; value: Child; tone?: string; href?: string }> = ({ label, value, tone, href }) => (
  <div class={`figure ${tone ?? ""}`}>
    <dt>{label}</dt>
    <dd>{href ? <a href={href}>{value}</a> : value}</dd>
  </div>
);

/** Links to the previous and next pages; either may be absent. */
export const Pager: FC<{ newer?: string | null; older?: string | null; newerLabel?: string; olderLabel?: string; info?: Child }> = ({
  newer,
  older,
  newerLabel = "← Newer",
  olderLabel = "Older →",
  info,
}) => (
  <nav class="pager" aria-label="Pages">
    {newer ? <a href={newer}>{newerLabel}</a> : <span class="disabled">{newerLabel}</span>}
    {info ? <span class="muted small">{info}</span> : null}
    {older ? <a href={older}>{olderLabel}</a> : <span class="disabled">{olderLabel}</span>}
  </nav>
);

export const Empty: FC<{ children?: Child }> = ({ children }) => <p class="muted">{children}</p>;

/** A link built from a path and query values; empty values are left out. */
export function href(path: string, query: Record<string, string | number | null | undefined | boolean> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "" && v !== false) params.set(k, String(v));
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}

export const userHref = (username: string) => `/users/${encodeURIComponent(username)}`;
export const runHref = (id: number | string) => `/runs/${id}`;

export const UserLink: FC<{ username: string | null | undefined }> = ({ username }) =>
  username ? <a href={userHref(username)}>{username}</a> : <span class="muted">–</span>;

/** A JSON value as readable text: strings as they are, everything else as compact JSON. */
export function valueText(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  return JSON.stringify(v) ?? "";
}
