// statistics: per interface counters as decimal strings (64-bit; a JS number would round them)
// and byte rates computed against the sampler's previous sample. Every sample becomes the next
// baseline, so interfaces that appear later are reported, and rates describe the last interval.
import type { HostState, InterfaceStatistics, Link, LinkCounters, Statistics } from '../model/host-state.js';

interface Previous {
  index: number;
  counters: LinkCounters;
  time: number;
}

/** Bytes/s between two readings of a counter; 0 when it went backwards (reset, wrap, re-created device). */
export function rate(prev: bigint, cur: bigint, seconds: number): number {
  if (cur < prev || !(seconds > 0)) return 0;
  return Math.round((Number(cur - prev) / seconds) * 100) / 100;
}

/**
 * up: the link carries traffic (operstate UP, or UNKNOWN with the carrier on, as lo and tun
 * devices report); down otherwise.
 */
export function linkState(l: Link): 'up' | 'down' {
  if (l.operstate === 'up') return 'up';
  return l.operstate === 'unknown' && l.flags.includes('UP') && l.flags.includes('LOWER_UP') ? 'up' : 'down';
}

export class StatisticsSampler {
  private previous = new Map<string, Previous>();

  /** Statistics of every interface of `host`; remembers them as the baseline of the next call. */
  sample(host: HostState): Statistics {
    const out: Statistics = {};
    const next = new Map<string, Previous>();
    for (const l of Object.values(host.links)) {
      const c = l.counters;
      // A device deleted and re-created under the same name has a new ifindex and fresh counters.
      const p = this.previous.get(l.name);
      const base = p && p.index === l.index ? p : undefined;
      const dt = base ? host.sampleTime - base.time : 0;
      const s: InterfaceStatistics = {
        name: l.name,
        rx: c.rxBytes.toString(),
        tx: c.txBytes.toString(),
        rxDropped: c.rxDropped.toString(),
        txDropped: c.txDropped.toString(),
        rxErrors: c.rxErrors.toString(),
        txErrors: c.txErrors.toString(),
        rxRate: base ? rate(base.counters.rxBytes, c.rxBytes, dt) : 0,
        txRate: base ? rate(base.counters.txBytes, c.txBytes, dt) : 0,
        // VDSM's convention: 1000 when the driver reports no speed (bridges, lo, link down).
        speed: String(l.speed || 1000),
        state: linkState(l),
        sampleTime: host.sampleTime,
      };
      out[l.name] = s;
      next.set(l.name, { index: l.index, counters: c, time: host.sampleTime });
    }
    // Interfaces gone from this sample are forgotten.
    this.previous = next;
    return out;
  }
}
