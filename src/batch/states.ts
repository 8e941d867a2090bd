// The life of a sync run, as one table of allowed moves (reference §5.3, with Haplo's holes closed):
//
//   uploading ──all files in──► ready ──start-sync / auto-apply──► queued ──worker──► running ──► complete
//       │                         │  └──preflight safety check──► held ──approved──► queued       failure
//       └──────── cancelled ◄─────┴──────────────────────────────────┘                            held, dry-run
//                                                         ▲                                             │
//                                                         └──── retry: the database failed (worker) ────┘
//
// `running` is left only by the engine, which ends the run's one transaction with its outcome
// (src/engine/run.ts), or by recoverInterruptedRuns when the process applying it died. A running
// run cannot be cancelled: its apply is one transaction, so it finishes or rolls back as a whole
// (Haplo's "unsafe mark cancelled" let the job overwrite the status afterwards, bug §9.11).
import type { Sql } from "../store/index.ts";

export const RUN_STATUSES = ["uploading", "ready", "queued", "running", "held", "dry-run", "complete", "failure", "cancelled"] as const;
export type RunState = (typeof RUN_STATUSES)[number];

/** For each status, the statuses a run may move to it from. */
const ALLOWED_FROM: Record<RunState, readonly RunState[]> = {
  uploading: [],
  ready: ["uploading"],
  // (failure → queued is not here: only the worker's retry of a run the database failed makes that
  // move, with its own conditional UPDATE, lifecycle.ts queueRetry — no request can)
  queued: ["ready", "held"],
  running: ["queued", "ready"],
  held: ["ready", "running"],
  "dry-run": ["running"],
  complete: ["running"],
  failure: ["running", "queued"],
  cancelled: ["uploading", "ready", "queued", "held"],
};

/** Runs still in progress: new uploads go to the latest of these, and no new run starts while one exists. */
export const OPEN_STATUSES: readonly RunState[] = ["uploading", "ready", "queued", "running", "held"];

export function canMove(from: string, to: RunState): boolean {
  return (ALLOWED_FROM[to] as readonly string[]).includes(from);
}

export class RunStateError extends Error {
  constructor(
    readonly runId: number,
    readonly from: string | null,
    readonly to: RunState,
  ) {
    super(from === null ? `There is no run ${runId}` : `Run ${runId} is ${from}; it cannot become ${to}`);
    this.name = "RunStateError";
  }
}

/** Columns that may change together with the status, and their SQL types. */
const SETTABLE = { safety: "jsonb", message: "text", finished_at: "timestamptz", approved_by: "text", approved_at: "timestamptz" } as const;

/**
 * Move a run to `to`, atomically: the UPDATE only matches if the run is in a status allowed to move
 * there, so two requests racing (two start-syncs, a cancel and the worker) cannot both win.
 * `set` adds columns to update with it.
 */
export async function moveRun(db: Sql, runId: number, to: RunState, set: Partial<Record<keyof typeof SETTABLE, string | null>> = {}): Promise<void> {
  const columns = Object.keys(set) as (keyof typeof SETTABLE)[];
  // values go as text and are cast in SQL: both drivers then agree on JSON and timestamps
  const assignments = columns.map((c, i) => `, ${c} = $${i + 3}::text::${SETTABLE[c]}`).join("");
  const rows = await db.query<{ id: number }>(
    `UPDATE runs SET status = $2${assignments} WHERE id = $1 AND status = ANY(string_to_array($${columns.length + 3}, ',')) RETURNING id`,
    [runId, to, ...Object.values(set), ALLOWED_FROM[to].join(",")],
  );
  if (rows.length) return;
  const [run] = await db.query<{ status: string }>("SELECT status FROM runs WHERE id = $1", [runId]);
  throw new RunStateError(runId, run?.status ?? null, to);
}
