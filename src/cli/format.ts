// Terminal output: aligned tables, numbers, and a progress line for long runs.
import type { ProgressState } from "../engine/index.ts";

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? "-" : n.toLocaleString("en-US");
}

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function time(value: unknown): string {
  if (!value) return "-";
  const d = value instanceof Date ? value : new Date(String(value));
  return d.toISOString().replace("T", " ").slice(0, 19);
}

const PHASES: Record<string, string> = {
  read: "reading",
  classify: "classifying",
  check: "checking",
  prepare: "preparing changes",
  apply: "applying",
  events: "writing the log",
  maintain: "tidying the database",
  done: "done",
};

/** A progress reporter for stderr: one rewritten line on a terminal, phase lines otherwise. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): (state: ProgressState) => void {
  const tty = stream.isTTY === true;
  let lastPhase = "";
  return (state) => {
    const label = PHASES[state.phase] ?? state.phase;
    const parts = [label];
    if (state.file) parts.push(state.file);
    if (state.done) parts.push(state.total ? `${num(state.done)} of ${num(state.total)}` : num(state.done));
    if (state.rate > 0 && state.done) parts.push(`${num(Math.round(state.rate))}/s`);
    const line = `run ${state.runId}: ${parts.join(" · ")}`;
    if (tty) {
      stream.write(`\r\x1b[2K${line}`);
      if (state.phase === "done") stream.write("\n");
    } else if (state.phase !== lastPhase) {
      stream.write(`${line}\n`);
    }
    lastPhase = state.phase;
  };
}
