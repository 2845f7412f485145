// `kubectl onn stats`: the table of statistics the agent's sampler wrote about a captured host,
// with traffic, errors and a counter reset made on the host between samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRate, isNewSample, renderStats, sampleTime, statsView } from '../../src/kubectl/stats.js';
import type { HostState } from '../../src/model/host-state.js';
import { statisticsSeries, T0 } from './reported-fixtures.js';

const traffic = (rx: bigint, tx: bigint, rxErrors = 0n) => (h: HostState) => {
  const c = h.links.e1!.counters;
  c.rxBytes += rx;
  c.txBytes += tx;
  c.rxErrors += rxErrors;
};

test('one sample: the rates it carries (the agent\'s), cumulative errors and drops, its age', () => {
  const [, cur] = statisticsSeries('netns', [{ at: 0 }, { at: 10, between: traffic(2_500_000n, 12_000n) }]);
  const v = statsView('ns-node-1', { statistics: cur! }, undefined, T0 + 25);
  assert.equal(v.header, `ns-node-1: sample of ${new Date((T0 + 10) * 1000).toISOString()} (15 s ago); rates as the agent sampled them (its last observe interval)`);
  const e1 = v.rows.find((r) => r[0] === 'e1')!;
  assert.deepEqual(e1.slice(1, 5), ['up', '10000Mb/s', '250.0 kB/s', '1.2 kB/s']);
  assert.deepEqual(e1.slice(5), [cur!.e1!.rxErrors, cur!.e1!.txErrors, cur!.e1!.rxDropped, cur!.e1!.txDropped]);
  assert.deepEqual(v.rows.map((r) => r[0]), Object.keys(cur!), 'every interface, in the agent\'s (ifindex) order');
  const text = renderStats(v).split('\n');
  assert.match(text[1]!, /^INTERFACE +STATE +SPEED +RX +TX +RX-ERRORS +TX-ERRORS +RX-DROPPED +TX-DROPPED$/);
  assert.match(text.find((l) => l.startsWith('e1 '))!, /^e1 +up +10000Mb\/s +250\.0 kB\/s +1\.2 kB\/s +\d+ +\d+ +\d+ +\d+$/);
  // Columns line up: every row's second cell starts where STATE does.
  const col = text[1]!.indexOf('STATE');
  for (const l of text.slice(2).filter(Boolean)) assert.match(l.slice(col), /^(up|down) /, l);
});

test('two reads: rates between the two samples, errors with their growth, a counter reset named', () => {
  const [, prev, cur] = statisticsSeries('netns', [
    { at: 0 },
    { at: 10, between: (h) => { traffic(1000n, 1000n)(h); h.links.e2!.counters.txDropped += 5n; } },
    // 30 s later: 3 MB in, 6 kB out, 7 receive errors on e1; e2's drop counter starts again from 0 (a driver reset).
    { at: 40, between: (h) => { traffic(1000n + 3_000_000n, 1000n + 6_000n, 7n)(h); h.links.e2!.counters.txDropped = 0n; } },
  ]);
  const [p, c] = [{ statistics: prev! }, { statistics: cur! }];
  assert.ok(isNewSample(p, c));
  assert.ok(!isNewSample(c, c), 'a read of the same sample is no new sample');
  assert.equal(sampleTime(c) - sampleTime(p), 30);
  const v = statsView('ns-node-1', c, p, T0 + 40);
  assert.match(v.header, /; rates over the 30 s since the previous sample$/);
  const e1 = v.rows.find((r) => r[0] === 'e1')!;
  assert.deepEqual(e1.slice(3, 6), ['100.0 kB/s', '200 B/s', `${cur!.e1!.rxErrors} (+7)`]);
  const e2 = v.rows.find((r) => r[0] === 'e2')!;
  assert.equal(e2[8], '0 (reset)');
  assert.equal(e2[3], '0 B/s');
});

test('rates for people', () => {
  assert.deepEqual([0, 999, 1000, 1_234_567, 12_500_000_000, 9e15].map(formatRate), ['0 B/s', '999 B/s', '1.0 kB/s', '1.2 MB/s', '12.5 GB/s', '9000000.0 GB/s']);
});
