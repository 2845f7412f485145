// The benchmark suite: runs every benchmark (or --only some), prints one table, writes the rows
// as JSON and the scaling plot as SVG into --out. Lab benchmarks (reconcile, at-rest, apply-vm)
// need `ovirt-node-network-handler lab up`; without a lab they are skipped and say so.
//
//   npm run bench                      full run (~40 min: the at-rest window alone is 10 min)
//   npm run bench -- --quick           the reduced version CI runs (~4 min)
//   npm run bench -- --only apply,observe --out docs/results
//   npm run bench -- --only apply --apply-sizes 10,100 --removal-sizes 800 --runs 5   (sizes, runs overridden)
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NETWORKS_MAX } from '../src/api/spec.js';
import { currentLab } from '../src/lab/index.js';
import { benchApplyBridges, benchRemoval } from './apply.js';
import { benchApplyVlans } from './apply-vm.js';
import { benchAtRest } from './at-rest.js';
import { installNmstatectl, findNmstatectl } from './lib/nmstate.js';
import { renderCharts } from './lib/plot.js';
import { scalingCharts } from './scaling.js';
import { benchTable, markdownTable, newResults, writeResults, type BenchRow } from './lib/report.js';
import { benchObserve } from './observe.js';
import { benchPlan } from './plan.js';
import { benchReconcile } from './reconcile.js';

// The largest apply and removal: the most networks the CRD accepts.
interface Settings {
  applySizes: number[];
  applyRuns: number;
  /** Removal (part of the apply benchmark): sizes and runs, each run about 2x the kernel's unregister work. */
  removalSizes: number[];
  removalRuns: number;
  vlanSizes: number[];
  vlanRuns: number;
  observeSizes: number[];
  observeRuns: number;
  reconcileRuns: number;
  seedRuns: number;
  restSeconds: number;
  restInterfaces: number;
}

const FULL: Settings = {
  applySizes: [10, 100, 500, NETWORKS_MAX], applyRuns: 7, removalSizes: [100, NETWORKS_MAX], removalRuns: 3, vlanSizes: [100, 500], vlanRuns: 5, observeSizes: [10, 100, 1000], observeRuns: 15,
  reconcileRuns: 9, seedRuns: 3, restSeconds: 600, restInterfaces: 1000,
};
const QUICK: Settings = {
  applySizes: [10, 100], applyRuns: 3, removalSizes: [20], removalRuns: 2, vlanSizes: [20], vlanRuns: 2, observeSizes: [10, 100], observeRuns: 5,
  reconcileRuns: 3, seedRuns: 1, restSeconds: 45, restInterfaces: 200,
};

const ALL = ['plan', 'apply', 'observe', 'apply-vm', 'reconcile', 'at-rest'] as const;
const NEEDS_LAB = new Set(['apply-vm', 'reconcile', 'at-rest']);

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
    },
  });
  const s: Settings = { ...(values.quick ? QUICK : FULL) };
  if (values['rest-seconds']) s.restSeconds = Number(values['rest-seconds']);
  const sizes = (v: string) => v.split(',').filter(Boolean).map(Number);
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
  for (const name of only) {
    if (NEEDS_LAB.has(name) && !lab) {
      if (values.only) throw new Error(`${name} needs the lab: run \`npx ovirt-node-network-handler lab up\` first`);
      skipped.push(name);
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
    } as Record<string, () => Promise<BenchRow[]>>)[name]!();
    results.bench.push(...rows);
    log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  results.finishedAt = new Date().toISOString();
  const { charts, verdicts } = scalingCharts(results.bench);
  process.stdout.write(benchTable(results.bench));
  if (verdicts.length) process.stdout.write('\nscaling (log-log slope between the smallest and the largest size; 1 = linear):\n' + verdicts.map((v) => `  ${v}`).join('\n') + '\n');
  if (skipped.length) process.stdout.write(`\nskipped (no lab running): ${skipped.join(', ')}\n`);
  await mkdir(values.out, { recursive: true });
  await writeResults(join(values.out, 'bench.json'), { ...results, scaling: verdicts });
  await writeFile(join(values.out, 'bench.md'), benchTable(results.bench, markdownTable) + (verdicts.length ? '\n' + verdicts.map((v) => `- ${v}`).join('\n') + '\n' : ''));
  if (verdicts.length) await writeFile(join(values.out, 'scaling.svg'), renderCharts(charts));
  process.stdout.write(`\nresults: ${join(values.out, 'bench.json')}${verdicts.length ? `, plot: ${join(values.out, 'scaling.svg')}` : ''}\n`);
}

await main();
