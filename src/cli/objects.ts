// usersync objects load FILE | usersync objects list
// Reference objects: the departments, institutes… that a control file's `mapping` (using
// behaviour or title) and the haplo:code-to-ref filter point profiles at. In Haplo they were
// objects of the application; here they are loaded from a JSON file into the `objects` table,
// matched by behaviour code (or, for an object without one, by its types and title), so loading
// the same file again changes nothing and a changed title updates the object in place.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Sql } from "../store/index.ts";
import { parseJsonWithPosition } from "../util/json.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { withContext } from "./context.ts";
import { num, table } from "./format.ts";

export interface ReferenceObject {
  types: string[];
  title: string;
  behaviour: string | null;
  alternativeTitles: string[];
}

const KNOWN = ["types", "type", "title", "behaviour", "alternativeTitles"];

/** Reads and checks a file of reference objects; throws with every problem, each at its place. */
export function parseReferenceObjects(text: string, file: string): ReferenceObject[] {
  const parsed = parseJsonWithPosition(text);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  const list = Array.isArray(parsed.value) ? parsed.value : (parsed.value as { objects?: unknown })?.objects;
  if (!Array.isArray(list)) throw new Error(`${file}: expected a JSON array of objects, e.g. [{ "types": ["example:type:department"], "title": "Chemistry", "behaviour": "example:department:chemistry" }]`);
  const problems: string[] = [];
  const objects: ReferenceObject[] = [];
  const behaviours = new Map<string, number>();
  list.forEach((item: unknown, i) => {
    const at = `[${i}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      problems.push(`${at}: must be an object with types, title and (usually) behaviour`);
      return;
    }
    const o = item as Record<string, unknown>;
    const types = o.types ?? (o.type === undefined ? undefined : [o.type]);
    const ok = { types: true, title: true };
    if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === "string" && t.trim() !== "")) {
      problems.push(`${at}.types: must be a non-empty list of type codes`);
      ok.types = false;
    }
    if (typeof o.title !== "string" || o.title.trim() === "") {
      problems.push(`${at}.title: must be non-empty text`);
      ok.title = false;
    }
    if (o.behaviour !== undefined && o.behaviour !== null && (typeof o.behaviour !== "string" || o.behaviour.trim() === ""))
      problems.push(`${at}.behaviour: must be a behaviour code such as example:department:chemistry`);
    const alternatives = o.alternativeTitles ?? [];
    if (!Array.isArray(alternatives) || !alternatives.every((t) => typeof t === "string" && t !== ""))
      problems.push(`${at}.alternativeTitles: must be a list of titles`);
    for (const key of Object.keys(o)) if (!KNOWN.includes(key)) problems.push(`${at}.${key}: unknown property (an object has ${KNOWN.join(", ")})`);
    const behaviour = typeof o.behaviour === "string" ? o.behaviour.trim() : null;
    if (behaviour) {
      if (behaviours.has(behaviour)) problems.push(`${at}.behaviour: ${behaviour} is also the behaviour of [${behaviours.get(behaviour)}]`);
      behaviours.set(behaviour, i);
    }
    if (ok.types && ok.title)
      objects.push({
        types: (types as string[]).map((t) => t.trim()),
        title: (o.title as string).trim(),
        behaviour,
        alternativeTitles: Array.isArray(alternatives) ? (alternatives as string[]) : [],
      });
  });
  if (problems.length) throw new Error(`${file} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return objects;
}

function attributesOf(o: ReferenceObject) {
  return {
    "dc:attribute:title": [{ t: "text", v: o.title }, ...o.alternativeTitles.map((v) => ({ t: "text", v, q: "dc:qualifier:alternative" }))],
  };
}

/** Creates or updates each object (one transaction); returns what it did. */
export async function upsertReferenceObjects(db: { transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> }, objects: ReferenceObject[]) {
  return db.transaction(async (tx) => {
    const counts = { created: 0, updated: 0, unchanged: 0 };
    for (const o of objects) {
      const attributes = JSON.stringify(attributesOf(o));
      const [existing] = o.behaviour
        ? await tx.query<{ id: number; same: boolean }>(
            `SELECT id, (types = $2::text[] AND title = $3 AND attributes = $4::text::jsonb) AS same FROM objects WHERE behaviour = $1`,
            [o.behaviour, o.types, o.title, attributes],
          )
        : await tx.query<{ id: number; same: boolean }>(
            `SELECT id, (attributes = $3::text::jsonb) AS same FROM objects o
             WHERE behaviour IS NULL AND title = $2 AND types @> $1::text[] AND types <@ $1::text[]
               AND NOT EXISTS (SELECT 1 FROM users u WHERE u.profile_id = o.id)
             ORDER BY id LIMIT 1`,
            [o.types, o.title, attributes],
          );
      if (!existing) {
        await tx.query("INSERT INTO objects (types, title, attributes, behaviour) VALUES ($1::text[], $2, $3::text::jsonb, $4)", [
          o.types,
          o.title,
          attributes,
          o.behaviour,
        ]);
        counts.created++;
      } else if (existing.same) counts.unchanged++;
      else {
        await tx.query(
          "UPDATE objects SET types = $2::text[], title = $3, attributes = $4::text::jsonb, version = version + 1, updated_at = now() WHERE id = $1",
          [existing.id, o.types, o.title, attributes],
        );
        counts.updated++;
      }
    }
    return counts;
  });
}

interface ListedObject {
  id: number;
  types: string[];
  title: string;
  behaviour: string | null;
}

/** Every object that is not a user's profile. */
export async function listReferenceObjects(db: Sql, type?: string): Promise<ListedObject[]> {
  const rows = await db.query<ListedObject>(
    `SELECT id, types, title, behaviour FROM objects o
     WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.profile_id = o.id) AND ($1::text IS NULL OR $1 = ANY(types))
     ORDER BY types[1], title, id`,
    [type ?? null],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export const objectsCommand: Command = {
  name: "objects",
  summary: "Reference objects for mappings (departments…): usersync objects load FILE | list",
  usage: `usersync objects load FILE.json [--config usersync.json]
usersync objects list [--type TYPE] [--json] [--config usersync.json]

Reference objects are what a control file's "mapping" (using "behaviour" or "title") and the
haplo:code-to-ref filter point profile attributes at: departments, research institutes…

load reads a JSON array of objects and creates or updates them, in one transaction:
  [ { "types": ["hres:type:research-institute:department"], "title": "Chemistry",
      "behaviour": "example:research-institute:chemistry", "alternativeTitles": ["Dept. of Chemistry"] } ]
An object is matched by its behaviour code; one without a behaviour by its types and title. Loading
the same file again changes nothing. Objects not in the file are left as they are.

list shows the reference objects (every object that is not a user's profile).`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: "string" }, json: { type: "boolean" }, type: { type: "string" } },
    });
    const [sub, file, ...rest] = positionals;
    if (sub === "load") {
      if (!file) throw new UsageError("Name the JSON file of objects to load");
      if (rest.length) throw new UsageError(`Unexpected arguments: ${rest.join(" ")}`);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        throw new UsageError(`File not found: ${file}`);
      }
      let objects: ReferenceObject[];
      try {
        objects = parseReferenceObjects(text, file);
      } catch (error) {
        console.error((error as Error).message);
        return EXIT.failure;
      }
      return withContext(values.config, async ({ store }) => {
        const counts = await upsertReferenceObjects(store.db, objects);
        console.log(`${file}: ${num(objects.length)} object(s): ${num(counts.created)} created, ${num(counts.updated)} updated, ${num(counts.unchanged)} unchanged.`);
        return EXIT.ok;
      });
    }
    if (sub === "list") {
      if (file) throw new UsageError(`Unexpected argument: ${file}`);
      return withContext(values.config, async ({ store }) => {
        const objects = await listReferenceObjects(store.db, values.type);
        if (values.json) console.log(JSON.stringify(objects, null, 2));
        else if (!objects.length) console.log("No reference objects. Load some with: usersync objects load FILE.json");
        else console.log(table(["ID", "TYPES", "TITLE", "BEHAVIOUR"], objects.map((o) => [o.id, o.types.join(", "), o.title, o.behaviour ?? ""])));
        return EXIT.ok;
      });
    }
    throw new UsageError(sub ? `Unknown objects command "${sub}": use load or list` : "Say load FILE or list");
  },
};
