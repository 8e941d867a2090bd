// The shape of a subcommand: one file per subcommand (STYLE.md), each exporting one of these.
export interface Command {
  name: string;
  /** One line for `usersync --help`. */
  summary: string;
  /** Full help for `usersync NAME --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(args: string[]): Promise<number>;
}

/** Exit codes, documented in README.md and `usersync --help`. */
export const EXIT = {
  ok: 0,
  /** the run was applied, but some records had errors */
  runErrors: 1,
  /** bad arguments, invalid configuration or control file, or the run failed */
  failure: 2,
  /** a safety check held the run: nothing was applied, a person must approve it */
  held: 3,
} as const;

/** A mistake in how the command was called: printed with the command's usage. */
export class UsageError extends Error {}
