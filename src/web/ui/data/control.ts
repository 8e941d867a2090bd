// Control files for the pages: the current version, the history (which version processed which
// runs), one version, and the control file a given run used.
import { ControlFileError, formatProblem, loadControl, type Control } from "../../../control/index.ts";
import type { Config } from "../../../config/index.ts";
import type { Store, Sql } from "../../../store/index.ts";

export interface ControlVersion {
  id: number;
  digest: string;
  content: string;
  expectedFiles: string[];
  comment: string | null;
  uploadedBy: string | null;
  createdAt: Date;
}

export interface ControlHistoryRow extends Omit<ControlVersion, "content"> {
  size: number;
  runs: number;
  firstRunId: number | null;
  lastRunId: number | null;
  current: boolean;
}

function toVersion(r: Record<string, any>): ControlVersion {
  return {
    id: Number(r.id),
    digest: r.digest,
    content: r.content,
    expectedFiles: r.expected_files ?? [],
    comment: r.comment,
    uploadedBy: r.uploaded_by,
    createdAt: r.created_at,
  };
}

/** The id in settings 'control.current', or null when none was made current yet. */
export async function currentControlId(db: Sql): Promise<number | null> {
  const [row] = await db.query<{ id: number | null }>("SELECT (value #>> '{}')::int AS id FROM settings WHERE key = 'control.current'");
  return row?.id === null || row?.id === undefined ? null : Number(row.id);
}

export async function getControlVersion(db: Sql, id: number): Promise<ControlVersion | null> {
  const [row] = await db.query<Record<string, any>>("SELECT * FROM control_files WHERE id = $1", [id]);
  return row ? toVersion(row) : null;
}

export async function controlHistory(db: Sql): Promise<ControlHistoryRow[]> {
  const current = await currentControlId(db);
  const rows = await db.query<Record<string, any>>(
    `SELECT c.id, c.digest, c.expected_files, c.comment, c.uploaded_by, c.created_at, octet_length(c.content) AS size,
       count(r.id)::int AS runs, min(r.id) AS first_run_id, max(r.id) AS last_run_id
     FROM control_files c LEFT JOIN runs r ON r.control_file_id = c.id
     GROUP BY c.id ORDER BY c.id DESC`,
  );
  return rows.map((r) => ({
    ...toVersion(r),
    size: Number(r.size),
    runs: Number(r.runs),
    firstRunId: r.first_run_id === null ? null : Number(r.first_run_id),
    lastRunId: r.last_run_id === null ? null : Number(r.last_run_id),
    current: Number(r.id) === current,
  }));
}

/** The runs a control-file version processed, newest first. */
export async function runsOfControl(db: Sql, id: number, limit = 50): Promise<{ id: number; status: string; createdAt: Date }[]> {
  const rows = await db.query<Record<string, any>>("SELECT id, status, created_at FROM runs WHERE control_file_id = $1 ORDER BY id DESC LIMIT $2", [id, limit]);
  return rows.map((r) => ({ id: Number(r.id), status: r.status, createdAt: r.created_at }));
}

/** Compile a control file's text with this configuration's model; a readable reason when it cannot be. */
export function compileControl(text: string, config: Config): Control | string {
  try {
    return loadControl(text, { profileAttributes: config.profile.attributes, userTags: config.userTags, qualifiers: config.profile.qualifiers });
  } catch (error) {
    if (error instanceof ControlFileError) return `The control file is not valid: ${error.problems.map(formatProblem).join("; ")}`;
    return error instanceof Error ? error.message : String(error);
  }
}

/** The control file a run used (its `_control` file), compiled; a reason when it cannot be. */
export async function controlOfRun(store: Store, config: Config, runId: number): Promise<Control | string> {
  const [row] = await store.db.query<{ digest: string }>("SELECT digest FROM run_files WHERE run_id = $1 AND name = '_control'", [runId]);
  if (!row) return `Run ${runId} has no control file.`;
  if (!store.files.has(row.digest)) return `The stored bytes of run ${runId}'s control file are missing.`;
  return compileControl(await store.files.text(row.digest), config);
}

/** JSON pretty-printed with two spaces, or the text as it is when it is not JSON. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
