// The benchmark suite's own arithmetic and output: medians, growth verdicts, tables, the plot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growth, median, summarize } from '../../bench/lib/stats.js';
import { benchTable, formatTable, markdownTable } from '../../kit/report.js';
import { renderCharts } from '../../bench/lib/plot.js';
import { scalingCharts } from '../../bench/scaling.js';

test('median of odd and even counts; summary', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(summarize([5, 1, 9]), { median: 5, min: 1, max: 9, n: 3 });
});

test('growth: linear, quadratic and constant-dominated series', () => {
  assert.equal(growth([{ x: 100, y: 10 }, { x: 1000, y: 100 }]).verdict, 'linear');
  assert.equal(growth([{ x: 100, y: 1 }, { x: 1000, y: 100 }]).verdict, 'quadratic or worse');
  assert.equal(growth([{ x: 100, y: 50 }, { x: 1000, y: 60 }]).verdict, 'sub-linear');
  assert.equal(growth([{ x: 100, y: 1 }]).verdict, 'n/a');
});

test('tables: aligned text and Markdown with | escaped', () => {
  const text = formatTable(['a', 'bb'], [['xyz', '1']]);
  assert.equal(text, 'a    bb\n---  --\nxyz  1\n');
  assert.equal(markdownTable(['a'], [['x|y']]), '| a |\n| --- |\n| x\\|y |\n');
  const t = benchTable([{ bench: 'apply', case: 'c', value: 150, unit: 'ms', baseline: 100, baselineName: 'ip', ratio: 1.5, target: '<= 1.5x', met: true }]);
  assert.match(t, /150 ms +100 ms \(ip\) +1\.50x +<= 1\.5x met/);
});

test('scaling charts take every sized row; the SVG has a line per series with points', () => {
  const rows = [100, 500, 1000].flatMap((n) => [
    { bench: 'apply', case: `apply ${n} bridged networks (netns)`, size: n, value: n * 0.2, unit: 'ms', baseline: n * 0.15 },
  ]);
  const { charts, verdicts } = scalingCharts(rows);
  assert.equal(charts[0]!.series[0]!.points.length, 3);
  assert.equal(charts[0]!.series[1]!.points.length, 3, 'the baseline is a series too');
  assert.ok(verdicts.some((v) => /linear/.test(v)));
  const svg = renderCharts(charts);
  assert.match(svg, /^<svg /);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 2, 'only series with points are drawn');
});

test('a benchmark run is broken only by a missing or non-finite figure, never by a missed target', async () => {
  const { brokenRows } = await import('../../bench/settings.js');
  const row = { bench: 'apply', case: '10 networks', value: 22, unit: 'ms', baseline: 5, ratio: 4.4, target: '<= 1.2x', met: false };
  assert.deepEqual(brokenRows('apply', [row]), []);
  assert.deepEqual(brokenRows('apply', []), ['apply: no result']);
  assert.deepEqual(brokenRows('apply', [{ ...row, value: NaN, ratio: NaN }]), ['apply "10 networks": value NaN, ratio NaN']);
  assert.deepEqual(brokenRows('apply', [{ ...row, baseline: 0, ratio: Infinity }]), ['apply "10 networks": baseline 0, ratio Infinity']);
});
