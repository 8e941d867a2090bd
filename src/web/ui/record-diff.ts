// Field-level differences between two records as received (or as mapped): nested objects and
// arrays are flattened to paths ("address.city", "groups[1]"), then compared path by path.

export interface FieldChange {
  path: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

/** Largest number of paths kept from one record; a record wider than this is compared on its first paths only. */
const MAX_PATHS = 5000;

export function flatten(value: unknown, prefix = "", out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (out.size >= MAX_PATHS) return out;
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix || "(record)", []);
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 0) out.set(prefix || "(record)", {});
    for (const k of keys) flatten((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix || "(record)", value);
  }
  return out;
}

export function diffRecords(before: unknown, after: unknown): FieldChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const changes: FieldChange[] = [];
  for (const [path, v] of a) {
    if (!b.has(path)) changes.push({ path, kind: "removed", before: v });
    else if (JSON.stringify(b.get(path)) !== JSON.stringify(v)) changes.push({ path, kind: "changed", before: v, after: b.get(path) });
  }
  for (const [path, v] of b) if (!a.has(path)) changes.push({ path, kind: "added", after: v });
  return changes;
}
