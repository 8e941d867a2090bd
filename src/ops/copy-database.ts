// Moving from the embedded database (PGlite) to PostgreSQL: every table copied into an EMPTY,
// migrated PostgreSQL database, rows and ids exactly as they are, sequences set past the highest
// id, in ONE transaction on the target (a failure leaves it empty, ready for another try).
// The batch files stay where they are (filesDir); only the database moves.
import type { Database, Sql } from "../store/index.ts";

export class CopyDatabaseError extends Error {}

export interface TableCopy {
  table: string;
  rows: number;
}

export interface CopyProgress {
  table: string;
  done: number;
  total: number;
}

/** Rows per COPY chunk: bounds memory for the largest tables (received_records, run_events). */
const CHUNK_ROWS = 50_000;

async function tablesOf(db: Sql): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  return rows.map((r) => r.table_name);
}

/** Parents before children, so that foreign keys hold at every row. */
async function dependencyOrder(db: Sql, tables: string[]): Promise<string[]> {
  const edges = await db.query<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = 'public'`,
  );
  const strip = (name: string) => name.replace(/^public\./, "").replace(/"/g, "");
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges) if (strip(e.child) !== strip(e.parent)) parents.get(strip(e.child))?.add(strip(e.parent));
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (ordered.includes(table)) return;
    if (path.has(table)) throw new CopyDatabaseError(`Foreign keys form a cycle through ${table}`);
    path.add(table);
    for (const parent of parents.get(table) ?? []) if (parents.has(parent)) visit(parent, path);
    path.delete(table);
    ordered.push(table);
  };
  for (const table of tables) visit(table, new Set());
  return ordered;
}

async function columnsOf(db: Sql, table: string): Promise<string[]> {
  const rows = await db.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return rows.map((r) => r.column_name);
}

async function primaryKeyOf(db: Sql, table: string): Promise<string[]> {
  const rows = await db.query<{ column: string }>(
    `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
    [`public.${table}`],
  );
  return rows.map((r) => r.column);
}

async function* flatten(batches: AsyncIterable<string[]>): AsyncGenerator<string> {
  for await (const batch of batches) yield* batch;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function count(db: Sql, table: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${quote(table)}`);
  return Number(row?.n ?? 0);
}

/**
 * Copies every table of `source` into `target`, which must have the same schema (migrated by the
 * same version) and no rows. Returns the row count per table, checked equal on both sides.
 */
export async function copyDatabase(source: Database, target: Database, onProgress?: (p: CopyProgress) => void): Promise<TableCopy[]> {
  const tables = await tablesOf(source);
  const targetTables = new Set(await tablesOf(target));
  const missing = tables.filter((t) => !targetTables.has(t));
  if (missing.length) throw new CopyDatabaseError(`The target database lacks table(s) ${missing.join(", ")}: is it migrated by the same usersync version?`);
  for (const table of tables) {
    const rows = await count(target, table);
    if (rows > 0) throw new CopyDatabaseError(`The target database is not empty: table ${table} has ${rows} row(s). Copy into a new, empty database.`);
  }
  const order = await dependencyOrder(source, tables);
  const plan: { table: string; columns: string[]; key: string[]; total: number }[] = [];
  for (const table of order) {
    const columns = await columnsOf(source, table);
    const targetColumns = await columnsOf(target, table);
    const absent = columns.filter((c) => !targetColumns.includes(c));
    if (absent.length) throw new CopyDatabaseError(`The target's table ${table} lacks column(s) ${absent.join(", ")}: is it migrated by the same usersync version?`);
    const key = await primaryKeyOf(source, table);
    if (!key.length) throw new CopyDatabaseError(`Table ${table} has no primary key to copy it in order`);
    plan.push({ table, columns, key, total: await count(source, table) });
  }

  await target.transaction(async (tx) => {
    for (const { table, columns, key, total } of plan) {
      const list = columns.map(quote).join(", ");
      onProgress?.({ table, done: 0, total });
      for (let offset = 0; offset < total; offset += CHUNK_ROWS) {
        // Offsets are safe here: nothing writes to the source while it is copied (its folder is locked).
        const rows = source.copyOut(`SELECT ${list} FROM ${quote(table)} ORDER BY ${key.map(quote).join(", ")} LIMIT ${CHUNK_ROWS} OFFSET ${offset}`);
        await tx.copyIn(quote(table), columns.map(quote), flatten(rows));
        onProgress?.({ table, done: Math.min(total, offset + CHUNK_ROWS), total });
      }
      // serial / bigserial columns: the next id is past the highest copied one
      const serials = await tx.query<{ column_name: string; sequence: string | null }>(
        `SELECT column_name, pg_get_serial_sequence($1, column_name) AS sequence FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $2 AND column_default LIKE 'nextval(%'`,
        [`public.${quote(table)}`, table],
      );
      for (const s of serials)
        if (s.sequence)
          await tx.query(`SELECT setval($1, coalesce((SELECT max(${quote(s.column_name)}) FROM ${quote(table)}), 0) + 1, false)`, [s.sequence]);
    }
  });

  const result: TableCopy[] = [];
  for (const { table, total } of plan) {
    const copied = await count(target, table);
    if (copied !== total) throw new CopyDatabaseError(`Table ${table}: ${total} row(s) in the embedded database but ${copied} in PostgreSQL`);
    result.push({ table, rows: copied });
  }
  return result;
}
