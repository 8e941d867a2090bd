// The readers a control file can name in `files.<name>.read`.
import { jsonReader } from "./json.ts";
import { tsvReader } from "./tsv.ts";
import type { Reader } from "./types.ts";

export const READERS: Record<string, Reader> = {
  [jsonReader.name]: jsonReader,
  [tsvReader.name]: tsvReader,
};

export * from "./types.ts";
