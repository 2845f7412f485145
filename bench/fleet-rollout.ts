// Benchmark (issue 14): one network rolled out to the lab's namespace nodes by one
// OvirtNetworkPolicy — a bridged network on eth1 with addresses from a pool, maxUnavailable 10 —
// through the real controller (the Deployment's leader, or on a lab without kubelets a process
// with its own service account's token: RBAC and admission as in a cluster) and the real agents. Measured: policy created → status Available
// on every node; policy deleted → gone (the finalizer is dropped once every node is clean); the
// controller's API requests per node, by verb, from the audit log (the lab records the
// controller's reads as well as its writes); the controller's CPU and peak RSS.
// Baseline, in the same run: the same network applied by hand to one node's spec (and removed),
// until Available, times the number of batches the rollout needs, ⌈N / maxUnavailable⌉ — a
// rollout that only costs its batches is 1x.
//
//   npm run bench -- --only fleet-rollout [--fleet-nodes 50]      (needs the lab: lab up --ns-nodes 50)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { annotationOf } from '../src/fleet/ownership.js';
import { run } from '../src/util/exec.js';
import { auditLinesSince, auditMark, countByVerb, countByVerbAndResource, requestsIn, type AuditRequest } from './lib/audit.js';
import { measureWhile } from './lib/control-plane.js';
import { CONTROLLER_USER, useController, type ControllerProcess } from './lib/controller-process.js';
import { auditLogPath, isAvailable, labProcessPid, namespaceNodes, type Onn, OnnDriver, type Onp, PolicyDriver, requireLab } from '../lab/client/index.js';
import { benchTable, type BenchRow } from '../kit/report.js';
import { median } from './lib/stats.js';

export const POLICY = 'bench-fleet-rollout';
export const NETWORK = 'fbench';
/** Only the measured nodes carry it: the policy selects nothing else (not the VM node, not the rest). */
export const NODE_LABEL = 'bench.ovirt.org/fleet-rollout';
const POOL = '10.130.0.0/16';

export function rolloutPolicySpec(maxUnavailable: number): Record<string, unknown> {
  return {
    nodeSelector: { matchLabels: { [NODE_LABEL]: 'yes' } },
    networks: { [NETWORK]: { nic: 'eth1', bridged: true, ipam: { pool: POOL } } },
    maxUnavailable,
  };
}

/** What the policy renders for one node, written by hand: the pool's last host address, which the rollout's first nodes never get. */
export const BASELINE_NETWORK = { nic: 'eth1', bridged: true, ipaddr: '10.130.255.254', prefix: 16 };

const hasNetwork = (x: Onn) => (x.spec.networks as Record<string, unknown> | undefined)?.[NETWORK] !== undefined;

/** Batches of a rollout of n nodes, m at a time. */
export function batches(n: number, maxUnavailable: number): number {
  return Math.ceil(n / Math.max(1, maxUnavailable));
}

/** "patch 2.00, get 0.04" per node, from counts over n nodes. */
export function perNodeCounts(counts: Readonly<Record<string, number>>, n: number): string {
  return Object.entries(counts).map(([k, v]) => `${k} ${(v / n).toFixed(2)}`).join(', ');
}

export interface FleetRolloutOptions {
  /** The first this many namespace nodes (default: all of them). */
  nodes?: number;
  maxUnavailable: number;
  /** Single-node applies (and removals) by hand; the median is the baseline. */
  baselineRuns: number;
  log?: (l: string) => void;
}

export async function benchFleetRollout(o: FleetRolloutOptions): Promise<BenchRow[]> {
  const log = o.log ?? (() => undefined);
  const lab = await requireLab();
  const all = namespaceNodes(lab);
  const nodes = all.slice(0, o.nodes ?? all.length);
  if (!nodes.length || (o.nodes !== undefined && nodes.length < o.nodes)) throw new Error(`fleet-rollout: ${o.nodes ?? 1} namespace nodes wanted, the lab has ${all.length}`);
  const n = nodes.length;
  const onn = new OnnDriver(lab.kubeconfig);
  const onp = new PolicyDriver(lab.kubeconfig);
  const kubectl = (...args: string[]) => run(['kubectl', '--kubeconfig', lab.kubeconfig, ...args]);
  // (A label already absent is not an error worth stopping for.)
  const unlabelAll = () => run(['kubectl', '--kubeconfig', lab.kubeconfig, 'label', 'nodes', '--all', `${NODE_LABEL}-`], { allowFailure: true });
  const tmp = await mkdtemp(join(tmpdir(), 'ovnh-bench-fleet-'));
  let controller: ControllerProcess | undefined;
  let ok = false;
  try {
    controller = await useController(lab, tmp);
    // A previous run's policy (its finalizer needs the controller), labels and hand-written network.
    await onp.delete(POLICY);
    await onp.waitGone(POLICY, 600_000);
    await unlabelAll();
    const first = nodes[0]!;
    if (hasNetwork(await onn.get(first))) await onn.waitForGeneration(first, await onn.mergeSpec(first, { networks: { [NETWORK]: null } }));
    await onn.settledAll(new Map((await onn.list()).filter((x) => nodes.includes(x.metadata.name)).map((x) => [x.metadata.name, x.metadata.generation])));

    // Baseline: the rendered network by hand on one node, applied and removed.
    const applyMs: number[] = [];
    const removeMs: number[] = [];
    for (let i = 0; i < o.baselineRuns; i++) {
      let t0 = Date.now();
      const got = await onn.waitForGeneration(first, await onn.mergeSpec(first, { networks: { [NETWORK]: BASELINE_NETWORK } }));
      applyMs.push(Date.now() - t0);
      if (!isAvailable(got)) throw new Error(`${first}: the baseline network was not applied: ${JSON.stringify(got.status?.setupStatus)}`);
      t0 = Date.now();
      await onn.waitForGeneration(first, await onn.mergeSpec(first, { networks: { [NETWORK]: null } }));
      removeMs.push(Date.now() - t0);
    }
    log(`baseline on ${first}: apply ${median(applyMs)} ms, removal ${median(removeMs)} ms (median of ${o.baselineRuns}); rolling out to ${n} nodes, ${o.maxUnavailable} at a time`);

    await kubectl('label', 'nodes', ...nodes, `${NODE_LABEL}=yes`, '--overwrite');
    const pids = { controller: controller.pid, 'kube-apiserver': labProcessPid(lab, 'kube-apiserver') };
    const mark = await auditMark(auditLogPath(lab));
    let maxChanging = 0;
    const rollout = await measureWhile(pids, async () => {
      const from = Date.now();
      await onp.create(POLICY, rolloutPolicySpec(o.maxUnavailable));
      const p = await onp.waitRolledOut(POLICY, n, 1_800_000, 250, (x: Onp) => {
        maxChanging = Math.max(maxChanging, (x.status?.updatedNodes ?? 0) - (x.status?.availableNodes ?? 0));
      });
      return { from, to: Date.now(), p };
    });
    // Every node got the network, each its own address.
    const items = (await onn.list()).filter((x) => nodes.includes(x.metadata.name));
    const addrs = items.map((x) => (x.spec.networks as Record<string, { ipaddr?: string }> | undefined)?.[NETWORK]?.ipaddr);
    if (addrs.some((a) => a === undefined) || new Set(addrs).size !== n) throw new Error(`the rollout left nodes without their own ${NETWORK} address: ${addrs.join(' ')}`);
    if (!items.every(isAvailable)) throw new Error('a node is not Available after the rollout');

    const removal = await measureWhile(pids, async () => {
      const from = Date.now();
      await onp.delete(POLICY);
      await onp.waitGone(POLICY, 1_800_000);
      return { from, to: Date.now() };
    });
    const left = (await onn.list()).filter((x) => nodes.includes(x.metadata.name) && (hasNetwork(x) || x.metadata.annotations?.[annotationOf(POLICY)] !== undefined));
    if (left.length) throw new Error(`policy gone but ${left.map((x) => x.metadata.name).join(', ')} still hold ${NETWORK}`);

    const lines = await auditLinesSince(mark);
    const ctl = (w: { from: number; to: number }): AuditRequest[] => requestsIn(lines, { from: w.from, to: w.to, user: (u) => u === CONTROLLER_USER });
    const rolloutReqs = ctl(rollout.result);
    const removalReqs = ctl(removal.result);
    const b = batches(n, o.maxUnavailable);
    const rolloutS = (rollout.result.to - rollout.result.from) / 1000;
    const removalS = (removal.result.to - removal.result.from) / 1000;
    const baseApply = (median(applyMs) / 1000) * b;
    const baseRemove = (median(removeMs) / 1000) * b;
    const label = `${n} nodes, maxUnavailable ${o.maxUnavailable}`;
    const rows: BenchRow[] = [
      { bench: 'fleet-rollout', case: `rollout of one bridged network, ${label}`, size: n, value: rolloutS, unit: 's', baselineName: `1 node by hand × ${b} batches`, baseline: baseApply, ratio: rolloutS / baseApply, note: `single apply ${median(applyMs)} ms (median of ${o.baselineRuns}); at most ${maxChanging} nodes changing at once (sampled)` },
      { bench: 'fleet-rollout', case: `removal (policy deleted → finalizer gone), ${label}`, size: n, value: removalS, unit: 's', baselineName: `1 node by hand × ${b} batches`, baseline: baseRemove, ratio: removalS / baseRemove, note: `single removal ${median(removeMs)} ms` },
      { bench: 'fleet-rollout', case: `controller API requests per node, rollout, ${label}`, size: n, value: rolloutReqs.length / n, unit: 'requests', note: `${rolloutReqs.length} in all; per node: ${perNodeCounts(countByVerb(rolloutReqs), n)}` },
      { bench: 'fleet-rollout', case: `controller API requests per node, removal, ${label}`, size: n, value: removalReqs.length / n, unit: 'requests', note: `${removalReqs.length} in all; per node: ${perNodeCounts(countByVerb(removalReqs), n)}` },
      { bench: 'fleet-rollout', case: `controller CPU, rollout + removal, ${label}`, size: n, value: rollout.usage.controller!.cpuS + removal.usage.controller!.cpuS, unit: 's', note: `peak RSS ${Math.max(rollout.usage.controller!.rssMaxMb, removal.usage.controller!.rssMaxMb).toFixed(0)} MB; kube-apiserver CPU ${(rollout.usage['kube-apiserver']!.cpuS + removal.usage['kube-apiserver']!.cpuS).toFixed(1)} s` },
    ];
    log(`controller requests during the rollout: ${JSON.stringify(countByVerbAndResource(rolloutReqs))}`);
    ok = true;
    return rows;
  } finally {
    // The policy goes while the controller still runs (its finalizer), then the labels and the controller.
    if (!ok && controller) await onp.delete(POLICY).then(() => onp.waitGone(POLICY, 180_000)).catch((e: unknown) => log(`cleanup: ${String(e)}`));
    await unlabelAll();
    await controller?.stop();
    if (ok) await rm(tmp, { recursive: true, force: true });
    else log(`the controller's log is kept in ${tmp}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { 'fleet-nodes': { type: 'string' }, 'max-unavailable': { type: 'string', default: '10' }, runs: { type: 'string', default: '3' } } });
  const rows = await benchFleetRollout({
    ...(values['fleet-nodes'] ? { nodes: Number(values['fleet-nodes']) } : {}),
    maxUnavailable: Number(values['max-unavailable']), baselineRuns: Number(values.runs), log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(benchTable(rows));
}
