// One transaction at a time per state dir (the agent and an `apply` on the node's shell would
// otherwise interleave): a lock file holding the owner's pid. A lock whose owner died (kill -9)
// is taken over.
import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseProcStat } from '../util/proc.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A process killed with -9 whose parent has not reaped it yet is a zombie: signal 0 still
  // reaches it, but it holds nothing any more.
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state !== 'Z';
  } catch {
    return true;
  }
}

export class BusyError extends Error {
  constructor(readonly pid: number) {
    super(`another apply (pid ${pid}) is in progress`);
    this.name = 'BusyError';
  }
}

export interface LockOptions {
  /** Wait for a holder in this same process instead of failing (applies queue; supervision skips). */
  waitInProcess?: boolean;
  /** Called when the call waits for a holder in this process (before it waits). */
  onWait?: () => void;
}

/**
 * The lock files this process holds, with when they are released. A lock file naming our own pid
 * is ours only if it is in here: otherwise it was left by an earlier process that had the same pid
 * (PID 1 in a restarted container). Tracking holds here keeps a second holder in this process
 * (the agent's periodic DHCP supervision) from taking the lock from a running apply. Invariant:
 * everything in a process that locks a state dir shares one instance (the entry point creates
 * it); a second instance would take the first one's lock file for stale.
 */
export class Locks {
  private readonly held = new Map<string, Promise<void>>();

  /**
   * Runs fn holding the lock of stateDir; BusyError when another holder has it (and, in this process, unless
   * waitInProcess).
   */
  async withLock<T>(stateDir: string, fn: () => Promise<T>, o: LockOptions = {}): Promise<T> {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const path = join(stateDir, 'lock');
    for (let held = this.held.get(path); held; held = this.held.get(path)) {
      if (!o.waitInProcess) throw new BusyError(process.pid);
      o.onWait?.();
      await held;
    }
    let release: () => void = () => undefined;
    this.held.set(path, new Promise<void>((r) => (release = r)));
    try {
      return await withLockFile(path, fn);
    } finally {
      this.held.delete(path);
      release();
    }
  }
}

async function withLockFile<T>(path: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) throw new BusyError(owner);
      await rm(path, { force: true }); // stale: its owner is gone
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
