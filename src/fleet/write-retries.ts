// When a node write that failed is tried again. The core decides the same write again at every
// pass until it lands, and passes come at every change of any cached object — in a busy fleet,
// each node's statistics write makes one, up to one per debounce interval — so without a pause a
// write the API server keeps refusing (a webhook, a field another writer holds) was sent again,
// with its Warning Event, several times a second. Each distinct write (policy, node, and what it
// writes) waits out a per-item exponential backoff (src/k8s/item-backoff.ts) after a failure; a
// success forgets it, and a different write to the same node (a new policy generation, other
// entries to remove) is a new item, sent at once. A removal that met a newer object (409) is no
// failure of the write: it is decided again, from the new object, at the next pass.
import { createHash } from 'node:crypto';
import { ItemBackoff, type BackoffSettings } from '../k8s/item-backoff.js';

export class WriteRetries {
  private readonly backoff: ItemBackoff<string>;
  /** When each failed write may be sent again (epoch ms). */
  private readonly notBefore = new Map<string, number>();

  constructor(settings: BackoffSettings) {
    this.backoff = new ItemBackoff(settings);
  }

  /** The item a write is: its policy, its node and its content. */
  static key(policy: string, node: string, write: unknown): string {
    return `${policy}\n${node}\n${createHash('sha256').update(JSON.stringify(write)).digest('hex')}`;
  }

  /** Whether the write is waiting out its backoff at `now` (it is not sent then). */
  held(key: string, now: number): boolean {
    return (this.notBefore.get(key) ?? 0) > now;
  }

  /** The write failed at `now`: how long until it may be sent again. */
  failed(key: string, now: number): number {
    const delayMs = this.backoff.failed(key);
    this.notBefore.set(key, now + delayMs);
    return delayMs;
  }

  succeeded(key: string): void {
    this.backoff.forget(key);
    this.notBefore.delete(key);
  }

  /** Forgets the writes a pass no longer decided (superseded, or the node or policy gone). */
  keepOnly(keys: ReadonlySet<string>): void {
    this.backoff.forgetAllBut((k) => keys.has(k));
    for (const k of [...this.notBefore.keys()]) if (!keys.has(k)) this.notBefore.delete(k);
  }

  /** Consecutive failures of a write (0 when it never failed or succeeded since). */
  failuresOf(key: string): number {
    return this.backoff.failuresOf(key);
  }
}
