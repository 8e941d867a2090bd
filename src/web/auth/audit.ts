// The audit log: who changed what, and when, through the web UI (and who signed in). Never a
// secret in `detail`. (The daemon's branch writes the same table from src/batch/audit.ts for
// uploads, cancels and keys; the two calls have the same shape and can become one.)
import type { Sql } from "../../store/index.ts";

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown> | null;
}

export async function audit(db: Sql, entry: AuditEntry): Promise<void> {
  await db.query("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4::text::jsonb)", [
    entry.actor,
    entry.action,
    entry.target ?? null,
    entry.detail ? JSON.stringify(entry.detail) : null,
  ]);
}
