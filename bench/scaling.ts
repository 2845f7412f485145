// The scaling plot's charts and growth verdicts, from the benchmark rows that have a size.
import type { Chart, Series } from './lib/plot.js';
import type { BenchRow } from '../kit/report.js';
import { growth } from './lib/stats.js';

/** Scaling charts from the rows that have a size. */
export function scalingCharts(rows: readonly BenchRow[]): { charts: Chart[]; verdicts: string[] } {
  const series = (name: string, pick: (r: BenchRow) => number | undefined, filter: (r: BenchRow) => boolean, dashed = false): Series => ({
    name, dashed, points: rows.filter((r) => filter(r) && r.size !== undefined && pick(r) !== undefined).map((r) => ({ x: r.size!, y: pick(r)! })),
  });
  const bridges = (r: BenchRow) => r.bench === 'apply' && r.case.includes('bridged networks');
  const steady = (r: BenchRow) => r.bench === 'observe' && r.case.includes('steady');
  const charts: Chart[] = [
    {
      title: 'apply N bridged networks (netns)', xLabel: 'networks', yLabel: 'ms (median)',
      series: [
        series('ovirt-node-network-handler', (r) => r.value, bridges),
        series('bare ip -batch', (r) => r.baseline, bridges, true),
        series('nmstatectl apply -k', (r) => r.value, (r) => r.bench === 'apply/nmstate'),
      ],
    },
    {
      title: 'observe N interfaces', xLabel: 'interfaces', yLabel: 'ms (median)',
      series: [
        series('ours, steady (agent)', (r) => r.value, steady),
        series('ours, cold', (r) => r.value, (r) => r.bench === 'observe' && r.case.includes('cold')),
        series('bare ip -json link + addr', (r) => r.baseline, steady, true),
        series('nmstatectl show -k', (r) => r.value, (r) => r.bench === 'observe/nmstate'),
      ],
    },
    {
      title: 'agent at rest', xLabel: 'interfaces', yLabel: 'MB (RSS) / KiB per write',
      series: [
        series('agent RSS, MB', (r) => r.value, (r) => r.bench === 'at-rest' && r.case.startsWith('agent RSS')),
        series('idle node RSS, MB', (r) => r.baseline, (r) => r.bench === 'at-rest' && r.case.startsWith('agent RSS'), true),
        series('status bytes per write, KiB', (r) => (r.note ? Number(/([\d.]+) KiB per write/.exec(r.note)?.[1]) : undefined), (r) => r.bench === 'at-rest' && r.case.startsWith('API bytes')),
      ],
    },
  ];
  const verdicts: string[] = [];
  for (const c of charts) {
    for (const s of c.series) {
      if (s.points.length < 2) continue;
      const g = growth(s.points);
      const xs = s.points.map((p) => p.x);
      verdicts.push(`${c.title} — ${s.name}: ${Math.min(...xs)} → ${Math.max(...xs)}: exponent ${g.exponent.toFixed(2)} (${g.verdict})`);
    }
  }
  return { charts, verdicts };
}

