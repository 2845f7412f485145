// The executor: runs a compiled transaction group by group, journalling each group's undo before
// it runs; the ip lines of every group go to one `ip -batch` process kept open for the
// transaction (IpSession), started while the first journal write is made. On a failure, what
// ran is undone in reverse and the error names the plan step, the operation and the kernel's
// message.
import type { Compiled } from './compile/index.js';
import type { DhcpSupervisor } from './dhcp.js';
import { IpSession, type IpBatch } from './ipbatch.js';
import { undoSequence, type Journal, type JournalStore } from './journal.js';
import { describeFailure, previousValueOp, runOps } from './kernel.js';
import { describeOp, groupOps, type KernelOp, type PlannedOp } from './ops.js';
import { traced, type Trace } from '../util/trace.js';

export interface Progress {
  done: number;
  total: number;
  step: string;
}

export interface ExecuteOptions {
  dhcp: DhcpSupervisor;
  ip: IpBatch;
  journal: JournalStore;
  /** Everything of the journal but phase and undo. */
  journalBase: Omit<Journal, 'phase' | 'undo'>;
  onProgress?: (p: Progress) => void;
  /** Failures of best-effort operations. */
  warn?: (msg: string) => void;
  /**
   * Crash-test hook: SIGKILL this process once that many operations ran (set only by an entry
   * point: apply --test-crash-after-operation N, src/cli/apply.ts).
   */
  crashAfter?: number;
  /** Told how long each journal write and each group of operations takes. */
  trace?: Trace;
  /**
   * The transaction's ip session, when its caller opened one (to read the host through it);
   * the caller closes it. Default: one of the executor's own.
   */
  session?: IpSession;
}

export type ExecuteResult =
  | { ok: true; undo: KernelOp[][] }
  | {
      ok: false;
      /** The plan step (unit) that failed, e.g. "add network net1". */
      step: string;
      /** The operation and the kernel's message. */
      error: string;
      /** Undo errors (the host may not be exactly as before when not empty). */
      rollbackErrors: string[];
    };

export function crash(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL cannot be caught; this is never reached.
  throw new Error('unreachable');
}

export async function execute(compiled: Compiled, o: ExecuteOptions): Promise<ExecuteResult> {
  if (o.session) return executeIn(o.session, compiled, o);
  const session = new IpSession((opts) => o.ip.argv(opts));
  // Started while the first journal write is in flight, so that ip's start overlaps the fsync;
  // it is given no line before its group's undo is on disk.
  const warm = compiled.ops.some((p) => p.op.kind === 'ip' && !p.op.family) ? () => session.warm() : undefined;
  try {
    return await executeIn(session, compiled, o, warm);
  } finally {
    await session.close();
  }
}

async function executeIn(
  session: IpSession,
  compiled: Compiled,
  o: ExecuteOptions,
  warm?: () => void,
): Promise<ExecuteResult> {
  const ops = compiled.ops;
  const undo: KernelOp[][] = [];
  const io = { dhcp: o.dhcp, ip: session };
  let done = 0;
  for (const g of groupOps(ops, o.crashAfter)) {
    // Write-ahead: the undo of this group is on disk before any of it runs.
    const resolved: KernelOp[][] = [];
    for (const p of g.ops) resolved.push(p.undo === 'previous' ? await previousValueOp(p.op) : p.undo);
    // A group with nothing to undo (sysctls of devices just created, which their deletion
    // undoes) leaves the journal as it is: no write needed.
    if (done === 0 || resolved.some((u) => u.length)) {
      const written = traced(o.trace, 'journal write', () =>
        o.journal.write({ ...o.journalBase, phase: 'applying', undo: [...undo, ...resolved] }),
      );
      if (done === 0) warm?.();
      await written;
    }
    if (o.crashAfter === done) crash();
    let i = 0;
    while (i < g.ops.length) {
      const failures = await traced(o.trace, g.kind === 'ip' ? 'ip -batch' : g.kind, () =>
        runOps(
          g.ops.slice(i).map((p) => p.op),
          io,
        ),
      );
      if (!failures.length) {
        undo.push(...resolved.slice(i));
        break;
      }
      const f = failures[0]!;
      const k = f.index < 0 ? -1 : i + f.index;
      const failed: PlannedOp = g.ops[k < 0 ? i : k]!;
      if (k >= 0 && failed.bestEffort) {
        o.warn?.(`${compiled.units[failed.step] ?? ''}: ${describeFailure(failed.op, f.message)} (ignored)`);
        undo.push(...resolved.slice(i, k), []);
        i = k + 1;
        continue;
      }
      if (k < 0) {
        // ip died without naming a line: any of the rest may have run; undo all of it.
        undo.push(...resolved.slice(i));
      } else {
        undo.push(...resolved.slice(i, k));
        // A DHCP client may have started before failing (bad device, no link): stop it.
        if (failed.op.kind === 'dhcp-start') undo.push(resolved[k]!);
      }
      // Nothing more goes to the session; the undo runs in a process of its own (-force).
      await session.close();
      const rollbackErrors = await rollback(undo, o);
      return {
        ok: false,
        step: compiled.units[failed.step] ?? `step ${failed.step}`,
        error: describeFailure(failed.op, f.message),
        rollbackErrors,
      };
    }
    done += g.ops.length;
    const last = g.ops[g.ops.length - 1]!;
    o.onProgress?.({ done, total: ops.length, step: compiled.units[last.step] ?? '' });
  }
  if (o.crashAfter === done) crash();
  return { ok: true, undo };
}

/** Undoes what ran (last first), carrying on past errors; returns them. */
export async function rollback(
  undo: KernelOp[][],
  o: Pick<ExecuteOptions, 'dhcp' | 'ip' | 'journal' | 'journalBase'>,
): Promise<string[]> {
  await o.journal.write({ ...o.journalBase, phase: 'rolling-back', undo });
  const seq = undoSequence(undo);
  const failures = await runOps(seq, o, { force: true });
  return failures.map((f) => (f.index >= 0 ? describeFailure(seq[f.index]!, f.message) : f.message));
}

export { describeOp };
