// The profile object as a control file edits it: typed multi-values with optional qualifiers.
// A draft starts from the user's existing attributes (or none, for a new user) and records the
// edits made to it, so that the engine can tell what the control file asked for (the digest) and
// what the object becomes (the apply).
import type { TypedValue } from "./types.ts";

export type Attributes = Record<string, TypedValue[]>;

function sameValue(a: TypedValue, b: TypedValue): boolean {
  return a.t === b.t && a.q === b.q && JSON.stringify(a.v) === JSON.stringify(b.v);
}

export class ProfileDraft {
  private readonly values: Map<string, TypedValue[]>;
  /** The edits, in order: the control file's intent, independent of the starting state. */
  readonly edits: unknown[] = [];

  constructor(base?: Attributes | null) {
    this.values = new Map(base ? Object.entries(base).map(([code, list]) => [code, list.slice()]) : []);
  }

  has(code: string): boolean {
    return (this.values.get(code)?.length ?? 0) > 0;
  }

  get(code: string): readonly TypedValue[] {
    return this.values.get(code) ?? [];
  }

  /** Single-value write: replace the values with the same qualifier (all values when unqualified), then append. */
  replace(code: string, value: TypedValue): void {
    this.edits.push(["replace", code, value]);
    const kept = value.q === undefined ? [] : (this.values.get(code) ?? []).filter((v) => v.q !== value.q);
    kept.push(value);
    this.values.set(code, kept);
  }

  /**
   * Multi-value write: append. An identical value already present is not appended again — Haplo
   * appended it on every run, so profiles grew duplicates (reference §9 item 14).
   */
  append(code: string, value: TypedValue): void {
    this.edits.push(["append", code, value]);
    const list = this.values.get(code) ?? [];
    if (!list.some((v) => sameValue(v, value))) list.push(value);
    this.values.set(code, list);
  }

  remove(code: string): void {
    this.edits.push(["remove", code]);
    this.values.delete(code);
  }

  /** Replace every value of an attribute (used by the engine for type, title and email). */
  setAll(code: string, values: TypedValue[]): void {
    if (values.length) this.values.set(code, values);
    else this.values.delete(code);
  }

  toAttributes(): Attributes {
    const out: Attributes = {};
    for (const [code, list] of [...this.values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (list.length) out[code] = list;
    }
    return out;
  }
}
