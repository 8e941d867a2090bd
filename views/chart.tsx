/** @jsxImportSource hono/jsx */
// Small bar charts in inline SVG (no library, no script): one per measure, each with its own
// scale, every bar a link to its run with a tooltip (<title>) giving the exact figure.
import type { FC } from "hono/jsx";
import { num } from "./format.ts";

export interface ChartPoint {
  runId: number;
  label: string;
  value: number;
  /** false for runs that changed nothing (held, dry run): drawn pale */
  applied: boolean;
}

const W = 200;
const H = 64;

export const BarChart: FC<{ title: string; points: ChartPoint[]; colour: string; unit?: string }> = ({ title, points, colour, unit }) => {
  const max = Math.max(1, ...points.map((p) => p.value));
  const slot = W / Math.max(points.length, 1);
  const bar = Math.max(1, slot * 0.72);
  const latest = points.at(-1);
  return (
    <figure class="chart">
      <figcaption class="chart-head">
        <span>{title}</span>
        <strong>{latest ? num(latest.value) : "–"}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${title} over the last ${points.length} runs`}>
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} stroke="#dde2e8" stroke-width="1" />
        {points.map((p, i) => {
          const h = p.value === 0 ? 0 : Math.max(1.5, (p.value / max) * (H - 4));
          return (
            <a href={`/runs/${p.runId}`}>
              <rect x={i * slot + (slot - bar) / 2} y={H - h} width={bar} height={h} fill={colour} fill-opacity={p.applied ? 1 : 0.35} />
              {/* a transparent full-height target, so small bars are easy to hover and tap */}
              <rect x={i * slot} y="0" width={slot} height={H} fill="transparent">
                <title>{`Run ${p.runId} (${p.label}): ${num(p.value)}${unit ? ` ${unit}` : ""}${p.applied ? "" : " — not applied"}`}</title>
              </rect>
            </a>
          );
        })}
      </svg>
      <div class="axis">
        <span>{points[0] ? `run ${points[0].runId}` : ""}</span>
        <span>max {num(max === 1 && points.every((p) => p.value === 0) ? 0 : max)}</span>
        <span>{latest ? `run ${latest.runId}` : ""}</span>
      </div>
    </figure>
  );
};
