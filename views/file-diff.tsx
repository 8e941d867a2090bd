/** @jsxImportSource hono/jsx */
// A batch file against the same-named file of an earlier run: records added, removed and
// changed (field by field), keyed by username — or a line diff for the control file.
import type { FC } from "hono/jsx";
import type { RecordDiff } from "../src/web/ui/file-diff.ts";
import type { DiffRow } from "../src/web/ui/line-diff.ts";
import type { FieldChange } from "../src/web/ui/record-diff.ts";
import { Empty, Figure, Notice, UserLink, valueText } from "./components.tsx";
import { num, plural } from "./format.ts";
import { changeText } from "./values.ts";
import { LineDiff } from "./line-diff.tsx";

export interface FileDiffProps {
  runId: number;
  name: string;
  previousRunId: number;
  records?: RecordDiff;
  lines?: { rows: DiffRow[]; added: number; removed: number };
  problem?: string;
}

export const FieldChanges: FC<{ fields: FieldChange[] }> = ({ fields }) =>
  fields.length ? (
    <table class="changes">
      <thead>
        <tr>
          <th>Field</th>
          <th>Before</th>
          <th>After</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr>
            <td>
              <code>{f.path}</code>
            </td>
            <td>{f.kind === "added" ? <span class="muted">(absent)</span> : f.before === "" ? <span class="muted">(empty)</span> : <del class="before">{changeText(f.before)}</del>}</td>
            <td>{f.kind === "removed" ? <span class="muted">(absent)</span> : f.after === "" ? <span class="muted">(empty)</span> : <ins class="after">{changeText(f.after)}</ins>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  ) : (
    <span class="muted small">only the order of fields or formatting differs</span>
  );

const RecordList: FC<{ items: { username: string; record: unknown }[]; tone: "before" | "after" }> = ({ items, tone }) => (
  <div class="scroll">
    <table>
      <tbody>
        {items.map((r) => (
          <tr>
            <td class="nowrap">
              <UserLink username={r.username} />
            </td>
            <td class="wrap">
              <code class={tone}>{valueText(r.record)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export const FileDiffPage: FC<FileDiffProps> = ({ runId, name, previousRunId, records, lines, problem }) => (
  <>
    <div class="page-head">
      <div>
        <div class="crumbs">
          <a href="/runs">Runs</a> / <a href={`/runs/${runId}`}>Run {runId}</a> /
        </div>
        <h1>
          <code>{name}</code>: changes since run {previousRunId}
        </h1>
        <p class="muted">
          <a href={`/runs/${previousRunId}/files/${encodeURIComponent(name)}`}>Download run {previousRunId}’s file</a> ·{" "}
          <a href={`/runs/${runId}/files/${encodeURIComponent(name)}`}>Download run {runId}’s file</a>
        </p>
      </div>
    </div>
    {problem ? <Notice tone="bad">{problem}</Notice> : null}
    {lines ? (
      <section class="card">
        <h2>
          {plural(lines.added, "line")} added, {num(lines.removed)} removed
        </h2>
        <LineDiff rows={lines.rows} />
      </section>
    ) : null}
    {records ? (
      <>
        <section class="card">
          <h2>Records, by username</h2>
          <dl class="figures">
            <Figure label={`In run ${previousRunId}`} value={num(records.counts.before)} />
            <Figure label={`In run ${runId}`} value={num(records.counts.after)} />
            <Figure label="Added" value={num(records.counts.added)} tone={records.counts.added ? "ok" : undefined} />
            <Figure label="Removed" value={num(records.counts.removed)} tone={records.counts.removed ? "warn" : undefined} />
            <Figure label="Changed" value={num(records.counts.changed)} />
            <Figure label="Unchanged" value={num(records.counts.unchanged)} />
          </dl>
          {records.counts.withoutUsername || records.counts.duplicates ? (
            <p class="muted small">
              Not compared: {num(records.counts.withoutUsername)} record(s) without a username and {num(records.counts.duplicates)} repeated username(s) in run{" "}
              {runId}’s file.
            </p>
          ) : null}
          <p class="muted small">Records are compared as data: a different order of fields or different spacing is not a change. Up to {records.cap} of each kind are shown.</p>
        </section>
        <section class="card">
          <h2>Changed ({num(records.counts.changed)})</h2>
          {records.changed.length ? (
            <div class="scroll">
              <table>
                <tbody>
                  {records.changed.map((c) => (
                    <tr>
                      <td class="nowrap shrink">
                        <UserLink username={c.username} />
                      </td>
                      <td>
                        <FieldChanges fields={c.fields} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <Empty>None.</Empty>
          )}
        </section>
        <div class="grid">
          <section class="card">
            <h2>Added ({num(records.counts.added)})</h2>
            {records.added.length ? <RecordList items={records.added} tone="after" /> : <Empty>None.</Empty>}
          </section>
          <section class="card">
            <h2>Removed ({num(records.counts.removed)})</h2>
            {records.removed.length ? <RecordList items={records.removed} tone="before" /> : <Empty>None.</Empty>}
          </section>
        </div>
      </>
    ) : null}
  </>
);
