// The migrations embedded in the program are the ones in drizzle/.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderMigrationsModule } from "../../scripts/embed-migrations.ts";

test("src/store/migrations.gen.ts is up to date with drizzle/ (run `make migration` after changing schema/tables.ts)", () => {
  const current = readFileSync(join(import.meta.dir, "../../src/store/migrations.gen.ts"), "utf8");
  expect(current).toBe(renderMigrationsModule());
});
