// Per-node figures of a many-node measurement window (bench/many-nodes.ts): what each node's
// agent wrote, summarised as mean and max over nodes, over the first k nodes for a curve against
// the number of nodes, and drawn as charts. Pure functions over the measured numbers.
import type { Chart } from './plot.js';

/** What one node did in one window. */
export interface NodeWindow {
  node: string;
  /** Writes of its agent to its object (status patches, the object's creation). */
  writes: number;
  /** Request body bytes of those writes (JSON). */
  bytes: number;
  /** Writes less than 0.9 statistics interval after the one before. */
  early: number;
  /** Writes of the node's kubelet (Lease renewals, Node status, Events): the baseline. */
  kubeletWrites: number;
  /** The stored object as the API server returns it (JSON bytes), read at the window's start. */
  objectBytes: number;
}

export interface MeanMax {
  mean: number;
  max: number;
}

export interface WindowSummary {
  nodes: number;
  seconds: number;
  /** Per node, per second. */
  writesPerSec: MeanMax;
  bytesPerSec: MeanMax;
  kubeletWritesPerSec: MeanMax;
  objectBytes: MeanMax;
  /** Early writes, all nodes together. */
  early: number;
  /** Writes of the node that wrote most (count in the window). */
  maxWrites: number;
}

export function meanMax(xs: readonly number[]): MeanMax {
  if (!xs.length) return { mean: Number.NaN, max: Number.NaN };
  return { mean: xs.reduce((s, x) => s + x, 0) / xs.length, max: Math.max(...xs) };
}

export function summarizeWindow(rows: readonly NodeWindow[], seconds: number): WindowSummary {
  const per = (f: (r: NodeWindow) => number) => meanMax(rows.map((r) => f(r) / seconds));
  return {
    nodes: rows.length,
    seconds,
    writesPerSec: per((r) => r.writes),
    bytesPerSec: per((r) => r.bytes),
    kubeletWritesPerSec: per((r) => r.kubeletWrites),
    objectBytes: meanMax(rows.map((r) => r.objectBytes)),
    early: rows.reduce((s, r) => s + r.early, 0),
    maxWrites: Math.max(0, ...rows.map((r) => r.writes)),
  };
}

/**
 * Summaries over the first k nodes for each k (the lab's order), k capped at the nodes there
 * are, duplicates dropped. All agents run during the window: a subset's figures show whether
 * per-node figures depend on which and how many nodes are counted, not the load of a smaller
 * lab (an agent writes only its own object, so its rate does not depend on the others).
 */
export function subsetSummaries(rows: readonly NodeWindow[], seconds: number, counts: readonly number[]): WindowSummary[] {
  const ks = [...new Set(counts.map((k) => Math.min(Math.max(1, Math.floor(k)), rows.length)))].sort((a, b) => a - b);
  return rows.length ? ks.map((k) => summarizeWindow(rows.slice(0, k), seconds)) : [];
}

/**
 * Whether a window meets the at-rest targets (DESIGN.md, issue 17): at most one write per node
 * per statistics interval (the node that wrote most: one more than the window holds intervals,
 * for the write at each edge; and no write early) and at most 1 KiB/s per node.
 */
export function restTargets(s: WindowSummary, statisticsIntervalS: number): { writes: boolean; bytes: boolean } {
  return {
    writes: s.early === 0 && s.maxWrites <= Math.floor(s.seconds / statisticsIntervalS) + 1,
    bytes: s.bytesPerSec.max <= 1024,
  };
}

/** Charts of per-node writes (per statistics interval) and bytes/s against the nodes counted. */
export function perNodeCharts(subsets: readonly WindowSummary[], statisticsIntervalS: number): Chart[] {
  const xs = subsets.map((s) => s.nodes);
  const line = (name: string, y: (s: WindowSummary) => number, dashed = false) => ({ name, dashed, points: subsets.map((s) => ({ x: s.nodes, y: y(s) })) });
  const flat = (name: string, y: number) => ({ name, dashed: true, points: [Math.min(...xs), Math.max(...xs)].map((x) => ({ x, y })) });
  return [
    {
      title: `writes per node per ${statisticsIntervalS} s, at rest`, xLabel: 'nodes counted', yLabel: 'writes',
      series: [
        line('mean', (s) => s.writesPerSec.mean * statisticsIntervalS),
        line('max', (s) => s.writesPerSec.max * statisticsIntervalS),
        line('kubelet (mean)', (s) => s.kubeletWritesPerSec.mean * statisticsIntervalS, true),
        flat('target', 1),
      ],
    },
    {
      title: 'bytes written per node, at rest', xLabel: 'nodes counted', yLabel: 'KiB/s',
      series: [
        line('mean', (s) => s.bytesPerSec.mean / 1024),
        line('max', (s) => s.bytesPerSec.max / 1024),
        flat('target', 1),
      ],
    },
  ];
}
