// What `usersync check` checks against: the groups, the profile schema and the reference objects.
// The profile schema, user tags, qualifiers and groups come from usersync.json when there is one.
// The database is used only when it already exists (DATABASE_URL, or the embedded database's
// folder) and is free; `check` never creates one, and never writes to it. Without a database,
// refs are not looked up: a mapping or filter that needs the store gives a placeholder that says
// what it would look up.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/index.ts";
import type { Control, Lookups } from "../control/index.ts";
import { checkDetails, DeferredLookups, finishProfile, loadGroupDefinitions, loadLookups, normaliseUsername, type GroupDefinition } from "../engine/index.ts";
import type { FinishedRecord } from "../control/index.ts";
import { FolderInUseError, openStore, type Store } from "../store/index.ts";

/** Lookups that find nothing in a store but remember what they were asked, as negative ids. */
class OfflineLookups implements Lookups {
  private readonly ids = new Map<string, number>();
  readonly descriptions = new Map<number, string>();
  private id(description: string): number {
    let id = this.ids.get(description);
    if (id === undefined) {
      id = -(this.ids.size + 1);
      this.ids.set(description, id);
      this.descriptions.set(id, `${description}; not looked up: no database`);
    }
    return id;
  }
  refForBehaviour = (code: string) => this.id(`the object with behaviour ${code}`);
  refForTitle = (types: string[], title: string) => this.id(`the ${types.join(" or ")} titled "${title}"`);
  profileRefForUsername = (username: string) => this.id(`the profile of user ${username}`);
  profileRefForEmail = (email: string) => this.id(`the profile of the user with email ${email}`);
}

export interface CheckEnvironment {
  /** "the database at …", or why there is none */
  source: string;
  lookups: Lookups;
  /** Call once the control file is compiled: loads what its filters and mappings need. */
  prepare(needs: ReadonlySet<string>, titleTypes: string[][]): Promise<void>;
  /** The engine's rules after the control file: account checks, profile type and title. */
  finish(username: string, result: { complete: boolean; user: Record<string, unknown>; profile: import("../control/index.ts").ProfileDraft }): FinishedRecord;
  /** Titles and behaviours of the objects refs point at. */
  describeRefs(ids: number[]): Promise<(id: number) => string | null>;
  notes: string[];
  close(): Promise<void>;
}

function configDefinitions(config: Config): GroupDefinition[] {
  return config.groups.map((g) => ({ code: g.code, managed: g.managed ?? true, profileType: g.profileType ?? null, pastProfileType: g.pastProfileType ?? null }));
}

/** Groups as the next run would see them: the database's, with usersync.json's applied over them. */
function mergeDefinitions(stored: GroupDefinition[], config: Config): GroupDefinition[] {
  if (!config.groups.length) return stored;
  const fromConfig = configDefinitions(config);
  const codes = new Set(fromConfig.map((g) => g.code));
  return [...fromConfig, ...stored.filter((g) => !codes.has(g.code)).map((g) => ({ ...g, managed: false }))];
}

export async function openCheckEnvironment(config: Config, options: { offline: boolean }): Promise<CheckEnvironment> {
  const notes: string[] = [];
  let store: Store | null = null;
  let source = "no database";
  const hasDatabase = config.databaseUrl !== null || existsSync(join(config.dataDir, "pg", "PG_VERSION"));
  if (options.offline) source = "no database (--offline)";
  else if (!hasDatabase) source = `no database (none at ${config.dataDir}, and DATABASE_URL is not set)`;
  else {
    try {
      store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, filesDir: config.filesDir });
      source = config.databaseUrl ? "the PostgreSQL database (DATABASE_URL)" : `the embedded database in ${config.dataDir}`;
    } catch (error) {
      // check works without a database; it says why it has none
      source =
        error instanceof FolderInUseError
          ? `no database (${config.dataDir} is in use by a running daemon)`
          : `no database (it could not be opened: ${(error as Error).message})`;
    }
  }

  return checkEnvironmentWith(store, config, { source, notes, close: async () => await store?.close() });
}

/**
 * The environment for a store that is already open (the daemon's, for the web UI's "try it"), or
 * for none. `close` is what closing it does (nothing, for a store someone else owns).
 */
export async function checkEnvironmentWith(
  store: Store | null,
  config: Config,
  options: { source: string; notes?: string[]; close?: () => Promise<void> },
): Promise<CheckEnvironment> {
  const { source } = options;
  const notes = [...(options.notes ?? [])];
  const definitions = mergeDefinitions(store ? await loadGroupDefinitions(store.db) : [], config);
  const knownGroups = definitions.length ? new Set(definitions.map((d) => d.code)) : null;
  if (!knownGroups) notes.push("Group codes are not checked: neither usersync.json nor a database names any groups.");
  if (!store) notes.push("Refs (mappings, haplo:*-to-ref filters) are not looked up without a database: they show what they would look up.");

  const offline = new OfflineLookups();
  const late = new DeferredLookups();
  if (!store) late.inner = offline;

  return {
    source,
    lookups: late,
    notes,
    async prepare(needs, titleTypes) {
      if (store) late.inner = await loadLookups(store.db, needs, titleTypes);
    },
    finish(username, result) {
      const user = result.user;
      const groupsOfRecord = (Array.isArray(user.groups) ? user.groups : [user.groups]).filter((g): g is string => typeof g === "string");
      const check = checkDetails(username, user, knownGroups ?? new Set(groupsOfRecord));
      if (!check.ok) return { problems: check.problems };
      const profile = finishProfile(result.profile, check.details, definitions, config.profile.defaultType);
      return { problems: [], user: check.details, profile };
    },
    async describeRefs(ids) {
      const found = new Map<number, string>(offline.descriptions);
      const stored = ids.filter((id) => id > 0);
      if (store && stored.length) {
        const rows = await store.db.query<{ id: number; title: string; behaviour: string | null }>(
          "SELECT id, title, behaviour FROM objects WHERE id = ANY($1::bigint[])",
          [stored],
        );
        for (const r of rows) found.set(Number(r.id), [r.title, r.behaviour && `behaviour ${r.behaviour}`].filter(Boolean).join(", "));
      }
      return (id) => found.get(id) ?? null;
    },
    async close() {
      await options.close?.();
    },
  };
}

export { normaliseUsername };
