/** @jsxImportSource hono/jsx */
// A line diff as a table: removed lines red, added green, unchanged stretches folded.
import type { FC } from "hono/jsx";
import type { DiffRow } from "../src/web/ui/line-diff.ts";

export const LineDiff: FC<{ rows: DiffRow[] }> = ({ rows }) => (
  <div class="scroll">
    <table class="linediff">
      <tbody>
        {rows.map((r) =>
          r.kind === "gap" ? (
            <tr class="gap">
              <td colspan={3}>⋯ {r.text} ⋯</td>
            </tr>
          ) : (
            <tr class={r.kind === "add" ? "add" : r.kind === "del" ? "del" : undefined}>
              <td class="ln">{r.oldLine ?? ""}</td>
              <td class="ln">{r.newLine ?? ""}</td>
              <td>
                <span class="sr-only">{r.kind === "add" ? "added: " : r.kind === "del" ? "removed: " : ""}</span>
                {r.kind === "add" ? "+ " : r.kind === "del" ? "− " : "  "}
                {r.text}
              </td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  </div>
);
