// The generation queue: one apply at a time, the newest generation wins, a settled generation is
// not applied again, a retry comes after its delay (mock timers), other host work keeps its place
// in the line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenerationQueue, type ApplyOutcome } from '../../src/agent/queue.js';
import { deferred, turns, until } from '../helpers/turns.js';

/** A queue whose applies are recorded and held until released one by one; answers come from `outcome`. */
function rig(outcome: (generation: number) => ApplyOutcome = () => 'done', retryAfterMs = 1000) {
  const applied: number[] = [];
  const errors: unknown[] = [];
  const holds: { generation: number; release: () => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const queue = new GenerationQueue<string>({
    retryAfterMs,
    onError: (e) => errors.push(e),
    apply: async (item, generation) => {
      assert.equal(item, `spec ${generation}`);
      active++;
      maxActive = Math.max(maxActive, active);
      applied.push(generation);
      const d = deferred();
      holds.push({ generation, release: d.resolve });
      await d.promise;
      active--;
      return outcome(generation);
    },
  });
  const offer = (g: number) => queue.offer(g, `spec ${g}`);
  /** Releases the apply under way (after waiting for it to start). */
  const finish = async (generation: number) => {
    await until(`the apply of ${generation}`, () => holds.some((h) => h.generation === generation));
    holds.splice(holds.findIndex((h) => h.generation === generation), 1)[0]!.release();
    await turns();
  };
  return { queue, offer, finish, applied, errors, maxActive: () => maxActive, holds };
}

describe('generation queue', () => {
  it('drops generations superseded while an apply runs, and never runs two at once', async () => {
    const r = rig();
    r.offer(1);
    await until('the first apply', () => r.applied.length === 1);
    r.offer(2);
    r.offer(3);
    r.offer(4);
    await turns();
    assert.deepEqual(r.applied, [1], 'nothing starts beside the running apply');
    await r.finish(1);
    await r.finish(4);
    assert.deepEqual(r.applied, [1, 4], 'only the newest of those that arrived meanwhile');
    assert.equal(r.maxActive(), 1);
  });

  it('does not apply the settled generation again; offer says so', async () => {
    const r = rig();
    assert.equal(r.offer(1), true);
    await r.finish(1);
    assert.equal(r.offer(1), false, 'already settled');
    assert.equal(r.offer(1), false);
    await turns();
    assert.deepEqual(r.applied, [1]);
    assert.equal(r.offer(2), true);
    await r.finish(2);
    assert.deepEqual(r.applied, [1, 2]);
  });

  it('an offer of the running generation does not apply it twice', async () => {
    const r = rig();
    r.offer(1);
    await until('the apply', () => r.applied.length === 1);
    r.offer(1); // our own status write, echoed by the watch
    await r.finish(1);
    await turns();
    assert.deepEqual(r.applied, [1]);
  });

  it('tries a retryable failure again after the delay, not before', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let fail = true;
    const r = rig(() => (fail ? 'retry' : 'done'), 1000);
    r.offer(1);
    await r.finish(1);
    t.mock.timers.tick(999);
    await turns();
    assert.deepEqual(r.applied, [1], 'not before the delay');
    fail = false;
    t.mock.timers.tick(1);
    await r.finish(1);
    assert.deepEqual(r.applied, [1, 1]);
    t.mock.timers.tick(10_000);
    await turns();
    assert.deepEqual(r.applied, [1, 1], 'settled: no further retries');
  });

  it('a retry that fires after a newer generation was applied applies nothing stale', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const r = rig((g) => (g === 1 ? 'retry' : 'done'), 1000);
    r.offer(1);
    await r.finish(1);
    r.offer(2);
    await r.finish(2);
    t.mock.timers.tick(1000);
    await turns();
    assert.deepEqual(r.applied, [1, 2]);
  });

  it('a re-offer applies a pending (retryable) generation at once, without waiting for the timer', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let fail = true;
    const r = rig(() => (fail ? 'retry' : 'done'), 10_000);
    r.offer(1);
    await r.finish(1);
    fail = false;
    r.offer(1); // the relist after the API server came back
    await r.finish(1);
    assert.deepEqual(r.applied, [1, 1]);
    t.mock.timers.tick(10_000); // the retry timer finds it settled
    await turns();
    assert.deepEqual(r.applied, [1, 1]);
    r.offer(2);
    await r.finish(2);
    assert.deepEqual(r.applied, [1, 1, 2], 'still applies what comes next');
  });

  it('exclusive work runs after the running apply and before the pending generation, never beside either', async () => {
    const r = rig();
    const log: string[] = [];
    r.offer(1);
    await until('the first apply', () => r.applied.length === 1);
    const cleanup = deferred();
    r.queue.exclusive(async () => {
      log.push(`cleanup (applies so far ${r.applied.join(',')})`);
      await cleanup.promise;
      log.push('cleanup done');
    });
    r.offer(2);
    await turns();
    assert.deepEqual(log, [], 'waits for the running apply');
    await r.finish(1);
    assert.deepEqual(log, ['cleanup (applies so far 1)']);
    assert.deepEqual(r.applied, [1], 'the pending generation waits for the cleanup');
    cleanup.resolve();
    await r.finish(2);
    assert.deepEqual(r.applied, [1, 2]);
    assert.deepEqual(log, ['cleanup (applies so far 1)', 'cleanup done']);
  });

  it('forget(): an apply under way settles nothing, so a re-created object\'s generation 1 is applied', async () => {
    const r = rig();
    r.offer(1);
    await until('the apply', () => r.applied.length === 1);
    r.queue.forget();
    r.offer(1); // the new object
    await r.finish(1);
    await r.finish(1);
    assert.deepEqual(r.applied, [1, 1]);
  });

  it('forget() drops the pending generation and the retry', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const r = rig((g) => (g === 1 ? 'retry' : 'done'), 1000);
    r.offer(1);
    await r.finish(1);
    r.queue.forget();
    t.mock.timers.tick(5000);
    await turns();
    assert.deepEqual(r.applied, [1]);
  });

  it('an apply that throws is reported, and the queue goes on with the next generation', async () => {
    const errors: unknown[] = [];
    const applied: number[] = [];
    const queue = new GenerationQueue<string>({
      retryAfterMs: 1000,
      onError: (e) => errors.push(e),
      apply: async (_item, g) => {
        applied.push(g);
        if (g === 1) throw new Error('boom');
        return 'done';
      },
    });
    queue.offer(1, 'a');
    await until('the error', () => errors.length === 1);
    queue.offer(2, 'b');
    await until('the next apply', () => applied.length === 2);
    assert.deepEqual(applied, [1, 2]);
    assert.match(String(errors[0]), /boom/);
  });

  it('stop() waits for the running apply and starts nothing after it', async () => {
    const r = rig();
    r.offer(1);
    await until('the apply', () => r.applied.length === 1);
    r.offer(2);
    let stopped = false;
    const stopping = r.queue.stop().then(() => (stopped = true));
    await turns();
    assert.equal(stopped, false, 'the running apply is waited for');
    await r.finish(1);
    await stopping;
    r.offer(3);
    await turns();
    assert.deepEqual(r.applied, [1]);
  });
});
