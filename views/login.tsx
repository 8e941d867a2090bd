/** @jsxImportSource hono/jsx */
// The sign-in page: the only page shown without a session.
import type { FC } from "hono/jsx";
import { Notice } from "./components.tsx";

export const LoginPage: FC<{ csrf: string; next: string; username?: string; problem?: string; info?: string }> = ({ csrf, next, username, problem, info }) => (
  <main>
    <div class="login card">
      <h1>Sign in to usersync</h1>
      {problem ? <Notice tone="bad">{problem}</Notice> : null}
      {info ? <Notice tone="info">{info}</Notice> : null}
      <form method="post" action="/login">
        <input type="hidden" name="_csrf" value={csrf} />
        <input type="hidden" name="next" value={next} />
        <label for="username">Account name</label>
        <input type="text" id="username" name="username" value={username ?? ""} autocomplete="username" autocapitalize="none" spellcheck={false} required autofocus />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
      <p class="muted small">
        No account yet? An operator creates one on the server with <code>usersync admin add NAME</code>.
      </p>
    </div>
  </main>
);
