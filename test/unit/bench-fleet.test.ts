// The fleet benchmarks' own arithmetic (bench/fleet-rollout.ts, bench/many-nodes.ts): the audit
// log read and counted (a fixture of lines shaped as kube-apiserver 1.33 writes them), per-node
// summaries and targets, the projection to a large fleet, etcd's metrics, the settings, and the
// objects the benchmarks send, checked against the product's own schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import {
  agentWrites, auditLinesSince, auditMark, countByVerb, countByVerbAndResource, earlyWrites, groupWrites, kubeletNode, parseAuditLine, requestsIn, serviceAccountUser,
} from '../../bench/lib/audit.js';
import { etcdSizeOf, promSample } from '../../bench/lib/control-plane.js';
import { CONTROLLER_USER, tokenKubeconfig } from '../../bench/lib/controller-process.js';
import { DEFAULT_ASSUMPTIONS, fmtBytes, projectFleet, type FleetFigures } from '../../bench/lib/fleet-projection.js';
import { type Onp, type PolicyCondition, rolledOut, rolloutProblem } from '../../lab/client/index.js';
import { perNodeCharts, restTargets, subsetSummaries, summarizeWindow, type NodeWindow } from '../../bench/lib/per-node.js';
import { renderCharts } from '../../bench/lib/plot.js';
import { BASELINE_NETWORK, batches, NODE_LABEL, NETWORK, perNodeCounts, rolloutPolicySpec } from '../../bench/fleet-rollout.js';
import { allObjectWrites, nodeWindows } from '../../bench/many-nodes.js';
import { ALL, FULL, labMisfit, NEEDS_LAB, QUICK, sizes } from '../../bench/settings.js';
import { PolicySpecSchema } from '../../src/api/policy.js';
import { NetworkSpecSchema } from '../../src/api/spec.js';
import { loadConnection } from '../../src/k8s/connection.js';

// dist/test/unit -> test/fixtures/audit
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'audit', 'audit.log');
const lines = async () => (await readFile(FIXTURE, 'utf8')).split('\n');
const FROM = Date.parse('2025-06-01T10:00:10Z');
const TO = Date.parse('2025-06-01T10:01:10Z');
const AGENT = serviceAccountUser('ovirt-node-network-handler', 'handler');
/** The agents' bodies in the fixture, as JSON.stringify measures them. */
const statusBytes = (n: number) => JSON.stringify({ status: { statistics: { eth0: { rx: { bytes: n } } } } }).length;

test('an audit line: resource with its subresource, body bytes, code; a cut line is skipped', async () => {
  const ls = await lines();
  const r = parseAuditLine(ls[1]!)!;
  assert.equal(r.id, 'a1');
  assert.equal(r.verb, 'patch');
  assert.equal(r.user, AGENT);
  assert.equal(r.resource, 'ovirtnodenetworks/status');
  assert.equal(r.name, 'ns-node-1');
  assert.equal(r.bytes, statusBytes(22));
  assert.equal(r.code, 200);
  assert.equal(r.at, Date.parse('2025-06-01T10:00:15Z'));
  assert.equal(parseAuditLine(ls.at(-2)!), undefined, 'the line cut short');
  assert.equal(parseAuditLine(''), undefined);
  assert.equal(parseAuditLine(JSON.stringify({ auditID: 'x', stage: 'RequestReceived', verb: 'get', user: { username: 'u' }, requestReceivedTimestamp: '2025-06-01T10:00:15Z' })), undefined);
});

test('requests in a window: each once (a watch in two stages), by user, resource and verb', async () => {
  const ls = await lines();
  const ctl = requestsIn(ls, { from: FROM, to: TO, user: (u) => u === CONTROLLER_USER });
  assert.deepEqual(ctl.map((r) => r.id), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
  assert.deepEqual(countByVerb(ctl), { get: 1, patch: 2, update: 1, watch: 2 });
  assert.deepEqual(countByVerbAndResource(ctl), {
    'get leases': 1, 'patch ovirtnetworkpolicies/status': 1, 'patch ovirtnodenetworks': 1, 'update leases': 1, 'watch nodes': 1, 'watch ovirtnodenetworks': 1,
  });
  assert.equal(perNodeCounts(countByVerb(ctl), 2), 'get 0.50, patch 1.00, update 0.50, watch 1.00');
  const onnWrites = requestsIn(ls, { from: FROM, to: TO, resources: ['ovirtnodenetworks'], verbs: new Set(['patch']) });
  assert.deepEqual(onnWrites.map((r) => r.id), ['a1', 'c1', 'k1', 'a2', 'a3', 'a4'], 'status and spec writes, ordered by time');
  assert.equal(requestsIn(ls, { from: FROM, to: FROM + 1 }).length, 0);
});

test("agents' writes by node: the controller's, the admin's and other windows' left out; silent nodes are zeros", async () => {
  const w = agentWrites(await lines(), AGENT, ['ns-node-1', 'ns-node-2', 'ns-node-3'], FROM, TO);
  assert.deepEqual([...w.keys()], ['ns-node-1', 'ns-node-2', 'ns-node-3']);
  assert.equal(w.get('ns-node-1')!.count, 2);
  assert.equal(w.get('ns-node-1')!.bytes, statusBytes(22) + statusBytes(333));
  assert.equal(w.get('ns-node-2')!.count, 2);
  assert.deepEqual(w.get('ns-node-3'), { count: 0, bytes: 0, times: [] });
  assert.equal(earlyWrites(w.get('ns-node-1')!.times, 30_000), 0, '30 s apart');
  assert.equal(earlyWrites(w.get('ns-node-2')!.times, 30_000), 1, '5 s apart');
});

test('kubelet writes by node; writes to the node objects by anyone', async () => {
  const ls = await lines();
  const k = groupWrites(requestsIn(ls, { from: FROM, to: TO, user: (u) => u.startsWith('system:node:') }), kubeletNode, ['ns-node-1', 'ns-node-2']);
  assert.equal(k.get('ns-node-1')!.count, 2);
  assert.equal(k.get('ns-node-2')!.count, 2);
  assert.deepEqual(Object.fromEntries(allObjectWrites(ls, ['ns-node-1', 'ns-node-2'], FROM, TO)), { 'ns-node-1': 3, 'ns-node-2': 3 });
  const nw = nodeWindows(ls, ['ns-node-1', 'ns-node-2'], FROM, TO, new Map([['ns-node-1', 2000]]));
  assert.deepEqual(nw.map((x) => [x.node, x.writes, x.early, x.kubeletWrites, x.objectBytes]), [['ns-node-1', 2, 0, 2, 2000], ['ns-node-2', 2, 1, 2, 0]]);
});

test('the log since a mark: from its offset, across a rotation (renamed file, new file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audit-test-'));
  try {
    const log = join(dir, 'audit.log');
    const ls = (await lines()).filter(Boolean);
    await writeFile(log, ls.slice(0, 3).join('\n') + '\n');
    const mark = await auditMark(log);
    await appendFile(log, ls[3] + '\n');
    assert.deepEqual(await auditLinesSince(mark), [ls[3]]);
    await rename(log, join(dir, 'audit-2025-06-01T10-01-00.000.log'));
    await writeFile(log, ls[4] + '\n');
    await writeFile(join(dir, 'other.log'), ls[5] + '\n');
    assert.deepEqual((await auditLinesSince(mark)).sort(), [ls[3], ls[4]].sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const node = (i: number, writes: number, bytes: number, early = 0): NodeWindow => ({ node: `ns-node-${i}`, writes, bytes, early, kubeletWrites: 60, objectBytes: 4096 + i });

test('a window summarised: per node per second, mean and max; targets; subsets of the first k nodes', () => {
  const rows = [node(1, 20, 16_000), node(2, 21, 20_000), node(3, 20, 900_000, 1)];
  const s = summarizeWindow(rows, 600);
  assert.equal(s.nodes, 3);
  assert.ok(Math.abs(s.writesPerSec.mean - 61 / 3 / 600) < 1e-12);
  assert.equal(s.writesPerSec.max, 21 / 600);
  assert.equal(s.bytesPerSec.max, 1500);
  assert.ok(Math.abs(s.kubeletWritesPerSec.mean - 0.1) < 1e-12);
  assert.equal(s.maxWrites, 21);
  assert.equal(s.early, 1);
  assert.deepEqual(restTargets(s, 30), { writes: false, bytes: false }, 'an early write, and 1500 B/s on node 3');
  assert.deepEqual(restTargets(summarizeWindow(rows.slice(0, 2), 600), 30), { writes: true, bytes: true }, '21 writes in 600 s: one more than 20 intervals, for the edges');
  assert.deepEqual(restTargets(summarizeWindow([node(1, 22, 0)], 600), 30).writes, false);
  const subs = subsetSummaries(rows, 600, [1, 2, 2, 50]);
  assert.deepEqual(subs.map((x) => x.nodes), [1, 2, 3], 'deduplicated, capped at the nodes there are');
  assert.equal(subs[0]!.bytesPerSec.max, 16_000 / 600);
  assert.deepEqual(subsetSummaries([], 600, [10]), []);
});

test('the per-node charts: mean, max, kubelet and target lines over the nodes counted', () => {
  const rows = Array.from({ length: 50 }, (_, i) => node(i + 1, 20, 12_000));
  const charts = perNodeCharts(subsetSummaries(rows, 600, [10, 25, 50]), 30);
  assert.equal(charts.length, 2);
  const mean = charts[0]!.series.find((x) => x.name === 'mean')!;
  assert.deepEqual(mean.points.map((p) => p.x), [10, 25, 50]);
  assert.ok(mean.points.every((p) => Math.abs(p.y - 1) < 1e-9), '20 writes in 600 s: 1 per 30 s');
  assert.deepEqual(charts[1]!.series.find((x) => x.name === 'target')!.points, [{ x: 10, y: 1 }, { x: 50, y: 1 }]);
  const svg = renderCharts(charts);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 7);
});

const figures = (): FleetFigures => ({
  nodes: 50,
  rest: summarizeWindow(Array.from({ length: 50 }, (_, i) => ({ ...node(i + 1, 20, 15_360), objectBytes: 8192 })), 600),
  change: { writesPerNode: 6, agentBytesPerNode: 20_000 },
  etcd: { startBytes: 10 * 2 ** 20, endBytes: 11 * 2 ** 20, seconds: 600 },
  apiserverCores: 0.1,
});

test('projection: linear in nodes, watch fan-out by watchers, etcd share with the compaction window', () => {
  const p = projectFleet(figures(), 5000);
  const row = (q: string) => p.rows.find((r) => r.quantity.startsWith(q))!;
  // 20 writes per 600 s per node; 15360 B per 600 s = 25.6 B/s per node.
  assert.ok(Math.abs(row('agent writes').projected - 5000 / 30) < 1e-9);
  assert.ok(Math.abs(row('agent writes').measured - 50 / 30) < 1e-9);
  assert.ok(Math.abs(row('request bytes').projected - 25.6 * 5000) < 1e-6);
  assert.ok(Math.abs(row('watch bytes to each').projected - (5000 / 30) * 8192) < 1e-6);
  assert.ok(Math.abs(row('watch bytes out').projected - (5000 / 30) * 8192 * (DEFAULT_ASSUMPTIONS.collectionWatchers + 1)) < 1e-6);
  const share = (k: number) => k * 8192 + (k / 30) * 8192 * 300;
  assert.ok(Math.abs(row("etcd: our objects' share").projected - share(5000)) < 1e-6);
  assert.ok(Math.abs(row('etcd database file').projected - (11 * 2 ** 20 - share(50) + share(5000))) < 1e-6);
  assert.ok(Math.abs(row('etcd database growth').measured - 6 * 2 ** 20) < 1e-6, '1 MiB in 10 min');
  assert.ok(Math.abs(row('etcd database growth').projected - 600 * 2 ** 20) < 1e-6);
  assert.ok(Math.abs(row('kube-apiserver CPU').projected - 10) < 1e-9);
  assert.equal(row('writes to the node objects').projected, 30_000);
  const more = projectFleet(figures(), 5000, { collectionWatchers: 1, compactionSeconds: 0 });
  assert.ok(Math.abs(more.rows.find((r) => r.quantity.startsWith("etcd: our objects' share"))!.projected - 5000 * 8192) < 1e-6);
  assert.match(more.rows.find((r) => r.quantity.startsWith('watch bytes out'))!.quantity, /1 collection watchers/);
});

test('projection table: markdown, one row per quantity, per node left empty for the database file', () => {
  const p = projectFleet(figures(), 5000);
  const lines = p.markdown.trim().split('\n');
  assert.equal(lines[0], '| quantity | per node | lab (50 nodes) | projected (5000 nodes) | assumes |');
  assert.equal(lines.length, p.rows.length + 2);
  assert.match(p.markdown, /\| agent writes into the API server \| 0\.033 writes\/s \| 1\.67 writes\/s \| 167 writes\/s \|/);
  assert.match(p.markdown, /\| etcd database file \| +\| 11\.0 MiB \|/);
  assert.match(p.markdown, /\| kube-apiserver CPU at rest \(lab, all clients\) \| 0\.002 cores \|/);
  const noChange = projectFleet({ ...figures(), change: undefined }, 1000);
  assert.equal(noChange.rows.length, p.rows.length - 3);
});

test('bytes in binary units', () => {
  assert.equal(fmtBytes(512), '512 B');
  assert.equal(fmtBytes(1536), '1.50 KiB');
  assert.equal(fmtBytes(3 * 2 ** 30, '/h'), '3.00 GiB/h');
  assert.equal(fmtBytes(Number.NaN), '');
});

test("etcd's size from its /metrics", () => {
  const metrics = [
    '# HELP etcd_mvcc_db_total_size_in_bytes Total size of the underlying database physically allocated in bytes.',
    '# TYPE etcd_mvcc_db_total_size_in_bytes gauge',
    'etcd_mvcc_db_total_size_in_bytes 2.5165824e+07',
    'etcd_mvcc_db_total_size_in_use_in_bytes 1.2e+07',
    'etcd_mvcc_db_total_size_in_bytes_other{x="y"} 5',
  ].join('\n');
  assert.deepEqual(etcdSizeOf(metrics), { totalBytes: 25_165_824, inUseBytes: 12_000_000 });
  assert.equal(promSample(metrics, 'etcd_mvcc_db'), undefined, 'a prefix is not a name');
  assert.throws(() => etcdSizeOf('up 1\n'), /etcd_mvcc_db_total_size_in_bytes/);
});

test('settings: the fleet benchmarks need the lab and enough namespace nodes; CI (2 nodes) runs fleet-rollout only', () => {
  assert.ok(ALL.includes('fleet-rollout') && ALL.includes('many-nodes'));
  assert.ok(NEEDS_LAB.has('fleet-rollout') && NEEDS_LAB.has('many-nodes'));
  assert.equal(labMisfit('fleet-rollout', 2), undefined);
  assert.match(labMisfit('many-nodes', 2)!, /needs >= 6 namespace nodes, the lab has 2/);
  assert.equal(labMisfit('many-nodes', 50), undefined);
  assert.match(labMisfit('fleet-rollout', 20, 50)!, /needs >= 50/);
  assert.equal(labMisfit('apply', 0, 50), undefined, 'only the fleet benchmarks count nodes');
  assert.equal(QUICK.manyRestSeconds, 60);
  assert.equal(FULL.manyRestSeconds, 600);
  assert.equal(FULL.fleetMaxUnavailable, 10);
  assert.deepEqual(sizes('10,25,,50'), [10, 25, 50]);
  assert.throws(() => sizes('10,x'), /positive integers/);
});

test("what fleet-rollout sends: a policy and a hand-written network the product's schemas accept", () => {
  const spec = PolicySpecSchema.parse(rolloutPolicySpec(10));
  assert.equal(spec.maxUnavailable, 10);
  assert.deepEqual(spec.nodeSelector, { matchLabels: { [NODE_LABEL]: 'yes' } });
  assert.equal(spec.networks[NETWORK]?.ipam?.pool, '10.130.0.0/16');
  assert.equal(NetworkSpecSchema.parse(BASELINE_NETWORK).ipaddr, '10.130.255.254');
  assert.equal(batches(50, 10), 5);
  assert.equal(batches(51, 10), 6);
  assert.equal(batches(2, 10), 1);
});

test('a policy rolled out: its generation observed, Available, every node available; a Degraded rollout is a problem', () => {
  const p = (o: Partial<NonNullable<Onp['status']>>, type: PolicyCondition['type'] = 'Available', status: PolicyCondition['status'] = 'True', reason = 'AllNodesAvailable'): Onp => ({
    metadata: { name: 'p', generation: 2 }, status: { observedGeneration: 2, matchedNodes: 5, availableNodes: 5, conditions: [{ type, status, reason }], ...o },
  });
  assert.equal(rolledOut(p({}), 5), true);
  assert.equal(rolledOut(p({ availableNodes: 4 }), 5), false);
  assert.equal(rolledOut(p({ observedGeneration: 1 }), 5), false);
  assert.equal(rolledOut(p({}), 6), false);
  assert.equal(rolloutProblem(p({})), undefined);
  assert.match(rolloutProblem(p({ failedNodes: [{ node: 'n1', reason: 'SetupFailed', message: 'm' }] }, 'Degraded', 'True', 'RolloutAborted'))!, /RolloutAborted.*SetupFailed/);
});

test("the controller's kubeconfig: server, CA and token only, read by the product's own loader", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kc-test-'));
  try {
    const text = tokenKubeconfig({ server: 'https://127.0.0.1:16443', caData: Buffer.from('not a real CA').toString('base64'), token: 'tok123', user: 'network-policy-controller' });
    const doc = parseYaml(text) as { users: { user: Record<string, string> }[] };
    assert.deepEqual(Object.keys(doc.users[0]!.user), ['token']);
    const path = join(dir, 'kc');
    await writeFile(path, text);
    const conn = await loadConnection(path, {});
    assert.equal(conn.server.origin, 'https://127.0.0.1:16443');
    const ro = await conn.requestOptions();
    assert.equal(ro.headers.Authorization, 'Bearer tok123');
    assert.equal(String(ro.ca), 'not a real CA');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(CONTROLLER_USER, 'system:serviceaccount:ovirt-node-network-handler:network-policy-controller');
});
