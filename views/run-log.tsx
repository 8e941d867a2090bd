/** @jsxImportSource hono/jsx */
// A run's log: filters (level, action, username), facet counts, and keyset paging.
import type { FC } from "hono/jsx";
import type { LogFilter, LogPage } from "../src/web/ui/data/log.ts";
import type { RunView } from "../src/web/ui/data/runs.ts";
import { Empty, href, Pager } from "./components.tsx";
import { num } from "./format.ts";
import { LogTable } from "./log-table.tsx";
import { RunHead, RunTabs } from "./run.tsx";

export interface RunLogProps {
  run: RunView;
  filter: LogFilter;
  openChanges: boolean;
  page: LogPage;
  facets: { level: string; action: string; n: number }[];
  total: number;
  matching: number;
  pageSize: number;
}

export const RunLogPage: FC<RunLogProps> = ({ run, filter, openChanges, page, facets, total, matching, pageSize }) => {
  const base = `/runs/${run.id}/log`;
  const query = { level: filter.level, action: filter.action, user: filter.username, changes: openChanges ? 1 : null, size: pageSize === 200 ? null : pageSize };
  const levels = new Map<string, number>();
  const actions = new Map<string, number>();
  for (const f of facets) {
    levels.set(f.level, (levels.get(f.level) ?? 0) + f.n);
    if (!filter.level || f.level === filter.level) actions.set(f.action, (actions.get(f.action) ?? 0) + f.n);
  }
  const filtered = !!(filter.level || filter.action || filter.username);
  return (
    <>
      <RunHead run={run} />
      <RunTabs run={run} active="log" logLines={total} />
      <section class="card">
        <form class="inline" method="get" action={base} role="search">
          <div class="half">
            <label for="level">Level</label>
            <select id="level" name="level">
              <option value="">all levels</option>
              {["error", "warn", "info"].map((l) => (
                <option value={l} selected={filter.level === l}>
                  {l} ({num(levels.get(l) ?? 0)})
                </option>
              ))}
            </select>
          </div>
          <div class="half">
            <label for="action">Action</label>
            <select id="action" name="action">
              <option value="">all actions</option>
              {[...actions].map(([a, n]) => (
                <option value={a} selected={filter.action === a}>
                  {a} ({num(n)})
                </option>
              ))}
              {filter.action && !actions.has(filter.action) ? (
                <option value={filter.action} selected>
                  {filter.action} (0)
                </option>
              ) : null}
            </select>
          </div>
          <div>
            <label for="user">Username</label>
            <input type="search" id="user" name="user" value={filter.username ?? ""} placeholder="exact username" autocapitalize="none" spellcheck={false} />
          </div>
          <label class="check">
            <input type="checkbox" name="changes" value="1" checked={openChanges} /> show changes
          </label>
          <button type="submit">Filter</button>
          {filtered ? (
            <a class="button secondary" href={base}>
              Clear
            </a>
          ) : null}
        </form>
        <p class="muted small">
          {filtered ? `${num(matching)} of ${num(total)} lines match.` : `${num(total)} lines.`}{" "}
          {matching > page.lines.length ? `Showing ${num(page.lines.length)} at a time.` : ""} The number on the left of a line is its position in the log; it links to the
          line.
        </p>
        {page.lines.length ? <LogTable lines={page.lines} openChanges={openChanges} /> : <Empty>No line matches.</Empty>}
        <Pager
          newer={page.previous !== null ? href(base, { ...query, before: page.previous }) : null}
          older={page.next !== null ? href(base, { ...query, after: page.next }) : null}
          newerLabel="← Previous lines"
          olderLabel="Next lines →"
          info={filtered ? undefined : <a href={href(base, { ...query, before: Number.MAX_SAFE_INTEGER })}>Last page</a>}
        />
      </section>
    </>
  );
};
