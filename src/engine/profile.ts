// What the sync itself does to a profile object after the control file's instructions
// (reference §6.5): the type follows the managed groups, the main title is rebuilt from the
// user's names, the email follows the account.
import { personNameText, type ProfileDraft, type TypedValue } from "../control/index.ts";
import type { UserDetails } from "./details.ts";

export interface GroupDefinition {
  code: string;
  managed: boolean;
  profileType: string | null;
  pastProfileType: string | null;
}

export interface FinishedProfile {
  types: string[];
  title: string;
  attributes: Record<string, TypedValue[]>;
}

/** Profile types for a member of `groups` (configuration order), or the default type. */
export function profileTypesFor(groups: readonly string[], definitions: readonly GroupDefinition[], defaultType: string): string[] {
  const types: string[] = [];
  for (const def of definitions) {
    if (def.managed && def.profileType && groups.includes(def.code) && !types.includes(def.profileType)) types.push(def.profileType);
  }
  return types.length ? types : [defaultType];
}

export function finishProfile(
  draft: ProfileDraft,
  details: UserDetails,
  definitions: readonly GroupDefinition[],
  defaultType: string,
): FinishedProfile {
  // Title: the main, unqualified title is always built from the account's names; qualified
  // titles (e.g. an alternative formal name) are kept unless they say the same thing.
  const main = { ...(details.title ? { title: details.title } : {}), first: details.nameFirst, last: details.nameLast };
  const mainText = personNameText(main);
  const titles: TypedValue[] = [{ t: "person-name", v: main }];
  for (const old of draft.get("dc:attribute:title")) {
    if (old.q === undefined) continue;
    const oldText = typeof old.v === "string" ? old.v : personNameText(old.v as Record<string, unknown>);
    if (oldText !== mainText && !titles.some((t) => t.q === old.q && JSON.stringify(t.v) === JSON.stringify(old.v))) titles.push(old);
  }
  draft.setAll("dc:attribute:title", titles);
  draft.setAll("std:attribute:email", [{ t: "email-address", v: details.email }]);
  return {
    types: profileTypesFor(details.groups, definitions, defaultType),
    title: mainText,
    attributes: draft.toAttributes(),
  };
}

/** The past type of a blocked member: the last managed group (configuration order) they are still in. */
export function pastProfileType(groups: readonly string[], definitions: readonly GroupDefinition[]): string | null {
  let type: string | null = null;
  for (const def of definitions) {
    if (def.managed && groups.includes(def.code)) type = def.pastProfileType ?? def.profileType ?? type;
  }
  return type;
}
