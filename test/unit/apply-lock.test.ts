// The apply lock is taken over when its owner died, including a kill -9'd owner that is still
// a zombie (its parent has not reaped it), which signal 0 alone reports as alive.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { waitFor } from '../../src/util/exec.js';
import { readFileSync } from 'node:fs';
import { Locks } from '../../src/apply/lock.js';

it('takes over a lock whose owner is a zombie', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-lock-'));
  // `sleep 0` ends at once and stays a zombie: its parent execs into a sleep that never waits.
  const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
  try {
    const zombie = await waitFor('the zombie', async () => {
      for (const p of await readdir('/proc')) {
        if (!/^\d+$/.test(p)) continue;
        try {
          const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          if (fields[0] === 'Z' && Number(fields[1]) === parent.pid) return Number(p);
        } catch { /* gone */ }
      }
      return undefined;
    }, 5000, 20);
    await writeFile(join(dir, 'lock'), String(zombie));
    assert.equal(await new Locks().withLock(dir, async () => 'ran'), 'ran');
  } finally {
    parent.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

/** A fresh state dir for fn, removed afterwards. */
async function inStateDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-lock-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Holds the lock of dir until release() (held then resolves to 'released'). Returns once the
 * holder's callback runs (the lock file exists then): the release it returns is the callback's,
 * never a placeholder taken before the callback set it.
 */
async function holdLock(locks: Locks, dir: string, onRelease: () => void = () => undefined): Promise<{ held: Promise<string>; release: () => void }> {
  let running: (release: () => void) => void = () => undefined;
  const started = new Promise<() => void>((r) => (running = r));
  const held = locks.withLock(dir, () => new Promise<string>((r) => running(() => { onRelease(); r('released'); })));
  const release = await Promise.race([started, held.then(() => { throw new Error('the lock callback never ran'); })]);
  assert.ok((await readdir(dir)).includes('lock'), 'the lock file exists while the callback runs');
  return { held, release };
}

it('is busy for a second holder in the same process, and free again after', () => inStateDir(async (dir) => {
  const locks = new Locks();
  const first = await holdLock(locks, dir);
  await assert.rejects(locks.withLock(dir, async () => 'second'), (e: Error) => e.name === 'BusyError');
  first.release();
  assert.equal(await first.held, 'released');
  assert.equal(await locks.withLock(dir, async () => 'third'), 'third');
}));

it('takes over a lock file naming its own pid that it does not hold (PID 1 after a container restart)', () => inStateDir(async (dir) => {
  await writeFile(join(dir, 'lock'), String(process.pid));
  assert.equal(await new Locks().withLock(dir, async () => 'ran'), 'ran');
}));

it('an apply in the same process waits for the holder instead of failing', () => inStateDir(async (dir) => {
  const locks = new Locks();
  const order: string[] = [];
  const first = await holdLock(locks, dir, () => order.push('first'));
  let waiting: () => void = () => undefined;
  const waits = new Promise<void>((r) => (waiting = r));
  const second = locks.withLock(dir, async () => { order.push('second'); }, { waitInProcess: true, onWait: () => waiting() });
  await waits;
  assert.deepEqual(order, [], 'the second waits');
  first.release();
  await Promise.all([first.held, second]);
  assert.deepEqual(order, ['first', 'second']);
}));

it('the holders of one Locks are its own: separate instances do not share them', () => inStateDir(async (dir) => {
  const a = new Locks();
  const first = await holdLock(a, dir);
  // Another instance in the same process finds a lock file naming this pid that it does not
  // hold, and takes it for stale: why one instance is shared by everything in the process.
  assert.equal(await new Locks().withLock(dir, async () => 'taken'), 'taken');
  first.release();
  await first.held;
}));
