/** @jsxImportSource hono/jsx */
// The frame of every signed-in page: the bar with the navigation and the signed-in account.
import type { Child, FC } from "hono/jsx";
import { CsrfField } from "./components.tsx";

export interface Viewer {
  username: string;
  role: "admin" | "viewer";
  csrfToken: string;
}

export const NAV: { key: string; href: string; label: string }[] = [
  { key: "dashboard", href: "/", label: "Dashboard" },
  { key: "runs", href: "/runs", label: "Runs" },
  { key: "users", href: "/users", label: "Users" },
  { key: "control", href: "/control", label: "Control files" },
  { key: "model", href: "/model", label: "Model" },
  { key: "config", href: "/config", label: "Configuration" },
  { key: "uploaders", href: "/uploaders", label: "Uploaders" },
  { key: "audit", href: "/audit", label: "Audit log" },
];

export const Document: FC<{ title: string; stylesheet: string; refresh?: number; children?: Child }> = ({ title, stylesheet, refresh, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      {refresh ? <meta http-equiv="refresh" content={String(refresh)} /> : null}
      <title>{title ? `${title} · usersync` : "usersync"}</title>
      <link rel="icon" href="/assets/icon.svg" type="image/svg+xml" />
      <link rel="stylesheet" href={stylesheet} />
    </head>
    <body>{children}</body>
  </html>
);

export const TopBar: FC<{ viewer: Viewer; active?: string }> = ({ viewer, active }) => (
  <header class="topbar">
    <div class="topbar-inner">
      <a class="brand" href="/">
        usersync
      </a>
      <nav class="nav" aria-label="Main">
        {NAV.map((item) => (
          <a href={item.href} aria-current={item.key === active ? "page" : undefined}>
            {item.label}
          </a>
        ))}
      </nav>
      <div class="who">
        <span>
          {viewer.username}
          <span class="role"> · {viewer.role}</span>
        </span>
        <form method="post" action="/logout">
          <CsrfField token={viewer.csrfToken} />
          <button type="submit">Sign out</button>
        </form>
      </div>
    </div>
  </header>
);
