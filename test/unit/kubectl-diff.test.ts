// `kubectl onn diff`: the object's spec against the status the agent reports about the captured
// hosts — settled, behind, failed, drifted (the drift made by deleting a device from the host
// between the samples, reported with the agent's own driftBase message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffAgainstStatus, renderDiff } from '../../src/kubectl/diff.js';
import { BASE_LIMIT } from '../../src/kubectl/plan-against-status.js';
import { readReported, requireParts } from '../../src/kubectl/reported.js';
import { kernelConfig } from '../../src/observe/index.js';
import { configToSpec } from '../../src/plan/canonicalize.js';
import { driftBase } from '../../src/plan/drift.js';
import { loadRunning } from './observe-fixtures.js';
import { reportedObject, sampleHosts, type ReportedOptions } from './reported-fixtures.js';

const diff = (o: ReportedOptions = {}) => diffAgainstStatus(requireParts(readReported(reportedObject('netns', { node: 'ns-node-1', ...o })), 'capabilities', 'kernelConfig'));
const spec = () => configToSpec(loadRunning('netns'));

test('settled: reached, nothing pending, no drift', () => {
  const d = diff();
  assert.deepEqual(d.pending, []);
  assert.deepEqual(d.matching, { networks: 2, bonds: 0 });
  assert.equal(renderDiff(d), [
    'ns-node-1: spec generation 3; the agent acted on it',
    '  Available=True (SuccessfullyConfigured, generation 3): generation 3 applied',
    '  Progressing=False (SuccessfullyConfigured, generation 3)',
    '  Degraded=False (SuccessfullyConfigured, generation 3)',
    'reached: the reported kernelConfig has what the spec says (2 networks, 0 bonds)',
    'drift: none reported',
    `note: ${BASE_LIMIT}`,
    '',
  ].join('\n'));
});

test('a new generation not acted on yet: what the node lacks, field by field', () => {
  const s = spec();
  s.networks.net2 = { ...s.networks.net2!, mtu: 1300, ipaddr: '10.67.0.9' };
  delete s.networks.net1;
  s.networks.blue = { nic: 'e3', vlan: 7, bridged: true };
  const d = diff({ spec: s, generation: 4, observedGeneration: 3, phase: { kind: 'available', generation: 3 } });
  assert.deepEqual(d.pending.map((e) => [e.kind, e.name, e.change, e.fields.map((f) => f.field)]), [
    ['network', 'blue', 'missing', []],
    ['network', 'net1', 'extra', []],
    ['network', 'net2', 'differs', ['ipaddr', 'mtu']],
  ]);
  const lines = renderDiff(d).split('\n');
  assert.equal(lines[0], 'ns-node-1: spec generation 4; the agent has not acted on it yet (last: generation 3)');
  assert.deepEqual(lines.slice(lines.indexOf('not reached yet (the spec against the reported kernelConfig):') + 1, -1).filter((l) => l.startsWith('  ')), [
    '  network blue: in the spec, not on the node',
    '  network net1: on the node, not in the spec (to be removed)',
    '  network net2: ipaddr "10.67.0.9" in the spec, "10.67.0.2" on the node; mtu 1300 in the spec, 1400 on the node',
  ]);
  assert.ok(lines.includes('note: ns-node-1\'s agent has not acted on generation 4 yet (last: 3)'));
});

test('a failed apply is shown with its reason; an invalid spec with every error', () => {
  const failed = renderDiff(diff({ phase: { kind: 'failed', generation: 3, reason: 'ConnectivityLost', message: 'the API server did not answer within 10 s; the previous configuration was restored.', rolledBack: true } }));
  assert.match(failed, /^last apply failed: ConnectivityLost: the API server did not answer within 10 s; the previous configuration was restored\.$/m);
  assert.match(failed, /^ {2}Degraded=True \(ConnectivityLost, generation 3\): .*\(rolled back to the previous configuration\)$/m);
  const invalid = diff({ spec: { networks: { x: { nic: 'nope', bridged: false } } } });
  assert.deepEqual(invalid.invalid?.map((e) => e.path), ['spec.networks.x.nic']);
  assert.match(renderDiff(invalid), /^the spec is invalid for this node \(the agent reports InvalidSpec\): 1 error\n {2}spec\.networks\.x\.nic: NIC nope does not exist on the node$/m);
});

test('drift: the bridge deleted by hand is missing, and the agent\'s Drifted message is shown with the policy', () => {
  const between = (h: Parameters<NonNullable<ReportedOptions['between']>>[0]) => { delete h.links.net1; };
  const [, host] = sampleHosts('netns', { between });
  const drifted = driftBase(loadRunning('netns'), kernelConfig(host, loadRunning('netns'))).drifted;
  assert.deepEqual(drifted, ['network net1: its devices are missing from the kernel']);
  const message = `the kernel differs from generation 3: ${drifted.join('; ')}`;
  for (const [policy, healing, says] of [['Heal', true, 'driftPolicy Heal: the agent applies the spec again'], ['Report', false, 'driftPolicy Report: only reported']] as const) {
    const d = diff({ between, spec: { ...spec(), driftPolicy: policy }, phase: { kind: 'drifted', generation: 3, message, healing } });
    assert.deepEqual(d.pending.map((e) => `${e.name} ${e.change}`), ['net1 missing']);
    const out = renderDiff(d);
    assert.match(out, /^ {2}network net1: in the spec, not on the node$/m);
    assert.ok(out.includes(`\ndrift (Degraded/Drifted; ${says}): ${message}\n`), out);
  }
});
