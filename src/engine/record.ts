// One record through the control file: the per-record work shared by pass 1 (stage.ts, against
// a blank profile) and pass 2 (changes.ts, against the stored profile). Plain synchronous
// functions: they run a million times.
import type { Attributes, Control, TransformResult, TypedValue } from "../control/index.ts";
import { checkDetails, type UserDetails } from "./details.ts";
import { digestOf } from "./digest.ts";
import { finishProfile, type FinishedProfile, type GroupDefinition } from "./profile.ts";

export interface MappingContext {
  control: Control;
  knownGroups: ReadonlySet<string>;
  managedGroups: ReadonlySet<string>;
  definitions: readonly GroupDefinition[];
  defaultType: string;
  /** Group definitions and defaults, as text: part of every record's digest. */
  definitionsText: string;
}

export type Mapped =
  | { ok: true; details: UserDetails; result: TransformResult; digest: number; messages: string[]; mapped: string }
  | { ok: false; messages: string[]; result: TransformResult };

/**
 * Run the control file over a record and check the account it describes. `messages` are the
 * record's log lines in Haplo's words. The digest covers what the control file asks for — account
 * details, tags, profile edits with their single/multi-value modes — and the group definitions;
 * when an if-has-value reads the profile, the raw record too.
 */
export function mapRecord(ctx: MappingContext, n: number, username: string, record: unknown, text: string, base: Attributes | null): Mapped {
  const result = ctx.control.transform(record, base);
  const id = `record ${n}, user ${username}`;
  const messages = result.errors.map((e) => `ERROR: ${e} (${id})`);
  if (!result.complete) {
    messages.push(`Record has missing data for username ${username} (ignoring)`);
    return { ok: false, messages, result };
  }
  const check = checkDetails(username, result.user, ctx.knownGroups);
  if (!check.ok) {
    for (const p of check.problems) messages.push(`ERROR: (${username}) ${p}`);
    return { ok: false, messages, result };
  }
  // What the control file asked for: the account details, the tags, the profile edits. Built in a
  // fixed key order by the control file's fixed instruction order, so plain JSON.stringify is
  // canonical here (sorting keys for every record cost 10 µs each). It is also what the
  // received-data timeline keeps as the record's mapped output.
  const tags = result.tags ? sortedObject(result.tags) : null;
  const mapped = JSON.stringify({ user: check.details, tags, profile: result.profile.edits });
  const digest = digestOf(ctx.control.instructions.profileDependent ? `${ctx.definitionsText}\n${mapped}\n${text}` : `${ctx.definitionsText}\n${mapped}`);
  return { ok: true, details: check.details, result, digest, messages, mapped };
}

function sortedObject(o: Record<string, string>): Record<string, string> {
  const keys = Object.keys(o);
  if (keys.length < 2) return o;
  const out: Record<string, string> = {};
  for (const k of keys.sort()) out[k] = o[k]!;
  return out;
}

/** What an account and its profile become when a mapped record is applied. */
export interface UserState {
  profile: FinishedProfile;
  tags: Record<string, string>;
  /** group codes after the run: kept unmanaged ones plus the feed's */
  groups: string[];
  added: string[];
  removed: string[];
}

export function userState(ctx: MappingContext, m: Extract<Mapped, { ok: true }>, storedTags: Record<string, string> | null, storedGroups: readonly string[]): UserState {
  const profile = finishProfile(m.result.profile, m.details, ctx.definitions, ctx.defaultType);
  const tags = m.result.tags ? { ...(storedTags ?? {}), ...m.result.tags } : (storedTags ?? {});
  const groups = storedGroups.filter((g) => !ctx.managedGroups.has(g));
  for (const g of m.details.groups) if (!groups.includes(g)) groups.push(g);
  const added = groups.filter((g) => !storedGroups.includes(g));
  const removed = storedGroups.filter((g) => !groups.includes(g));
  return { profile, tags, groups, added, removed };
}

export type { TypedValue };
