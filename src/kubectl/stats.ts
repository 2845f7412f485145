// `kubectl onn stats`: per-interface traffic, errors and drops as a table, from status.statistics.
// Rates: between two status reads when there are two samples (`--watch`: the sample the agent
// wrote before and this one, so over its statistics interval, with the sampler's own rate()),
// else the rates the sample carries (the agent's, over its last observe interval). Errors and
// drops are the kernel's cumulative counters, with what they grew by between the two samples.
// Pure.
import type { InterfaceStatistics, Statistics } from '../api/status.js';
import { rate } from '../observe/statistics.js';

/** One read of the status's statistics: the map and, from agents that write it, statisticsTime. */
export interface Sample {
  statistics: Statistics;
  statisticsTime?: number | undefined;
}

/**
 * When a sample was read: status.statisticsTime (every counter shown is as of then; an agent
 * rewrites only the entries that changed), else the newest sampleTime (older agents wrote every
 * entry with the sample's time).
 */
export function sampleTime(s: Sample): number {
  return s.statisticsTime ?? Math.max(0, ...Object.values(s.statistics).map((i) => i.sampleTime));
}

/**
 * Whether `next` is a newer sample than `prev` (the agent writes statistics at its interval; reads in between see the
 * same).
 */
export function isNewSample(prev: Sample | undefined, next: Sample): boolean {
  return prev === undefined || sampleTime(next) > sampleTime(prev);
}

/** Bytes/s for people: B/s, kB/s, MB/s, GB/s (decimal, as link speeds are). */
export function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let v = bytesPerSecond,
    u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

type CounterKey = 'rxErrors' | 'txErrors' | 'rxDropped' | 'txDropped';
const COUNTERS: readonly CounterKey[] = ['rxErrors', 'txErrors', 'rxDropped', 'txDropped'];

/** A counter with its growth since `prev` ("+N"; "reset" when it went backwards). */
function counterCell(cur: InterfaceStatistics, prev: InterfaceStatistics | undefined, k: CounterKey): string {
  if (!prev) return cur[k];
  const d = BigInt(cur[k]) - BigInt(prev[k]);
  return d < 0n ? `${cur[k]} (reset)` : d > 0n ? `${cur[k]} (+${d})` : cur[k];
}

export interface StatsView {
  header: string;
  rows: string[][];
}

const COLUMNS = ['INTERFACE', 'STATE', 'SPEED', 'RX', 'TX', 'RX-ERRORS', 'TX-ERRORS', 'RX-DROPPED', 'TX-DROPPED'];

/**
 * The table of `cur`; `prev`: the previous sample read (rates between the two, counter growth).
 * `now`: epoch seconds, for the sample's age.
 */
export function statsView(node: string, cur: Sample, prev: Sample | undefined, now: number): StatsView {
  const t = sampleTime(cur);
  const dt = prev ? t - sampleTime(prev) : 0;
  const between = prev !== undefined && dt > 0;
  const age = Math.max(0, Math.round(now - t));
  const header =
    `${node}: sample of ${new Date(t * 1000).toISOString()} (${age} s ago); ` +
    (between
      ? `rates over the ${Math.round(dt)} s since the previous sample`
      : 'rates as the agent sampled them (its last observe interval)');
  const rows = Object.values(cur.statistics).map((s) => {
    const p = between ? prev.statistics[s.name] : undefined;
    const rx = p ? rate(BigInt(p.rx), BigInt(s.rx), dt) : s.rxRate;
    const tx = p ? rate(BigInt(p.tx), BigInt(s.tx), dt) : s.txRate;
    return [
      s.name,
      s.state,
      `${s.speed}Mb/s`,
      formatRate(rx),
      formatRate(tx),
      ...COUNTERS.map((k) => counterCell(s, p, k)),
    ];
  });
  return { header, rows };
}

export function renderStats(v: StatsView): string {
  const table = [COLUMNS, ...v.rows];
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const lines = table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  return `${v.header}\n${lines.join('\n')}\n`;
}
