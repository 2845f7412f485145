import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleHostState } from '../../src/observe/parse.js';
import { linkState, rate, StatisticsSampler } from '../../src/observe/statistics.js';
import type { HostState, Link, LinkCounters } from '../../src/model/host-state.js';
import { loadDumps } from './observe-fixtures.js';

function link(name: string, index: number, c: Partial<LinkCounters>, extra: Partial<Link> = {}): Link {
  return {
    name, index, kind: 'veth', linkType: 'ether', flags: ['UP', 'LOWER_UP'], operstate: 'up', mtu: 1500, hwaddr: '', hasDevice: false,
    counters: { rxBytes: 0n, txBytes: 0n, rxDropped: 0n, txDropped: 0n, rxErrors: 0n, txErrors: 0n, ...c }, addresses: [], ...extra,
  };
}

function host(t: number, ...links: Link[]): HostState {
  return { links: Object.fromEntries(links.map((l) => [l.name, l])), routes: [], nameservers: [], ipv6conf: {}, supportsIPv6: true, sampleTime: t };
}

test('counters are decimal strings, exact beyond 2^53; dropped/errors not swapped', () => {
  const s = new StatisticsSampler();
  const big = 18446744073709551615n;
  const st = s.sample(host(100.25, link('a', 1, { rxBytes: big, txBytes: 9007199254740993n, rxDropped: 1n, txDropped: 2n, rxErrors: 3n, txErrors: 4n }, { speed: 10000 })));
  assert.deepEqual(st.a, {
    name: 'a', rx: '18446744073709551615', tx: '9007199254740993', rxDropped: '1', txDropped: '2', rxErrors: '3', txErrors: '4',
    rxRate: 0, txRate: 0, speed: '10000', state: 'up', sampleTime: 100.25,
  });
});

test('rates from the previous sample; reset or wrap gives 0; new interfaces are reported', () => {
  const s = new StatisticsSampler();
  s.sample(host(10, link('a', 1, { rxBytes: 1000n, txBytes: 5000n })));
  const st = s.sample(host(12, link('a', 1, { rxBytes: 3000n, txBytes: 4000n }), link('b', 2, { rxBytes: 77n })));
  assert.equal(st.a!.rxRate, 1000);
  assert.equal(st.a!.txRate, 0); // went backwards: reset, not a huge number
  assert.equal(st.b!.rx, '77');
  assert.equal(st.b!.rxRate, 0);
  const st3 = s.sample(host(14, link('a', 1, { rxBytes: 3000n, txBytes: 4100n }), link('b', 2, { rxBytes: 477n })));
  assert.equal(st3.a!.txRate, 50);
  assert.equal(st3.b!.rxRate, 200);
  // Re-created under the same name (new ifindex): a fresh baseline.
  const st4 = s.sample(host(16, link('a', 9, { rxBytes: 900000n })));
  assert.equal(st4.a!.rxRate, 0);
  assert.equal(st4.b, undefined);
});

test('rate(): large 64-bit deltas, zero or negative intervals', () => {
  assert.equal(rate(2n ** 63n, 2n ** 63n + 10n ** 12n, 1), 1e12);
  assert.equal(rate(5n, 10n, 0), 0);
  assert.equal(rate(5n, 10n, -1), 0);
  assert.equal(rate(10n, 5n, 1), 0);
  assert.equal(rate(0n, 1n, 3), 0.33);
});

test('state and speed follow VDSM: lo is up, unknown speed is 1000', () => {
  const h = assembleHostState(loadDumps('vm'), 5);
  const st = new StatisticsSampler().sample(h);
  assert.equal(st.lo!.state, 'up');
  assert.equal(st.lo!.speed, '1000');
  assert.equal(st.nnfx!.state, 'down');
  assert.equal(st.v4afx!.speed, '10000');
  assert.equal(st.b4fx!.speed, '20000');
  assert.ok(Object.values(st).every((x) => /^\d+$/.test(x.rx) && x.sampleTime === 5));
  assert.equal(linkState(link('x', 1, {}, { operstate: 'unknown', flags: ['UP'] })), 'down');
  assert.equal(linkState(link('x', 1, {}, { operstate: 'lowerlayerdown' })), 'down');
});
