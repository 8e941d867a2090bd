// Small helpers for the control-file tests: a control file around some instructions, one record
// through it, and a reader over bytes cut into chunks wherever the test says.
import { checkControl, compileEnvironment, loadControl, READERS, type Control, type ControlOptions, type Lookups } from "../../src/control/index.ts";
import type { Problem } from "../../src/control/index.ts";

/** The instructions every user-sync test needs: username and the required names. */
export const BASICS = [
  { source: "id", destination: "user", name: "username" },
  { source: "first", destination: "user", name: "nameFirst" },
  { source: "last", destination: "user", name: "nameLast" },
  { source: "email", destination: "user", name: "email" },
];

export function controlObject(instructions: object[], more: Record<string, unknown> = {}): Record<string, unknown> {
  return { dataImportControlFileVersion: 0, model: "haplo:user-sync", files: { feed: { read: "json" } }, instructions, ...more };
}

/** A compiled control file: the basics, then `instructions`. */
export function control(instructions: object[], more: Record<string, unknown> = {}, options: ControlOptions = {}): Control {
  return loadControl(JSON.stringify(controlObject([...BASICS, ...instructions], more)), options);
}

export const PERSON = { id: "jb", first: "Joe", last: "Bloggs", email: "joe@example.org" };

/** Problems (errors and warnings) of a control file given as an object. */
export function problemsOf(value: unknown, options: ControlOptions = {}): { errors: Problem[]; warnings: Problem[] } {
  const result = checkControl(value, compileEnvironment(options));
  return { errors: result.problems, warnings: result.warnings };
}

/** Lookups over fixed tables, as the engine would preload them. */
export function lookups(tables: {
  behaviours?: Record<string, number>;
  titles?: Record<string, number>;
  usernames?: Record<string, number>;
  emails?: Record<string, number>;
}): Lookups {
  return {
    refForBehaviour: (code) => tables.behaviours?.[code],
    refForTitle: (_types, title) => tables.titles?.[title],
    profileRefForUsername: (u) => tables.usernames?.[u],
    profileRefForEmail: (e) => tables.emails?.[e],
  };
}

export async function* chunks(bytes: Uint8Array, cuts: number[] = []): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => Math.min(bytes.length, c)))].sort((a, b) => a - b)) {
    if (cut > start) yield bytes.slice(start, cut);
    start = Math.max(start, cut);
  }
  if (start < bytes.length) yield bytes.slice(start);
}

export interface ReadResult {
  records: unknown[];
  lines: number[];
}

/** All records of `input` read by the named reader. */
export async function readAll(reader: string, input: string | Uint8Array, spec: Record<string, unknown> = {}, cuts: number[] = []): Promise<ReadResult> {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const records: unknown[] = [];
  const lines: number[] = [];
  for await (const batch of READERS[reader]!.read(chunks(bytes, cuts), { read: reader, ...spec })) {
    records.push(...batch.records);
    lines.push(...batch.lines);
  }
  return { records, lines };
}

/** The error `fn` throws (the test fails if it throws none). */
export async function errorOf(fn: () => Promise<unknown>): Promise<Error & { line?: number; record?: number }> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error, but there was none");
}
