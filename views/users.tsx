/** @jsxImportSource hono/jsx */
// Finding users: search by username, email or name, or list them by state.
import type { FC } from "hono/jsx";
import type { UserRow, UserState } from "../src/web/ui/data/users.ts";
import { Badge, Empty, href, UserLink } from "./components.tsx";

export interface UsersPageProps {
  query: string;
  state: UserState | null;
  states: Record<string, string>;
  users: UserRow[];
  more: boolean;
  next: string | null;
  after: string | null;
}

function stateOf(u: UserRow): { status: string; label?: string } {
  if (!u.active) return { status: u.blockedBy === "admin" ? "blocked-admin" : u.blockedBy === "sync" ? "blocked-sync" : "failure", label: u.blockedBy ? undefined : "blocked" };
  if (!u.managed) return { status: "not-synced" };
  if (u.error) return { status: "failure", label: "record rejected" };
  if (u.inFeed && (u.absentRuns ?? 0) > 0) return { status: "pending-leaver" };
  if (u.inFeed === false) return { status: "absent-active" };
  return { status: "active" };
}

export const UserTable: FC<{ users: UserRow[] }> = ({ users }) => (
  <div class="scroll">
    <table>
      <thead>
        <tr>
          <th>Username</th>
          <th>Name</th>
          <th class="hide-sm">Email</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {users.map((u) => {
          const s = stateOf(u);
          return (
            <tr>
              <td class="wrap">
                <UserLink username={u.username} />
              </td>
              <td>{[u.nameFirst, u.nameLast].filter(Boolean).join(" ") || <span class="muted">–</span>}</td>
              <td class="hide-sm wrap">{u.email ?? <span class="muted">–</span>}</td>
              <td>
                <Badge status={s.status} label={s.label} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </div>
);

export const UsersPage: FC<UsersPageProps> = ({ query, state, states, users, more, next, after }) => (
  <>
    <div class="page-head">
      <div>
        <h1>Users</h1>
        <p class="muted">Find a person to see their account, why they are in their state, and every record received for them.</p>
      </div>
    </div>
    <section class="card">
      <form class="inline" method="get" action="/users" role="search">
        <div>
          <label for="q">Username, email address or name</label>
          <input type="search" id="q" name="q" value={query} placeholder="jsmith, j.smith@example.org, Jane Smi…" autocapitalize="none" spellcheck={false} autofocus />
        </div>
        <button type="submit">Search</button>
      </form>
      <nav class="facets" aria-label="Users by state">
        <a href="/users" aria-current={!state && !query ? "true" : undefined}>
          all users
        </a>
        {Object.entries(states).map(([key, label]) => (
          <a href={href("/users", { state: key })} aria-current={state === key ? "true" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {query ? (
        <p class="muted small">
          {users.length ? `${users.length}${more ? "+" : ""} match${users.length === 1 ? "" : "es"} for “${query}”.` : `Nothing matches “${query}”.`}{" "}
          Usernames match from the start; an email address must be complete; names match words from their start.
        </p>
      ) : null}
      {users.length ? <UserTable users={users} /> : query ? null : <Empty>No users here.</Empty>}
      {!query ? (
        <nav class="pager" aria-label="Pages">
          {after ? <a href={href("/users", { state })}>← First</a> : <span class="disabled">← First</span>}
          {next ? <a href={href("/users", { state, after: next })}>Next →</a> : <span class="disabled">Next →</span>}
        </nav>
      ) : null}
    </section>
  </>
);
