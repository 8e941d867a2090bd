// A small, realistic history for the web UI's tests, made by running real feeds through the
// engine: a first feed, a second with joiners, leavers, changes and bad records, a dry run, a
// run held by a safety check, and a failed run. One username is an XSS attempt, so every page
// that shows usernames is tested for escaping.
import type { GroupConfig } from "../../src/config/index.ts";
import { resolveConfig, type Config } from "../../src/config/index.ts";
import type { SafetyCheck } from "../../src/engine/index.ts";
import type { Store } from "../../src/store/index.ts";
import { setCurrentControl } from "../../src/batch/index.ts";
import { createAdmin } from "../../src/web/auth/index.ts";
import { applyFeed, json, person } from "../helpers/feeds.ts";

export const GROUPS: GroupConfig[] = [
  { code: "staff", managed: true, profileType: "std:type:person:staff", pastProfileType: "std:type:person:staff-past" },
  { code: "students", managed: true, profileType: "std:type:person:student", pastProfileType: "std:type:person:student-past" },
  { code: "ethics-panel", managed: false },
];

export const XSS = "<script>alert(1)</script>";
/** A username a spreadsheet would run as a formula, in the errors CSV. */
export const FORMULA = "=2+3";
/** Users in the first feed (enough for the log to need paging). */
export const PEOPLE = 240;
export const XSS_NAME = '<img src=x onerror="alert(2)">';

export const ADMIN = { name: "alice", password: "correct horse battery staple" };
export const VIEWER = { name: "victor", password: "viewer password 12345" };

// The SMTP password is in the environment, as usersync.json only ever names where a secret is:
// no page may show it.
process.env.USERSYNC_TEST_SMTP_PASSWORD = "s3cret-never-shown";

export function demoConfig(dataDir: string): Config {
  return resolveConfig(
    {
      groups: GROUPS,
      safety: { blocks: { maxPercent: 10 } },
      notifications: {
        email: { to: ["ops@example.org"], from: "sync@example.org", smtp: { host: "smtp.example.org", user: "mailer", password: { env: "USERSYNC_TEST_SMTP_PASSWORD" } } },
      },
    },
    null,
    { USERSYNC_DATA: dataDir },
  );
}

/** The control file: usernames, names, email, groups, a job title, a phone and a department (a ref by behaviour). */
export const CONTROL = JSON.stringify({
  dataImportControlFileVersion: 0,
  model: "haplo:user-sync",
  files: { staff: { read: "json" } },
  instructions: [
    { source: "id", destination: "user", name: "username" },
    { source: "first", destination: "user", name: "nameFirst" },
    { source: "last", destination: "user", name: "nameLast" },
    { source: "email", destination: "user", name: "email" },
    { action: "for-each", source: "groups", wrapValues: true, instructions: [{ source: "value", destination: "user", name: "groups", multivalue: true }] },
    { source: "job", destination: "profile", name: "std:attribute:job-title" },
    { source: "phone", destination: "profile", name: "std:attribute:telephone", qualifier: "std:qualifier:mobile" },
    { source: "dept", destination: "profile", name: "std:attribute:works-for", refMapping: "departments" },
  ],
  mapping: { departments: { using: "behaviour", values: { PHY: "dept:physics", HIS: "dept:history" } } },
});

/** Version 2 of the control file: job titles upper-cased (for the control-file diff). */
export const CONTROL_V2 = CONTROL.replace(
  '{"source":"job","destination":"profile","name":"std:attribute:job-title"}',
  '{"source":"job","destination":"profile","name":"std:attribute:job-title","filters":["haplo:to-upper-case"]}',
);

function people(n: number, change: (p: Record<string, unknown>, i: number) => Record<string, unknown> | null = (p) => p) {
  const out: Record<string, unknown>[] = [];
  for (let i = 1; i <= n; i++) {
    const id = `u${String(i).padStart(3, "0")}`;
    const p = change(
      person(id, {
        job: i % 3 ? "Lecturer" : "Professor",
        phone: `07700 900${String(100 + i).slice(-3)}`,
        dept: i % 2 ? "PHY" : "HIS",
        groups: i % 5 === 0 ? ["students"] : ["staff"],
      }),
      i,
    );
    if (p) out.push(p);
  }
  return out;
}

export interface Demo {
  runs: { first: number; second: number; dryRun: number; held: number; failed: number };
  changed: string;
  removed: string;
  added: string;
  rejected: string;
}

const HOLD: SafetyCheck = async ({ counts }) => ({
  held: true,
  checks: [
    {
      name: "block-threshold",
      tripped: true,
      message: `${counts.block} users would be blocked, more than the limit of 10% of the feed`,
      figures: { block: counts.block, limitPercent: 10, feedUsers: counts.records },
    },
    { name: "zero-records", tripped: false, message: "The feed has records", figures: { records: counts.records } },
  ],
});

export async function buildDemo(store: Store, settings = {}): Promise<Demo> {
  const { db } = store;
  await db.query(
    "INSERT INTO objects (types, title, behaviour) VALUES ('{std:type:organisation}', 'Department of Physics', 'dept:physics'), ('{std:type:organisation}', 'Department of History', 'dept:history')",
  );
  await createAdmin(db, ADMIN.name, ADMIN.password, "admin");
  await createAdmin(db, VIEWER.name, VIEWER.password, "viewer");

  const day1 = [...people(PEOPLE), person(XSS, { first: XSS_NAME, last: "Tables'); DROP TABLE users;--", email: "xss@example.org", groups: ["staff", "ethics-panel"] })];
  const first = await applyFeed(store, CONTROL, { staff: json(day1) }, { settings });

  // Day 2: u001 changes job and phone; u002 leaves; u241 joins; u003's record loses its last name
  // (rejected); u004 appears twice; "=2+3" joins, twice.
  const day2 = people(PEOPLE + 1, (p, i) => {
    if (i === 1) return { ...p, job: "Head of Department", phone: "07700 900999", groups: ["staff", "students"] };
    if (i === 2) return null;
    if (i === 3) return { ...p, last: "" };
    return p;
  });
  day2.push({ ...person("u004"), first: "Duplicate" });
  day2.push(person(FORMULA), { ...person(FORMULA), first: "Again" });
  day2.push(person(XSS, { first: XSS_NAME, last: "Tables'); DROP TABLE users;--", email: "xss@example.org", job: '=HYPERLINK("http://evil.example","click")', groups: ["staff", "ethics-panel"] }));
  const second = await applyFeed(store, CONTROL_V2, { staff: json(day2) }, { settings });

  // A dry run: three people change job, two leave. Then a feed cut short (150 of 243 records): held.
  const day3 = day2.filter((p) => p.id !== "u010" && p.id !== "u011").map((p) => (["u020", "u021", "u022"].includes(p.id as string) ? { ...p, job: "Dean" } : p));
  const dryRun = await applyFeed(store, CONTROL_V2, { staff: json(day3) }, { settings, dryRun: true });
  const held = await applyFeed(store, CONTROL_V2, { staff: json(day2.slice(0, 150)) }, { settings, safety: HOLD });
  const failed = await applyFeed(store, CONTROL_V2, { staff: '[{"id": "u001", "first": "A"' }, { settings });
  // What the daemon does when a control file is uploaded: version 2 becomes the current one.
  await setCurrentControl(db, 2, ADMIN.name);
  return {
    runs: { first: first.runId, second: second.runId, dryRun: dryRun.runId, held: held.runId, failed: failed.runId },
    changed: "u001",
    removed: "u002",
    added: "u241",
    rejected: "u003",
  };
}
