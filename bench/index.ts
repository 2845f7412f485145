// The benchmark suite: runs every benchmark (or --only some), prints one table, writes the rows
// as JSON and the scaling plot as SVG into --out. Lab benchmarks (reconcile, at-rest, apply-vm,
// fleet-rollout, many-nodes, lldp) need `ovirt-node-network-handler lab up`; without a lab they are
// skipped and say so, as are the fleet benchmarks on a lab with too few namespace nodes
// (bench/settings.ts: many-nodes needs 6, so CI's 4-node lab runs fleet-rollout only).
//
//   npm run bench                      full run (~60 min: the at-rest and many-nodes windows are 10 min each)
//   npm run bench -- --quick           the reduced version CI runs (~4 min)
//   npm run bench -- --only apply,observe --out docs/results
//   npm run bench -- --only apply --apply-sizes 10,100 --removal-sizes 800 --runs 5   (sizes, runs overridden)
//   npm run bench -- --only fleet-rollout,many-nodes --node-counts 10,25,50 --out docs/results   (lab up --ns-nodes 50 --vm-nodes 0)
//   (--nodes N: the fleet benchmarks use the first N namespace nodes; --rest-seconds: at-rest's and many-nodes' windows)
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { currentLab } from '../lab/src/index.js';
import { benchApplyBridges, benchRemoval } from './apply.js';
import { benchApplyVlans } from './apply-vm.js';
import { benchAtRest } from './at-rest.js';
import { benchFleetRollout } from './fleet-rollout.js';
import { benchManyNodes } from './many-nodes.js';
import { installNmstatectl, findNmstatectl } from './lib/nmstate.js';
import { renderCharts } from './lib/plot.js';
import { scalingCharts } from './scaling.js';
import { benchTable, markdownTable, newResults, writeResults, type BenchRow } from '../kit/report.js';
import { benchObserve } from './observe.js';
import { benchPlan } from './plan.js';
import { benchReconcile } from './reconcile.js';
import { benchLldp } from './lldp.js';
import { ALL, brokenRows, FULL, labMisfit, NEEDS_LAB, QUICK, sizes, type Settings } from './settings.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string', default: 'bench-results' },
      'install-nmstate': { type: 'boolean' },
      'no-nmstate': { type: 'boolean' },
      'rest-seconds': { type: 'string' },
      'low-memory': { type: 'boolean' },
      'apply-sizes': { type: 'string' },
      'removal-sizes': { type: 'string' },
      'observe-sizes': { type: 'string' },
      runs: { type: 'string' },
      nodes: { type: 'string' },
      'node-counts': { type: 'string' },
      'project-to': { type: 'string' },
    },
  });
  const s: Settings = { ...(values.quick ? QUICK : FULL) };
  if (values['rest-seconds']) s.restSeconds = s.manyRestSeconds = Number(values['rest-seconds']);
  if (values['project-to']) s.projectTo = Number(values['project-to']);
  const nodes = values.nodes ? { nodes: sizes(values.nodes)[0]! } : {};
  const nodeCounts = values['node-counts'] ? sizes(values['node-counts']) : undefined;
  if (values['apply-sizes'] !== undefined) s.applySizes = sizes(values['apply-sizes']);
  if (values['removal-sizes'] !== undefined) s.removalSizes = sizes(values['removal-sizes']);
  if (values['observe-sizes'] !== undefined) s.observeSizes = sizes(values['observe-sizes']);
  if (values.runs) s.applyRuns = s.removalRuns = s.observeRuns = Number(values.runs);
  const only = values.only ? values.only.split(',') : [...ALL];
  for (const o of only) if (!(ALL as readonly string[]).includes(o)) throw new Error(`--only: unknown benchmark "${o}" (known: ${ALL.join(', ')})`);
  const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);
  if (values['install-nmstate'] && !(await findNmstatectl())) await installNmstatectl(log);
  const nmstate = !values['no-nmstate'] && !values.quick;
  const lab = await currentLab();

  const results = newResults('bench', process.argv.slice(2));
  const skipped: string[] = [];
  const broken: string[] = [];
  const nsNodes = lab?.state.nodes.filter((n) => n.kind === 'netns').length ?? 0;
  for (const name of only) {
    if (NEEDS_LAB.has(name) && !lab) {
      if (values.only) throw new Error(`${name} needs the lab: run \`npx ovirt-node-network-handler lab up\` first`);
      skipped.push(`${name} (no lab running)`);
      continue;
    }
    const misfit = labMisfit(name, nsNodes, nodes.nodes);
    if (misfit) {
      if (values.only) throw new Error(misfit);
      log(`${name} skipped: ${misfit}`);
      skipped.push(`${name} (${misfit})`);
      continue;
    }
    log(`${name} ...`);
    const t0 = Date.now();
    const rows = await ({
      plan: async () => benchPlan(),
      apply: async () => [
        ...await benchApplyBridges({ sizes: s.applySizes, runs: s.applyRuns, nmstate, log }),
        ...await benchRemoval({ sizes: s.removalSizes, runs: s.removalRuns, log }),
      ],
      observe: () => benchObserve({ sizes: s.observeSizes, runs: s.observeRuns, nmstate, log }),
      'apply-vm': () => benchApplyVlans({ sizes: s.vlanSizes, runs: s.vlanRuns, log }),
      reconcile: () => benchReconcile({ runs: s.reconcileRuns, seedRuns: s.seedRuns, log }),
      'at-rest': () => benchAtRest({ seconds: s.restSeconds, interfaces: s.restInterfaces, ...(values['low-memory'] ? { agentArgs: ['--low-memory'] } : {}), log }),
      'fleet-rollout': () => benchFleetRollout({ ...nodes, maxUnavailable: s.fleetMaxUnavailable, baselineRuns: s.fleetBaselineRuns, log }),
      lldp: async () => {
        const { rows, raw } = await benchLldp({ rounds: s.lldpRounds, settleSeconds: s.lldpSettleSeconds, windowSeconds: s.lldpWindowSeconds, log });
        results.raw = { ...results.raw, lldp: raw };
        return rows;
      },
      'many-nodes': () => benchManyNodes({ ...nodes, restSeconds: s.manyRestSeconds, settleSeconds: s.manySettleSeconds, projectTo: s.projectTo, out: values.out, ...(nodeCounts ? { nodeCounts } : {}), log }),
    } as Record<string, () => Promise<BenchRow[]>>)[name]!();
    results.bench.push(...rows);
    broken.push(...brokenRows(name, rows));
    log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  results.finishedAt = new Date().toISOString();
  const { charts, verdicts } = scalingCharts(results.bench);
  process.stdout.write(benchTable(results.bench));
  if (verdicts.length) process.stdout.write('\nscaling (log-log slope between the smallest and the largest size; 1 = linear):\n' + verdicts.map((v) => `  ${v}`).join('\n') + '\n');
  if (skipped.length) process.stdout.write(`\nskipped: ${skipped.join('; ')}\n`);
  await mkdir(values.out, { recursive: true });
  await writeResults(join(values.out, 'bench.json'), { ...results, scaling: verdicts });
  await writeFile(join(values.out, 'bench.md'), benchTable(results.bench, markdownTable) + (verdicts.length ? '\n' + verdicts.map((v) => `- ${v}`).join('\n') + '\n' : ''));
  if (verdicts.length) await writeFile(join(values.out, 'scaling.svg'), renderCharts(charts));
  process.stdout.write(`\nresults: ${join(values.out, 'bench.json')}${verdicts.length ? `, plot: ${join(values.out, 'scaling.svg')}` : ''}\n`);
  if (broken.length) {
    process.stdout.write(`\nbroken measurements (the run fails):\n${broken.map((b) => `  ${b}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
