// Where the time of an apply goes: a caller that passes a Trace is told how long each part took
// (the benchmark breaks the fixed cost of an apply down with it; nothing else pays for it).

/**
 * The parts that are the connectivity probe's own time (before and after the kernel work): a
 * benchmark against bare iproute2, which has no probe, reports them apart.
 */
export const PROBE_PARTS = Object.freeze({ preflight: 'connectivity preflight', check: 'connectivity check' });

/** Receives each part's name and duration in milliseconds, as the part ends. */
export type Trace = (part: string, ms: number) => void;

/** Runs fn, telling trace how long it took (also when it throws). */
export async function traced<T>(trace: Trace | undefined, part: string, fn: () => Promise<T>): Promise<T> {
  if (!trace) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    trace(part, performance.now() - t0);
  }
}

/** The parts' total milliseconds by name, and how many times each ran (pure helper for a Trace's collector). */
export function traceTotals(): { trace: Trace; totals: Map<string, { ms: number; count: number }> } {
  const totals = new Map<string, { ms: number; count: number }>();
  return {
    totals,
    trace: (part, ms) => {
      const t = totals.get(part) ?? { ms: 0, count: 0 };
      t.ms += ms;
      t.count++;
      totals.set(part, t);
    },
  };
}
