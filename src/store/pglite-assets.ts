// PGlite finds its WebAssembly and data files through `new URL(…, import.meta.url)`, which
// `bun build --compile` does not follow. Importing them as files embeds them into the binary
// (and gives real paths under `bun run`); we then hand them to PGlite ourselves (toolchain.md §5).
import initdbWasmPath from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import pgliteDataPath from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasmPath from "@electric-sql/pglite/pglite.wasm" with { type: "file" };

export async function loadPgliteAssets(_dataDir: string) {
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    WebAssembly.compile(await Bun.file(pgliteWasmPath).arrayBuffer()),
    WebAssembly.compile(await Bun.file(initdbWasmPath).arrayBuffer()),
  ]);
  return { pgliteWasmModule, initdbWasmModule, fsBundle: Bun.file(pgliteDataPath) };
}
