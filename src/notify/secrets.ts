// Secrets named in usersync.json by where they live (an environment variable or a file), never by
// value, so the configuration file can be shown, diffed and backed up without leaking anything.
import { readFileSync } from "node:fs";
import type { SecretRef } from "../config/index.ts";

export class SecretError extends Error {}

/** Reads a secret; `what` names it in the error ("notifications.email.smtp.password"). */
export function readSecret(ref: SecretRef, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if ("env" in ref) {
    const value = env[ref.env];
    if (!value) throw new SecretError(`${what}: the environment variable ${ref.env} is not set`);
    return value;
  }
  try {
    return readFileSync(ref.file, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    throw new SecretError(`${what}: cannot read ${ref.file} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}
