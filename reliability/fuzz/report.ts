// What a run counts and says: the tally, the log lines as trials come in, the summary and the
// rows of the reliability table.
import type { ReliabilityRow } from '../../kit/report.js';
import type { Trial } from './generate.js';
import type { Outcome, TrialResult } from './protocol.js';
import { clip } from './text.js';

export type Log = (l: string) => void;

export interface Tally {
  applied: number;
  rejected: number;
  failed: number;
  /** Failures of specs that need bonding or 802.1q, which this kernel lacks. */
  failedModules: number;
  lost: number;
  dhcpOff: number;
  byKind: Record<string, Record<Outcome, number>>;
  /** The other failures, by failureKind. */
  failures: Map<string, number>;
  resets: { tried: number; lost: number; rebuilds: number; damaged: Set<string> };
}

export function newTally(): Tally {
  return {
    applied: 0, rejected: 0, failed: 0, failedModules: 0, lost: 0, dhcpOff: 0,
    byKind: {}, failures: new Map(), resets: { tried: 0, lost: 0, rebuilds: 0, damaged: new Set() },
  };
}

/** A failure's kind for the summary: the kernel's complaint without the step, device names and numbers. */
export function failureKind(r: Pick<TrialResult, 'reason' | 'message'>): string {
  const m = (r.message ?? '').replace(/^.*?: (?=(write|ip) )/, '')
    .replace(/\/(conf|class\/net)\/[^/\s]+\//g, '/$1/<dev>/').replace(/ name \S+ /g, ' name <dev> ');
  return `${r.reason}: ${m.replace(/\d+/g, 'N').slice(0, 140)}`;
}

/**
 * What is known apart from the product's own validation, which the trial process judges by: a
 * spec the generator built valid must not be refused; and a spec validation accepted may fail in
 * the kernel only for the modules this kernel lacks. Any other failure is a rule validation is
 * missing (a bad spec is refused naming its field, not tried and rolled back), so it is a loss.
 */
export function oracleProblems(t: Pick<Trial, 'kind'>, r: TrialResult): string[] {
  if (r.outcome === 'rejected' && t.kind === 'valid') return [`a spec built valid was rejected: ${r.message ?? ''}`];
  if (r.outcome === 'failed' && !r.needsModules)
    return [`validation accepted a spec the kernel refused (${r.reason}): ${r.message ?? ''}`];
  return [];
}

/** The trial's result with the oracle's problems: lost when there are any. */
export function judged(t: Pick<Trial, 'kind'>, r: TrialResult): TrialResult {
  const problems = oracleProblems(t, r);
  return problems.length ? { ...r, outcome: 'lost', problems: [...r.problems, ...problems] } : r;
}

function specLine(spec: unknown, max = 2000): string {
  return `  spec: ${clip(JSON.stringify(spec), max)}`;
}

/** A loss, with the spec that showed it when there is one. */
export function logLoss(log: Log, what: string, r: TrialResult, spec?: unknown): void {
  log(`LOST ${what} ${r.i}: ${r.problems.join(' || ')}`);
  if (spec !== undefined) log(specLine(spec));
}

/** The first failure of each kind not explained by the missing modules is logged with its spec. */
function countFailure(tally: Tally, i: number, t: Trial, r: TrialResult, log: Log): void {
  tally.failed++;
  if (r.needsModules) {
    tally.failedModules++;
    return;
  }
  const key = failureKind(r);
  if (!tally.failures.has(key)) log(`failed (not bond/VLAN) trial ${i}: ${r.message}\n${specLine(t.spec)}`);
  tally.failures.set(key, (tally.failures.get(key) ?? 0) + 1);
}

export function countTrial(tally: Tally, i: number, t: Trial, r: TrialResult, log: Log, verbose: boolean): void {
  (tally.byKind[t.kind] ??= { applied: 0, rejected: 0, failed: 0, lost: 0 })[r.outcome]++;
  if (r.dhcpOff) tally.dhcpOff++;
  if (verbose) log(`trial ${i} ${t.kind}${t.mutation ? ` (${t.mutation})` : ''}: ${r.outcome} in ${r.ms} ms${r.message ? `: ${clip(r.message, 200)}` : ''}\n${specLine(t.spec, 3000)}`);
  if (r.outcome === 'lost') tally.lost++;
  else if (r.outcome === 'failed') countFailure(tally, i, t, r, log);
  else tally[r.outcome]++;
}

export function progressLine(tally: Tally, done: number, total: number, elapsedMs: number): string {
  return `${done}/${total} in ${(elapsedMs / 1000).toFixed(0)} s: ${tally.applied} applied, ${tally.rejected} rejected, ${tally.failed} failed, ${tally.lost} lost`;
}

export function logSummary(log: Log, tally: Tally, secs: number, restarts: number): void {
  log(`done in ${secs.toFixed(1)} s; by kind: ${Object.entries(tally.byKind).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}`);
  if (restarts > tally.resets.rebuilds) log(`the trial process was restarted ${restarts - tally.resets.rebuilds} time(s) besides rebuilds`);
  for (const [k, n] of tally.failures) log(`  ${n}x ${k}`);
}

export function summaryRows(tally: Tally, run: { tried: number; seed: number; secs: number; resetEvery: number }): ReliabilityRow[] {
  const { tried, seed, secs, resetEvery } = run;
  const { resets } = tally;
  const other = tally.failed - tally.failedModules;
  return [
    {
      experiment: 'fuzzed specs',
      case: 'random + mutated specs through validate → plan → apply (netns)',
      tried,
      survived: tried - tally.lost,
      lost: tally.lost,
      note: `${tally.applied} applied exactly, ${tally.rejected} rejected with field-named errors, ${tally.failed} failed and rolled back (${tally.failedModules} bond/VLAN: no kernel modules here${other ? `, ${other} other` : ''}); ${tally.dhcpOff} DHCP specs applied without DHCP; seed ${seed}, ${secs.toFixed(0)} s`,
    },
    {
      experiment: 'fuzzed specs',
      case: `setup({}) every ${resetEvery} trials and at the end gives the namespace back as created`,
      tried: resets.tried,
      survived: resets.tried - resets.lost,
      lost: resets.lost,
      ...(resets.rebuilds ? { note: `namespace built afresh ${resets.rebuilds}x after a loss${resets.damaged.size ? `; not given back as found: ${[...resets.damaged].sort().join(', ')}` : ''}` } : {}),
    },
  ];
}
