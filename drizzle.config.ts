import { defineConfig } from "drizzle-kit";

// `make migration NAME=…` generates drizzle/NNNN_NAME.sql from schema/tables.ts.
// The migrations are embedded into the program by scripts/embed-migrations.ts.
export default defineConfig({
  dialect: "postgresql",
  schema: "./schema/tables.ts",
  out: "./drizzle",
});
