// Benchmark (issue 17): many nodes on one API server. Meant for `lab up --ns-nodes 50
// --vm-nodes 0`: every namespace node's agent (the DaemonSet's pods) is left alone for a window,
// then every node's spec gets one bridged network at once, and loses it again once all are
// Available. Measured in both windows: kube-apiserver's and etcd's CPU and peak RSS (/proc, by
// the PIDs the lab recorded), etcd's database size (its /metrics) and, from the audit log, what
// each node's agent wrote to its object — writes and request bytes per node, mean and max over
// nodes. Baseline in the same window: the writes of the same nodes' kubelets (Lease renewals,
// Node status), what Kubernetes itself costs per node. Targets (DESIGN.md, issue 17): at rest at
// most one write per node per statistics interval and at most 1 KiB/s per node.
// Written to --out besides the rows: many-nodes.json (every node's figures), a projection to a
// fleet of 5000 nodes as a markdown table (many-nodes-projection.md, bench/lib/fleet-projection.ts)
// and, with --node-counts 10,25,50, a plot of the per-node figures over the first k nodes.
//
//   npm run bench -- --only many-nodes [--rest-seconds 600] [--node-counts 10,25,50] --out docs/results
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { HANDLER_NAMESPACE, HANDLER_SA } from '../lab/src/agents.js';
import { sleep } from '../src/util/exec.js';
import { agentWrites, auditLinesSince, auditMark, earlyWrites, groupWrites, kubeletNode, requestsIn, serviceAccountUser, WRITE_VERBS } from './lib/audit.js';
import { PLURAL } from '../src/api/constants.js';
import { etcdSize, measureWhile, type EtcdSize, type WindowUsage } from './lib/control-plane.js';
import { projectFleet, type FleetFigures } from './lib/fleet-projection.js';
import { auditLogPath, isAvailable, labProcessPid, namespaceNodes, OnnDriver, requireLab } from '../lab/client/index.js';
import { perNodeCharts, restTargets, subsetSummaries, summarizeWindow, type NodeWindow, type WindowSummary } from './lib/per-node.js';
import { renderCharts } from './lib/plot.js';
import { benchTable, fmtNumber, type BenchRow } from '../kit/report.js';

/** The agent's statistics interval (src/cli/run.ts default): at rest, at most one write per node per interval. */
export const STATISTICS_INTERVAL_S = 30;
const CHANGE_NETWORK = 'mnbench';
const CHANGE_SPEC = { nic: 'eth1', bridged: true };

export interface ManyNodesOptions {
  /** The first this many namespace nodes (default: all). */
  nodes?: number;
  restSeconds: number;
  /** Quiet time before the window, after the cleanup of a previous run. */
  settleSeconds: number;
  /** Subsets of the nodes (the first k) for the per-node plot; the whole set is always one. */
  nodeCounts?: number[];
  /** The fleet size of the projection. */
  projectTo: number;
  /** Where many-nodes.json, many-nodes-projection.md and many-nodes.svg go. */
  out?: string;
  log?: (l: string) => void;
}

interface Window {
  from: number;
  to: number;
  seconds: number;
  usage: Record<string, WindowUsage>;
  perNode: NodeWindow[];
  summary: WindowSummary;
}

/** Every node's figures in [from, to] from the audit lines; objectBytes as read at the start. */
export function nodeWindows(lines: readonly string[], nodes: readonly string[], from: number, to: number, objectBytes: ReadonlyMap<string, number>): NodeWindow[] {
  const agent = agentWrites(lines, serviceAccountUser(HANDLER_NAMESPACE, HANDLER_SA), nodes, from, to);
  const kubelet = groupWrites(requestsIn(lines, { from, to, user: (u) => u.startsWith('system:node:'), verbs: WRITE_VERBS }), kubeletNode, nodes);
  return nodes.map((node) => {
    const w = agent.get(node)!;
    return { node, writes: w.count, bytes: w.bytes, early: earlyWrites(w.times, STATISTICS_INTERVAL_S * 1000), kubeletWrites: kubelet.get(node)?.count ?? 0, objectBytes: objectBytes.get(node) ?? 0 };
  });
}

/** Writes to each node's object by anyone (spec patches and status) in [from, to]. */
export function allObjectWrites(lines: readonly string[], nodes: readonly string[], from: number, to: number): Map<string, number> {
  const g = groupWrites(requestsIn(lines, { from, to, resources: [PLURAL], verbs: WRITE_VERBS }), (r) => r.name, nodes);
  return new Map(nodes.map((n) => [n, g.get(n)?.count ?? 0]));
}

const cores = (u: WindowUsage, seconds: number) => u.cpuS / seconds;

export async function benchManyNodes(o: ManyNodesOptions): Promise<BenchRow[]> {
  const log = o.log ?? (() => undefined);
  const lab = await requireLab();
  const all = namespaceNodes(lab);
  const nodes = all.slice(0, o.nodes ?? all.length);
  if (!nodes.length || (o.nodes !== undefined && nodes.length < o.nodes)) throw new Error(`many-nodes: ${o.nodes ?? 1} namespace nodes wanted, the lab has ${all.length}`);
  const n = nodes.length;
  const onn = new OnnDriver(lab.kubeconfig);
  const pids = { 'kube-apiserver': labProcessPid(lab, 'kube-apiserver'), etcd: labProcessPid(lab, 'etcd') };
  const ours = (name: string) => nodes.includes(name);

  // A previous run's network, then quiet.
  const leftover = (await onn.list()).filter((x) => ours(x.metadata.name) && (x.spec.networks as Record<string, unknown> | undefined)?.[CHANGE_NETWORK] !== undefined);
  const cleanup = new Map(await Promise.all(leftover.map(async (x) => [x.metadata.name, await onn.mergeSpec(x.metadata.name, { networks: { [CHANGE_NETWORK]: null } })] as const)));
  await onn.settledAll(new Map((await onn.list()).filter((x) => ours(x.metadata.name)).map((x) => [x.metadata.name, cleanup.get(x.metadata.name) ?? x.metadata.generation])));
  log(`${n} nodes${leftover.length ? ` (${leftover.length} cleaned of a previous run)` : ''}; settling ${o.settleSeconds} s, then at rest for ${o.restSeconds} s`);
  await sleep(o.settleSeconds * 1000);

  // At rest.
  const objectBytes = new Map((await onn.list()).filter((x) => ours(x.metadata.name)).map((x) => [x.metadata.name, JSON.stringify(x).length]));
  const etcd0 = await etcdSize();
  const restMark = await auditMark(auditLogPath(lab));
  const rest = await measureWhile(pids, async () => {
    const from = Date.now();
    await sleep(o.restSeconds * 1000);
    return { from, to: Date.now() };
  }, 5000);
  const etcd1 = await etcdSize();
  const restLines = await auditLinesSince(restMark);
  const restS = (rest.result.to - rest.result.from) / 1000;
  const restNodes = nodeWindows(restLines, nodes, rest.result.from, rest.result.to, objectBytes);
  const restWindow: Window = { ...rest.result, seconds: restS, usage: rest.usage, perNode: restNodes, summary: summarizeWindow(restNodes, restS) };

  // A change to every node at once: one network added, all Available, removed, all settled.
  log(`adding ${CHANGE_NETWORK} to ${n} nodes at once`);
  const changeMark = await auditMark(auditLogPath(lab));
  const set = async (value: unknown) => new Map(await Promise.all(nodes.map(async (x) => [x, await onn.mergeSpec(x, { networks: { [CHANGE_NETWORK]: value } })] as const)));
  const change = await measureWhile(pids, async () => {
    const from = Date.now();
    const added = await onn.settledAll(await set(CHANGE_SPEC));
    const addedAt = Date.now();
    const failed = [...added].filter(([, v]) => !isAvailable(v.onn)).map(([k, v]) => `${k}: ${JSON.stringify(v.onn.status?.setupStatus)}`);
    if (failed.length) throw new Error(`${CHANGE_NETWORK} not applied on ${failed.length} node(s): ${failed.slice(0, 3).join('; ')}`);
    const removeFrom = Date.now();
    await onn.settledAll(await set(null));
    return { from, addedAt, removeFrom, to: Date.now(), lastAvailable: Math.max(...[...added.values()].map((v) => v.at)) };
  }).catch(async (e: unknown) => {
    // No node keeps the benchmark's network (the next run would clean it up too).
    await set(null).catch(() => undefined);
    throw e;
  });
  const changeLines = await auditLinesSince(changeMark);
  const c = change.result;
  const changeS = (c.to - c.from) / 1000;
  const changeNodes = nodeWindows(changeLines, nodes, c.from, c.to, objectBytes);
  const changeWindow: Window = { from: c.from, to: c.to, seconds: changeS, usage: change.usage, perNode: changeNodes, summary: summarizeWindow(changeNodes, changeS) };
  const objectWrites = allObjectWrites(changeLines, nodes, c.from, c.to);

  // Figures, projection, plot.
  const rs = restWindow.summary;
  const cs = changeWindow.summary;
  const targets = restTargets(rs, STATISTICS_INTERVAL_S);
  const api = (w: Window) => w.usage['kube-apiserver']!;
  const et = (w: Window) => w.usage.etcd!;
  const growthPerHour = ((etcd1.totalBytes - etcd0.totalBytes) / restS) * 3600;
  const figures: FleetFigures = {
    nodes: n, rest: rs,
    change: { writesPerNode: [...objectWrites.values()].reduce((s, x) => s + x, 0) / n, agentBytesPerNode: changeNodes.reduce((s, x) => s + x.bytes, 0) / n },
    etcd: { startBytes: etcd0.totalBytes, endBytes: etcd1.totalBytes, seconds: restS },
    apiserverCores: cores(api(restWindow), restS),
  };
  const projection = projectFleet(figures, o.projectTo);
  const subsets = subsetSummaries(restNodes, restS, [...(o.nodeCounts ?? []), n]);
  const at = `${n} nodes, ${Math.round(restS)} s at rest`;
  const during = `${n} nodes, change to every node (${changeS.toFixed(0)} s)`;
  const kib = (b: number) => fmtNumber(b / 1024, 'KiB');
  const rows: BenchRow[] = [
    {
      bench: 'many-nodes', case: `agent writes per node per ${STATISTICS_INTERVAL_S} s, ${at}`, size: n, value: rs.writesPerSec.mean * STATISTICS_INTERVAL_S, unit: 'writes',
      baselineName: 'kubelet, same nodes', baseline: rs.kubeletWritesPerSec.mean * STATISTICS_INTERVAL_S, ratio: rs.kubeletWritesPerSec.mean > 0 ? rs.writesPerSec.mean / rs.kubeletWritesPerSec.mean : undefined,
      target: `<= 1 per node per ${STATISTICS_INTERVAL_S} s`, met: targets.writes, note: `max ${(rs.writesPerSec.max * STATISTICS_INTERVAL_S).toFixed(2)} (node with most: ${rs.maxWrites} writes); ${rs.early} early write(s) in all`,
    },
    {
      bench: 'many-nodes', case: `agent bytes written per node, ${at}`, size: n, value: rs.bytesPerSec.mean, unit: 'B/s',
      target: '<= 1 KiB/s per node', met: targets.bytes, note: `max ${rs.bytesPerSec.max.toFixed(0)} B/s; objects ${kib(rs.objectBytes.mean)} mean, ${kib(rs.objectBytes.max)} max`,
    },
    { bench: 'many-nodes', case: `kube-apiserver CPU, ${at}`, size: n, value: cores(api(restWindow), restS), unit: 'cores', note: `${((cores(api(restWindow), restS) / n) * 1000).toFixed(2)} ms CPU per node per s; peak RSS ${api(restWindow).rssMaxMb.toFixed(0)} MB` },
    { bench: 'many-nodes', case: `etcd CPU, ${at}`, size: n, value: cores(et(restWindow), restS), unit: 'cores', note: `peak RSS ${et(restWindow).rssMaxMb.toFixed(0)} MB` },
    {
      bench: 'many-nodes', case: `etcd database growth, ${at}`, size: n, value: growthPerHour / 2 ** 20, unit: 'MiB/h',
      note: `file ${(etcd0.totalBytes / 2 ** 20).toFixed(1)} → ${(etcd1.totalBytes / 2 ** 20).toFixed(1)} MiB, in use ${(etcd0.inUseBytes / 2 ** 20).toFixed(1)} → ${(etcd1.inUseBytes / 2 ** 20).toFixed(1)} MiB (the API server compacts every 5 min: a short window extrapolates poorly)`,
    },
    { bench: 'many-nodes', case: `one network added to every node at once, all Available, ${n} nodes`, size: n, value: (c.lastAvailable - c.from) / 1000, unit: 's', note: `removal, all settled: ${((c.to - c.removeFrom) / 1000).toFixed(1)} s (polled once a second)` },
    {
      bench: 'many-nodes', case: `agent writes per node, ${during}`, size: n, value: cs.writesPerSec.mean * changeS, unit: 'writes',
      note: `max ${cs.maxWrites}; ${kib((cs.bytesPerSec.mean * changeS))} per node (max ${kib(cs.bytesPerSec.max * changeS)}); every writer: ${figures.change!.writesPerNode.toFixed(1)} writes per node`,
    },
    {
      bench: 'many-nodes', case: `kube-apiserver CPU, ${during}`, size: n, value: cores(api(changeWindow), changeS), unit: 'cores', baselineName: 'at rest', baseline: cores(api(restWindow), restS),
      ratio: cores(api(restWindow), restS) > 0 ? cores(api(changeWindow), changeS) / cores(api(restWindow), restS) : undefined, note: `peak RSS ${api(changeWindow).rssMaxMb.toFixed(0)} MB; etcd ${cores(et(changeWindow), changeS).toFixed(2)} cores, peak RSS ${et(changeWindow).rssMaxMb.toFixed(0)} MB`,
    },
  ];

  if (o.out) {
    await mkdir(o.out, { recursive: true });
    const raw = { nodes, statisticsIntervalS: STATISTICS_INTERVAL_S, rest: restWindow, change: { ...changeWindow, ...c, objectWrites: Object.fromEntries(objectWrites) }, etcd: { start: etcd0, end: etcd1 } satisfies Record<string, EtcdSize>, subsets, figures, projection: projection.rows };
    await writeFile(join(o.out, 'many-nodes.json'), JSON.stringify(raw, null, 2) + '\n');
    await writeFile(join(o.out, 'many-nodes-projection.md'), `Projection from ${n} lab nodes (${Math.round(restS)} s at rest) to ${o.projectTo} nodes (bench/lib/fleet-projection.ts):\n\n${projection.markdown}`);
    if (subsets.length > 1) await writeFile(join(o.out, 'many-nodes.svg'), renderCharts(perNodeCharts(subsets, STATISTICS_INTERVAL_S)));
    log(`raw figures: ${join(o.out, 'many-nodes.json')}; projection: ${join(o.out, 'many-nodes-projection.md')}${subsets.length > 1 ? `; plot: ${join(o.out, 'many-nodes.svg')}` : ''}`);
  }
  log(`projection to ${o.projectTo} nodes:\n${projection.markdown}`);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { 'rest-seconds': { type: 'string', default: '600' }, nodes: { type: 'string' }, 'node-counts': { type: 'string' }, 'project-to': { type: 'string', default: '5000' }, out: { type: 'string', default: 'bench-results' } } });
  const rows = await benchManyNodes({
    restSeconds: Number(values['rest-seconds']), settleSeconds: 20, projectTo: Number(values['project-to']), out: values.out,
    ...(values.nodes ? { nodes: Number(values.nodes) } : {}),
    ...(values['node-counts'] ? { nodeCounts: values['node-counts'].split(',').map(Number) } : {}),
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(benchTable(rows));
}
