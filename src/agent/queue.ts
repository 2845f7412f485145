// The spec generations of one object, applied one at a time, latest wins: generations that
// arrive during an apply supersede each other (only the newest is applied next), and the
// generation last applied is not applied again. Other host work (the cleanup after a deletion)
// runs in the same line, never beside an apply.
//
// A generation whose apply failed for a reason outside its spec (the API server away), or whose
// apply threw, stays pending and is tried again with a per-item exponential backoff, the shape
// of controller-runtime's rate-limited workqueue (src/k8s/item-backoff.ts): the item is the
// generation, its delay doubles with each consecutive failure up to a cap, and a success, a new
// generation or forget() starts it over. Offering the same generation again (the echo of the
// agent's own status write, which follows every attempt) does not cut the wait short — that
// made a retryable failure whose status write got through a loop without pause — but
// retryNow() does: the agent calls it when the API server answers again after it was lost.
// The agent's values — base 1 s, cap 5 min, why in agent.ts DEFAULT_APPLY_RETRY — are flags of its
// entry point (src/cli/run.ts: --apply-retry-base, --apply-retry-max).
import { ItemBackoff, type BackoffSettings } from '../k8s/item-backoff.js';

/** done: the generation is settled (applied, or failed for a reason in its spec); retry: try it again later. */
export type ApplyOutcome = 'done' | 'retry';

export interface GenerationQueueOptions<T> {
  apply(item: T, generation: number): Promise<ApplyOutcome>;
  /** How long a 'retry' (or a throw) waits: doubled per consecutive failure of its generation, capped. */
  retry: BackoffSettings;
  /** Work that threw (an apply that did is also tried again after its backoff). */
  onError(e: unknown): void;
  /** A generation is to be tried again after delayMs (its failures-th consecutive failure). */
  onRetry?(generation: number, delayMs: number, failures: number): void;
}

export class GenerationQueue<T> {
  /** The newest generation offered: what the object asks for now. */
  private latest: { generation: number; item: T } | undefined;
  /** The generation last settled. */
  private done: number | undefined;
  /** The generation whose apply runs now. */
  private applying: number | undefined;
  /** latest is to be applied when the line is free (unless it is the one done). */
  private wanted = false;
  /** Bumped by forget(): an apply that began before it settles nothing. */
  private epoch = 0;
  private readonly chores: (() => Promise<void>)[] = [];
  private running: Promise<void> | undefined;
  /** The backoff of the latest generation, when it is waiting one out. */
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: ItemBackoff<number>;
  private stopped = false;

  constructor(private readonly o: GenerationQueueOptions<T>) {
    this.backoff = new ItemBackoff(o.retry);
  }

  /**
   * The object asks for this generation now. Returns false when it is the one already settled
   * (nothing to apply); else it is applied after the running work, superseding any pending one.
   * The generation already running or waiting out its backoff is not queued again.
   */
  offer(generation: number, item: T): boolean {
    const isNew = generation !== this.latest?.generation;
    this.latest = { generation, item };
    if (generation === this.done) return false;
    if (isNew) {
      // A new item: the failures of the generations before it no longer count, nor their waits.
      this.backoff.forgetAllBut((g) => g === generation);
      this.cancelRetry();
    } else if (this.applying === generation || this.retryTimer) return true;
    this.wanted = true;
    this.pump();
    return true;
  }

  /** What made the latest generation's apply fail may be gone: a generation waiting out its backoff is applied now. */
  retryNow(): void {
    if (!this.retryTimer) return;
    this.cancelRetry();
    this.wanted = true;
    this.pump();
  }

  /** Consecutive failed attempts of the newest generation (0 once it settled, or when there is none). */
  get failures(): number {
    return this.latest ? this.backoff.failuresOf(this.latest.generation) : 0;
  }

  /**
   * The object is gone: nothing pending, nothing settled, no retry, no failures (a re-created object starts afresh).
   */
  forget(): void {
    this.latest = undefined;
    this.done = undefined;
    this.wanted = false;
    this.epoch++;
    this.backoff.forgetAllBut(() => false);
    this.cancelRetry();
  }

  /** Runs work after the running work and before any pending generation. */
  exclusive(work: () => Promise<void>): void {
    this.chores.push(work);
    this.pump();
  }

  /** Starts nothing more; resolves when the running work has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRetry();
    await this.running;
  }

  private pump(): void {
    if (this.running || this.stopped) return;
    const work = this.chores.shift() ?? this.nextApply();
    if (!work) return;
    // The work starts in a later microtask and the mark is cleared in a .finally, never inside
    // the work: work that finishes without awaiting would clear the mark before it is set, and
    // the queue would stay busy for good. So `running` is set for as long as work runs, and an
    // offer made meanwhile only marks the generation wanted.
    const p: Promise<void> = Promise.resolve()
      .then(work)
      .catch((e: unknown) => this.o.onError(e))
      .finally(() => {
        if (this.running !== p) return;
        this.running = undefined;
        this.pump();
      });
    this.running = p;
  }

  private nextApply(): (() => Promise<void>) | undefined {
    const job = this.latest;
    const wanted = this.wanted;
    this.wanted = false;
    if (!wanted || !job || job.generation === this.done) return undefined;
    const epoch = this.epoch;
    return async () => {
      this.applying = job.generation;
      let outcome: ApplyOutcome;
      try {
        outcome = await this.o.apply(job.item, job.generation);
      } catch (e) {
        this.o.onError(e);
        outcome = 'retry';
      } finally {
        this.applying = undefined;
      }
      if (epoch !== this.epoch) return;
      if (outcome === 'done') {
        this.done = job.generation;
        this.backoff.forget(job.generation);
      } else if (this.latest?.generation === job.generation) this.retryLater(job.generation);
    };
  }

  private retryLater(generation: number): void {
    if (this.stopped) return;
    const delayMs = this.backoff.failed(generation);
    this.o.onRetry?.(generation, delayMs, this.backoff.failuresOf(generation));
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wanted = true;
      this.pump();
    }, delayMs);
    this.retryTimer.unref();
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
