// coalesced(): runs never overlap, and every caller gets a run that began after its call.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { coalesced } from '../../src/util/coalesce.js';

it('a burst of calls during a run costs one more run, started after the first ended', async () => {
  const log: string[] = [];
  let active = 0;
  let runs = 0;
  const releases: (() => void)[] = [];
  const f = coalesced(async () => {
    const n = ++runs;
    active++;
    assert.equal(active, 1, 'runs never overlap');
    log.push(`start ${n}`);
    await new Promise<void>((r) => releases.push(r));
    log.push(`end ${n}`);
    active--;
  });
  const first = f();
  const during = [f(), f(), f()];
  assert.equal(runs, 1);
  releases.shift()!();
  await first;
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, 'the three calls share one run');
  releases.shift()!();
  await Promise.all(during);
  assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2']);
  const later = f();
  assert.equal(runs, 3, 'a call after everything settled runs again');
  releases.shift()!();
  await later;
});

it('a failing run does not stop the queued one', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let runs = 0;
  const f = coalesced(async () => {
    runs++;
    if (runs === 1) {
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('first fails');
    }
  });
  const first = f();
  const second = f();
  t.mock.timers.tick(10);
  await assert.rejects(first, /first fails/);
  await second;
  assert.equal(runs, 2);
});
