// Serve the web UI on its own, against a store: for tests (port 0) and for looking at the pages
// before the daemon (`usersync serve`) mounts them. Run directly, it opens the store of the
// configuration in the current folder and serves on USERSYNC_HTTP_PORT (default 8080):
//   bun src/web/ui/dev.ts
import type { Server } from "bun";
import { uiApp, type UiDeps } from "./index.ts";

export interface UiServer {
  url: string;
  server: Server<undefined>;
  stop(): Promise<void>;
}

export function serveUi(deps: UiDeps, options: { port?: number; hostname?: string } = {}): UiServer {
  const ui = uiApp(deps);
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Bun.serve({ port: options.port ?? 0, hostname, fetch: (request, srv) => ui.fetch(request, srv) });
  return { url: `http://${hostname}:${server.port}`, server, stop: () => server.stop(true) };
}

if (import.meta.main) {
  const { openContext } = await import("../../cli/context.ts");
  const { config, store } = await openContext();
  const ui = serveUi({ store, config }, { port: config.http.port, hostname: config.listen });
  console.log(`usersync web UI on ${ui.url} (${store.db.description}); Ctrl-C to stop`);
  const stop = async () => {
    await ui.stop();
    await store.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
