// How many failed sign-ins the web UI tolerates, counted by the shared login throttle
// (src/intake/throttle.ts, which also guards SFTP logins and API keys).
import type { ThrottleSettings } from "../../intake/index.ts";

/** Per address: generous, since several admins may share an office's address. */
export const ADDRESS_THROTTLE: ThrottleSettings = { maxFailures: 20, windowMs: 15 * 60_000, blockMs: 15 * 60_000 };
/** Per account: a handful of tries, then a pause, whichever address they come from. */
export const ACCOUNT_THROTTLE: ThrottleSettings = { maxFailures: 5, windowMs: 15 * 60_000, blockMs: 15 * 60_000 };
