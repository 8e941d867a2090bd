// A run's log for the pages: filtered by level, action and username, paged by keyset on
// (run_id, seq) so that the thousandth page of a 100,000-line log costs what the first does.
import type { Database, Sql } from "../../../store/index.ts";
import { indexFirst } from "./index-first.ts";
import { normaliseUsername } from "../../../engine/index.ts";

export interface LogFilter {
  level?: string | null;
  action?: string | null;
  username?: string | null;
}

export interface LogLineView {
  seq: number;
  level: string;
  action: string;
  username: string | null;
  message: string;
  detail: LogDetail | null;
}

export interface LogDetail {
  changes?: Record<string, [unknown, unknown]>;
  groupsAdded?: string[];
  groupsRemoved?: string[];
  file?: string;
  line?: number;
  record?: number;
  reason?: string;
  [key: string]: unknown;
}

export interface LogPage {
  lines: LogLineView[];
  /** seq to page back from (`before`), or null on the first page */
  previous: number | null;
  /** seq to page on from (`after`), or null on the last page */
  next: number | null;
}

export const LEVELS = ["error", "warn", "info"] as const;

function where(runId: number, filter: LogFilter): { sql: string; params: unknown[] } {
  const parts = ["run_id = $1"];
  const params: unknown[] = [runId];
  if (filter.level) {
    params.push(filter.level);
    parts.push(`level = $${params.length}`);
  }
  if (filter.action) {
    params.push(filter.action);
    parts.push(`action = $${params.length}`);
  }
  if (filter.username) {
    params.push(normaliseUsername(filter.username));
    parts.push(`username = $${params.length}`);
  }
  return { sql: parts.join(" AND "), params };
}

function toLine(r: Record<string, any>): LogLineView {
  return { seq: Number(r.seq), level: r.level, action: r.action, username: r.username, message: r.message, detail: r.detail ?? null };
}

/** One page of the log: the lines after `after`, or before `before`, or from the start. */
export function logPage(db: Database, runId: number, filter: LogFilter, page: { after?: number | null; before?: number | null; limit: number }): Promise<LogPage> {
  return indexFirst(db, (tx) => readPage(tx, runId, filter, page));
}

async function readPage(db: Sql, runId: number, filter: LogFilter, page: { after?: number | null; before?: number | null; limit: number }): Promise<LogPage> {
  const w = where(runId, filter);
  const n = w.params.length;
  const columns = "seq, level, action, username, message, detail";
  let rows: Record<string, any>[];
  let more: boolean;
  if (page.before !== undefined && page.before !== null) {
    rows = await db.query(`SELECT ${columns} FROM run_events WHERE ${w.sql} AND seq < $${n + 1} ORDER BY seq DESC LIMIT $${n + 2}`, [
      ...w.params,
      page.before,
      page.limit + 1,
    ]);
    more = rows.length > page.limit;
    rows = rows.slice(0, page.limit).reverse();
    const lines = rows.map(toLine);
    return { lines, previous: more && lines.length ? lines[0]!.seq : null, next: lines.length ? lines.at(-1)!.seq : null };
  }
  const after = page.after ?? null;
  rows = await db.query(
    `SELECT ${columns} FROM run_events WHERE ${w.sql} ${after === null ? "" : `AND seq > $${n + 1}`} ORDER BY seq LIMIT $${after === null ? n + 1 : n + 2}`,
    after === null ? [...w.params, page.limit + 1] : [...w.params, after, page.limit + 1],
  );
  more = rows.length > page.limit;
  const lines = rows.slice(0, page.limit).map(toLine);
  return { lines, previous: after !== null && lines.length ? lines[0]!.seq : null, next: more ? lines.at(-1)!.seq : null };
}

export interface Facet {
  level: string;
  action: string;
  n: number;
}

// Counting a 100,000-line log by level and action reads every line (0.1 s on PGlite), and every
// log page shows the counts. A finished run's log does not change, so its counts are kept, per
// database, under the run's status and finish time (a run applied again gets a new key).
const facetCache = new WeakMap<Sql, Map<string, Facet[]>>();
const SETTLED = new Set(["complete", "failure", "held", "dry-run", "rejected", "cancelled"]);

/** How many lines of each level and action the run's log has (the filter choices, with counts). */
export async function logFacets(db: Sql, run: { id: number; status: string; finishedAt: Date | null }): Promise<Facet[]> {
  const key = `${run.id}:${run.status}:${run.finishedAt ? new Date(run.finishedAt).getTime() : ""}`;
  const cache = facetCache.get(db) ?? new Map<string, Facet[]>();
  facetCache.set(db, cache);
  const hit = cache.get(key);
  if (hit) return hit;
  const rows = await db.query<{ level: string; action: string; n: number }>(
    "SELECT level, action, count(*)::int AS n FROM run_events WHERE run_id = $1 GROUP BY level, action ORDER BY level, action",
    [run.id],
  );
  const facets = rows.map((r) => ({ level: r.level, action: r.action, n: Number(r.n) }));
  if (SETTLED.has(run.status)) {
    cache.set(key, facets);
    if (cache.size > 500) cache.delete(cache.keys().next().value!);
  }
  return facets;
}

/** Lines matching a filter: from the facets when only level/action filter, counted otherwise. */
export async function countLines(db: Sql, runId: number, filter: LogFilter, facets: Facet[]): Promise<number> {
  if (!filter.username)
    return facets.filter((f) => (!filter.level || f.level === filter.level) && (!filter.action || f.action === filter.action)).reduce((s, f) => s + f.n, 0);
  const w = where(runId, filter);
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM run_events WHERE ${w.sql}`, w.params);
  return Number(row?.n ?? 0);
}

/** The errors and warnings of a run, a batch at a time (for the CSV download: memory stays flat). */
export async function* problemLines(db: Sql, runId: number, batch = 5000): AsyncGenerator<LogLineView[]> {
  let after = -1;
  for (;;) {
    const rows = await db.query<Record<string, any>>(
      `SELECT seq, level, action, username, message, detail FROM run_events
       WHERE run_id = $1 AND level IN ('error', 'warn') AND seq > $2 ORDER BY seq LIMIT $3`,
      [runId, after, batch],
    );
    if (!rows.length) return;
    yield rows.map(toLine);
    after = Number(rows.at(-1)!.seq);
    if (rows.length < batch) return;
  }
}
