// usersync migrate-to-postgres --to URL   (move the embedded database into an empty PostgreSQL database)
import { parseArgs } from "node:util";
import { loadConfig } from "../config/index.ts";
import { CopyDatabaseError, copyDatabase } from "../ops/copy-database.ts";
import { openStore, type Store } from "../store/index.ts";
import { describeUrl } from "../store/postgres.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { num, table } from "./format.ts";

export const migrateToPostgresCommand: Command = {
  name: "migrate-to-postgres",
  summary: "Copy the embedded database into an empty PostgreSQL database (ids and sequences kept)",
  usage: `usersync migrate-to-postgres --to postgres://USER@HOST/DB [--config usersync.json]

Copies every table of the embedded database (PGlite, in the data folder) into an EMPTY PostgreSQL
database: usersync first migrates the target to its schema, then copies all rows with their ids,
sets the sequences past the highest id, and checks the row counts on both sides. It is one
transaction on PostgreSQL: if anything fails, the target stays empty. Stop the daemon first (the
embedded database can only be opened by one process). Batch files stay in their folder (filesDir).

Afterwards point usersync at PostgreSQL: set "databaseUrl" in usersync.json, or DATABASE_URL.
The embedded database is left as it was; keep it until you are satisfied, then remove <dataDir>/pg.
See docs/OPERATIONS.md, "Moving from the embedded database to PostgreSQL".

Exit code: 0 copied; 2 the target is not empty or not reachable, or another error (nothing copied).`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { to: { type: "string" }, config: { type: "string" }, quiet: { type: "boolean", short: "q" } } });
    if (!values.to) throw new UsageError("Say where to: --to postgres://USER@HOST/DB");
    if (!/^postgres(ql)?:\/\//.test(values.to)) throw new UsageError(`--to must be a postgres:// URL, not "${values.to}"`);
    const config = loadConfig(values.config);
    if (config.databaseUrl) {
      console.error(`usersync is configured for PostgreSQL already (${describeUrl(config.databaseUrl)}); migrate-to-postgres copies the EMBEDDED database. Unset databaseUrl / DATABASE_URL to name it.`);
      return EXIT.failure;
    }
    const source = await openStore({ ...config, databaseUrl: null });
    let target: Store | null = null;
    try {
      try {
        target = await openStore({ dataDir: config.dataDir, databaseUrl: values.to, filesDir: config.filesDir });
      } catch (error) {
        console.error(`Cannot open ${describeUrl(values.to)}: ${(error as Error).message}`);
        return EXIT.failure;
      }
      console.error(`Copying ${source.db.description} into ${target.db.description} …`);
      const copied = await copyDatabase(source.db, target.db, (p) => {
        if (!values.quiet && (p.done === p.total || p.done % 200_000 === 0)) console.error(`  ${p.table}: ${num(p.done)} of ${num(p.total)}`);
      });
      console.log(table(["TABLE", "ROWS"], copied.map((c) => [c.table, num(c.rows)])));
      console.log(`\nCopied ${copied.length} tables, ${num(copied.reduce((n, c) => n + c.rows, 0))} rows; row counts checked on both sides.`);
      console.log(`Next: set "databaseUrl" in usersync.json (or DATABASE_URL) and start usersync. The embedded database in ${config.dataDir}/pg is unchanged.`);
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof CopyDatabaseError)) throw error;
      console.error(`Nothing was copied: ${error.message}`);
      return EXIT.failure;
    } finally {
      await target?.close();
      await source.close();
    }
  },
};
