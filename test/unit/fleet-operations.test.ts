// Fleet operations (issue 25) over the in-memory cluster (test/helpers/fleet-sim.ts) with the
// whole core: spec.paused (everything computed, nothing written), spec.required (the Node taint
// ovirt.org/network-unavailable on matched nodes lacking the networks), and the preview that
// `kubectl onn plan --policy` prints, planned against real reported objects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, condition } from '../helpers/fleet-sim.js';
import { checkPolicySpec } from '../../src/fleet/validate.js';
import { previewPolicy } from '../../src/fleet/preview.js';
import { taintWrites, wantedTaint } from '../../src/fleet/taints.js';
import { nodeView, onnView, policyView } from '../../src/fleet/objects.js';
import { nodePlans, renderPolicyPlan, summaryLine } from '../../src/kubectl/policy-plan.js';
import { statusMergePatch } from '../../src/fleet/policy-status.js';
import { buildPolicyCrd } from '../../src/api/crd.js';
import { orphanedPolicies } from '../../src/fleet/reconcile.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
import { reportedObject } from './reported-fixtures.js';
import type { OnnObject } from '../../src/k8s/client.js';
import type { KubeObject } from '../../src/k8s/resources.js';

const NOW = new Date('2026-01-02T00:00:00Z');
const KEY = 'ovirt.org/network-unavailable';

function cluster(n: number): Cluster {
  const c = new Cluster();
  for (let i = 1; i <= n; i++) c.addNode(`node-${i}`, { role: 'hv', 'ovirt.org/storage-nic': 'eth1' });
  return c;
}

const storage = (extra: Record<string, unknown> = {}) => ({
  nodeSelector: { matchLabels: { role: 'hv' } },
  networks: { fstore: { nicFromNodeLabel: 'ovirt.org/storage-nic', ipam: { pool: '10.20.0.0/24' } } },
  maxUnavailable: 2,
  ...extra,
});

/** Controller and agents until nothing changes. */
function settle(c: Cluster, rounds = 60): void {
  for (let i = 0; i < rounds; i++) {
    const d = c.step(NOW);
    if (d.every((x) => x.applies.length === 0 && !x.finalizer && !x.statusChanged) && c.changing().length === 0) return;
    c.agents();
  }
  assert.fail('did not settle');
}

const written = (c: Cluster, policy: string) =>
  [...c.onns.values()].filter((o) => o.annotations[`network-policy.ovirt.org/${policy}`] !== undefined).map((o) => o.name);

describe('spec.paused', () => {
  it('the schema takes paused and required as booleans and names the field otherwise', () => {
    const r = checkPolicySpec({ ...storage(), paused: 'yes', required: 1 });
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.path).sort(), ['spec.paused', 'spec.required']);
    const ok = checkPolicySpec(storage());
    assert.ok(ok.ok && ok.spec.paused === false && ok.spec.required === false, 'both default to false');
  });

  it('computes everything and writes no node; Progressing False Paused; unpausing rolls out from there', () => {
    const c = cluster(4);
    c.label('node-4', { role: 'hv' }); // no storage-NIC label: refused there, even while paused
    c.putPolicy('st', storage({ paused: true }));
    for (let i = 0; i < 5; i++) {
      const d = c.step(NOW)[0]!;
      assert.deepEqual(d.applies, [], 'no write while paused');
      c.agents();
    }
    assert.deepEqual(written(c, 'st'), []);
    const p = c.policy('st')!;
    assert.ok(p.finalizers.length === 1, 'the finalizer is on the policy, not a node');
    assert.equal(condition(p, 'Progressing')?.status, 'False');
    assert.equal(condition(p, 'Progressing')?.reason, 'Paused');
    assert.match(condition(p, 'Progressing')!.message!, /3 node\(s\) to change/);
    assert.equal(p.status?.matchedNodes, 4);
    assert.deepEqual(p.status?.failedNodes?.map((f) => [f.node, f.reason]), [['node-4', 'MissingNodeLabel']]);
    // The preview is the decision, node by node: the addresses IPAM gives each, the refusal.
    const pv = previewPolicy(c.world(), 'st', NOW)!;
    assert.equal(pv.paused, true);
    assert.deepEqual(pv.rows.map((r) => [r.node, r.state.kind, r.desired?.networks.fstore?.ipaddr ?? r.problem?.reason]), [
      ['node-1', 'pending', '10.20.0.1'], ['node-2', 'pending', '10.20.0.2'], ['node-3', 'pending', '10.20.0.3'], ['node-4', 'refused', 'MissingNodeLabel'],
    ]);
    assert.deepEqual(pv.rows.filter((r) => r.write).map((r) => r.node), ['node-1', 'node-2'], 'what the first batch would be');
    c.putPolicy('st', storage({ paused: false }));
    settle(c);
    assert.deepEqual(written(c, 'st').sort(), ['node-1', 'node-2', 'node-3']);
    assert.equal(c.onns.get('node-2')!.spec.networks?.fstore && (c.onns.get('node-2')!.spec.networks!.fstore as { ipaddr: string }).ipaddr, '10.20.0.2', 'the previewed address');
    assert.notEqual(condition(c.policy('st'), 'Progressing')?.reason, 'Paused');
  });

  it('pausing mid-rollout stops further writes; a conflict is shown while paused; deleting a paused policy still removes', () => {
    const c = cluster(4);
    c.putPolicy('st', storage({ maxUnavailable: 1 }));
    c.step(NOW);
    c.agents();
    c.putPolicy('st', storage({ maxUnavailable: 1, paused: true }));
    for (let i = 0; i < 4; i++) {
      c.step(NOW);
      c.agents();
    }
    assert.deepEqual(written(c, 'st'), ['node-1']);
    c.putPolicy('later', { nodeSelector: { matchLabels: { role: 'hv' } }, networks: { fstore: { nic: 'eth2' } }, paused: true });
    c.step(NOW);
    const later = c.policy('later')!;
    assert.equal(condition(later, 'Degraded')?.reason, 'Conflict');
    assert.equal(condition(later, 'Progressing')?.reason, 'Paused');
    c.deletePolicy('later');
    c.deletePolicy('st');
    settle(c);
    assert.equal(c.policy('st'), undefined, 'finalizer dropped: the removal ran although paused');
    assert.equal(c.onns.get('node-1')!.spec.networks?.fstore, undefined);
  });
});

describe('spec.paused with a conflicting policy', () => {
  it('an older paused policy never blocks a live one: it yields where it holds nothing, and says so', () => {
    const c = cluster(3);
    c.putPolicy('preview', storage({ paused: true }));
    c.putPolicy('live', { nodeSelector: { matchLabels: { role: 'hv' } }, networks: { fstore: { nic: 'eth2' } }, maxUnavailable: 3 });
    settle(c);
    assert.equal(condition(c.policy('live'), 'Available')?.status, 'True', 'the live policy rolled out everywhere');
    assert.deepEqual(written(c, 'live').sort(), ['node-1', 'node-2', 'node-3']);
    const p = c.policy('preview')!;
    assert.equal(condition(p, 'Degraded')?.reason, 'Conflict');
    assert.equal(condition(p, 'Progressing')?.reason, 'Paused');
    assert.equal(condition(p, 'Progressing')?.message, 'spec.paused: nothing is written; 0 node(s) to change, 0 still changing; refused on 3 node(s), unpausing writes none of them (node-1: Conflict: networks fstore is already of policy live) (kubectl onn plan --policy shows each)');
    // Unpaused, it meets what the preview said: refused, nothing written.
    c.putPolicy('preview', storage({ paused: false }));
    settle(c);
    assert.deepEqual(written(c, 'preview'), []);
    assert.equal(condition(c.policy('preview'), 'Degraded')?.reason, 'Conflict');
  });

  it('a paused policy that holds its entries keeps them: a later live policy is refused there', () => {
    const c = cluster(2);
    c.putPolicy('st', storage());
    settle(c);
    c.putPolicy('st', storage({ paused: true }));
    c.putPolicy('live', { nodeSelector: { matchLabels: { role: 'hv' } }, networks: { fstore: { nic: 'eth2' } } });
    settle(c);
    assert.equal(condition(c.policy('live'), 'Degraded')?.reason, 'Conflict');
    assert.deepEqual(written(c, 'live'), []);
  });
});

describe('spec.required', () => {
  it('taints matched nodes lacking the networks (missing label, failed apply, drift under Report), not those that have them', () => {
    const c = cluster(4);
    c.reportsKernel = true;
    c.label('node-4', { role: 'hv' });
    c.failing.set('node-3', 'SetupFailed');
    c.putPolicy('st', storage({ required: true, maxUnavailable: 4 }));
    c.step(NOW);
    // Before any agent acted, every matched node lacks them.
    assert.deepEqual(['node-1', 'node-2', 'node-3', 'node-4'].map((n) => c.taintOf(n)), ['st', 'st', 'st', 'st']);
    settle(c);
    assert.deepEqual(['node-1', 'node-2', 'node-3', 'node-4'].map((n) => c.taintOf(n)), [undefined, undefined, 'st', 'st']);
    assert.equal(c.nodes.get('node-3')!.taints![0]!.effect, 'NoSchedule');
    assert.equal(c.policy('st')!.status?.unavailableNodes, 2);
    c.drift('node-1');
    c.step(NOW);
    assert.equal(c.taintOf('node-1'), 'st', 'drift reported, not healed');
    // Fixed: the label comes, the agent succeeds, the drift is healed: every taint goes.
    c.label('node-4', { role: 'hv', 'ovirt.org/storage-nic': 'eth1' });
    c.failing.delete('node-3');
    // (The agents act again: node-1 heals, node-3 applies what it failed before.)
    for (const n of ['node-1', 'node-3']) c.onns.set(n, { ...c.onns.get(n)!, status: { ...c.onns.get(n)!.status, observedGeneration: 0 } });
    c.putPolicy('st', storage({ required: true, maxUnavailable: 3 }));
    settle(c);
    assert.deepEqual(['node-1', 'node-2', 'node-3', 'node-4'].map((n) => c.taintOf(n)), [undefined, undefined, undefined, undefined]);
  });

  it('an edit rolling out does not taint nodes that have the networks; other taints are kept; a moved Node is decided again', () => {
    const c = cluster(3);
    c.reportsKernel = true;
    c.putPolicy('st', storage({ required: true }));
    settle(c);
    c.setTaints('node-2', [{ key: 'example.org/gpu', value: 'x', effect: 'NoSchedule' }]);
    c.putPolicy('st', storage({ required: true, networks: { fstore: { nicFromNodeLabel: 'ovirt.org/storage-nic', mtu: 1400, ipam: { pool: '10.20.0.0/24' } } } }));
    c.step(NOW);
    assert.deepEqual(['node-1', 'node-2', 'node-3'].map((n) => c.taintOf(n)), [undefined, undefined, undefined]);
    // A refused node is tainted beside the hand-made taint, which stays.
    c.label('node-2', { role: 'hv' });
    const writes = taintWrites(c.world().nodes, [{ policy: 'st', mode: { kind: 'decided', lacking: new Map([['node-2', 'MissingNodeLabel']]) } }]);
    assert.deepEqual(writes.map((w) => w.node), ['node-2']);
    assert.deepEqual(writes[0]!.patch[1]!.value, [{ key: 'example.org/gpu', value: 'x', effect: 'NoSchedule' }, { key: KEY, value: 'st', effect: 'NoSchedule' }]);
    c.setTaints('node-2', [...c.nodes.get('node-2')!.taints!]); // the Node moves: the write is refused
    assert.equal(c.taint(writes[0]!), false);
    settle(c);
    assert.equal(c.taintOf('node-2'), 'st');
    assert.equal(c.nodes.get('node-2')!.taints!.length, 2);
  });

  it('two required policies: one taint per node, the first name; the next takes over; deleting waits for the taint to go', () => {
    const c = cluster(2);
    c.label('node-1', { role: 'hv' });
    c.label('node-2', { role: 'hv', 'ovirt.org/storage-nic': 'eth1', 'ovirt.org/other-nic': 'eth2' });
    c.putPolicy('b-net', { nodeSelector: { matchLabels: { role: 'hv' } }, networks: { fb: { nicFromNodeLabel: 'ovirt.org/storage-nic' } }, required: true });
    c.putPolicy('a-net', { nodeSelector: { matchLabels: { role: 'hv' } }, networks: { fa: { nicFromNodeLabel: 'ovirt.org/other-nic' } }, required: true });
    settle(c);
    assert.equal(c.taintOf('node-1'), 'a-net');
    assert.equal(c.nodes.get('node-1')!.taints!.length, 1);
    assert.equal(c.taintOf('node-2'), undefined);
    c.deletePolicy('a-net');
    const d = c.step(NOW).find((x) => x.policy === 'a-net');
    assert.notEqual(d?.finalizer, 'remove', 'the taint named it when the pass began');
    assert.equal(c.taintOf('node-1'), 'b-net', 'the next policy lacking there takes the taint');
    settle(c);
    assert.equal(c.policy('a-net'), undefined, 'finalizer dropped once no taint names it');
    c.putPolicy('b-net', { nodeSelector: { matchLabels: { role: 'hv' } }, networks: { fb: { nicFromNodeLabel: 'ovirt.org/storage-nic' } }, required: false });
    settle(c);
    assert.equal(c.taintOf('node-1'), undefined, 'no longer required: untainted');
  });

  it('paused or invalid: its taints stay as they are, none added; a taint of a policy that is gone is dropped', () => {
    const c = cluster(2);
    c.label('node-1', { role: 'hv' });
    c.putPolicy('st', storage({ required: true }));
    settle(c);
    assert.equal(c.taintOf('node-1'), 'st');
    c.putPolicy('st', storage({ required: true, paused: true }));
    c.label('node-2', { role: 'hv' }); // now lacking too, but paused: not tainted
    settle(c);
    assert.deepEqual([c.taintOf('node-1'), c.taintOf('node-2')], ['st', undefined]);
    c.putPolicy('st', { ...storage({ required: true }), maxUnavailable: 0 });
    settle(c);
    assert.equal(condition(c.policy('st'), 'Degraded')?.reason, 'InvalidSpec');
    assert.deepEqual([c.taintOf('node-1'), c.taintOf('node-2')], ['st', undefined]);
    c.setTaints('node-2', [{ key: KEY, value: 'gone-policy', effect: 'NoSchedule' }]);
    assert.equal(wantedTaint(c.nodes.get('node-2')!, []), undefined);
    settle(c);
    assert.equal(c.taintOf('node-2'), undefined);
  });
});

describe('kubectl onn plan --policy', () => {
  it("each node's steps for the spec the rollout leaves, planned against its report, with its address; refusals; a summary line each", () => {
    const objs: OnnObject[] = ['ns-node-1', 'ns-node-2'].map((node) => reportedObject('netns', { node }));
    const node = (name: string, labels: Record<string, string>): KubeObject => ({ metadata: { name, labels, resourceVersion: '1' }, spec: {} });
    const nodes = [node('ns-node-1', { role: 'hv', 'ovirt.org/storage-nic': 'e3' }), node('ns-node-2', { role: 'hv' })];
    const policy: KubeObject = { metadata: { name: 'st', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' }, spec: storage({ paused: true }) };
    const world = { policies: [policyView(policy)], nodes: nodes.map(nodeView), onns: objs.map(onnView) };
    const pv = previewPolicy(world, 'st', NOW)!;
    const plans = nodePlans(pv, new Map(objs.map((o) => [o.metadata.name, o])));
    assert.equal(plans.length, 2);
    const [one, two] = plans;
    assert.ok(one!.plan?.ok, JSON.stringify(one));
    assert.ok(one!.plan.ok && one!.plan.steps.some((s) => s.kind === 'addNetwork' && s.network === 'fstore'), 'adds the network');
    assert.deepEqual(one!.addresses, ['fstore=10.20.0.1/24']);
    assert.match(summaryLine(one!), /^ns-node-1 {2}to be written, held \(paused\) {2}\d+ steps? {2}fstore=10\.20\.0\.1\/24 {2}lacks the networks: NotApplied$/);
    assert.match(two!.refusal ?? '', /^MissingNodeLabel: /);
    assert.match(summaryLine(two!), /^ns-node-2 {2}refused {2}- {2}- {2}refused: MissingNodeLabel/);
    const text = renderPolicyPlan(pv, plans, false);
    assert.match(text, /^policy st generation 1 \(paused: nothing is written\): 2 matched node\(s\); /);
    assert.match(text, /\nsummary:\n {2}ns-node-1 .*\n {2}ns-node-2 .*\n/);
    // A NIC the node does not report: refused for that node (the controller's render check), said so.
    const nic9 = { ...world, nodes: [nodeView(node('ns-node-1', { role: 'hv', 'ovirt.org/storage-nic': 'eth9' }))] };
    const bad = nodePlans(previewPolicy(nic9, 'st', NOW)!, new Map(objs.map((o) => [o.metadata.name, o])));
    assert.match(bad[0]!.refusal ?? '', /^InvalidRender: .*eth9 does not exist/);
    // One the agent's own validation refuses against the node's report: a network already on the NIC.
    const taken = { ...world, nodes: [nodeView(node('ns-node-1', { role: 'hv', 'ovirt.org/storage-nic': 'e1' }))] };
    const onE1 = nodePlans(previewPolicy(taken, 'st', NOW)!, new Map(objs.map((o) => [o.metadata.name, o])));
    assert.match(onE1[0]!.refusal ?? '', /e1/, JSON.stringify(onE1[0]));
  });
});

describe('spec.rollout.canary and the health gates', () => {
  const at = (s: number) => new Date(NOW.getTime() + s * 1000);
  const canaryPolicy = (extra: Record<string, unknown> = {}) => storage({ rollout: { canary: { nodes: 1, bakeSeconds: 30 } }, ...extra });
  /** Controller and agents at one instant until nothing changes. */
  const settleAt = (c: Cluster, when: Date) => {
    for (let i = 0; i < 30; i++) {
      const d = c.step(when);
      if (d.every((x) => x.applies.length === 0 && !x.finalizer && !x.statusChanged) && c.changing().length === 0) return d;
      c.agents();
    }
    return assert.fail('did not settle');
  };

  it('admission-side checks name the fields: a negative bake, a canary of no node, a gate timeout of 0', () => {
    const r = checkPolicySpec(storage({ rollout: { canary: { nodes: 0, bakeSeconds: -1, gateTimeoutSeconds: 0 } } }));
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.path).sort(), ['spec.rollout.canary.bakeSeconds', 'spec.rollout.canary.gateTimeoutSeconds', 'spec.rollout.canary.nodes']);
    // The CRD says the same to the API server (the lab test has it refuse them, naming each field).
    const crd = buildPolicyCrd() as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Json } } } }[] } };
    const canary = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.rollout.properties.canary.properties;
    assert.deepEqual([canary.nodes.minimum, canary.bakeSeconds.minimum, canary.gateTimeoutSeconds.minimum], [1, 0, 1]);
    const ok = checkPolicySpec(canaryPolicy());
    assert.ok(ok.ok && ok.spec.rollout?.canary?.gateTimeoutSeconds === 300, 'the gate timeout defaults to 300 s');
  });

  it('the canary changes alone, bakes, then the rest follow at maxUnavailable', () => {
    const c = cluster(5);
    c.putPolicy('st', canaryPolicy());
    settleAt(c, at(0));
    assert.deepEqual(written(c, 'st'), ['node-1'], 'only the canary, however long');
    const p = c.policy('st')!;
    assert.equal(condition(p, 'Progressing')?.reason, 'Baking');
    assert.match(condition(p, 'Progressing')!.message!, /baking until 2026-01-02T00:00:30\.000Z/);
    assert.deepEqual(p.status?.canary, { generation: 1, nodes: ['node-1'], bakeStartedAt: at(0).toISOString() });
    assert.equal(c.step(at(10))[0]!.passAfterMs, 20_000, 'a pass is due when the bake ends');
    assert.deepEqual(written(c, 'st'), ['node-1']);
    const d = c.step(at(31))[0]!;
    assert.deepEqual(d.applies.map((a) => a.node), ['node-2', 'node-3'], 'then maxUnavailable at a time');
    settleAt(c, at(32));
    assert.equal(condition(c.policy('st'), 'Available')?.status, 'True');
    assert.equal(c.policy('st')!.status?.canary?.passed, true);
  });

  it('a gate failing during the bake stops the rollout: CanaryFailed naming node and gate, an Event, no other node; a new generation resumes', () => {
    const c = cluster(4);
    c.putPolicy('st', canaryPolicy());
    settleAt(c, at(0));
    c.drift('node-1');
    const d = c.step(at(5))[0]!;
    const p = c.policy('st')!;
    assert.equal(condition(p, 'Degraded')?.reason, 'CanaryFailed');
    assert.match(condition(p, 'Degraded')!.message!, /^node node-1 failed the NodeNetworkHealthy gate \(Degraded Drifted: /);
    assert.equal(condition(p, 'Progressing')?.reason, 'CanaryFailed');
    assert.deepEqual(d.events.filter((e) => e.reason === 'CanaryFailed').length, 1);
    assert.deepEqual(p.status?.gateFailure && [p.status.gateFailure.node, p.status.gateFailure.gate, p.status.gateFailure.canary], ['node-1', 'NodeNetworkHealthy', true]);
    // The node recovers: the failure stays for this generation, nothing more is written, even after the bake.
    c.onns.set('node-1', { ...c.onns.get('node-1')!, status: { ...c.onns.get('node-1')!.status, observedGeneration: 0 } });
    c.agents();
    settleAt(c, at(100));
    assert.deepEqual(written(c, 'st'), ['node-1']);
    c.putPolicy('st', canaryPolicy({ maxUnavailable: 3 }));
    settleAt(c, at(200));
    settleAt(c, at(300));
    assert.equal(condition(c.policy('st'), 'Available')?.status, 'True', 'the new generation rolled out');
    assert.equal(c.policy('st')!.status?.gateFailure, undefined);
  });

  it('a canary whose apply fails is CanaryFailed; a later node failing a gate is RolloutAborted; a southbound down fails too', () => {
    const c = cluster(4);
    c.failing.set('node-1', 'SetupFailed');
    c.putPolicy('st', canaryPolicy());
    settleAt(c, at(0));
    assert.equal(condition(c.policy('st'), 'Degraded')?.reason, 'CanaryFailed');
    assert.deepEqual(written(c, 'st'), ['node-1']);

    const d = cluster(4);
    d.putPolicy('st', canaryPolicy({ rollout: { canary: { nodes: 1, bakeSeconds: 0 } }, maxUnavailable: 1 }));
    d.step(at(0));
    d.agents();
    d.step(at(1)); // the bake of 0 s passes: node-2 is written
    d.agents();
    d.nodes.set('node-2', { ...d.nodes.get('node-2')!, ready: false });
    d.step(at(2));
    const p = d.policy('st')!;
    assert.equal(condition(p, 'Degraded')?.reason, 'RolloutAborted');
    assert.match(condition(p, 'Degraded')!.message!, /^node node-2 failed the NodeReady gate/);
    assert.deepEqual(written(d, 'st').sort(), ['node-1', 'node-2']);

    const e = cluster(3);
    e.putPolicy('st', canaryPolicy());
    settleAt(e, at(0));
    const onn = e.onns.get('node-1')!;
    e.onns.set('node-1', { ...onn, status: { ...onn.status, statistics: { eth1: { state: 'down' } } } as typeof onn.status });
    e.step(at(1));
    assert.match(condition(e.policy('st'), 'Degraded')!.message!, /failed the SouthboundUp gate \(eth1 \(southbound of fstore\) is down\)/);
  });

  it('the metric gate: errors and drops rising on a canary\'s southbound during the bake beyond maxTrafficErrors stop it', () => {
    const c = cluster(3);
    const stats = (node: string, rxDropped: string, txErrors: string) => {
      const onn = c.onns.get(node)!;
      const eth1 = { rx: '0', tx: '0', rxDropped, txDropped: '0', rxErrors: '0', txErrors, state: 'up' };
      c.onns.set(node, { ...onn, status: { ...onn.status, statistics: { eth1 } } as typeof onn.status });
    };
    c.putPolicy('st', canaryPolicy({ rollout: { canary: { nodes: 1, bakeSeconds: 60, maxTrafficErrors: 10 } } }));
    c.step(at(0));
    c.agents();
    stats('node-1', '18446744073709551000', '5'); // 64-bit counters: compared as integers, not as numbers
    c.step(at(1));
    assert.deepEqual(c.policy('st')!.status?.canary?.counters, { 'node-1': '18446744073709551005' });
    stats('node-1', '18446744073709551008', '7'); // +10: allowed
    c.step(at(2));
    assert.equal(condition(c.policy('st'), 'Progressing')?.reason, 'Baking');
    stats('node-1', '18446744073709551009', '7'); // +11
    c.step(at(3));
    const p = c.policy('st')!;
    assert.equal(condition(p, 'Degraded')?.reason, 'CanaryFailed');
    assert.match(condition(p, 'Degraded')!.message!, /^node node-1 failed the TrafficErrors gate \(errors and drops on its southbound devices rose by 11 \(at most 10\)\)/);
    c.step(at(100));
    assert.deepEqual(written(c, 'st'), ['node-1'], 'nothing else, after the bake either');
  });

  it('a canary larger than the nodes there are: every node is a canary, and the status says so', () => {
    const c = cluster(3);
    c.putPolicy('st', canaryPolicy({ rollout: { canary: { nodes: 10, bakeSeconds: 60 } }, maxUnavailable: 3 }));
    c.step(at(0));
    const p = c.policy('st')!;
    assert.equal(condition(p, 'Progressing')?.reason, 'Canary');
    assert.match(condition(p, 'Progressing')!.message!, /^3 canary node\(s\) \(spec\.rollout\.canary\.nodes is 10, more than the 3 node\(s\) there are to change: every one is a canary\) changing first: node-1, node-2, node-3$/);
  });
});

describe('a stuck gate times out', () => {
  const at = (s: number) => new Date(NOW.getTime() + s * 1000);
  const canaryPolicy = (canary: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    storage({ rollout: { canary: { nodes: 1, bakeSeconds: 30, ...canary } }, ...extra });

  it('a canary whose agent never reports: NodeNetworkHealthy unknown since the write, failed timed out after gateTimeoutSeconds', () => {
    const c = cluster(3);
    c.putPolicy('st', canaryPolicy({ gateTimeoutSeconds: 120 }));
    c.step(at(0)); // node-1 written; its agent never answers
    const d = c.step(at(10))[0]!; // the first pass that sees it unknown
    assert.deepEqual(c.policy('st')!.status?.canary?.unknownGates, [{ node: 'node-1', gate: 'NodeNetworkHealthy', since: at(10).toISOString() }]);
    assert.equal(d.passAfterMs, 120_000, 'a pass is due when it times out');
    assert.equal(condition(c.policy('st'), 'Progressing')?.reason, 'Canary');
    assert.equal(c.step(at(129))[0]!.statusChanged, false, 'waiting writes nothing more');
    assert.equal(condition(c.policy('st'), 'Degraded')?.status, 'False', 'not before the timeout');
    const e = c.step(at(130))[0]!;
    const p = c.policy('st')!;
    assert.equal(condition(p, 'Degraded')?.reason, 'CanaryFailed');
    assert.match(condition(p, 'Degraded')!.message!, /^node node-1 failed the NodeNetworkHealthy gate \(timed out: the agent has not reported on generation 2 for 120 s \(unknown since 2026-01-02T00:00:10\.000Z\)\); the rollout of generation 1 stopped/);
    assert.equal(condition(p, 'Progressing')?.reason, 'CanaryFailed');
    assert.deepEqual(e.events.filter((x) => x.reason === 'CanaryFailed').length, 1, 'an Event');
    assert.equal(p.status?.canary?.unknownGates, undefined, 'no longer tracked once failed');
    c.step(at(500));
    assert.deepEqual(written(c, 'st'), ['node-1'], 'no other node written');
    // A new generation resumes (the agent answers now).
    c.putPolicy('st', canaryPolicy({ gateTimeoutSeconds: 120, bakeSeconds: 0 }, { maxUnavailable: 3 }));
    for (let i = 0; i < 6; i++) { c.step(at(600 + i)); c.agents(); }
    assert.equal(condition(c.policy('st'), 'Available')?.status, 'True');
  });

  it('an unknown that resolves in time is dropped; a southbound without statistics on a later node fails SouthboundUp timed out (RolloutAborted)', () => {
    const c = cluster(3);
    c.putPolicy('st', canaryPolicy({ bakeSeconds: 0, gateTimeoutSeconds: 60 }, { maxUnavailable: 1 }));
    c.step(at(0));
    c.step(at(5));
    assert.equal(c.policy('st')!.status?.canary?.unknownGates?.length, 1);
    c.agents();
    c.step(at(20)); // node-1 reported Available: the bake of 0 s passes, node-2 is written
    assert.equal(c.policy('st')!.status?.canary?.unknownGates, undefined, 'resolved: no longer tracked');
    // node-2's agent reports statistics, but none for its southbound eth1.
    c.agents();
    const onn = c.onns.get('node-2')!;
    c.onns.set('node-2', { ...onn, status: { ...onn.status, statistics: { eth0: { state: 'up' } } } as typeof onn.status });
    c.step(at(30));
    assert.deepEqual(c.policy('st')!.status?.canary?.unknownGates, [{ node: 'node-2', gate: 'SouthboundUp', since: at(30).toISOString() }]);
    c.step(at(90));
    const p = c.policy('st')!;
    assert.equal(condition(p, 'Degraded')?.reason, 'RolloutAborted');
    assert.match(condition(p, 'Degraded')!.message!, /^node node-2 failed the SouthboundUp gate \(timed out: no statistics for eth1 for 60 s /);
    assert.deepEqual(p.status?.gateFailure && [p.status.gateFailure.gate, p.status.gateFailure.canary], ['SouthboundUp', false]);
    // (An unknown gate holds nothing back until it times out: node-3 was written meanwhile.)
    assert.deepEqual(written(c, 'st').sort(), ['node-1', 'node-2', 'node-3']);
  });

  it('the metric gate without counts during a bake longer than the timeout fails TrafficErrors timed out', () => {
    const c = cluster(2);
    c.putPolicy('st', canaryPolicy({ bakeSeconds: 600, maxTrafficErrors: 5, gateTimeoutSeconds: 60 }));
    c.step(at(0));
    c.agents();
    c.step(at(1)); // baking; the agent reports no statistics, so there are no counts to compare
    assert.deepEqual(c.policy('st')!.status?.canary?.unknownGates, [{ node: 'node-1', gate: 'TrafficErrors', since: at(1).toISOString() }]);
    assert.equal(condition(c.policy('st'), 'Progressing')?.reason, 'Baking');
    c.step(at(61));
    assert.match(condition(c.policy('st'), 'Degraded')!.message!, /^node node-1 failed the TrafficErrors gate \(timed out: no error counts for its southbound devices for 60 s /);
    assert.deepEqual(written(c, 'st'), ['node-1']);
  });
});

describe('orphaned per-policy field managers', () => {
  const entries = (c: Cluster, policy: string) =>
    [...c.onns.values()].filter((o) => o.managedFields.some((e) => e.manager === `ovirt-network-policy/${policy}` && Object.keys(e.fieldsV1['f:spec']?.['f:networks'] ?? {}).length > 0)).map((o) => o.name).sort();

  it('a policy gone without its finalizer: what its manager owns is removed node by node, its annotation dropped; then nothing more', () => {
    const c = cluster(3);
    c.putPolicy('st', storage());
    settle(c);
    c.handEdit('node-1', 'networks', 'mine', { nic: 'eth3' }); // a hand edit: no policy's
    assert.deepEqual(entries(c, 'st'), ['node-1', 'node-2', 'node-3']);
    c.forceDelete('st');
    assert.deepEqual(orphanedPolicies(c.world()), ['st']);
    const d = c.step(NOW);
    assert.deepEqual(d.map((x) => [x.policy, x.orphan, x.applies.map((a) => [a.node, a.kind, a.manager])]), [
      ['st', true, [['node-1', 'remove', 'ovirt-network-policy/st']]],
    ], 'removals one node at a time (its spec is gone: the default maxUnavailable), as its deletion would');
    settle(c);
    for (const o of c.onns.values()) {
      assert.equal(o.spec.networks?.fstore, undefined, `${o.name}: its network removed`);
      assert.equal(o.annotations['network-policy.ovirt.org/st'], undefined, `${o.name}: its annotation dropped`);
    }
    assert.deepEqual(entries(c, 'st'), []);
    assert.deepEqual((c.onns.get('node-1')!.spec.networks as Record<string, unknown>).mine, { nic: 'eth3' }, 'the hand edit stays');
    assert.deepEqual(orphanedPolicies(c.world()), []);
    assert.deepEqual(c.step(NOW), [], 'idempotent: nothing left to decide for it');
  });

  it('its entries stop blocking: a later policy wanting the same name rolls out once they are gone; a policy of that name again adopts them', () => {
    const c = cluster(2);
    c.putPolicy('old', storage());
    settle(c);
    c.forceDelete('old');
    c.putPolicy('new', { nodeSelector: { matchLabels: { role: 'hv' } }, networks: { fstore: { nic: 'eth2' } } });
    settle(c);
    assert.equal(condition(c.policy('new'), 'Available')?.status, 'True');
    assert.deepEqual(written(c, 'new').sort(), ['node-1', 'node-2']);

    const d = cluster(2);
    d.putPolicy('st', storage());
    settle(d);
    d.forceDelete('st');
    d.putPolicy('st', storage()); // back before a pass: not an orphan, nothing removed
    assert.deepEqual(orphanedPolicies(d.world()), []);
    const first = d.step(NOW);
    assert.ok(first.every((x) => !x.orphan && x.applies.every((a) => a.kind !== 'remove')));
    assert.deepEqual(entries(d, 'st'), ['node-1', 'node-2']);
  });

  it('a removal cut short (the annotation says removed, nothing else left): the annotation is dropped', () => {
    const c = cluster(2);
    c.putPolicy('st', storage());
    settle(c);
    c.deletePolicy('st');
    c.step(NOW); // removals written, agents not yet acted
    c.agents();
    c.forceDelete('st');
    settle(c);
    for (const o of c.onns.values()) assert.equal(o.annotations['network-policy.ovirt.org/st'], undefined, o.name);
    assert.deepEqual(orphanedPolicies(c.world()), []);
  });

  it('other managers are no orphans: kubectl, the agent, a policy that exists', () => {
    const c = cluster(1);
    c.putPolicy('st', storage());
    settle(c);
    c.handEdit('node-1', 'networks', 'x', { nic: 'eth3' }, 'kubectl-client-side-apply');
    assert.deepEqual(orphanedPolicies(c.world()), []);
  });
});

describe('the status write', () => {
  it('removes what the new status no longer has (a merge patch keeps absent fields), and nothing else', () => {
    const stored = { matchedNodes: 3, gateFailure: { generation: 1, node: 'n', gate: 'SouthboundUp', message: 'm', canary: true }, canary: { generation: 1, nodes: ['n'] } };
    assert.deepEqual(statusMergePatch(stored, { matchedNodes: 4, canary: { generation: 2, nodes: ['n'] } }), { gateFailure: null, matchedNodes: 4, canary: { generation: 2, nodes: ['n'] } });
    assert.deepEqual(statusMergePatch(undefined, { matchedNodes: 1 }), { matchedNodes: 1 });
  });
});
