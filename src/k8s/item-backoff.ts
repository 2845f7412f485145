// Per-item exponential backoff, the shape of client-go's ItemExponentialFailureRateLimiter (the
// per-item half of controller-runtime's default workqueue rate limiter): each consecutive
// failure of an item doubles the delay before it is tried again, from baseMs up to maxMs; a
// success (or the item gone) forgets its failures, so the next failure starts at baseMs again.
// Items are independent: one that keeps failing never slows another. Which values fit is the
// caller's to say (the agent's and the controller's entry points pass them in).

export interface BackoffSettings {
  /** The delay after an item's first failure. */
  baseMs: number;
  /** The delay never grows past this. */
  maxMs: number;
}

/** The delay after an item's (failures + 1)-th consecutive failure: baseMs · 2^failures, at most maxMs. */
export function backoffDelay(failures: number, s: BackoffSettings): number {
  return Math.min(s.maxMs, s.baseMs * 2 ** failures);
}

/** A setting that is not a positive delay, or a cap below the base, is refused where it is given. */
export function checkBackoffSettings(s: BackoffSettings, what: string): BackoffSettings {
  if (!(s.baseMs > 0) || !Number.isFinite(s.baseMs)) throw new Error(`${what}: base delay ${s.baseMs} ms is not > 0`);
  if (!(s.maxMs >= s.baseMs) || !Number.isFinite(s.maxMs))
    throw new Error(`${what}: maximum delay ${s.maxMs} ms is below the base delay ${s.baseMs} ms`);
  return s;
}

export class ItemBackoff<K> {
  private readonly failures = new Map<K, number>();

  constructor(private readonly s: BackoffSettings) {}

  /** The item failed again: how long to wait before trying it again. */
  failed(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return backoffDelay(n, this.s);
  }

  /** How many times in a row the item failed since it was last forgotten. */
  failuresOf(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** The item succeeded or is gone: its next failure waits baseMs again. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** Forgets every item but `keep` (the items that no longer exist). */
  forgetAllBut(keep: (key: K) => boolean): void {
    for (const k of [...this.failures.keys()]) if (!keep(k)) this.failures.delete(k);
  }
}
