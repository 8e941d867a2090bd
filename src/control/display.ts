// Values as a person reads them: for `usersync check`, the run log and the web UI.
import type { TypedValue } from "./types.ts";
import { describeTelephone, personNameText } from "./values.ts";

/** Describes a ref (an object id): its title, its behaviour… or null when nothing is known. */
export type DescribeRef = (id: number) => string | null;

/** One typed value of a profile attribute, as text: "Dr Ada Lovelace", "+44 20 7946 0000", "ref 12 (Chemistry)". */
export function typedValueText(value: TypedValue, describeRef: DescribeRef = () => null): string {
  const { t, v, q } = value;
  let text: string;
  if (t === "ref" && typeof v === "number") {
    const about = describeRef(v);
    text = v < 0 ? `ref (${about ?? "not looked up"})` : `ref ${v}${about ? ` (${about})` : ""}`;
  } else if (t === "person-name" && v !== null && typeof v === "object") text = personNameText(v as Record<string, unknown>);
  else if (t === "postal-address" && v !== null && typeof v === "object") text = Object.values(v as Record<string, unknown>).join(", ");
  else if (t === "telephone-number" && v !== null && typeof v === "object") {
    const phone = describeTelephone(v as { number: string; country: string });
    text = phone.international ?? phone.number;
  } else text = typeof v === "string" ? v : JSON.stringify(v);
  const type = t === "text" || t === "ref" ? "" : ` <${t}>`;
  return `${text}${type}${q ? ` [${q}]` : ""}`;
}
