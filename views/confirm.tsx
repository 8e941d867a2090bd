/** @jsxImportSource hono/jsx */
// A confirmation step before any change: what will happen, in words, and one button. Works
// without JavaScript: the action is a form post carrying the CSRF token.
import type { Child, FC } from "hono/jsx";
import { CsrfField } from "./components.tsx";

export const ConfirmPage: FC<{ title: string; action: string; csrf: string; button: string; danger?: boolean; cancel: string; children?: Child }> = ({
  title,
  action,
  csrf,
  button,
  danger,
  cancel,
  children,
}) => (
  <>
    <div class="page-head">
      <h1>{title}</h1>
    </div>
    <section class="card">
      {children}
      <form method="post" action={action} class="actions">
        <CsrfField token={csrf} />
        <button type="submit" class={danger ? "danger" : undefined}>
          {button}
        </button>
        <a class="button secondary" href={cancel}>
          Cancel
        </a>
      </form>
    </section>
  </>
);
