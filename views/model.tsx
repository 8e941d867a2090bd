/** @jsxImportSource hono/jsx */
// The haplo:user-sync model as Haplo's data-import admin shows it: each destination with its
// names, types, required/optional and multivalue; the managed groups and their profile types; and
// the control-file generator (tick names, get a starting control file).
import type { FC } from "hono/jsx";
import type { DestinationDef, Model } from "../src/control/index.ts";
import { Badge, Empty } from "./components.tsx";

export interface GroupView {
  code: string;
  title: string;
  managed: boolean;
  profileType: string | null;
  pastProfileType: string | null;
  members: number;
}

export const GroupsTable: FC<{ groups: GroupView[] }> = ({ groups }) =>
  groups.length ? (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Group code</th>
            <th>Title</th>
            <th>Managed</th>
            <th>Profile type (current)</th>
            <th>Profile type (past)</th>
            <th class="num">Members</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr>
              <td>
                <code>{g.code}</code>
              </td>
              <td>{g.title}</td>
              <td>{g.managed ? <Badge status="running" label="managed" /> : <Badge status="uploading" label="not managed" />}</td>
              <td>{g.profileType ? <code>{g.profileType}</code> : <span class="muted">–</span>}</td>
              <td>{g.pastProfileType ? <code>{g.pastProfileType}</code> : g.profileType ? <span class="muted">same as current</span> : <span class="muted">–</span>}</td>
              <td class="num">{g.members.toLocaleString("en-GB")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  ) : (
    <Empty>No groups are configured. Add them to usersync.json (groups).</Empty>
  );

function sortedDestinations(model: Model): DestinationDef[] {
  return [...model.destinations.values()].sort((a, b) => a.displaySort - b.displaySort);
}

const Destination: FC<{ d: DestinationDef; generator: boolean }> = ({ d, generator }) => (
  <section class="card" id={`destination-${d.name}`}>
    <div class="card-head">
      <h2>{d.title}</h2>
      <code>{JSON.stringify({ destination: d.name })}</code>
    </div>
    <p>
      {d.description}{" "}
      {d.dependsOn ? <span class="badge outline">Depends on {d.dependsOn}</span> : null} {d.optional ? <span class="badge outline">Optional</span> : null}{" "}
      {d.pseudo ? <span class="badge outline">Pseudo destination</span> : null}
    </p>
    {d.names.size ? (
      <div class="scroll">
        <table>
          <thead>
            <tr>
              {generator ? <th>Use</th> : null}
              <th>Name</th>
              <th>Type</th>
              <th>MV?</th>
              <th>Req?</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {[...d.names.values()].map((n) => (
              <tr>
                {generator ? (
                  <td>
                    <label class="check">
                      <input type="checkbox" name="pick" value={`${d.name}^${n.name}`} checked={n.required} />
                      <span class="sr-only">use {n.name}</span>
                    </label>
                    {n.multivalue ? (
                      <label class="check small">
                        <input type="checkbox" name="mv" value={`${d.name}^${n.name}`} /> replace all
                      </label>
                    ) : null}
                  </td>
                ) : null}
                <td>
                  <code>{n.name}</code>
                </td>
                <td>
                  {n.type}
                  {n.refTypes?.length ? <div class="small muted">{n.refTypes.join(", ")}</div> : null}
                </td>
                <td>{n.multivalue ? "yes" : ""}</td>
                <td>{n.required ? "yes" : ""}</td>
                <td class="wrap">{n.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <Empty>No names: this destination takes none in the current configuration.</Empty>
    )}
  </section>
);

export const ModelPage: FC<{ model: Model; groups: GroupView[] }> = ({ model, groups }) => {
  const forGenerator = sortedDestinations(model).filter((d) => !d.pseudo && !d.excludeFromGenerator);
  const reference = sortedDestinations(model).filter((d) => d.pseudo || d.excludeFromGenerator);
  return (
    <>
      <div class="page-head">
        <div>
          <h1>
            Model <code>{model.name}</code>
          </h1>
          <p class="muted">
            {model.title}: {model.description}. What a control file can write, and how.
          </p>
        </div>
      </div>
      <section class="card">
        <h2>Managed groups</h2>
        <p class="muted small">
          Membership of a managed group follows the feed exactly; the profile takes the group’s type while the person is in the feed, and its past
          type once blocked. Groups that are not managed are never removed by the sync.
        </p>
        <GroupsTable groups={groups} />
      </section>
      <form method="get" action="/model/generate">
        <section class="card">
          <h2>Generate a control file</h2>
          <p>
            Tick the names your feed will supply (required names are ticked already) and generate a starting control file. Every <code>TODO</code>{" "}
            in it must then be replaced by your file’s field names.
          </p>
          <button type="submit">Generate a control file</button>
        </section>
        {forGenerator.map((d) => (
          <Destination d={d} generator />
        ))}
        <section class="card">
          <button type="submit">Generate a control file</button>
        </section>
      </form>
      {reference.map((d) => (
        <Destination d={d} generator={false} />
      ))}
    </>
  );
};

export const GeneratedPage: FC<{ text: string; downloadHref: string; backHref: string }> = ({ text, downloadHref, backHref }) => (
  <>
    <div class="page-head">
      <div>
        <div class="crumbs">
          <a href="/model">Model</a> /
        </div>
        <h1>A starting control file</h1>
      </div>
      <div class="actions">
        <a class="button" href={downloadHref}>
          Download
        </a>
        <a class="button secondary" href={backHref}>
          Change the names
        </a>
      </div>
    </div>
    <div class="notice warn">
      <p>
        This cannot be used as it is: replace each <code>TODO-…</code> source with the name of the field in your file, name your file(s) in{" "}
        <code>files</code>, and fill in any mapping.
      </p>
    </div>
    <section class="card">
      <pre class="code">{text}</pre>
    </section>
  </>
);
