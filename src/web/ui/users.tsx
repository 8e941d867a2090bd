/** @jsxImportSource hono/jsx */
// Pages about users: search and lists, one user's page (explain-why, profile, timeline), and the
// admin's actions on a user — re-process next run, block, unblock — each confirmed and audited.
import type { Hono } from "hono";
import { ConfirmPage } from "../../../views/confirm.tsx";
import { href, userHref } from "../../../views/components.tsx";
import { UserPage, type TimelineItem } from "../../../views/user.tsx";
import { UsersPage } from "../../../views/users.tsx";
import { explainUser, normaliseUsername } from "../../engine/index.ts";
import { audit } from "../../batch/index.ts";
import { isAdmin, viewerOf, type UiDeps, type UiEnv } from "./context.ts";
import { objectTitles, searchUsers, timeline, USER_STATES, userEvents, usersByState, type UserState } from "./data/users.ts";
import { notFound } from "./pages.tsx";
import { profileLines, refIds } from "./profile-view.ts";
import { diffRecords } from "./record-diff.ts";

const ACTIONS = ["reprocess", "block", "unblock"] as const;
type UserAction = (typeof ACTIONS)[number];

export function registerUsers(app: Hono<UiEnv>, deps: UiDeps): void {
  const { db } = deps.store;
  const { config } = deps;

  app.get("/users", async (c) => {
    const query = (c.req.query("q") ?? "").trim().slice(0, 200);
    const stateParam = c.req.query("state") ?? "";
    const state = (stateParam in USER_STATES ? stateParam : null) as UserState | null;
    const after = (c.req.query("after") ?? "").slice(0, 300) || null;
    if (query) {
      const { users, more } = await searchUsers(db, query);
      // One exact hit: straight to the person (two clicks from the dashboard to "why").
      if (users.length === 1 && !more && (users[0]!.username === normaliseUsername(query) || users[0]!.email?.toLowerCase() === query.toLowerCase()))
        return c.redirect(userHref(users[0]!.username), 303);
      return c.render(<UsersPage query={query} state={null} states={USER_STATES} users={users} more={more} next={null} after={null} />, {
        title: `Users: ${query}`,
        active: "users",
      });
    }
    const { users, next } = await usersByState(db, state, after);
    return c.render(<UsersPage query="" state={state} states={USER_STATES} users={users} more={false} next={next} after={after} />, {
      title: "Users",
      active: "users",
    });
  });

  app.get("/users/:username", async (c) => {
    const username = c.req.param("username");
    const report = await explainUser(db, username, config.sync.blockAfterAbsentRuns);
    const before = /^[0-9]{1,18}$/.test(c.req.query("before") ?? "") ? Number(c.req.query("before")) : null;
    const page = await timeline(db, username, before);
    const [{ n: total }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM received_records WHERE username = $1", [username])) as [{ n: number }];
    if (!report && total === 0) {
      const normal = normaliseUsername(username);
      if (normal !== username) return c.redirect(userHref(normal), 303);
      return notFound(c, `There is no user named ${username}, and no record was ever received for that username.`);
    }
    const entries = page.entries;
    const items: TimelineItem[] = entries.map((entry, i) => {
      const older = entries[i + 1] ?? page.olderOne;
      return {
        entry,
        changes: older ? diffRecords(older.raw, entry.raw) : null,
        mappedChanges: older && older.mapped && entry.mapped ? diffRecords(older.mapped, entry.mapped) : null,
      };
    });
    const titles = report?.profile ? await objectTitles(db, refIds(report.profile.attributes)) : new Map<number, string>();
    const done = c.req.query("done");
    return c.render(
      <UserPage
        username={username}
        report={report}
        profile={report?.profile ? profileLines(report.profile.attributes, config, titles) : []}
        events={await userEvents(db, username)}
        timeline={{
          items,
          total,
          olderHref: page.more ? href(userHref(username), { before: entries.at(-1)!.id }) + "#timeline" : null,
          newerHref: before ? `${userHref(username)}#timeline` : null,
        }}
        canChange={isAdmin(c)}
        done={done && (ACTIONS as readonly string[]).includes(done) ? done : null}
      />,
      { title: username, active: "users" },
    );
  });

  app.get("/users/:username/confirm/:action", async (c) => {
    const username = c.req.param("username");
    const action = c.req.param("action") as UserAction;
    if (!ACTIONS.includes(action)) return notFound(c, "There is no such action.");
    if (!isAdmin(c)) return c.text("Your account may look but not change anything (role: viewer).", 403);
    const report = await explainUser(db, username, config.sync.blockAfterAbsentRuns);
    if (!report) return notFound(c, `There is no user named ${username}.`);
    const viewer = viewerOf(c);
    const common = { action: `${userHref(username)}/${action}`, csrf: viewer.csrfToken, cancel: userHref(username) };
    const page = (() => {
      switch (action) {
        case "reprocess":
          return (
            <ConfirmPage title={`Re-process ${username} in the next run?`} button="Re-process in the next run" {...common}>
              <p>
                The next run will process {username} again — map their record and write it — even if it has not changed since the last run. Use it when
                something outside the feed changed (a profile edited by hand, a group definition) and this user should be put right.
              </p>
              {report.ledger ? null : <p class="muted">This account is not managed by the sync, so the sync will not touch it whatever you choose.</p>}
            </ConfirmPage>
          );
        case "block":
          return (
            <ConfirmPage title={`Block ${username}?`} button="Block the account" danger {...common}>
              <p>
                {username} will no longer be able to sign in. This is an <strong>admin block</strong>: the sync will <strong>not</strong> unblock them, even
                while they are in the feed; their record keeps being updated. Only an admin can unblock them.
              </p>
              {!report.user.active && report.user.blockedBy === "sync" ? (
                <p>They are blocked by the sync now (they left the feed); this makes the block an admin’s, so they stay blocked if they come back.</p>
              ) : null}
            </ConfirmPage>
          );
        case "unblock":
          return (
            <ConfirmPage title={`Unblock ${username}?`} button="Unblock the account" {...common}>
              <p>{username} will be able to sign in again.</p>
              {report.ledger && !report.ledger.inFeed ? (
                <p>
                  They are <strong>not in the feed</strong>. The sync will leave them active while they stay out of it (it only blocks people who leave
                  the feed, and they already left). If they come back into the feed, they are updated as usual; if they then leave again, the sync
                  blocks them again.
                </p>
              ) : report.ledger ? (
                <p>They are in the feed, so the sync keeps them active and updated as usual; if they leave the feed, the sync blocks them.</p>
              ) : (
                <p>This account is not managed by the sync; nothing else changes.</p>
              )}
            </ConfirmPage>
          );
      }
    })();
    return c.render(page, { title: `Confirm: ${action} ${username}`, active: "users" });
  });

  app.post("/users/:username/:action", async (c) => {
    const username = c.req.param("username");
    const action = c.req.param("action") as UserAction;
    if (!ACTIONS.includes(action)) return notFound(c, "There is no such action.");
    const actor = viewerOf(c).username;
    const changed = await db.transaction(async (tx) => {
      const [user] = await tx.query<{ id: number; active: boolean; blocked_by: string | null }>("SELECT id, active, blocked_by FROM users WHERE username = $1 FOR UPDATE", [username]);
      if (!user) return null;
      let rows: unknown[] = [];
      if (action === "reprocess") rows = await tx.query("UPDATE sync_ledger SET error = true, updated_at = now() WHERE user_id = $1 AND NOT error RETURNING user_id", [user.id]);
      else if (action === "block")
        rows = await tx.query(
          `UPDATE users SET active = false, blocked_by = 'admin', blocked_at = CASE WHEN active THEN now() ELSE blocked_at END, updated_at = now()
           WHERE id = $1 AND blocked_by IS DISTINCT FROM 'admin' RETURNING id`,
          [user.id],
        );
      else rows = await tx.query("UPDATE users SET active = true, blocked_by = NULL, blocked_at = NULL, updated_at = now() WHERE id = $1 AND NOT active RETURNING id", [user.id]);
      if (rows.length)
        await audit(tx, {
          actor,
          action: `user.${action}`,
          target: username,
          detail: { before: { active: user.active, blockedBy: user.blocked_by } },
        });
      return rows.length > 0;
    });
    if (changed === null) return notFound(c, `There is no user named ${username}.`);
    return c.redirect(changed ? `${userHref(username)}?done=${action}` : userHref(username), 303);
  });
}
