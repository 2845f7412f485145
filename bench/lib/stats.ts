// Small statistics for benchmarks: medians of repeated runs, and the shape of a growth curve.

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function summarize(xs: readonly number[]): Summary {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Milliseconds taken by fn. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * How y grows with x, from the log-log slope between the smallest and the largest point:
 * ~1 is linear, ~2 quadratic. Fixed costs (process start, a dump's header) pull the slope
 * below 1 at small sizes, so "sub-linear" here usually means "linear plus a constant".
 */
export function growth(points: readonly { x: number; y: number }[]): { exponent: number; verdict: string } {
  const ps = [...points].filter((p) => p.x > 0 && p.y > 0).sort((a, b) => a.x - b.x);
  if (ps.length < 2) return { exponent: Number.NaN, verdict: 'n/a' };
  const a = ps[0]!;
  const b = ps.at(-1)!;
  const exponent = Math.log(b.y / a.y) / Math.log(b.x / a.x);
  const verdict = exponent < 0.85 ? 'sub-linear' : exponent <= 1.2 ? 'linear' : exponent <= 1.6 ? 'worse than linear' : 'quadratic or worse';
  return { exponent, verdict };
}
