// One small interface over the two databases usersync runs on: PGlite (embedded, the default)
// and PostgreSQL (postgres.js). Drizzle covers typed queries; this covers what Drizzle does not:
// raw set-based SQL, COPY, and transactions that both can share.
import type { PgDatabase } from "drizzle-orm/pg-core";
import type * as tables from "../../schema/tables.ts";

export type Row = Record<string, unknown>;

/** A connection or a transaction: everything the engine needs to talk to the database. */
export interface Sql {
  /** One statement with $1… parameters. Pass JSON as text and cast (`$1::text::jsonb`): both drivers then agree. */
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements, no parameters. */
  exec(text: string): Promise<void>;
  /**
   * COPY rows into a table, in PostgreSQL's text format (one line per row, tab-separated, `\N` for null;
   * use `copyField()` to escape values). Lines may come from a generator, so nothing is held whole.
   */
  copyIn(table: string, columns: readonly string[], lines: AsyncIterable<string> | Iterable<string>): Promise<number>;
  /** COPY rows already written as COPY text bytes (`CopyText`): each chunk whole rows, UTF-8. For the many rows of a run. */
  copyInBytes(table: string, columns: readonly string[], chunks: readonly Uint8Array[]): Promise<void>;
  /** The rows of a query in COPY text format, a batch of lines at a time: the fast way to read many rows. */
  copyOut(query: string): AsyncGenerator<string[]>;
}

export interface Database extends Sql {
  readonly kind: "pglite" | "postgres";
  /** Human description without secrets: "PGlite in ./data/pg" or "PostgreSQL at host:port/db". */
  readonly description: string;
  readonly orm: PgDatabase<any, typeof tables>;
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** PGlite only: the whole data folder as a gzipped tarball (a template for fast new databases). */
  dumpDataDir?(): Promise<Blob>;
  /** Housekeeping after a run: PGlite never checkpoints or vacuums by itself (toolchain.md §9). */
  maintain(): Promise<void>;
  close(): Promise<void>;
}

/** Escape one value for COPY text format. */
export function copyField(value: string | number | bigint | boolean | null | undefined): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value !== "string") return String(value);
  if (!/[\\\t\n\r]/.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

/** Group lines into chunks of about `bytes` characters, to send COPY data in bounded pieces. */
export async function* chunkLines(lines: AsyncIterable<string> | Iterable<string>, bytes = 1 << 20): AsyncGenerator<string> {
  let parts: string[] = [];
  let size = 0;
  for await (const line of lines as AsyncIterable<string>) {
    parts.push(line);
    size += line.length + 1;
    if (size >= bytes) {
      yield parts.join("\n") + "\n";
      parts = [];
      size = 0;
    }
  }
  if (parts.length) yield parts.join("\n") + "\n";
}

/** Split text arriving in chunks into whole lines, a batch at a time. */
export async function* splitLines(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of chunks as AsyncIterable<string | Uint8Array>) {
    const text = rest + (typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
    const end = text.lastIndexOf("\n");
    if (end === -1) {
      rest = text;
      continue;
    }
    rest = text.slice(end + 1);
    yield text.slice(0, end).split("\n");
  }
  if (rest) yield [rest];
}

const CONNECTION_LOST = ["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "ECONNRESET", "EPIPE", "ECONNREFUSED", "57P01", "57P02", "57P03"];
/** read-only transaction (25006), disk full (53100), out of memory (53200), too many connections (53300) */
const SERVER_STATE = ["25006", "53100", "53200", "53300"];

/**
 * An error from the database, in words an operator can act on: postgres.js says only
 * "write CONNECTION_CLOSED 127.0.0.1:5432" when the server restarted or ended the session.
 */
export function describeDatabaseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (CONNECTION_LOST.includes(String(code))) return `the connection to the database was lost: the server restarted or ended the session (${message})`;
  if (code === "25006") return `the database is read-only (${message})`;
  if (code === "53100") return `the database server's disk is full (${message})`;
  return message;
}

/**
 * The database failed, not the work asked of it: the connection was lost, or the server cannot
 * take writes for now (read-only, disk full, out of memory or connections). The same work may
 * succeed later, so a run that failed so is worth trying again by itself (daemon/worker.ts).
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code);
  return CONNECTION_LOST.includes(code) || SERVER_STATE.includes(code);
}
