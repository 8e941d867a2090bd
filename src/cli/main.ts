#!/usr/bin/env bun
// usersync: the command line. One file per subcommand; this one only dispatches.
import { ConfigError } from "../config/index.ts";
import { FolderInUseError } from "../store/index.ts";
import { adminCommand } from "./admin.ts";
import { apiKeyCommand } from "./api-key.ts";
import { applyCommand } from "./apply.ts";
import { approveCommand } from "./approve.ts";
import { checkCommand } from "./check.ts";
import { EXIT, UsageError, type Command } from "./command.ts";
import { controlTemplateCommand } from "./control-template.ts";
import { erasePersonCommand } from "./erase-person.ts";
import { migrateToPostgresCommand } from "./migrate-to-postgres.ts";
import { notifyCommand } from "./notify.ts";
import { objectsCommand } from "./objects.ts";
import { pushCommand } from "./push.ts";
import { reapplyCommand } from "./reapply.ts";
import { rejectCommand } from "./reject.ts";
import { replayCommand } from "./replay.ts";
import { revertCommand } from "./revert.ts";
import { retentionCommand } from "./retention.ts";
import { runCommand } from "./run.ts";
import { runsCommand } from "./runs.ts";
import { scimTokenCommand } from "./scim-token.ts";
import { serveCommand } from "./serve.ts";
import { sftpUserCommand } from "./sftp-user.ts";
import { userCommand } from "./user.ts";
import pkg from "../../package.json";

export const COMMANDS: Command[] = [
  serveCommand,
  applyCommand,
  runsCommand,
  runCommand,
  userCommand,
  approveCommand,
  rejectCommand,
  reapplyCommand,
  revertCommand,
  replayCommand,
  checkCommand,
  controlTemplateCommand,
  objectsCommand,
  pushCommand,
  sftpUserCommand,
  apiKeyCommand,
  notifyCommand,
  scimTokenCommand,
  retentionCommand,
  erasePersonCommand,
  migrateToPostgresCommand,
  adminCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usersync ${pkg.version} — keeps a user database and profile objects in step with a full user feed

Usage: usersync COMMAND [options]     (usersync COMMAND --help for a command's options)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Configuration: usersync.json in the current folder, or --config FILE, or USERSYNC_CONFIG.
Environment: USERSYNC_DATA (data folder, default ./data), DATABASE_URL (PostgreSQL instead of
the embedded database), USERSYNC_HTTP_PORT, USERSYNC_SFTP_PORT, USERSYNC_WATCH_DIR, USERSYNC_LISTEN.

Exit codes: 0 success; 1 a run applied with record errors; 2 failure or invalid input
(nothing applied); 3 a run held by a safety check (nothing applied, or only its safe part).`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name ? EXIT.ok : EXIT.failure;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    console.log(`usersync ${pkg.version}`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`usersync: unknown command "${name}"\n\n${help()}`);
    return EXIT.failure;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`usersync ${command.name}: ${error.message}\n\n${command.usage}`);
      return EXIT.failure;
    }
    if (error instanceof ConfigError || error instanceof FolderInUseError) {
      console.error(`usersync ${command.name}: ${error.message}`);
      return EXIT.failure;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      console.error(`usersync ${command.name}: ${error.message}\n\n${command.usage}`);
      return EXIT.failure;
    }
    throw error;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
