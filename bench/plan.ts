// Benchmark: validating, canonicalizing and planning the most networks a spec may have (NETWORKS_MAX)
// over 100 bonds (200 NICs).
// Prints milliseconds (median of several runs); the target is well under 100 ms for planning.
// `npm run bench -- --only plan`, or `node dist/bench/plan.js`
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { benchTable, type BenchRow } from '../kit/report.js';
import { median } from './lib/stats.js';
import { NETWORKS_MAX, type SpecInput } from '../src/api/spec.js';
import type { RunningConfig } from '../src/api/config.js';
import { canonicalize } from '../src/plan/canonicalize.js';
import { plan } from '../src/plan/plan.js';
import { checkSpec, type ValidationFacts } from '../src/plan/validate.js';

const BONDS = 100;
const NETWORKS = NETWORKS_MAX;

function spec(variant: number): Pick<SpecInput, 'networks' | 'bondings'> {
  const bondings: NonNullable<SpecInput['bondings']> = {};
  for (let b = 0; b < BONDS; b++) {
    bondings[`bond${b}`] = { nics: [`eth${2 * b}`, `eth${2 * b + 1}`], options: variant && b % 10 === 0 ? 'mode=1 miimon=200' : 'mode=4 miimon=100' };
  }
  const networks: NonNullable<SpecInput['networks']> = {};
  for (let i = 0; i < NETWORKS; i++) {
    // The variant drops 5% of the networks, adds 5% new ones and changes MTU/addresses of 10%.
    if (variant && i % 20 === 0) continue;
    const id = variant && i % 20 === 1 ? i + NETWORKS : i;
    const changed = variant && i % 10 === 2;
    networks[`net${id}`] = {
      bonding: `bond${i % BONDS}`,
      vlan: 100 + Math.floor(i / BONDS) + (id >= NETWORKS ? 50 : 0),
      mtu: changed ? 9000 : 1500,
      ipaddr: `10.${Math.floor(i / 250)}.${i % 250}.${changed ? 20 : 10}`,
      prefix: 24,
      defaultRoute: i === (variant ? 3 : 5),
    };
  }
  return { networks, bondings };
}

const host: ValidationFacts = { nics: Array.from({ length: 2 * BONDS }, (_, i) => `eth${i}`), bonds: {} };

function medianOf(fn: () => void, runs = 15): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Validation and planning of a large change, pure computation (no baseline: nothing else does it). */
export function benchPlan(): BenchRow[] {
  const running: RunningConfig = canonicalize(spec(0));
  const desiredSpec = spec(1);
  const check = checkSpec(desiredSpec, { host, running });
  if (!check.ok) throw new Error(`benchmark spec is invalid: ${JSON.stringify(check.errors.slice(0, 3))}`);
  const desired = check.config;
  const empty: RunningConfig = { networks: {}, bondings: {} };
  const steps = plan(desired, running).length;
  const nets = Object.keys(desired.networks).length;
  const label = `${nets} networks over ${BONDS} bonds`;
  return [
    { bench: 'plan', case: `validate + canonicalize, ${label}`, size: nets, value: medianOf(() => checkSpec(desiredSpec, { host, running })), unit: 'ms', target: '< 100 ms' },
    { bench: 'plan', case: `plan a change (${steps} steps), ${label}`, size: nets, value: medianOf(() => plan(desired, running)), unit: 'ms', target: '< 100 ms' },
    { bench: 'plan', case: `plan from empty, ${label}`, size: nets, value: medianOf(() => plan(desired, empty)), unit: 'ms', target: '< 100 ms' },
    { bench: 'plan', case: `plan unchanged, ${label}`, size: nets, value: medianOf(() => plan(desired, structuredClone(desired))), unit: 'ms', target: '< 100 ms' },
  ].map((r) => ({ ...r, met: r.value < 100, note: 'median of 15' }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(benchTable(benchPlan()));
