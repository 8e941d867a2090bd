// A line diff of two texts (control-file versions, or two `_control` files) with the unchanged
// stretches folded to a few lines of context. The diffing itself is the `diff` library's.
import { diffLines } from "diff";

export interface DiffRow {
  kind: "same" | "add" | "del" | "gap";
  oldLine?: number;
  newLine?: number;
  text: string;
}

export function lineDiff(before: string, after: string, context = 3): { rows: DiffRow[]; added: number; removed: number } {
  const rows: DiffRow[] = [];
  let oldLine = 1;
  let newLine = 1;
  let added = 0;
  let removed = 0;
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, "").split("\n");
    for (const text of lines) {
      if (part.added) {
        rows.push({ kind: "add", newLine: newLine++, text });
        added++;
      } else if (part.removed) {
        rows.push({ kind: "del", oldLine: oldLine++, text });
        removed++;
      } else rows.push({ kind: "same", oldLine: oldLine++, newLine: newLine++, text });
    }
  }
  // Fold: keep `context` unchanged lines around each change.
  const keep = rows.map((r) => r.kind !== "same");
  const near = rows.map((_, i) => {
    for (let d = -context; d <= context; d++) if (keep[i + d]) return true;
    return false;
  });
  const folded: DiffRow[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (near[i]) folded.push(rows[i]!);
    else if (folded.at(-1)?.kind !== "gap") {
      let j = i;
      while (j < rows.length && !near[j]) j++;
      folded.push({ kind: "gap", text: `${j - i} unchanged line${j - i === 1 ? "" : "s"}` });
    }
  }
  return { rows: folded, added, removed };
}
