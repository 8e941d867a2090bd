// The audit log: who did what, when — uploads (accepted and refused), cancels, re-applies, keys
// and accounts created or revoked. Never a secret in `detail`.
import type { Sql } from "../store/index.ts";

export async function audit(db: Sql, entry: { actor: string; action: string; target?: string | null; detail?: Record<string, unknown> | null }): Promise<void> {
  await db.query("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4::text::jsonb)", [
    entry.actor,
    entry.action,
    entry.target ?? null,
    entry.detail ? JSON.stringify(entry.detail) : null,
  ]);
}
