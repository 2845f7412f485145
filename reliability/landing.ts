// Where a fault landed, from the evidence it left behind, never from the delay drawn: the agent's
// journal and persisted config as the fault left them, the agent's own log lines, the status it
// had written, and what the restarted agent (or the boot restore) said it found. Pure.
import type { Landed } from '../kit/report.js';

/** A pino line of the agent's log (only the fields read here). */
export interface LogLine {
  msg?: string;
  generation?: number;
  time?: number;
  restored?: string;
}

/** Pino JSON lines out of a log's text; a kubelet's CRI lines ("<time> stdout F <json>") are unwrapped. */
export function parseAgentLog(text: string): LogLine[] {
  return text.split('\n').flatMap((l) => {
    const json = l.startsWith('{') ? l : l.replace(/^\S+ (?:stdout|stderr) [FP] /, '');
    try {
      const v = JSON.parse(json) as unknown;
      return v && typeof v === 'object' ? [v as LogLine] : [];
    } catch {
      return [];
    }
  });
}

/** The transaction's line before its kernel work ("applying N step(s), M kernel operation(s): …"). */
const KERNEL_WORK = /^applying \d+ step\(s\), (\d+) kernel operation/;

export function isKernelWorkLine(l: LogLine): boolean {
  return KERNEL_WORK.test(l.msg ?? '');
}

/** What an agent's log says of its apply of one generation (the lines after its "applying" line). */
export interface ApplyLog {
  /** The agent took the generation up ("applying", generation G). */
  began: boolean;
  /** Its transaction logged the start of the kernel work, with this many kernel operations. */
  kernelOps?: number;
  /** It logged the outcome ("applied", "apply failed"). */
  outcome?: string;
}

export function applyLogOf(lines: readonly LogLine[], generation: number): ApplyLog {
  const i = lines.findIndex((l) => l.msg === 'applying' && l.generation === generation);
  if (i < 0) return { began: false };
  const rest = lines.slice(i + 1);
  const kw = rest.find(isKernelWorkLine);
  const out = rest.find((l) => l.generation === generation && (l.msg === 'applied' || l.msg === 'apply failed'));
  return {
    began: true,
    ...(kw ? { kernelOps: Number(KERNEL_WORK.exec(kw.msg!)![1]) } : {}),
    ...(out ? { outcome: out.msg } : {}),
  };
}

/** What a restarted agent's recovery said it found (src/apply/transaction.ts's words). */
export type Recovery = 'rolled back' | 'rolled forward' | 'none';

export function recoveryOf(logText: string): Recovery {
  if (/an apply \(pid \d+, [^)]*\) was interrupted while|interrupted apply was rolled back/.test(logText))
    return 'rolled back';
  if (/interrupted apply had been committed/.test(logText)) return 'rolled forward';
  return 'none';
}

/** The state a kill -9 left, read before the agent restarted, and what the agents said. */
export interface KillEvidence {
  /** The journal in the state dir: its phase and how many operations it had journalled. */
  journal?: { phase: string; journalled: number };
  /** The persisted running config, against the two sides as the handler persists them. */
  persisted: 'old' | 'new' | 'neither';
  /** The status had settled on the generation (written after the commit). */
  statusSettled: boolean;
  /** The killed agent's own log of the generation. */
  log: ApplyLog;
  /** What the restarted agent's recovery said. */
  recovery: Recovery;
}

export interface Landing {
  landed: Landed;
  where: string;
  evidence: string;
}

/** The landing classes of a kill, in the order of an apply (rows come in this order). */
export const KILL_CLASSES = [
  'before the kernel work began',
  'during the kernel work',
  'after the kernel work, before the commit',
  'during a roll-back',
  'after the commit, before the journal was cleared',
  'after the commit, before the status',
  'after the apply',
  'not told by the evidence',
] as const;

function describe(e: KillEvidence): string {
  const j = e.journal ? `journal ${e.journal.phase}, ${e.journal.journalled} op(s) journalled` : 'no journal';
  const l = !e.log.began
    ? 'log: generation not taken up'
    : `log: ${e.log.kernelOps === undefined ? 'no kernel work' : `kernel work of ${e.log.kernelOps} op(s)`}` +
      `${e.log.outcome ? `, ${e.log.outcome}` : ''}`;
  return (
    `${j}; persisted ${e.persisted}; status ${e.statusSettled ? 'settled' : 'not settled'}; ${l}; ` +
    `restart: ${e.recovery}`
  );
}

/** The class a kill falls in, or 'not told by the evidence' when the pieces disagree. */
function killClass(e: KillEvidence): (typeof KILL_CLASSES)[number] {
  const j = e.journal;
  if (j?.phase === 'rolling-back') return e.recovery === 'rolled back' ? 'during a roll-back' : KILL_CLASSES[7];
  if (j && e.persisted === 'old' && e.recovery === 'rolled back') {
    // Write-ahead: every operation is journalled before it runs; all journalled and the log's
    // count reached means the kernel work was done (DHCP leases, verify, commit still to come).
    const all = e.log.kernelOps !== undefined && j.journalled >= e.log.kernelOps;
    return all ? 'after the kernel work, before the commit' : 'during the kernel work';
  }
  if (j && e.persisted === 'new' && e.recovery === 'rolled forward') return KILL_CLASSES[4];
  if (j || e.recovery !== 'none') return KILL_CLASSES[7];
  if (e.persisted === 'old' && e.log.outcome === undefined) return 'before the kernel work began';
  if (e.persisted === 'new') return e.statusSettled ? 'after the apply' : 'after the commit, before the status';
  return KILL_CLASSES[7];
}

const LANDED: Record<(typeof KILL_CLASSES)[number], Landed> = {
  'before the kernel work began': 'before',
  'during the kernel work': 'during',
  'after the kernel work, before the commit': 'during',
  'during a roll-back': 'during',
  'after the commit, before the journal was cleared': 'after',
  'after the commit, before the status': 'after',
  'after the apply': 'after',
  'not told by the evidence': 'unknown',
};

/** Where a kill -9 landed, from what it left behind (pure). */
export function killLanding(e: KillEvidence): Landing {
  const where = killClass(e);
  return { landed: LANDED[where], where, evidence: describe(e) };
}

/** What the guest's boot restore said it did (its log in the VM's share). */
export type BootRestore = 'rolled back' | 'rolled forward' | 'rebuilt' | 'no restore needed';

export function cutClass(bootRestoreLog: string): BootRestore {
  if (/interrupted apply was rolled back/.test(bootRestoreLog)) return 'rolled back';
  if (/interrupted apply had been committed/.test(bootRestoreLog)) return 'rolled forward';
  if (/restored:/.test(bootRestoreLog)) return 'rebuilt';
  return 'no restore needed';
}

/** The landing classes of a power cut, in the order of an apply. */
export const CUT_CLASSES = [
  'before the kernel work (nothing journalled on disk): rebuilt from the old config',
  'during the kernel work: the journal rolled back',
  'after the commit, before the journal was cleared: rolled forward',
  'after the apply: rebuilt from the new config',
  'not told by the evidence',
] as const;

/**
 * Where a power cut landed, from the boot restore's words and which side the persisted config
 * was on after the boot (pure). A boot always starts from an empty kernel, so "rebuilt" alone
 * does not tell: without a journal, the old side means the cut came before anything was
 * journalled, the new side that the apply had finished.
 */
export function cutLanding(boot: BootRestore, persisted: 'old' | 'new' | 'neither'): Landing {
  const evidence = `boot restore: ${boot}; persisted after the boot: ${persisted}`;
  const is = (landed: Landed, i: number): Landing => ({ landed, where: CUT_CLASSES[i]!, evidence });
  if (boot === 'rolled back' && persisted === 'old') return is('during', 1);
  if (boot === 'rolled forward' && persisted === 'new') return is('after', 2);
  if (boot === 'rebuilt' && persisted === 'old') return is('before', 0);
  if (boot === 'rebuilt' && persisted === 'new') return is('after', 3);
  return is('unknown', 4);
}
