// Brute-force defence for sign-ins: failures are counted per key (an address, or an account
// name), and a key with too many recent failures is refused outright — even with the right
// password — until it has been quiet for a while. In memory on purpose: it protects this process,
// and a restart forgets nothing worth keeping. (The daemon's branch has the same unit for SFTP and
// API keys in src/intake/throttle.ts; one of the two should serve both once they are merged.)
export interface ThrottleSettings {
  /** Failures allowed within `windowMs` before the key is blocked. */
  maxFailures: number;
  windowMs: number;
  /** How long a blocked key stays blocked after the failure that blocked it. */
  blockMs: number;
}

interface Entry {
  failures: number[];
  blockedUntil: number;
}

/** Entries kept at most; past this, keys with nothing recent are forgotten first. */
const MAX_ENTRIES = 10_000;

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly settings: ThrottleSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  blockedFor(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.blockedUntil - this.now()) : 0;
  }

  /** Count a failed attempt; returns true if the key is now blocked. */
  fail(key: string): boolean {
    const t = this.now();
    const entry = this.entries.get(key) ?? { failures: [], blockedUntil: 0 };
    entry.failures = entry.failures.filter((at) => at > t - this.settings.windowMs);
    entry.failures.push(t);
    if (entry.failures.length >= this.settings.maxFailures) {
      entry.blockedUntil = t + this.settings.blockMs;
      entry.failures = [];
    }
    this.entries.delete(key); // re-insert: the Map's order is then oldest activity first
    this.entries.set(key, entry);
    this.prune(t);
    return entry.blockedUntil > t;
  }

  /** A good sign-in clears the key's record. */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  private prune(t: number): void {
    if (this.entries.size <= MAX_ENTRIES) return;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES) break;
      if (entry.blockedUntil <= t) this.entries.delete(key);
    }
  }
}

/** Per address: generous, since several admins may share an office's address. */
export const ADDRESS_THROTTLE: ThrottleSettings = { maxFailures: 20, windowMs: 15 * 60_000, blockMs: 15 * 60_000 };
/** Per account: a handful of tries, then a pause, whichever address they come from. */
export const ACCOUNT_THROTTLE: ThrottleSettings = { maxFailures: 5, windowMs: 15 * 60_000, blockMs: 15 * 60_000 };
