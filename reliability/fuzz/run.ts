// The parent: namespace, child process (restarted if it dies), tally.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchNamespaceName } from '../../bench/lib/netns.js';
import type { ReliabilityRow } from '../../bench/lib/report.js';
import { generateTrials, type Trial } from './generate.js';
import { createNamespace, removeNamespace } from './namespace.js';
import { lostResult, type Outcome, type Request, type TrialResult } from './protocol.js';
import { failureKind } from './report.js';
import { clip } from './text.js';
import { TrialProcess } from './trial-process.js';
import { clearWorkDir } from './work-dir.js';

/** A clean-slate check every this many trials (and once at the end). */
export const RESET_EVERY = 50;

export interface FuzzOptions {
  trials: number;
  seed?: number;
  log?: (l: string) => void;
  /** Replay these specs (in order) instead of generating them; for reproducing a failure. */
  specs?: unknown[];
  /** Log every trial (outcome and spec), to cut a failing sequence down to a reproducer. */
  verbose?: boolean;
}

export async function fuzzSpecs(opts: FuzzOptions): Promise<ReliabilityRow[]> {
  const log = opts.log ?? (() => undefined);
  const seed = opts.seed ?? randomBytes(4).readUInt32BE() % 2_147_483_647;
  const trials: Trial[] = opts.specs ? opts.specs.map((spec) => ({ kind: 'valid', spec })) : generateTrials(opts.trials, seed);
  const ns = benchNamespaceName('fuzz');
  const workDir = await mkdtemp(join(tmpdir(), 'ovnh-fuzz-'));
  const child = new TrialProcess(ns, workDir);
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= (async () => {
    await child.shutdown();
    await removeNamespace(ns);
    await rm(workDir, { recursive: true, force: true });
  })());
  const onSignal = () => {
    child.kill();
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  /** The namespace as created, the handler's state empty, the trial process not yet started. */
  const build = async () => {
    await child.shutdown();
    await createNamespace(ns);
    await clearWorkDir(workDir);
  };

  const tally = { applied: 0, rejected: 0, failed: 0, failedModules: 0, lost: 0, dhcpOff: 0 };
  const byKind: Record<string, Record<Outcome, number>> = {};
  const failures = new Map<string, number>();
  const resets = { tried: 0, lost: 0, rebuilds: 0, damaged: new Set<string>() };
  const t0 = Date.now();
  // Trials since the namespace was last known clean: the sequence that reproduces a loss.
  let cleanSince = 0;
  const send = async (req: Request): Promise<TrialResult> => {
    try {
      return await child.send(req);
    } catch (e) {
      child.kill();
      return lostResult(req.i, (e as Error).message);
    }
  };
  // After a loss the namespace is built afresh: a leftover or a stuck config is counted once, by
  // the trial that showed it, instead of failing every trial after it.
  const lost = async (what: string, r: TrialResult, spec?: unknown) => {
    log(`LOST ${what} ${r.i}: ${r.problems.join(' || ')}`);
    if (spec !== undefined) log(`  spec: ${clip(JSON.stringify(spec), 2000)}`);
    if (r.i > cleanSince) log(`  (state from trials ${cleanSince}..${r.i - 1} carried over; the namespace is built afresh)`);
    for (const d of r.damaged ?? []) resets.damaged.add(d);
    resets.rebuilds++;
    await build();
    cleanSince = r.i + 1;
  };
  try {
    await build();
    log(`fuzzed specs: ${trials.length} trials, seed ${seed}, namespace ${ns}`);
    for (let i = 0; i < trials.length; i++) {
      if (i > 0 && i % RESET_EVERY === 0) {
        resets.tried++;
        const r = await send({ op: 'reset', i: i - 1 });
        if (r.outcome === 'lost') {
          resets.lost++;
          await lost('reset after trial', r);
        }
        cleanSince = i;
      }
      const t = trials[i]!;
      const r = await send({ op: 'trial', i, spec: t.spec });
      (byKind[t.kind] ??= { applied: 0, rejected: 0, failed: 0, lost: 0 })[r.outcome]++;
      if (r.dhcpOff) tally.dhcpOff++;
      if (opts.verbose) log(`trial ${i} ${t.kind}${t.mutation ? ` (${t.mutation})` : ''}: ${r.outcome} in ${r.ms} ms${r.message ? `: ${clip(r.message, 200)}` : ''}\n  spec: ${clip(JSON.stringify(t.spec), 3000)}`);
      if (r.outcome === 'lost') {
        tally.lost++;
        await lost(`trial (${t.kind}${t.mutation ? `: ${t.mutation}` : ''})`, r, t.spec);
      } else if (r.outcome === 'failed') {
        tally.failed++;
        if (r.needsModules) tally.failedModules++;
        else {
          const key = failureKind(r);
          if (!failures.has(key)) log(`failed (not bond/VLAN) trial ${i}: ${r.message}\n  spec: ${clip(JSON.stringify(t.spec), 2000)}`);
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      } else tally[r.outcome]++;
      if ((i + 1) % 100 === 0) {
        log(`${i + 1}/${trials.length} in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${tally.applied} applied, ${tally.rejected} rejected, ${tally.failed} failed, ${tally.lost} lost`);
      }
    }
    if (trials.length) {
      resets.tried++;
      const r = await send({ op: 'reset', i: trials.length - 1 });
      if (r.outcome === 'lost') {
        resets.lost++;
        log(`LOST reset after trial ${r.i}: ${r.problems.join(' || ')}`);
      }
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const secs = (Date.now() - t0) / 1000;
  log(`done in ${secs.toFixed(1)} s; by kind: ${Object.entries(byKind).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}`);
  if (child.restarts > resets.rebuilds) log(`the trial process was restarted ${child.restarts - resets.rebuilds} time(s) besides rebuilds`);
  for (const [k, n] of failures) log(`  ${n}x ${k}`);
  const other = tally.failed - tally.failedModules;
  const tried = trials.length;
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
      case: `setup({}) every ${RESET_EVERY} trials and at the end gives the namespace back as created`,
      tried: resets.tried,
      survived: resets.tried - resets.lost,
      lost: resets.lost,
      ...(resets.rebuilds ? { note: `namespace built afresh ${resets.rebuilds}x after a loss${resets.damaged.size ? `; not given back as found: ${[...resets.damaged].sort().join(', ')}` : ''}` } : {}),
    },
  ];
}
