// Prometheus metrics (text format, prom-client). Two kinds:
//   - counters this process increments as things happen: uploads received, failed logins, runs
//     finished — the intake, the web UI, the SCIM endpoint and the worker call the small helpers;
//   - gauges read from the database at each scrape: runs by status, the last run's duration and
//     records per second, users by state. They describe the shared store, so every daemon in a
//     scaled-out installation reports the same values (aggregate them with max, not sum).
import { Counter, Gauge, Registry } from "prom-client";
import type { Sql } from "../store/index.ts";

export type LoginDoor = "sftp" | "http-api" | "ui" | "scim";
export type UploadVia = "sftp" | "http" | "watch" | "ui" | "cli";

export interface Metrics {
  readonly registry: Registry;
  /** A batch file was received (counted when it is stored). */
  uploadReceived(via: UploadVia, bytes: number): void;
  /** A credential was refused (wrong password, key or token; throttled attempts too). */
  loginFailed(door: LoginDoor): void;
  /** A run reached its end state in this process (complete, failure, held, dry-run). */
  runFinished(status: string, seconds: number): void;
  /** The metrics in Prometheus text format, database gauges read now. */
  render(): Promise<string>;
  readonly contentType: string;
}

const RUN_STATUSES = ["uploading", "ready", "queued", "running", "held", "dry-run", "complete", "failure", "cancelled", "rejected"];

export function createMetrics(db: Sql): Metrics {
  const registry = new Registry();
  const registers = [registry];

  const uploads = new Counter({ name: "usersync_uploads_total", help: "Batch files received by this process, by way of arrival.", labelNames: ["via"], registers });
  const uploadBytes = new Counter({ name: "usersync_upload_bytes_total", help: "Bytes of batch files received by this process.", labelNames: ["via"], registers });
  const failedLogins = new Counter({ name: "usersync_failed_logins_total", help: "Refused credentials, by door (sftp, http-api, ui, scim).", labelNames: ["door"], registers });
  const runsFinished = new Counter({ name: "usersync_runs_finished_total", help: "Runs this process finished, by end status.", labelNames: ["status"], registers });
  const runSeconds = new Gauge({ name: "usersync_run_seconds_last", help: "Duration of the last run this process finished.", registers });

  new Gauge({
    name: "usersync_runs",
    help: "Runs in the store by status (all instances).",
    labelNames: ["status"],
    registers,
    async collect() {
      const rows = await db.query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM runs GROUP BY status");
      const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
      for (const status of new Set([...RUN_STATUSES, ...counts.keys()])) this.set({ status }, counts.get(status) ?? 0);
    },
  });

  const lastRun = async () =>
    (
      await db.query<{ id: number; duration_ms: number | null; records: number | null; finished_at: Date | string; error_count: number }>(
        `SELECT id, duration_ms, (counts ->> 'records')::int AS records, finished_at, error_count
         FROM runs WHERE status = 'complete' AND NOT dry_run AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1`,
      )
    )[0];
  new Gauge({
    name: "usersync_last_complete_run_duration_seconds",
    help: "How long the last complete run took.",
    registers,
    async collect() {
      const run = await lastRun();
      this.set(run?.duration_ms ? Number(run.duration_ms) / 1000 : 0);
    },
  });
  new Gauge({
    name: "usersync_last_complete_run_records_per_second",
    help: "Records per second of the last complete run (records / duration).",
    registers,
    async collect() {
      const run = await lastRun();
      this.set(run?.duration_ms && run.records ? Number(run.records) / (Number(run.duration_ms) / 1000) : 0);
    },
  });
  new Gauge({
    name: "usersync_last_complete_run_timestamp_seconds",
    help: "When the last complete run finished (Unix time); alert when it is too old.",
    registers,
    async collect() {
      const run = await lastRun();
      this.set(run ? new Date(run.finished_at).getTime() / 1000 : 0);
    },
  });
  new Gauge({
    name: "usersync_last_complete_run_errors",
    help: "Errors in the last complete run's log.",
    registers,
    async collect() {
      const run = await lastRun();
      this.set(run ? Number(run.error_count) : 0);
    },
  });
  new Gauge({
    name: "usersync_users",
    help: "User accounts by state: active, blocked by the sync, blocked by an admin; and how many the sync manages.",
    labelNames: ["state"],
    registers,
    async collect() {
      const [row] = await db.query<{ active: number; sync: number; admin: number; managed: number; pending: number }>(
        `SELECT count(*) FILTER (WHERE u.active)::int AS active,
                count(*) FILTER (WHERE NOT u.active AND u.blocked_by = 'sync')::int AS sync,
                count(*) FILTER (WHERE NOT u.active AND coalesce(u.blocked_by, 'admin') = 'admin')::int AS admin,
                (SELECT count(*)::int FROM sync_ledger) AS managed,
                (SELECT count(*)::int FROM sync_ledger l WHERE NOT l.in_feed AND l.absent_runs > 0 AND EXISTS (SELECT 1 FROM users a WHERE a.id = l.user_id AND a.active)) AS pending
         FROM users u`,
      );
      this.set({ state: "active" }, Number(row?.active ?? 0));
      this.set({ state: "blocked-by-sync" }, Number(row?.sync ?? 0));
      this.set({ state: "blocked-by-admin" }, Number(row?.admin ?? 0));
      this.set({ state: "managed-by-sync" }, Number(row?.managed ?? 0));
      this.set({ state: "pending-leaver" }, Number(row?.pending ?? 0));
    },
  });
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      this.set(process.memoryUsage().rss);
    },
  });
  new Gauge({ name: "process_start_time_seconds", help: "Start time of the process since the Unix epoch in seconds.", registers }).set(
    Math.round(Date.now() / 1000 - process.uptime()),
  );

  return {
    registry,
    contentType: registry.contentType,
    uploadReceived(via, bytes) {
      uploads.inc({ via });
      uploadBytes.inc({ via }, bytes);
    },
    loginFailed(door) {
      failedLogins.inc({ door });
    },
    runFinished(status, seconds) {
      runsFinished.inc({ status });
      runSeconds.set(seconds);
    },
    render: () => registry.metrics(),
  };
}
