// Reads that must follow an index whatever the planner's statistics say. On PostgreSQL, a run
// that just added 100,000 log lines (or blocked 1,000 users) is not in the statistics until
// autovacuum's next ANALYZE — on a table of millions of rows that can be many runs later — and
// the planner, thinking the run tiny, reads it whole with a bitmap scan and sorts it, or hashes
// the whole users table to join a few rows: 30–600 ms instead of 1. These reads are all "a page
// of rows in index order", so sequential, bitmap and hash plans are turned off for them alone
// (SET LOCAL ends with the transaction).
import type { Database, Sql } from "../../../store/index.ts";

export function indexFirst<T>(db: Database, read: (tx: Sql) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.exec("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off");
    return read(tx);
  });
}
