// Brute-force defence, one unit shared by every door that takes a credential (SFTP logins, API
// keys): failed attempts are counted per source address, and an address with too many recent
// failures is refused outright — even with a good credential — until it has been quiet for a while.
// In memory on purpose: it protects this process, and a restart forgets nothing worth keeping.
export interface ThrottleSettings {
  /** Failures allowed within `windowMs` before the address is blocked. */
  maxFailures: number;
  windowMs: number;
  /** How long a blocked address stays blocked after its last failure. */
  blockMs: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { maxFailures: 10, windowMs: 5 * 60_000, blockMs: 5 * 60_000 };

interface Entry {
  failures: number[];
  blockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly settings: ThrottleSettings = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while `address` may not even try. */
  isBlocked(address: string): boolean {
    const entry = this.entries.get(address);
    return entry !== undefined && entry.blockedUntil > this.now();
  }

  /** Count a failed attempt; returns true if the address is now blocked. */
  fail(address: string): boolean {
    const t = this.now();
    const entry = this.entries.get(address) ?? { failures: [], blockedUntil: 0 };
    entry.failures = entry.failures.filter((at) => at > t - this.settings.windowMs);
    entry.failures.push(t);
    if (entry.failures.length >= this.settings.maxFailures) entry.blockedUntil = t + this.settings.blockMs;
    this.entries.set(address, entry);
    this.prune(t);
    return entry.blockedUntil > t;
  }

  /** A good credential clears the address's record (unless it is blocked: then it never got this far). */
  succeed(address: string): void {
    this.entries.delete(address);
  }

  /** Keeps the map bounded: forget addresses with nothing recent. */
  private prune(t: number): void {
    if (this.entries.size < 10_000) return;
    for (const [address, entry] of this.entries)
      if (entry.blockedUntil <= t && entry.failures.every((at) => at <= t - this.settings.windowMs)) this.entries.delete(address);
  }
}
