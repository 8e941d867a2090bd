/** @jsxImportSource hono/jsx */
// A confirmation step before any change: what will happen, in words, and one button. Works
// without JavaScript: the action is a form post carrying the CSRF token.
import type { Child, FC } from "hono/jsx";
import { CsrfField } from "./components.tsx";

export const ConfirmPage: FC<{
  title: string;
  action: string;
  csrf: string;
  button: string;
  danger?: boolean;
  cancel: string;
  /** form fields shown above the buttons (a reason, a "force" box) */
  fields?: Child;
  /** more submit buttons, e.g. a dry run beside the real thing */
  buttons?: Child;
  children?: Child;
}> = ({ title, action, csrf, button, danger, cancel, fields, buttons, children }) => (
  <>
    <div class="page-head">
      <h1>{title}</h1>
    </div>
    <section class="card">
      {children}
      <form method="post" action={action} class="confirm-form">
        <CsrfField token={csrf} />
        {fields}
        <div class="actions">
        {buttons}
        <button type="submit" class={danger ? "danger" : undefined}>
          {button}
        </button>
        <a class="button secondary" href={cancel}>
          Cancel
        </a>
        </div>
      </form>
    </section>
  </>
);
