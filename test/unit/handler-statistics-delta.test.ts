// The statistics delta (src/report/statistics-delta.ts) and the JSON patch it becomes
// (src/k8s/client.ts statusPatchOps): what an interval sends, and what it leaves alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEdit, entryChanged, isEmptyEdit, sameStatistics, statisticsDelta } from '../../src/report/statistics-delta.js';
import { truncate } from '../../src/report/status-budget.js';
import { statusPatchOps } from '../../src/k8s/client.js';

const entry = (rx: string, sampleTime: number, rxRate = 0) => ({ name: 'x', rx, tx: '0', rxDropped: '0', txDropped: '0', rxErrors: '0', txErrors: '0', rxRate, txRate: 0, speed: '1000', state: 'up', sampleTime });

test('an entry changed in anything but its sampleTime is sent; one whose counters stood still is not', () => {
  assert.equal(entryChanged(entry('5', 100), entry('5', 130)), false);
  assert.equal(entryChanged(entry('5', 100), entry('6', 130)), true);
  assert.equal(entryChanged(entry('5', 100, 12.5), entry('5', 130, 0)), true, 'a rate back to 0 is a change');
  assert.equal(entryChanged(entry('5', 100), { ...entry('5', 130), state: 'down' }), true);
});

test('the delta: new and changed entries set, gone ones removed; applied, it is the new map up to the unchanged entries\' sampleTime', () => {
  const shown = { eth0: entry('1', 100), eth1: entry('7', 100), gone0: entry('0', 100) };
  const next = { eth0: entry('1', 130), eth1: entry('8', 130), new0: entry('0', 130) };
  const d = statisticsDelta(shown, next);
  assert.deepEqual(Object.keys(d.set).sort(), ['eth1', 'new0']);
  assert.deepEqual(d.remove, ['gone0']);
  const stored = applyEdit(shown, d);
  assert.deepEqual(Object.keys(stored).sort(), ['eth0', 'eth1', 'new0']);
  assert.equal(stored.eth0, shown.eth0, 'eth0 kept as stored');
  assert.ok(sameStatistics(stored, next));
  assert.ok(isEmptyEdit(statisticsDelta(next, next)));
  assert.equal(sameStatistics(undefined, next), false);
});

test('the JSON patch of a delta: the resourceVersion precondition first, keys as JSON pointer tokens, removals', () => {
  const ops = statusPatchOps({ statisticsTime: 130 }, true, { maps: { statistics: { set: { 'a/b~c': { rx: '1' } }, remove: ['gone0'] } }, resourceVersion: '42' });
  assert.deepEqual(ops, [
    { op: 'replace', path: '/metadata/resourceVersion', value: '42' },
    { op: 'add', path: '/status/statistics/a~1b~0c', value: { rx: '1' } },
    { op: 'remove', path: '/status/statistics/gone0' },
    { op: 'add', path: '/status/statisticsTime', value: 130 },
  ]);
  assert.deepEqual(statusPatchOps({ statistics: {} }, false), [{ op: 'add', path: '/status', value: { statistics: {} } }]);
  assert.throws(() => statusPatchOps({}, false, { maps: {}, resourceVersion: '1' }), /needs an object with a status/);
});

test('leaving statistics out (truncation level 2) leaves their time out too; NICs and bonds only (level 1) keeps it', () => {
  const s = { capabilities: { nics: { eth0: {} } }, statistics: { eth0: entry('1', 1), br0: entry('1', 1) }, statisticsTime: 1 };
  assert.deepEqual(Object.keys(truncate(s, 1)).sort(), ['capabilities', 'statistics', 'statisticsTime']);
  assert.deepEqual(Object.keys(truncate(s, 1).statistics as object), ['eth0']);
  assert.deepEqual(Object.keys(truncate(s, 2)).sort(), ['capabilities']);
});
