// docs/benchmarks.md's apply before/after table: made from the raw results, verdicts as the
// files state them, and rewritten between its markers (nothing around it touched).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BEGIN, END, section, withSection } from '../../bench/apply-report.js';
import type { ResultsFile } from '../../kit/report.js';

const file = (value: number, baseline: number, met: boolean): ResultsFile => ({
  command: 'node dist/bench/apply.js --sizes 10',
  commit: 'abc',
  startedAt: '2026-01-01T00:00:00Z',
  host: { kernel: 'k', cpus: 2, node: 'v24' },
  reliability: [],
  bench: [
    {
      bench: 'apply:agent',
      case: 'apply 10 bridged networks (netns), probe time apart',
      size: 10,
      value,
      unit: 'ms',
      baseline,
      baselineName: 'ip -batch',
      ratio: value / baseline,
      target: '<= 1.2x',
      met,
    },
    { bench: 'apply:agent/parts', case: '  10 networks: ip -batch (2x)', size: 10, value: 3, unit: 'ms' },
  ],
});

test("the table carries each file's figures, ratio and verdict", () => {
  const s = section(file(40, 10, false), file(11, 10, true));
  assert.ok(s.startsWith(BEGIN) && s.endsWith(END));
  assert.match(s, /\| 10 \| agent \| 40\.0 ms \| 10\.0 ms \| 4\.00× \| 11\.0 ms \| 10\.0 ms \| 1\.10× \| met \|/);
  assert.match(s, /\| ip -batch \| 3\.00 \| 3\.00 \|/);
  assert.match(s, /at abc/);
});

test('the section replaces the one between the markers, or goes before the observation heading', () => {
  const doc = `# A\n\n${BEGIN}\nold\n${END}\n\n## B\n`;
  assert.equal(withSection(doc, `${BEGIN}\nnew\n${END}`), `# A\n\n${BEGIN}\nnew\n${END}\n\n## B\n`);
  const fresh = withSection('# A\n\n### Fixed cost of an observation\nx\n', 'S');
  assert.equal(fresh, '# A\n\nS\n\n### Fixed cost of an observation\nx\n');
});

test("with the old build timed in the after run, the breakdown's old columns are that run's", () => {
  const after = file(11, 10, true);
  after.bench.push(
    { ...after.bench[0]!, bench: 'apply@before:agent', value: 20, ratio: 2, met: false },
    { bench: 'apply@before:agent/parts', case: '  10 networks: ip -batch (2x)', size: 10, value: 7, unit: 'ms' },
  );
  const s = section(file(40, 10, false), after);
  assert.match(s, /\| part \(ms, medians\) \| 10, old code \| 10, after \|/);
  assert.match(s, /\| ip -batch \| 7\.00 \| 3\.00 \|/);
  assert.match(s, /\| 10 \| agent \| 10\.0 ms \| 20\.0 ms \| 2\.00× \| 11\.0 ms \| 1\.10× \| 0\.55× \| met \|/);
});
