// The SHAPE of the structured logger the daemon passes in (src/util/log.ts, from the daemon's
// work: one JSON object per line, secrets redacted). Modules that run inside the daemon but are
// also called from the command line and tests (notifications, metrics, SCIM, operations) accept
// any object of this shape; its `Logger` fits. This file is a type, not a second logger.
export type LogFields = Record<string, unknown>;

export interface EventLog {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Logs nothing: the default outside the daemon. */
export const quietLog: EventLog = { info() {}, warn() {}, error() {} };
