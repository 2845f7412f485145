// The spec generations of one object, applied one at a time, latest wins: generations that
// arrive during an apply supersede each other (only the newest is applied next), and the
// generation last applied is not applied again. A generation whose apply failed for a reason
// outside its spec (the API server away) stays pending and is tried again after a delay, or
// sooner when the object is offered again. Other host work (the cleanup after a deletion) runs
// in the same line, never beside an apply.

/** done: the generation is settled (applied, or failed for a reason in its spec); retry: try it again later. */
export type ApplyOutcome = 'done' | 'retry';

export interface GenerationQueueOptions<T> {
  apply(item: T, generation: number): Promise<ApplyOutcome>;
  /** A 'retry' is tried again after this. */
  retryAfterMs: number;
  /** Work that threw; its generation stays pending until offered again. */
  onError(e: unknown): void;
}

export class GenerationQueue<T> {
  /** The newest generation offered: what the object asks for now. */
  private latest: { generation: number; item: T } | undefined;
  /** The generation last settled. */
  private done: number | undefined;
  /** latest is to be applied when the line is free (unless it is the one done). */
  private wanted = false;
  /** Bumped by forget(): an apply that began before it settles nothing. */
  private epoch = 0;
  private readonly chores: (() => Promise<void>)[] = [];
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: GenerationQueueOptions<T>) {}

  /**
   * The object asks for this generation now. Returns false when it is the one already settled
   * (nothing to apply); else it is applied after the running work, superseding any pending one.
   */
  offer(generation: number, item: T): boolean {
    this.latest = { generation, item };
    if (generation === this.done) return false;
    this.wanted = true;
    this.pump();
    return true;
  }

  /** The object is gone: nothing pending, nothing settled, no retry (a re-created object starts afresh). */
  forget(): void {
    this.latest = undefined;
    this.done = undefined;
    this.wanted = false;
    this.epoch++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Runs work after the running work and before any pending generation. */
  exclusive(work: () => Promise<void>): void {
    this.chores.push(work);
    this.pump();
  }

  /** Starts nothing more; resolves when the running work has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
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
      const outcome = await this.o.apply(job.item, job.generation);
      if (epoch !== this.epoch) return;
      if (outcome === 'done') this.done = job.generation;
      else this.retryLater();
    };
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wanted = true;
      this.pump();
    }, this.o.retryAfterMs);
    this.retryTimer.unref();
  }
}
