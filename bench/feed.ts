// A synthetic feed: N users with realistic fields, 1–3 groups and profile attributes, split over
// several files (JSON and TSV), plus "next day" variants with a given churn. Deterministic: the
// same ids always give the same users. Used by the benchmark and by the tests.
import { mkdirSync } from "node:fs";
import { join } from "node:path";

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Zoë", "José", "Łukasz", "Chloé", "Aiko", "Oluwaseun"];
const LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Wilson", "Anderson", "Taylor", "Moore", "Müller", "O'Brien", "Nguyen", "Kowalski", "Haddad", "Okafor"];
const TITLES = ["Mr", "Ms", "Mrs", "Dr", "Mx", "", "", ""];
const JOBS = ["Lecturer", "Senior Lecturer", "Reader", "Professor", "Research Fellow", "Administrator", "Technician", "Librarian", "Student", "PhD Student", "Accountant", "Data Analyst"];

/** Managed groups the generated users belong to: a core group plus optional extra ones. */
export const CORE_GROUPS = ["staff", "students", "researchers", "externals"];
export const EXTRA_GROUPS = Array.from({ length: 16 }, (_, i) => `dept-${String(i + 1).padStart(2, "0")}`);

export interface FeedUser {
  id: string;
  first: string;
  last: string;
  title: string;
  email: string;
  groups: string[];
  job: string;
  phone: string;
  department: string;
}

export function makeUser(n: number, version = 0): FeedUser {
  const r = mulberry32(n * 2654435761 + version * 97);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const first = pick(FIRST);
  const last = pick(LAST);
  const groups = [CORE_GROUPS[n % CORE_GROUPS.length]!];
  const extra = Math.floor(r() * 3);
  for (let i = 0; i < extra; i++) {
    const g = pick(EXTRA_GROUPS);
    if (!groups.includes(g)) groups.push(g);
  }
  return {
    id: `u${String(n).padStart(7, "0")}`,
    first,
    last,
    title: pick(TITLES),
    email: `${first}.${last}.${n}@example.ac.uk`.toLowerCase().replace(/[^a-z0-9.@]/g, "x"),
    groups,
    job: pick(JOBS),
    phone: `+44 20 7946 ${String(Math.floor(r() * 10000)).padStart(4, "0")}`,
    department: `D${String(Math.floor(r() * 200)).padStart(3, "0")}`,
  };
}

/** A changed version of a user: one field differs. */
export function changeUser(u: FeedUser, salt: number): FeedUser {
  const c = { ...u, groups: [...u.groups] };
  switch (salt % 4) {
    case 0:
      c.job = `${u.job} (acting)`;
      break;
    case 1:
      c.last = `${u.last}-Smythe`;
      break;
    case 2:
      c.email = u.email.replace("@", ".new@");
      break;
    default:
      c.groups = c.groups.includes("dept-16") ? c.groups.filter((g) => g !== "dept-16") : [...c.groups, "dept-16"];
  }
  return c;
}

export interface FeedFile {
  name: string;
  format: "json" | "tsv";
}

/** The default split: staff and externals as JSON, students as TSV. */
export const THREE_FILES: FeedFile[] = [
  { name: "staff", format: "json" },
  { name: "students", format: "tsv" },
  { name: "others", format: "json" },
];

function fileFor(u: FeedUser, files: FeedFile[]): FeedFile {
  if (files.length === 3) return u.groups[0] === "students" ? files[1]! : u.groups[0] === "staff" ? files[0]! : files[2]!;
  return files[Number(u.id.slice(1)) % files.length]!;
}

// TSV has no lists: groups go in three columns.
const TSV_COLUMNS = ["id", "first", "last", "title", "email", "group1", "group2", "group3", "job", "phone", "department"] as const;

function tsvCell(u: FeedUser, column: (typeof TSV_COLUMNS)[number]): string {
  if (column.startsWith("group")) return u.groups[Number(column.slice(5)) - 1] ?? "";
  return u[column as keyof FeedUser] as string;
}

/** Write users to files (streamed in chunks; a million users never sit in one string). */
export async function writeFeed(dir: string, users: Iterable<FeedUser>, files: FeedFile[] = THREE_FILES): Promise<{ name: string; path: string }[]> {
  mkdirSync(dir, { recursive: true });
  const writers = new Map(
    files.map((f) => {
      const path = join(dir, `${f.name}.${f.format}`);
      const w = Bun.file(path).writer();
      w.write(f.format === "json" ? "[\n" : `${TSV_COLUMNS.join("\t")}\n`);
      return [f.name, { file: f, path, writer: w, count: 0 }];
    }),
  );
  for (const u of users) {
    const target = writers.get(fileFor(u, files).name)!;
    if (target.file.format === "json") target.writer.write(`${target.count ? ",\n" : ""}${JSON.stringify(u)}`);
    else target.writer.write(`${TSV_COLUMNS.map((c) => tsvCell(u, c)).join("\t")}\n`);
    target.count++;
  }
  const out: { name: string; path: string }[] = [];
  for (const { file, path, writer } of writers.values()) {
    if (file.format === "json") writer.write("\n]\n");
    await writer.end();
    out.push({ name: file.name, path });
  }
  return out;
}

export interface Churn {
  removed: number;
  added: number;
  changed: number;
}

/** Day-2 population: from users 1..n, remove some, change some, add new ids after n. */
export function* nextDay(n: number, churn: Churn, seed = 1): Generator<FeedUser> {
  const r = mulberry32(seed);
  // choose removed and changed sets deterministically, without keeping all users in memory
  const removeEvery = churn.removed ? n / churn.removed : Infinity;
  const changeEvery = churn.changed ? n / churn.changed : Infinity;
  let nextRemove = churn.removed ? Math.floor(r() * removeEvery) : Infinity;
  let nextChange = churn.changed ? Math.floor(r() * changeEvery) + 0.5 : Infinity;
  let removed = 0;
  let changed = 0;
  for (let i = 1; i <= n; i++) {
    const u = makeUser(i);
    if (i - 1 >= nextRemove && removed < churn.removed) {
      removed++;
      nextRemove = Math.floor(removed * removeEvery + r() * Math.max(1, removeEvery - 1));
      continue;
    }
    if (i - 1 >= nextChange && changed < churn.changed) {
      changed++;
      nextChange = Math.floor(changed * changeEvery + r() * Math.max(1, changeEvery - 1)) + 0.5;
      yield changeUser(u, i);
      continue;
    }
    yield u;
  }
  for (let i = 1; i <= churn.added; i++) yield makeUser(n + i);
}

export function* population(n: number): Generator<FeedUser> {
  for (let i = 1; i <= n; i++) yield makeUser(i);
}

/** The control file for a generated feed. */
export function feedControl(files: FeedFile[] = THREE_FILES): string {
  return JSON.stringify(
    {
      dataImportControlFileVersion: 0,
      model: "haplo:user-sync",
      files: Object.fromEntries(files.map((f) => [f.name, { read: f.format === "json" ? "json" : "tsv-with-name-row" }])),
      instructions: [
        { source: "id", destination: "user", name: "username" },
        { source: "first", destination: "user", name: "nameFirst" },
        { source: "last", destination: "user", name: "nameLast" },
        { source: "title", destination: "user", name: "title" },
        { source: "email", destination: "user", name: "email" },
        // JSON carries an array of groups, TSV three columns
        {
          action: "for-each",
          source: "groups",
          wrapValues: true,
          instructions: [{ source: "value", destination: "user", name: "groups", multivalue: true, filters: ["haplo:to-lower-case"] }],
        },
        { source: "group1", destination: "user", name: "groups", multivalue: true },
        { source: "group2", destination: "user", name: "groups", multivalue: true },
        { source: "group3", destination: "user", name: "groups", multivalue: true },
        { source: "job", destination: "profile", name: "std:attribute:job-title" },
        { action: "remove-values", destination: "profile", name: "std:attribute:telephone" },
        { source: "phone", destination: "profile", name: "std:attribute:telephone", multivalue: true },
        { source: "department", destination: "profile", name: "std:attribute:notes" },
      ],
    },
    null,
    2,
  );
}

/** usersync.json groups for a generated feed. */
export function feedGroups() {
  return [
    ...CORE_GROUPS.map((code) => ({ code, managed: true, profileType: `std:type:person:${code}`, pastProfileType: `std:type:person:${code}-past` })),
    ...EXTRA_GROUPS.map((code) => ({ code, managed: true })),
  ];
}

/** The same users as one JSON array with a `username` key, one record per line: the floor's input. */
export async function writeFlatJson(path: string, users: Iterable<FeedUser>): Promise<void> {
  const w = Bun.file(path).writer();
  w.write("[\n");
  let first = true;
  for (const { id, ...rest } of users) {
    w.write(`${first ? "" : ",\n"}${JSON.stringify({ username: id, ...rest })}`);
    first = false;
  }
  w.write("\n]\n");
  await w.end();
}
