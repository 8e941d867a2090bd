/** @jsxImportSource hono/jsx */
// The page frame (through Hono's jsxRenderer, which adds the doctype) and the error pages.
import type { Context } from "hono";
import { jsxRenderer } from "hono/jsx-renderer";
import { Notice } from "../../../views/components.tsx";
import { Document, TopBar } from "../../../views/layout.tsx";
import type { UiEnv } from "./context.ts";
import { stylesheetPath } from "./assets.ts";

export const renderer = jsxRenderer<UiEnv>(
  ({ children, title, active, refresh }, c) => {
    const session = c.get("session");
    const flash = c.get("flash");
    return (
      <Document title={title} stylesheet={stylesheetPath} refresh={refresh}>
        {session ? <TopBar viewer={{ username: session.username, role: session.role, csrfToken: session.csrfToken }} active={active} /> : null}
        {session ? (
          <main>
            {flash ? (
              <div class={`notice ${flash.tone} flash`} role={flash.tone === "bad" ? "alert" : "status"}>
                <p>{flash.text}</p>
              </div>
            ) : null}
            {children}
          </main>
        ) : (
          children
        )}
      </Document>
    );
  },
  { docType: true },
);

export function notFound(c: Context<UiEnv>, message: string, status: 404 | 410 = 404) {
  c.status(status);
  return c.render(
    <>
      <div class="page-head">
        <h1>{status === 410 ? "Gone" : "Not found"}</h1>
      </div>
      <Notice tone="info">
        <p>{message}</p>
        <p>
          <a href="/">Back to the dashboard</a>
        </p>
      </Notice>
    </>,
    { title: "Not found" },
  );
}
