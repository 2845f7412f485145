// The suite's settings (full and --quick) and which lab each benchmark needs: bench/index.ts
// reads them; pure, so the choices are unit-tested.
import { NETWORKS_MAX } from '../src/api/spec.js';
import type { BenchRow } from '../kit/report.js';

export interface Settings {
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
  /** fleet-rollout: nodes changing at once, and single-node applies for the baseline's median. */
  fleetMaxUnavailable: number;
  fleetBaselineRuns: number;
  /** many-nodes: the window at rest, the quiet before it, and the fleet size it projects to. */
  manyRestSeconds: number;
  manySettleSeconds: number;
  projectTo: number;
  /** lldp: pairs of phases (--lldp receive, off) of the VM's agent, each settled, then sampled. */
  lldpRounds: number;
  lldpSettleSeconds: number;
  lldpWindowSeconds: number;
}

// The largest apply and removal: the most networks the CRD accepts.
export const FULL: Settings = {
  applySizes: [10, 100, 500, NETWORKS_MAX], applyRuns: 7, removalSizes: [100, NETWORKS_MAX], removalRuns: 3, vlanSizes: [100, 500], vlanRuns: 5, observeSizes: [10, 100, 1000], observeRuns: 15,
  reconcileRuns: 9, seedRuns: 3, restSeconds: 600, restInterfaces: 1000,
  fleetMaxUnavailable: 10, fleetBaselineRuns: 3, manyRestSeconds: 600, manySettleSeconds: 30, projectTo: 5000,
  lldpRounds: 3, lldpSettleSeconds: 30, lldpWindowSeconds: 60,
};
// The quick run (CI) keeps every benchmark from rotting and fails on a broken figure; its ratios
// are smoke, the published ones come from the full run. A VM apply under TCG costs ~45 s a run.
export const QUICK: Settings = {
  applySizes: [10, 100], applyRuns: 3, removalSizes: [20], removalRuns: 2, vlanSizes: [20], vlanRuns: 1, observeSizes: [10, 100], observeRuns: 5,
  reconcileRuns: 3, seedRuns: 1, restSeconds: 20, restInterfaces: 200,
  fleetMaxUnavailable: 10, fleetBaselineRuns: 1, manyRestSeconds: 60, manySettleSeconds: 10, projectTo: 5000,
  lldpRounds: 1, lldpSettleSeconds: 5, lldpWindowSeconds: 6,
};

export const ALL = ['plan', 'apply', 'observe', 'apply-vm', 'reconcile', 'at-rest', 'fleet-rollout', 'many-nodes', 'lldp'] as const;
export const NEEDS_LAB: ReadonlySet<string> = new Set(['apply-vm', 'reconcile', 'at-rest', 'fleet-rollout', 'many-nodes', 'lldp']);

/**
 * Namespace nodes a lab benchmark needs at least. fleet-rollout runs at whatever size the lab
 * has (CI's 4 nodes at maxUnavailable 10: one batch, keeps the controller's path from rotting);
 * many-nodes says nothing at a handful of nodes that at-rest does not, and its window would add
 * a minute to CI.
 */
export const MIN_NAMESPACE_NODES: Readonly<Record<string, number>> = { 'fleet-rollout': 2, 'many-nodes': 6 };

/**
 * Whether the lab fits a benchmark: undefined when it does, else why not. `wanted` is --nodes
 * (the first N namespace nodes: the fleet benchmarks only), when given.
 */
export function labMisfit(name: string, namespaceNodes: number, wanted?: number): string | undefined {
  const min = MIN_NAMESPACE_NODES[name];
  if (min === undefined) return undefined;
  const need = Math.max(min, wanted ?? 0);
  if (namespaceNodes >= need) return undefined;
  return `${name} needs >= ${need} namespace nodes, the lab has ${namespaceNodes} (\`lab up --ns-nodes ${Math.max(need, 50)}\`)`;
}

/** "10,25,50" → [10, 25, 50]; empty entries dropped. */
export function sizes(v: string): number[] {
  const out = v.split(',').filter(Boolean).map(Number);
  const bad = out.find((x) => !Number.isInteger(x) || x <= 0);
  if (bad !== undefined) throw new Error(`"${v}": expected positive integers separated by commas`);
  return out;
}

/**
 * Why a benchmark's rows are broken, or [] when they are not: no row at all, or a figure that is
 * not a finite number (a failed measurement, a baseline of zero). A broken run fails the suite;
 * a target missed on a noisy machine does not — that is a verdict to read, not a crash.
 */
export function brokenRows(bench: string, rows: readonly BenchRow[]): string[] {
  if (!rows.length) return [`${bench}: no result`];
  return rows.flatMap((r) => {
    const bad = [
      Number.isFinite(r.value) ? undefined : `value ${r.value}`,
      r.baseline === undefined || (Number.isFinite(r.baseline) && r.baseline > 0) ? undefined : `baseline ${r.baseline}`,
      r.ratio === undefined || Number.isFinite(r.ratio) ? undefined : `ratio ${r.ratio}`,
    ].filter((x) => x !== undefined);
    return bad.length ? [`${r.bench} "${r.case}": ${bad.join(', ')}`] : [];
  });
}
