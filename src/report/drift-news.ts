// When a drift is news: the agent reports (and heals) a difference between the kernel and what
// it applied once, when it appears or changes, not at every observation; a heal that could not
// make it go is not tried again until the difference changes or a generation is applied.
export type DriftNews = 'none' | 'cleared' | 'new' | 'same';

export class DriftWatch {
  private shown = '';

  /** What an observation's drift (one line per entity, empty when none) means now. */
  next(drifted: readonly string[]): DriftNews {
    const key = drifted.join('\n');
    if (key === this.shown) return key === '' ? 'none' : 'same';
    this.shown = key;
    return key === '' ? 'cleared' : 'new';
  }

  /** A generation was applied: whatever differs after it is news again. */
  reset(): void {
    this.shown = '';
  }
}
