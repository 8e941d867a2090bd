/** @jsxImportSource hono/jsx */
// Lines of a run's log, with the field-level changes of each user folded under the line
// (<details>: open with a click, no script needed).
import type { FC } from "hono/jsx";
import type { LogDetail, LogLineView } from "../src/web/ui/data/log.ts";
import { userHref, UserLink } from "./components.tsx";
import { changeText } from "./values.ts";

const Changes: FC<{ detail: LogDetail }> = ({ detail }) => {
  const fields = Object.entries(detail.changes ?? {});
  return (
    <table class="changes">
      <thead>
        <tr>
          <th>Field</th>
          <th>Before</th>
          <th>After</th>
        </tr>
      </thead>
      <tbody>
        {fields.map(([field, pair]) => (
          <tr>
            <td>{field}</td>
            <td>{Array.isArray(pair) && pair[0] !== null && pair[0] !== undefined ? <del class="before">{changeText(pair[0])}</del> : <span class="muted">–</span>}</td>
            <td>{Array.isArray(pair) && pair[1] !== null && pair[1] !== undefined ? <ins class="after">{changeText(pair[1])}</ins> : <span class="muted">–</span>}</td>
          </tr>
        ))}
        {detail.groupsAdded?.length ? (
          <tr>
            <td>groups added</td>
            <td></td>
            <td>
              <ins class="after">{detail.groupsAdded.join(", ")}</ins>
            </td>
          </tr>
        ) : null}
        {detail.groupsRemoved?.length ? (
          <tr>
            <td>groups removed</td>
            <td>
              <del class="before">{detail.groupsRemoved.join(", ")}</del>
            </td>
            <td></td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
};

/** The line's text; its username, where it names one, links to the user's page. */
const Message: FC<{ line: LogLineView; linkUser: boolean }> = ({ line, linkUser }) => {
  const u = line.username;
  if (!linkUser || !u || line.action === "run") return <>{line.message}</>;
  if (line.message.endsWith(u))
    return (
      <>
        {line.message.slice(0, line.message.length - u.length)}
        <a href={userHref(u)}>{u}</a>
      </>
    );
  return (
    <>
      {line.message}
      <span class="small">
        {" "}
        · <UserLink username={u} />
      </span>
    </>
  );
};

function hasChanges(d: LogDetail | null): d is LogDetail {
  return !!d && (Object.keys(d.changes ?? {}).length > 0 || !!d.groupsAdded?.length || !!d.groupsRemoved?.length);
}

function where(d: LogDetail | null): string | null {
  if (!d || !d.file) return null;
  return [d.file, d.record !== undefined ? `record ${d.record}` : null, d.line !== undefined ? `line ${d.line}` : null].filter(Boolean).join(", ");
}

export const LogTable: FC<{ lines: LogLineView[]; openChanges?: boolean; showUser?: boolean }> = ({ lines, openChanges, showUser = true }) => (
  <div class="scroll">
    <table class="log">
      <tbody>
        {lines.map((line) => {
          const place = where(line.detail);
          return (
            <tr class={line.level} id={`l${line.seq}`}>
              <td class="seq">
                <a href={`#l${line.seq}`} title="link to this line">
                  {line.seq}
                </a>
              </td>
              <td class="lvl">
                <span class={`badge ${line.level === "error" ? "bad" : line.level === "warn" ? "warn" : "outline"}`}>{line.level}</span>
              </td>
              <td class="msg">
                <Message line={line} linkUser={showUser} />
                {place && line.level !== "info" ? <div class="muted small">{place}</div> : null}
                {hasChanges(line.detail) ? (
                  <details open={openChanges}>
                    <summary>changes</summary>
                    <Changes detail={line.detail} />
                  </details>
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </div>
);
