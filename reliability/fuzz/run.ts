// The parent: the namespace, the trial process (restarted if it dies), the trials in order with a
// reset every RESET_EVERY, and the namespace built afresh after each loss.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchNamespaceName } from '../../lab/client/index.js';
import type { ReliabilityRow } from '../../kit/report.js';
import { generateTrials, type Trial } from './generate.js';
import { createNamespace, removeNamespace } from './namespace.js';
import { lostResult, type Request, type TrialResult } from './protocol.js';
import { countTrial, judged, logLoss, logSummary, newTally, progressLine, summaryRows, type Log, type Tally } from './report.js';
import { TrialProcess } from './trial-process.js';
import { clearWorkDir } from './work-dir.js';

/** A clean-slate check every this many trials (and once at the end). */
export const RESET_EVERY = 50;

export interface FuzzOptions {
  trials: number;
  seed?: number;
  log?: Log;
  /** Replay these specs (in order) instead of generating them; for reproducing a failure. */
  specs?: unknown[];
  /** Log every trial (outcome and spec), to cut a failing sequence down to a reproducer. */
  verbose?: boolean;
}

/** One run: where its trials run, and what it has counted so far. */
interface Session {
  ns: string;
  workDir: string;
  child: TrialProcess;
  log: Log;
  verbose: boolean;
  tally: Tally;
  /** Trials since the namespace was last known clean: the sequence that reproduces a loss. */
  cleanSince: number;
}

/** The namespace as created, the handler's state empty, the trial process not yet started. */
async function build(s: Session): Promise<void> {
  await s.child.shutdown();
  await createNamespace(s.ns);
  await clearWorkDir(s.workDir);
}

/** The trial process's answer; no answer (it died, it hung) is a loss. */
async function send(s: Session, req: Request): Promise<TrialResult> {
  try {
    return await s.child.send(req);
  } catch (e) {
    s.child.kill();
    return lostResult(req.i, (e as Error).message);
  }
}

// After a loss the namespace is built afresh: a leftover or a stuck config is counted once, by
// the trial that showed it, instead of failing every trial after it.
async function rebuildAfterLoss(s: Session, r: TrialResult): Promise<void> {
  if (r.i > s.cleanSince) s.log(`  (state from trials ${s.cleanSince}..${r.i - 1} carried over; the namespace is built afresh)`);
  for (const d of r.damaged ?? []) s.tally.resets.damaged.add(d);
  s.tally.resets.rebuilds++;
  await build(s);
  s.cleanSince = r.i + 1;
}

/** setup({}) after trial i. */
async function reset(s: Session, i: number): Promise<TrialResult> {
  s.tally.resets.tried++;
  const r = await send(s, { op: 'reset', i });
  if (r.outcome === 'lost') {
    s.tally.resets.lost++;
    logLoss(s.log, 'reset after trial', r);
  }
  return r;
}

async function runTrials(s: Session, trials: readonly Trial[], seed: number, t0: number): Promise<void> {
  await build(s);
  s.log(`fuzzed specs: ${trials.length} trials, seed ${seed}, namespace ${s.ns}`);
  for (let i = 0; i < trials.length; i++) {
    if (i > 0 && i % RESET_EVERY === 0) {
      const r = await reset(s, i - 1);
      if (r.outcome === 'lost') await rebuildAfterLoss(s, r);
      s.cleanSince = i;
    }
    const t = trials[i]!;
    const r = judged(t, await send(s, { op: 'trial', i, spec: t.spec }));
    countTrial(s.tally, i, t, r, s.log, s.verbose);
    if (r.outcome === 'lost') {
      logLoss(s.log, `trial (${t.kind}${t.mutation ? `: ${t.mutation}` : ''})`, r, t.spec);
      await rebuildAfterLoss(s, r);
    }
    if ((i + 1) % 100 === 0) s.log(progressLine(s.tally, i + 1, trials.length, Date.now() - t0));
  }
  if (trials.length) await reset(s, trials.length - 1);
}

/** Runs body, then removes the trial process, the namespace and the work dir, also on SIGINT/SIGTERM. */
async function withCleanup(s: Session, body: () => Promise<void>): Promise<void> {
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= (async () => {
    await s.child.shutdown();
    await removeNamespace(s.ns);
    await rm(s.workDir, { recursive: true, force: true });
  })());
  const onSignal = () => {
    s.child.kill();
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await body();
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function fuzzSpecs(opts: FuzzOptions): Promise<ReliabilityRow[]> {
  const log = opts.log ?? (() => undefined);
  const seed = opts.seed ?? randomBytes(4).readUInt32BE() % 2_147_483_647;
  const trials: Trial[] = opts.specs ? opts.specs.map((spec) => ({ kind: 'replayed', spec })) : generateTrials(opts.trials, seed);
  const ns = benchNamespaceName('fuzz');
  const workDir = await mkdtemp(join(tmpdir(), 'ovnh-fuzz-'));
  const s: Session = { ns, workDir, child: new TrialProcess(ns, workDir), log, verbose: opts.verbose === true, tally: newTally(), cleanSince: 0 };
  const t0 = Date.now();
  await withCleanup(s, () => runTrials(s, trials, seed, t0));
  const secs = (Date.now() - t0) / 1000;
  logSummary(log, s.tally, secs, s.child.restarts);
  return summaryRows(s.tally, { tried: trials.length, seed, secs, resetEvery: RESET_EVERY });
}
