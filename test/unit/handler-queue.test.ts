// The generation queue: one apply at a time, the newest generation wins, a settled generation is
// not applied again, a retry comes after its per-generation exponential backoff (mock timers:
// the delays grow, cap, and start over on a new generation and after forget()), other host work
// keeps its place in the line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenerationQueue, type ApplyOutcome } from '../../src/agent/queue.js';
import { backoffDelay, checkBackoffSettings, ItemBackoff } from '../../src/k8s/item-backoff.js';
import { deferred, turns, until } from '../helpers/turns.js';

/** A queue whose applies are recorded and held until released one by one; answers come from `outcome`. */
function rig(outcome: (generation: number) => ApplyOutcome = () => 'done', baseMs = 1000, maxMs = 60_000) {
  const applied: number[] = [];
  const errors: unknown[] = [];
  const holds: { generation: number; release: () => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const retries: { generation: number; delayMs: number; failures: number }[] = [];
  const queue = new GenerationQueue<string>({
    retry: { baseMs, maxMs },
    onError: (e) => errors.push(e),
    onRetry: (generation, delayMs, failures) => retries.push({ generation, delayMs, failures }),
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
  return { queue, offer, finish, applied, errors, retries, maxActive: () => maxActive, holds };
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
    r.offer(1); // our own status write of the failure, echoed by the watch: no attempt before the delay
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

  it('the delay doubles with each consecutive failure of a generation, up to the cap', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const r = rig(() => 'retry', 1000, 4000);
    r.offer(1);
    await r.finish(1);
    for (const delay of [1000, 2000, 4000, 4000, 4000]) {
      const before = r.applied.length;
      t.mock.timers.tick(delay - 1);
      await turns();
      assert.equal(r.applied.length, before, `not before ${delay} ms`);
      t.mock.timers.tick(1);
      await r.finish(1);
      assert.equal(r.applied.length, before + 1, `tried again after ${delay} ms`);
    }
    assert.deepEqual(
      r.retries.map((x) => x.delayMs),
      [1000, 2000, 4000, 4000, 4000, 4000],
    );
    assert.deepEqual(
      r.retries.map((x) => x.failures),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(r.queue.failures, 6);
  });

  it('a new generation is a new item: applied at once, its first failure waits the base delay again', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const r = rig(() => 'retry', 1000, 60_000);
    r.offer(1);
    await r.finish(1);
    t.mock.timers.tick(1000);
    await r.finish(1);
    t.mock.timers.tick(2000);
    await r.finish(1);
    assert.deepEqual(
      r.retries.map((x) => x.delayMs),
      [1000, 2000, 4000],
    );
    r.offer(2); // not held behind generation 1's 4 s pause
    await r.finish(2);
    assert.deepEqual(r.applied, [1, 1, 1, 2]);
    assert.deepEqual(r.retries.at(-1), { generation: 2, delayMs: 1000, failures: 1 });
    t.mock.timers.tick(4000); // generation 1's timer is gone with it
    await r.finish(2);
    assert.deepEqual(r.applied, [1, 1, 1, 2, 2], "generation 2's own retry after 1 s, and nothing of 1");
  });

  it('a success settles the generation and forgets its failures', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let fail = true;
    const r = rig(() => (fail ? 'retry' : 'done'), 1000, 60_000);
    r.offer(1);
    await r.finish(1);
    t.mock.timers.tick(1000);
    await r.finish(1);
    assert.equal(r.queue.failures, 2);
    fail = false;
    t.mock.timers.tick(2000);
    await r.finish(1);
    assert.equal(r.queue.failures, 0, 'forgotten on success');
    assert.equal(r.offer(1), false, 'settled');
  });

  it('forget() starts the backoff over: the re-created object waits the base delay after its first failure', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const r = rig(() => 'retry', 1000, 60_000);
    r.offer(1);
    await r.finish(1);
    t.mock.timers.tick(1000);
    await r.finish(1);
    r.queue.forget();
    r.offer(1); // the re-created object's generation 1
    await r.finish(1);
    assert.deepEqual(
      r.retries.map((x) => x.delayMs),
      [1000, 2000, 1000],
    );
  });

  it('an apply that throws is tried again after its backoff, not in a loop', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const errors: unknown[] = [];
    const applied: number[] = [];
    const queue = new GenerationQueue<string>({
      retry: { baseMs: 1000, maxMs: 60_000 },
      onError: (e) => errors.push(e),
      apply: async (_item, g) => {
        applied.push(g);
        throw new Error('boom');
      },
    });
    queue.offer(1, 'a');
    await until('the error', () => errors.length === 1);
    queue.offer(1, 'a'); // the echo of a status write
    await turns();
    assert.deepEqual(applied, [1]);
    t.mock.timers.tick(1000);
    await until('the retry', () => errors.length === 2);
    assert.deepEqual(applied, [1, 1]);
    assert.equal(queue.failures, 2);
    await queue.stop();
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

  it('retryNow() applies a generation waiting out its backoff at once, without waiting for the timer', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let fail = true;
    const r = rig(() => (fail ? 'retry' : 'done'), 10_000);
    r.offer(1);
    await r.finish(1);
    fail = false;
    r.queue.retryNow(); // the relist after the API server came back
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
      retry: { baseMs: 1000, maxMs: 1000 },
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

describe('item backoff', () => {
  it('base · 2^failures, capped; per item; forget() starts an item over', () => {
    const s = { baseMs: 1000, maxMs: 300_000 };
    assert.deepEqual(
      [0, 1, 2, 8, 9, 10, 2000].map((n) => backoffDelay(n, s)),
      [1000, 2000, 4000, 256_000, 300_000, 300_000, 300_000],
    );
    const b = new ItemBackoff<string>({ baseMs: 10, maxMs: 40 });
    assert.deepEqual(
      [b.failed('a'), b.failed('a'), b.failed('b'), b.failed('a'), b.failed('a')],
      [10, 20, 10, 40, 40],
    );
    assert.equal(b.failuresOf('a'), 4);
    b.forget('a'); // a success
    assert.equal(b.failed('a'), 10);
    assert.equal(b.failed('b'), 20, 'another item keeps its count');
    b.forgetAllBut((k) => k === 'a');
    assert.equal(b.failuresOf('b'), 0);
  });

  it('refuses settings that are not a positive delay, or a cap below the base', () => {
    assert.throws(() => checkBackoffSettings({ baseMs: 0, maxMs: 10 }, 'x'), /base delay 0 ms/);
    assert.throws(() => checkBackoffSettings({ baseMs: Number.NaN, maxMs: 10 }, 'x'), /base delay NaN/);
    assert.throws(() => checkBackoffSettings({ baseMs: 10, maxMs: 5 }, 'x'), /below the base/);
    assert.deepEqual(checkBackoffSettings({ baseMs: 10, maxMs: 10 }, 'x'), { baseMs: 10, maxMs: 10 });
  });
});
