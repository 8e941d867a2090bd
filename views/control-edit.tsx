/** @jsxImportSource hono/jsx */
// The admin's forms on the control-file page: upload a new version (a file or pasted text; every
// problem listed in place with its JSON path, the text kept to fix), and "try it" on a sample of
// one of its files (the first records mapped, each with its errors). No script: plain form posts.
import type { FC } from "hono/jsx";
import { Badge, CsrfField, Empty } from "./components.tsx";
import { num, sizeLimit } from "./format.ts";

export interface ProblemView {
  path: string;
  message: string;
}

export interface UploadFormProps {
  csrf: string;
  maxBytes: number;
  /** what was submitted, kept so that it can be fixed */
  text: string;
  comment: string;
  /** a problem with the submission itself (too large, not UTF-8, empty) */
  refusal?: string | null;
  problems: ProblemView[];
  warnings: ProblemView[];
  /** where the JSON stopped parsing, with that line's text */
  jsonAt?: { line: number; column: number; text: string } | null;
}

const ProblemList: FC<{ problems: ProblemView[]; id: string }> = ({ problems, id }) => (
  <ul class="problems" id={id}>
    {problems.map((p) => (
      <li>
        {p.path ? (
          <>
            <code class="path">{p.path}</code>:{" "}
          </>
        ) : null}
        <span>{p.message}</span>
      </li>
    ))}
  </ul>
);

/** The line where the JSON broke, and a caret under the column. */
const JsonExcerpt: FC<{ at: { line: number; column: number; text: string } }> = ({ at }) => {
  const start = Math.max(0, at.column - 60);
  const shown = at.text.slice(start, start + 120);
  return (
    <pre class="code excerpt" id="json-excerpt">
      {`${at.line} | ${start ? "…" : ""}${shown}\n${" ".repeat(String(at.line).length + 3 + (start ? 1 : 0) + at.column - 1 - start)}^`}
    </pre>
  );
};

export const ControlUploadForm: FC<UploadFormProps> = (p) => {
  const failed = !!p.refusal || p.problems.length > 0;
  return (
    <section class="card" id="upload">
      <h2>Upload a new version</h2>
      <p class="muted">
        Checked as a feed’s <code>_control</code> upload is: only a valid file is saved, and it becomes the current version — the one new runs start
        with. Every change is in the audit log. Up to {sizeLimit(p.maxBytes)}.
      </p>
      {failed ? (
        <div class="notice bad" role="alert" id="upload-errors">
          {p.refusal ? <p>{p.refusal}</p> : null}
          {p.problems.length ? (
            <>
              <p>
                <strong>Not saved:</strong> the control file has {num(p.problems.length)} problem{p.problems.length === 1 ? "" : "s"}. Fix{" "}
                {p.problems.length === 1 ? "it" : "them"} below and upload it again.
              </p>
              <ProblemList problems={p.problems} id="upload-problems" />
              {p.jsonAt ? <JsonExcerpt at={p.jsonAt} /> : null}
            </>
          ) : null}
        </div>
      ) : null}
      {p.warnings.length ? (
        <div class="notice warn" id="upload-warnings">
          <p>Warnings (they do not stop the file from being used, but it probably does not do what was meant):</p>
          <ProblemList problems={p.warnings} id="upload-warning-list" />
        </div>
      ) : null}
      <details class="confirm" open={failed || p.text ? true : undefined}>
        <summary class="button secondary">Upload…</summary>
        <form method="post" action="/control/upload" enctype="multipart/form-data" id="upload-form" class="confirm-form">
          <CsrfField token={p.csrf} />
          <div class="field">
            <label for="control-file">A control file (JSON)</label>
            <input type="file" id="control-file" name="file" accept=".json,application/json,text/plain" />
          </div>
          <div class={failed ? "field bad" : "field"}>
            <label for="control-text">…or its text (a chosen file is used instead)</label>
            <textarea id="control-text" name="text" rows={14} spellcheck={false}>
              {p.text}
            </textarea>
          </div>
          <div class="field">
            <label for="control-comment">Reason (kept with the version)</label>
            <input type="text" id="control-comment" name="comment" maxLength={500} value={p.comment} />
          </div>
          <div class="actions">
            <button type="submit">Check and make current</button>
          </div>
        </form>
      </details>
    </section>
  );
};

export interface TryRecordView {
  record: number;
  line: number | null;
  username: string | null;
  status: string;
  /** the record as read, as JSON (cut short) */
  raw: string;
  user: [string, string][];
  tags: [string, string][];
  profileTitle: string | null;
  profileTypes: string[];
  attributes: [string, string[]][];
  errors: string[];
}

export interface TryFormProps {
  csrf: string;
  maxBytes: number;
  limit: number;
  /** the names of the files the control file reads (of the pasted one, when it was pasted) */
  names: string[];
  name: string;
  /** the unsaved control file pasted to try instead of the current one */
  controlText: string;
  refusal?: string | null;
  problems: ProblemView[];
  result?: TryResultView | null;
}

export interface TryResultView {
  name: string;
  filename: string;
  reader: string;
  against: string;
  records: number;
  counts: { ok: number; rejected: number; "no-username": number; duplicate: number };
  errorCount: number;
  shown: TryRecordView[];
  failure: string | null;
  moreErrors: string[];
  notes: string[];
}

export const ControlTryForm: FC<TryFormProps> = (p) => (
  <section class="card" id="try">
    <h2>Try it on a sample</h2>
    <p class="muted">
      Reads a sample of one of the control file’s files as a run would — without changing any user — and shows what its first {p.limit} records
      become, and every record’s errors. Up to {sizeLimit(p.maxBytes)}.
    </p>
    {p.refusal || p.problems.length ? (
      <div class="notice bad" role="alert" id="try-errors">
        {p.refusal ? <p>{p.refusal}</p> : null}
        {p.problems.length ? (
          <>
            <p>The pasted control file is not valid:</p>
            <ProblemList problems={p.problems} id="try-problems" />
          </>
        ) : null}
      </div>
    ) : null}
    {!p.names.length && !p.controlText ? <p class="muted">There is no current control file: paste one below to try it.</p> : null}
    {(
      <form method="post" action="/control/try" enctype="multipart/form-data" id="try-form" class="confirm-form">
        <CsrfField token={p.csrf} />
        <div class="field">
          <label for="try-name">The sample is for the file</label>
          {p.names.length ? (
            <select id="try-name" name="name">
              {p.names.map((n) => (
                <option value={n} selected={n === p.name}>
                  {n}
                </option>
              ))}
            </select>
          ) : (
            <input type="text" id="try-name" name="name" value={p.name} maxLength={100} />
          )}
        </div>
        <div class="field">
          <label for="try-sample">Sample</label>
          <input type="file" id="try-sample" name="sample" />
        </div>
        <details class="confirm" open={p.controlText || !p.names.length ? true : undefined}>
          <summary class="button secondary small-button">Try an unsaved control file instead…</summary>
          <div class="field">
            <label for="try-control">Control file text (not saved; leave empty to use the current version)</label>
            <textarea id="try-control" name="control" rows={10} spellcheck={false}>
              {p.controlText}
            </textarea>
          </div>
        </details>
        <div class="actions">
          <button type="submit">Try it</button>
        </div>
      </form>
    )}
    {p.result ? <TryResults r={p.result} /> : null}
  </section>
);

const Pairs: FC<{ pairs: [string, string][] }> = ({ pairs }) =>
  pairs.length ? (
    <dl class="kv tight">
      {pairs.map(([k, v]) => (
        <>
          <dt>
            <code>{k}</code>
          </dt>
          <dd>{v}</dd>
        </>
      ))}
    </dl>
  ) : (
    <span class="muted">nothing</span>
  );

const TryResults: FC<{ r: TryResultView }> = ({ r }) => (
  <div id="try-result">
    <h3>
      {r.name} ({r.filename}), read as {r.reader}
    </h3>
    <p>
      {num(r.records)} record(s) read against {r.against}: {num(r.counts.ok)} would be applied, {num(r.counts.rejected)} rejected,{" "}
      {num(r.counts["no-username"])} without a username, {num(r.counts.duplicate)} duplicate(s); {num(r.errorCount)} error(s).
      {r.records > r.shown.length ? ` The first ${num(r.shown.length)} are shown.` : ""}
    </p>
    {r.notes.map((n) => (
      <p class="muted small">{n}</p>
    ))}
    {r.failure ? (
      <div class="notice bad" id="try-failure">
        <p>
          <strong>The file could not be read to its end:</strong> {r.failure}. The records after it are not read.
        </p>
      </div>
    ) : null}
    {r.shown.length ? (
      <div class="scroll">
        <table class="stack" id="try-records">
          <thead>
            <tr>
              <th>Record</th>
              <th>Username</th>
              <th>User</th>
              <th>Profile</th>
              <th>Errors</th>
            </tr>
          </thead>
          <tbody>
            {r.shown.map((x) => (
              <tr class={x.errors.length ? "row-bad" : undefined} data-record={String(x.record)}>
                <td data-label="Record" class="nowrap">
                  {x.record}
                  {x.line !== null ? <span class="muted small"> (line {x.line})</span> : null}{" "}
                  <Badge status={x.status === "ok" ? "complete" : "failure"} label={x.status} />
                  <details class="raw">
                    <summary class="small">as read</summary>
                    <pre class="code">{x.raw}</pre>
                  </details>
                </td>
                <td data-label="Username">{x.username ?? <span class="muted">none</span>}</td>
                <td data-label="User" class="wrap">
                  <Pairs pairs={x.user} />
                  {x.tags.length ? (
                    <>
                      <div class="small muted">tags</div>
                      <Pairs pairs={x.tags} />
                    </>
                  ) : null}
                </td>
                <td data-label="Profile" class="wrap">
                  {x.profileTypes.length ? (
                    <div class="small">
                      type {x.profileTypes.join(", ")}
                      {x.profileTitle ? `; title “${x.profileTitle}”` : ""}
                    </div>
                  ) : null}
                  <Pairs pairs={x.attributes.map(([k, vs]) => [k, vs.join(" | ")])} />
                </td>
                <td data-label="Errors" class="wrap errors">
                  {x.errors.length ? (
                    <ul class="plain">
                      {x.errors.map((e) => (
                        <li class="field-error">{e}</li>
                      ))}
                    </ul>
                  ) : (
                    <span class="muted">none</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <Empty>No record was read.</Empty>
    )}
    {r.moreErrors.length ? (
      <>
        <h3>Errors in the records not shown</h3>
        <ul id="try-more-errors">
          {r.moreErrors.map((e) => (
            <li>{e}</li>
          ))}
        </ul>
      </>
    ) : null}
  </div>
);
