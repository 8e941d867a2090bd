// The readers a control file can name in `files.<name>.read`.
import { csvReader } from "./csv.ts";
import { jsonReader } from "./json.ts";
import { tsvReader } from "./tsv.ts";
import type { Reader } from "./types.ts";
import { xmlAttributesReader, xmlTextOfChildrenReader } from "./xml.ts";

export const READERS: Record<string, Reader> = Object.fromEntries(
  [jsonReader, xmlTextOfChildrenReader, xmlAttributesReader, tsvReader, csvReader].map((r) => [r.name, r]),
);

export * from "./types.ts";
