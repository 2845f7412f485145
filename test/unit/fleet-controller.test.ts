// The controller's own pieces: the Lease decisions of leader election, the caches' ordering
// guard, object conversion, the collection mode of the shared watcher, the CLI's flag check, the
// backoff of node writes that failed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { leaseAfter, leaseStep, type LeaseSettings } from '../../src/fleet/leader.js';
import { newerOrSame, onnView, policyView } from '../../src/fleet/objects.js';
import { ObjectWatcher } from '../../src/k8s/watcher.js';
import { seconds } from '../../src/cli/controller.js';
import type { KubeList, KubeObject, Lease } from '../../src/k8s/resources.js';
import { turns, until } from '../helpers/turns.js';
import { WriteRetries } from '../../src/fleet/write-retries.js';

const s: LeaseSettings = { namespace: 'ns', name: 'l', identity: 'a', durationSeconds: 15, renewSeconds: 5 };
const at = (iso: string) => new Date(iso);
const lease = (holder: string, renewTime: string, rv = '7'): Lease => ({ metadata: { name: 'l', resourceVersion: rv }, spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime, acquireTime: renewTime, leaseTransitions: 2 } });

describe('leader election', () => {
  it('create when missing, renew our own, follow a fresh holder, take over an expired or released one', () => {
    assert.equal(leaseStep(undefined, 'a', at('2026-01-01T00:00:00Z')).kind, 'create');
    assert.equal(leaseStep(lease('a', '2026-01-01T00:00:00.000000Z'), 'a', at('2026-01-01T00:10:00Z')).kind, 'renew');
    assert.deepEqual(leaseStep(lease('b', '2026-01-01T00:00:00.000000Z'), 'a', at('2026-01-01T00:00:14Z')), { kind: 'follow', holder: 'b' });
    assert.equal(leaseStep(lease('b', '2026-01-01T00:00:00.000000Z'), 'a', at('2026-01-01T00:00:16Z')).kind, 'takeover');
    assert.equal(leaseStep(lease('', '2026-01-01T00:00:00.000000Z'), 'a', at('2026-01-01T00:00:01Z')).kind, 'takeover');
  });
  it('the written lease: our identity, MicroTime, the resourceVersion read (a competing write makes it 409), transitions counted', () => {
    const now = at('2026-01-01T00:00:20.123Z');
    const took = leaseAfter({ kind: 'takeover' }, lease('b', '2026-01-01T00:00:00.000000Z'), s, now);
    assert.deepEqual(took, { metadata: { name: 'l', namespace: 'ns', resourceVersion: '7' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2026-01-01T00:00:20.123000Z', renewTime: '2026-01-01T00:00:20.123000Z', leaseTransitions: 3 } });
    const renewed = leaseAfter({ kind: 'renew' }, lease('a', '2026-01-01T00:00:00.000000Z'), s, now);
    assert.equal(renewed.spec?.acquireTime, '2026-01-01T00:00:00.000000Z');
    assert.equal(renewed.spec?.leaseTransitions, 2);
  });
});

describe('controller caches and objects', () => {
  it('a cache never goes back to an older resourceVersion', () => {
    assert.equal(newerOrSame('120', '119'), false);
    assert.equal(newerOrSame('120', '120'), true);
    assert.equal(newerOrSame('99', '100'), true);
    assert.equal(newerOrSame(undefined, '5'), true);
    assert.equal(newerOrSame('x', '5'), true, 'opaque versions are not compared');
  });
  it('views: a deleting policy, an object\'s annotations and managedFields', () => {
    const p = policyView({ metadata: { name: 'p', generation: 3, creationTimestamp: 't', deletionTimestamp: 'd', finalizers: ['f'] }, spec: { a: 1 } });
    assert.deepEqual(p, { name: 'p', generation: 3, creationTimestamp: 't', deleting: true, finalizers: ['f'], spec: { a: 1 } });
    const o = onnView({ apiVersion: 'v', kind: 'k', metadata: { name: 'n', generation: 2, annotations: { x: 'y' } } as never, spec: { networks: {} } });
    assert.deepEqual(o, { name: 'n', generation: 2, annotations: { x: 'y' }, spec: { networks: {} }, managedFields: [] });
  });
  it('flags: a bad number of seconds names the flag', () => {
    assert.throws(() => seconds('--resync', 'soon'), /--resync soon: expected a positive number of seconds/);
    assert.equal(seconds('--resync', '2.5'), 2.5);
  });
});

describe('the watcher on a collection', () => {
  it('lists into onList, keeps watching after a DELETED event, relists after an ERROR', async () => {
    const seen: string[] = [];
    let lists = 0;
    const sends: ((type: string, o: KubeObject) => void)[] = [];
    const w = new ObjectWatcher<KubeObject, KubeList<KubeObject>>({
      log: pino({ level: 'silent' }),
      collection: true,
      random: () => 0.5,
      source: {
        list: async () => ({ metadata: { resourceVersion: String(++lists) }, items: [{ metadata: { name: 'a' } }] }),
        watch: async (_rv, _o, onEvent) => {
          sends.push(onEvent);
          return { abort: () => undefined };
        },
      },
      handlers: {
        onList: (l) => seen.push(`list ${l.items.map((i) => i.metadata.name).join(',')}`),
        onObject: (o) => seen.push(`object ${o.metadata.name}`),
        onDeleted: (o) => seen.push(`deleted ${o.metadata.name}`),
      },
    });
    w.start();
    await until('first watch', () => sends.length === 1);
    sends[0]!('DELETED', { metadata: { name: 'a', resourceVersion: '5' } });
    sends[0]!('ADDED', { metadata: { name: 'b', resourceVersion: '6' } });
    await turns();
    assert.equal(lists, 1, 'a deletion in a collection is no reason to list again');
    sends[0]!('ERROR', { metadata: { name: '' } });
    await until('relisted', () => lists === 2);
    await w.stop();
    assert.deepEqual(seen, ['list a', 'deleted a', 'object b', 'list a']);
  });
});

describe('node writes that failed', () => {
  it('wait out a backoff that doubles per failure up to its cap, and none after a success', () => {
    const r = new WriteRetries({ baseMs: 1000, maxMs: 4000 });
    const k = WriteRetries.key('p', 'n1', { body: { spec: { networks: { a: {} } } } });
    assert.equal(r.held(k, 0), false, 'never failed: sent');
    assert.deepEqual([r.failed(k, 0), r.failed(k, 1000), r.failed(k, 3000), r.failed(k, 7000), r.failed(k, 11_000)], [1000, 2000, 4000, 4000, 4000]);
    assert.equal(r.held(k, 14_999), true, 'not before the last delay ends');
    assert.equal(r.held(k, 15_000), false);
    assert.equal(r.failuresOf(k), 5);
    r.succeeded(k);
    assert.equal(r.failuresOf(k), 0);
    assert.equal(r.held(k, 15_000), false);
    assert.equal(r.failed(k, 20_000), 1000, 'the base delay again after a success');
  });

  it('a different write to the same node is a new item; writes no pass decides any more are forgotten', () => {
    const r = new WriteRetries({ baseMs: 1000, maxMs: 60_000 });
    const g1 = WriteRetries.key('p', 'n1', { body: { generation: 1 } });
    const g2 = WriteRetries.key('p', 'n1', { body: { generation: 2 } });
    const other = WriteRetries.key('p', 'n2', { body: { generation: 1 } });
    assert.notEqual(g1, g2);
    assert.notEqual(g1, other);
    r.failed(g1, 0);
    r.failed(g1, 1000);
    r.failed(other, 0);
    assert.equal(r.held(g2, 1500), false, 'the new write is not held behind the old one');
    assert.equal(r.failed(g2, 1500), 1000);
    r.keepOnly(new Set([g2]));
    assert.equal(r.failuresOf(g1), 0);
    assert.equal(r.failuresOf(other), 0);
    assert.equal(r.held(other, 1), false);
    assert.equal(r.failuresOf(g2), 1);
  });
});
