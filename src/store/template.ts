// The pre-initialised embedded database that travels inside the compiled binary.
//
// A new PGlite database normally runs initdb: about 2.5 s and 700 MB of memory on first start
// (toolchain.md §5). scripts/build.ts instead migrates an empty database at build time, dumps it
// (dumpDataDir, gzip, ~4.5 MB) and embeds the tarball into the binary as an extra entry point, so
// it shows up in `Bun.embeddedFiles`. openStore() hands it to PGlite only for a NEW data folder.
// Under `bun run` (development, tests) nothing is embedded and PGlite runs initdb as before.

/** Name prefix of the embedded tarball. `bun build` adds a content hash: "pglite-template-KEY.tar-HASH.gz". */
export const TEMPLATE_NAME = "pglite-template";

export function embeddedPgliteTemplate(): Blob | null {
  for (const file of Bun.embeddedFiles) {
    const name = (file as Blob & { name?: string }).name ?? "";
    if (name.startsWith(TEMPLATE_NAME) && name.endsWith(".gz")) return file;
  }
  return null;
}
