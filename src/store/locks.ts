// PostgreSQL advisory lock keys (arbitrary constants), so that several daemons sharing one
// database take turns. Always transaction-scoped (pg_advisory_xact_lock): a pooled connection
// can never keep one by mistake.

/** Held while migrations run. */
export const MIGRATION_LOCK = 7_361_001;
/** Held for the whole transaction of a run's apply: one apply at a time, across all instances. */
export const APPLY_LOCK = 7_361_002;
/** Held while an upload is added to a run: the batch assembler is one writer at a time, across all instances. */
export const UPLOAD_LOCK = 7_361_003;
