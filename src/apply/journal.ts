// The journal of the transaction in progress: what it goes from and to, and the undo of every
// operation that ran or is about to run (written before the operation: write-ahead). A crash
// (kill -9, power cut) at any point leaves either no journal (nothing started, or all done) or
// a journal that says how to get back to `from`. The commit point is the rename of the new
// running config into place: a journal whose `to` is already the persisted config (and was not
// before the transaction) was committed, and recovery keeps it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { RunningConfig } from '../api/config.js';
import { readJsonIfExists, StateFileError, writeFileAtomic } from '../util/fs.js';
import { firstIssue, JournalSchema } from '../persist/schemas.js';
import type { Origins } from './compile/index.js';
import type { KernelOp } from './ops.js';

export type JournalPhase =
  /** Operations are running (or ran, and the result is being checked). */
  | 'applying'
  /** A failure is being undone. Recovery finishes the undo. */
  | 'rolling-back';

export interface Journal {
  version: 1;
  phase: JournalPhase;
  pid: number;
  startedAt: string;
  /** What the kernel was taken to hold (the running config, or what a repair read back). */
  from: RunningConfig;
  to: RunningConfig;
  /** The persisted running config when the transaction started (restored on a roll-back). */
  stored: RunningConfig;
  /** Origins (NIC states, displaced routes) to keep if `to` is committed. */
  originsAfter: Origins;
  /** Per executed operation, in execution order, the operations that undo it. */
  undo: KernelOp[][];
}

export type RecoveryAction =
  | { kind: 'none' }
  /** Undo everything the journal lists (reverse order); `stored` is the running config again. */
  | { kind: 'roll-back'; journal: Journal }
  /** `to` was committed (persisted) before the crash: keep it (origins, drop the journal). */
  | { kind: 'roll-forward'; journal: Journal };

/** What to do at start-up with the journal found and the running config persisted now (pure). */
export function recoveryAction(j: Journal | undefined, persisted: RunningConfig): RecoveryAction {
  if (!j) return { kind: 'none' };
  const committed = j.phase === 'applying' && !isDeepStrictEqual(j.stored, j.to) && isDeepStrictEqual(persisted, j.to);
  return committed ? { kind: 'roll-forward', journal: j } : { kind: 'roll-back', journal: j };
}

/** The undo operations to run, last executed first (pure). */
export function undoSequence(undo: readonly KernelOp[][]): KernelOp[] {
  const out: KernelOp[] = [];
  for (let i = undo.length - 1; i >= 0; i--) out.push(...undo[i]!);
  return out;
}

export class JournalStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'journal.json');
  }

  async read(): Promise<Journal | undefined> {
    const j = await readJsonIfExists<unknown>(this.path);
    if (j === undefined) return undefined;
    // Validated like API input before any of its undo runs (persist/schemas.ts); the paths of
    // its writes are confined again where they are written (kernel.ts).
    const r = JournalSchema.safeParse(j);
    if (!r.success) {
      const { field, message } = firstIssue(r.error);
      throw new StateFileError(this.path, field, `not a journal this version understands (${field}: ${message})`);
    }
    return r.data as Journal;
  }

  /**
   * One fsync (the file's, before its rename), not two: the folder's fsync after the rename is
   * left out. Why that keeps every guarantee:
   *   - a process crash (kill -9, OOM) loses nothing that reached the page cache: the rename is
   *     there for recovery whatever was fsync'd, so the write-ahead holds as before;
   *   - only a power cut or a kernel crash can lose the rename, and the same event loses all the
   *     kernel state the journal undoes (network configuration is not persistent). Before the
   *     commit point the disk then has no journal or a whole one of this transaction (each
   *     version's data was on disk before its name: none is torn, so none stops the agent at
   *     start) and the old running config: the boot restores `stored` either way, which is all
   *     a roll-back on a kernel that lost everything comes to;
   *   - a committed running config never goes without its journal: its save (the commit point)
   *     fsyncs this same folder after its rename, which makes every earlier rename in it durable
   *     (this one included) before the commit is reported or the journal removed, and a power
   *     cut before that fsync cannot keep the later rename and lose the earlier one (ext4 and
   *     XFS log metadata changes in order), so recovery's roll-forward still finds its origins.
   */
  async write(j: Journal): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(j), 0o600, false);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
