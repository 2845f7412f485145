// The journal of the transaction in progress: what it goes from and to, and the undo of every
// operation that ran or is about to run (written before the operation: write-ahead). A crash
// (kill -9, power cut) at any point leaves either no journal (nothing started, or all done and
// committed) or a journal that says how to get back to `from` — or, once the new config was
// verified and is being committed, that `to` is to be kept.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningConfig } from '../api/config.js';
import { readJsonIfExists, writeFileAtomic } from '../util/fs.js';
import type { Origins } from './compile.js';
import type { KernelOp } from './ops.js';

export type JournalPhase =
  /** Operations are running; `undo` lists those that may have taken effect. */
  | 'applying'
  /** Everything ran; the connectivity check (or DHCP wait) is in progress. */
  | 'verifying'
  /** Verified: the new config is being persisted. Recovery keeps it. */
  | 'committing'
  /** A failure is being undone. Recovery finishes the undo. */
  | 'rolling-back';

export interface Journal {
  version: 1;
  phase: JournalPhase;
  pid: number;
  startedAt: string;
  from: RunningConfig;
  to: RunningConfig;
  /** Origins (NIC states, displaced routes) to keep if `to` is committed. */
  originsAfter: Origins;
  /** Per executed operation, in execution order, the operations that undo it. */
  undo: KernelOp[][];
}

export type RecoveryAction =
  | { kind: 'none' }
  /** Undo everything the journal lists (reverse order), then the kernel should match `from`. */
  | { kind: 'roll-back'; journal: Journal }
  /** The new config was verified: persist `to` (and its origins), drop the journal. */
  | { kind: 'roll-forward'; journal: Journal };

/** What to do at start-up with the journal found (pure). */
export function recoveryAction(j: Journal | undefined): RecoveryAction {
  if (!j) return { kind: 'none' };
  if (j.phase === 'committing') return { kind: 'roll-forward', journal: j };
  return { kind: 'roll-back', journal: j };
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
    const j = await readJsonIfExists<Journal>(this.path);
    if (j && (j.version !== 1 || !j.from || !j.to || !Array.isArray(j.undo))) throw new Error(`${this.path}: not a journal this version understands`);
    return j;
  }

  async write(j: Journal): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(j), 0o600);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
