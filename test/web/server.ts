// The web UI served for tests (Bun.serve on port 0) against a test store, and a signed-in client
// made of plain fetch calls (cookies carried by hand).
import { serveUi, type UiServer } from "../../src/web/ui/dev.ts";
import type { UiDeps } from "../../src/web/ui/index.ts";

export function startUi(deps: UiDeps): UiServer {
  return serveUi(deps);
}

export interface Client {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, fields: Record<string, string>, options?: { csrf?: boolean; headers?: Record<string, string> }): Promise<Response>;
}

export function cookiesOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const at = pair!.indexOf("=");
    out[pair!.slice(0, at)] = pair!.slice(at + 1);
  }
  return out;
}

export function hiddenField(html: string, name: string): string {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!match) throw new Error(`no hidden field ${name} in the page`);
  return match[1]!;
}

/** GET /login, then POST it; returns the response of the POST and the login cookie used. */
export async function postLogin(url: string, name: string, password: string, extra: { cookie?: string; next?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const form = await fetch(`${url}/login`, { headers: extra.cookie ? { cookie: extra.cookie } : {} });
  const html = await form.text();
  const loginCookie = cookiesOf(form).usersync_login!;
  const body = new URLSearchParams({ _csrf: hiddenField(html, "_csrf"), next: extra.next ?? "/", username: name, password });
  return fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    body,
    headers: { cookie: [`usersync_login=${loginCookie}`, extra.cookie].filter(Boolean).join("; "), ...extra.headers },
  });
}

export async function signIn(url: string, name: string, password: string): Promise<Client> {
  const response = await postLogin(url, name, password);
  if (response.status !== 303) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  const session = cookiesOf(response).usersync_session!;
  const cookie = `usersync_session=${session}`;
  const home = await (await fetch(`${url}/`, { headers: { cookie } })).text();
  const csrf = hiddenField(home, "_csrf");
  return {
    cookie,
    csrf,
    get: (path) => fetch(`${url}${path}`, { headers: { cookie }, redirect: "manual" }),
    post: (path, fields, options = {}) =>
      fetch(`${url}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, ...options.headers },
        body: new URLSearchParams({ ...(options.csrf === false ? {} : { _csrf: csrf }), ...fields }),
      }),
  };
}
