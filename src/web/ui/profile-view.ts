// A profile object's attributes as a person reads them: names joined, phone numbers in
// international form, addresses on one line, refs as the referenced object's title.
import { profileAttributes, type TypedValue } from "../../control/index.ts";
import { qualifierLabel, typedValueText } from "../../../views/values.ts";
import type { Config } from "../../config/index.ts";
import type { ProfileLine } from "../../../views/user.tsx";

export function refIds(attributes: Record<string, unknown[]>): number[] {
  const ids = new Set<number>();
  for (const values of Object.values(attributes))
    for (const v of values as TypedValue[]) if (v && v.t === "ref" && typeof v.v === "number") ids.add(v.v);
  return [...ids];
}

export function profileLines(attributes: Record<string, unknown[]>, config: Config, titles: Map<number, string>): ProfileLine[] {
  const labels = new Map(profileAttributes({ profileAttributes: config.profile.attributes }).map((a) => [a.code, a.description ?? a.code]));
  labels.set("dc:attribute:title", "Name");
  labels.set("std:attribute:email", "Email");
  labels.set("dc:attribute:type", "Type");
  return Object.entries(attributes).map(([code, values]) => ({
    code,
    label: labels.get(code) ?? code,
    values: (values as TypedValue[]).map((v) => ({ text: typedValueText(v, titles), ...(v.q ? { qualifier: qualifierLabel(v.q) } : {}) })),
  }));
}
