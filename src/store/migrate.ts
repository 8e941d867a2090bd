// Applies the embedded migrations. Same bookkeeping table as drizzle-kit's migrator
// (drizzle.__drizzle_migrations), so either can be used on the same database.
import type { Database } from "./db.ts";
import { MIGRATION_LOCK } from "./locks.ts";
import { migrations } from "./migrations.gen.ts";

export async function migrate(db: Database): Promise<number> {
  return db.transaction(async (tx) => {
    if (db.kind === "postgres") await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS drizzle;
      CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
    const [last] = await tx.query<{ created_at: string | number }>(
      "select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1",
    );
    const lastWhen = last ? Number(last.created_at) : -1;
    let applied = 0;
    for (const migration of migrations) {
      if (migration.when <= lastWhen) continue;
      for (const statement of migration.sql.split("--> statement-breakpoint")) {
        if (statement.trim()) await tx.exec(statement);
      }
      const hash = new Bun.CryptoHasher("sha256").update(migration.sql).digest("hex");
      await tx.query("insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)", [hash, migration.when]);
      applied++;
    }
    return applied;
  });
}
