// Stored values as a person reads them: a profile's typed values ({t, v, q}) — names joined,
// phone numbers in international form, addresses on one line, refs by title when known — and
// anything else as compact JSON.
import { describeTelephone } from "../src/control/index.ts";
import { valueText } from "./components.tsx";

export interface TypedValueLike {
  t: string;
  v: unknown;
  q?: string;
}

function isTypedValue(x: unknown): x is TypedValueLike {
  return x !== null && typeof x === "object" && !Array.isArray(x) && typeof (x as TypedValueLike).t === "string" && "v" in x;
}

const NAME_PARTS = ["title", "first", "middle", "last", "suffix"];
const ADDRESS_PARTS = ["street1", "street2", "city", "county", "postcode", "country"];

export function typedValueText(tv: TypedValueLike, titles: Map<number, string> = new Map()): string {
  const value = tv.v as any;
  const parts = (keys: string[]) => keys.map((k) => value?.[k]).filter((x) => typeof x === "string" && x.trim() !== "").join(keys === NAME_PARTS ? " " : ", ");
  switch (tv.t) {
    case "person-name":
      return value && typeof value === "object" ? parts(NAME_PARTS) : String(value);
    case "postal-address":
      return value && typeof value === "object" ? parts(ADDRESS_PARTS) : String(value);
    case "telephone-number":
      // Stored as entered with its country; the international form is worked out when shown.
      if (value && typeof value === "object" && typeof value.number === "string")
        return value.international ?? describeTelephone({ number: value.number, country: String(value.country ?? "GB") }).international ?? value.number;
      return valueText(value);
    case "ref": {
      const title = typeof value === "number" ? titles.get(value) : undefined;
      return title ? `${title} (object ${value})` : `object ${valueText(value)}`;
    }
    case "datetime":
    case "date":
      return typeof value === "string" ? value.replace("T00:00:00.000Z", "").replace("T", " ").replace(/\.000Z$/, " UTC") : valueText(value);
    default:
      return typeof value === "string" ? value : valueText(value);
  }
}

export const qualifierLabel = (q: string) => q.split(":").pop() ?? q;

/** One side of a logged change: a typed value, a list of them, or a plain value. */
export function changeText(x: unknown): string {
  if (isTypedValue(x)) return typedValueText(x) + (x.q ? ` (${qualifierLabel(x.q)})` : "");
  if (Array.isArray(x) && x.length && x.every(isTypedValue)) return x.map((v) => changeText(v)).join("; ");
  if (Array.isArray(x) && x.every((v) => typeof v === "string")) return x.join(", ");
  return valueText(x);
}
