// `make build`: compiles the command line (src/cli/main.ts) into ONE file, dist/usersync, that
// runs on a machine with nothing installed (toolchain.md §5):
//   - PGlite's wasm and data files are embedded by src/store/pglite-assets.ts (`with { type: "file" }`),
//     the migrations by src/store/migrations.gen.ts (`with { type: "text" }`);
//   - ssh2's native add-ons are left out (--external): Bun cannot load them, and the binary would
//     otherwise unpack them into /tmp on every start;
//   - a pre-initialised database template is embedded, so a new embedded database starts in about
//     0.5 s instead of running initdb (2.5 s, 700 MB). It is a migrated, empty PGlite database,
//     dumped here with dumpDataDir('gzip') and passed to `bun build` as an extra entry point, which
//     puts it in `Bun.embeddedFiles` (src/store/template.ts finds it there). It is generated, never
//     committed, and cached in dist/.build/ under a key of the PGlite version and the migrations.
//
// Usage: bun scripts/build.ts [--outfile PATH] [--no-template] [--target bun-linux-x64-baseline|bun-linux-arm64|…]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { migrations } from "../src/store/migrations.gen.ts";
import { openStore } from "../src/store/index.ts";
import { TEMPLATE_NAME } from "../src/store/template.ts";

const ROOT = resolve(import.meta.dir, "..");

/** Changes whenever the template would: a new PGlite (its on-disk format) or a new migration. */
export function templateKey(): string {
  // (the package does not export its package.json; find it beside one of its exported files)
  const pglitePackage = JSON.parse(readFileSync(join(dirname(Bun.resolveSync("@electric-sql/pglite/pglite.wasm", ROOT)), "..", "package.json"), "utf8"));
  const hasher = new Bun.CryptoHasher("sha256").update(`pglite ${pglitePackage.version}\n`);
  for (const m of migrations) hasher.update(`${m.tag}\n${m.sql}\n`);
  return hasher.digest("hex").slice(0, 16);
}

/** The template tarball for the current PGlite and migrations, made once and kept in `cacheDir`. */
export async function buildTemplate(cacheDir = join(ROOT, "dist", ".build")): Promise<string> {
  const path = join(cacheDir, `${TEMPLATE_NAME}-${templateKey()}.tar.gz`);
  if (existsSync(path)) return path;
  mkdirSync(cacheDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "usersync-template-"));
  try {
    // pgliteTemplate: null — this IS the template, made by a real initdb and the real migrations.
    const store = await openStore({ dataDir, databaseUrl: null, filesDir: join(dataDir, "files"), pgliteTemplate: null });
    let tarball: Blob;
    try {
      // A mark of where this database came from, visible in every database made from the template.
      await store.db.query("INSERT INTO settings (key, value, updated_by) VALUES ('store.template', jsonb_build_object('key', $1::text, 'builtAt', now()), 'build')", [
        templateKey(),
      ]);
      tarball = await store.db.dumpDataDir!();
    } finally {
      await store.close();
    }
    const partial = `${path}.${process.pid}.partial`;
    await Bun.write(partial, tarball);
    renameSync(partial, path); // whole or not at all, even with two builds at once
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return path;
}

export interface BuildOptions {
  outfile: string;
  template: boolean;
  target?: string;
}

export async function build(options: BuildOptions): Promise<{ outfile: string; bytes: number; template: string | null }> {
  const template = options.template ? await buildTemplate() : null;
  mkdirSync(dirname(options.outfile), { recursive: true });
  const args = [
    "build",
    "--compile",
    "--external",
    "*.node",
    "--external",
    "cpu-features",
    ...(options.target ? [`--target=${options.target}`] : []),
    join(ROOT, "src", "cli", "main.ts"),
    ...(template ? [template] : []),
    "--outfile",
    options.outfile,
  ];
  const proc = Bun.spawnSync([process.execPath, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`bun build failed (exit ${proc.exitCode}):\n${proc.stdout.toString()}${proc.stderr.toString()}`);
  return { outfile: options.outfile, bytes: statSync(options.outfile).size, template };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { outfile: { type: "string", short: "o" }, "no-template": { type: "boolean" }, target: { type: "string" } },
  });
  const started = performance.now();
  const result = await build({
    outfile: resolve(values.outfile ?? join(ROOT, "dist", "usersync")),
    template: values["no-template"] !== true,
    target: values.target,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `built ${result.outfile} (${(result.bytes / 1e6).toFixed(1)} MB) in ${seconds} s` +
      (result.template ? `, with the database template ${result.template.replace(`${ROOT}/`, "")}` : ", without a database template"),
  );
}
