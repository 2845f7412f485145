// `kubectl onn plan`: a spec validated and planned against what the agent reported about the
// captured hosts, with the agent's own functions — so it must come out as the plan against the
// host itself does, and say what the status cannot tell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_LIMIT, planAgainstStatus, renderPlan, STEPS_LIMIT, type ReportedNode } from '../../src/kubectl/plan-against-status.js';
import { readReported, requireParts } from '../../src/kubectl/reported.js';
import { capabilities, kernelConfig } from '../../src/observe/index.js';
import { assembleHostState } from '../../src/observe/parse.js';
import { configToSpec } from '../../src/plan/canonicalize.js';
import { baseFromStatus, driftBase } from '../../src/plan/drift.js';
import { validationFacts } from '../../src/plan/host-facts.js';
import { describeStep, plan } from '../../src/plan/plan.js';
import { checkSpec } from '../../src/plan/validate.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';
import { reportedObject, sampleHosts, type ReportedOptions } from './reported-fixtures.js';

const node = (o: ReportedOptions = {}, name: 'netns' | 'vm' | 'nic-rule' = 'netns'): ReportedNode =>
  requireParts(readReported(reportedObject(name, o)), 'capabilities', 'kernelConfig');

const netnsSpec = () => configToSpec(loadRunning('netns'));

test('a settled node: its own running config as the spec plans nothing; the notes say what the status cannot tell', () => {
  const p = planAgainstStatus({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'netns' }, spec: netnsSpec() }, node());
  assert.ok(p.ok);
  assert.deepEqual(p.steps, []);
  assert.deepEqual(p.notes, [BASE_LIMIT, STEPS_LIMIT]);
  const out = renderPlan('ns-node-1', p, false);
  assert.equal(out.stdout, `nothing to do: ns-node-1 reports what the spec says\nnote: ${BASE_LIMIT}\nnote: ${STEPS_LIMIT}\n`);
  assert.equal(out.stderr, '');
});

test('the same steps as planning against the host itself, for edits, additions and removals', () => {
  const host = assembleHostState(loadDumps('netns'), 1);
  const running = loadRunning('netns');
  const specs: unknown[] = [
    { ...netnsSpec(), networks: { ...netnsSpec().networks, net2: { ...netnsSpec().networks.net2!, mtu: 1300 } } },
    { networks: { ...netnsSpec().networks, blue: { nic: 'e3', vlan: 7, bridged: true, ipaddr: '192.0.2.5', prefix: 24 } } },
    { networks: { net2: netnsSpec().networks.net2 } },
    {},
  ];
  for (const spec of specs) {
    const atHost = checkSpec(spec, { host: validationFacts(host), running });
    assert.ok(atHost.ok, JSON.stringify(spec));
    const p = planAgainstStatus(spec, node());
    assert.ok(p.ok, JSON.stringify(spec));
    assert.deepEqual(p.steps.map(describeStep), plan(atHost.config, running).map(describeStep));
    assert.deepEqual(p.desired, atHost.config);
    assert.ok(p.steps.length > 0);
  }
  const removeAll = planAgainstStatus({}, node());
  assert.ok(removeAll.ok);
  const out = renderPlan('ns-node-1', removeAll, false).stdout.split('\n');
  assert.match(out[0]!, /^\d+ steps on ns-node-1, against its reported kernelConfig:$/);
  assert.ok(out.some((l) => /^ {3}\d\. remove network net1\b/.test(l)), out.join('\n'));
});

test('the base is what the agent plans from: DHCP clients from the capabilities\' marks, with a lease or before it', () => {
  for (const between of [undefined, (h: Parameters<NonNullable<ReportedOptions['between']>>[0]) => { h.links.ndfx!.addresses = h.links.ndfx!.addresses.filter((a) => !a.dynamic); }]) {
    const [, host] = sampleHosts('vm', { between });
    const running = loadRunning('vm');
    const kc = kernelConfig(host, running);
    const caps = capabilities(host, running);
    const base = baseFromStatus(kc, (n) => ({ v4: caps.networks[n]?.dhcpv4 === true, v6: caps.networks[n]?.dhcpv6 === true }));
    assert.deepEqual(base, driftBase(running, kc).from);
    assert.equal(base.networks.ndfx!.bootproto, 'dhcp');
    assert.equal(base.networks.ndfx!.dhcpv6, true);
  }
});

test('every error with its field path, against the node\'s NICs and bonds as its capabilities list them', () => {
  const p = planAgainstStatus({
    kind: 'Other',
    spec: {
      networks: { a: { nic: 'eth9', bridged: true }, b: { bonding: 'bond0', vlan: 10 }, c: { bonding: 'bond7' }, d: { nic: 'eth0', vlan: 5000 } },
      bondings: { bond1: { nics: ['eth1'] } },
    },
  }, node({}, 'nic-rule'));
  assert.ok(!p.ok);
  assert.deepEqual(p.errors.map((e) => `${e.path}: ${e.message}`).sort(), [
    'kind: must be OvirtNodeNetwork',
    'spec.bondings.bond1.nics[0]: NIC eth1 is a slave of bond bond0, which the handler does not manage',
    'spec.networks.a.nic: NIC eth9 does not exist on the node',
    'spec.networks.c.bonding: bond bond7 is neither in spec.bondings nor on the node',
    'spec.networks.d.vlan: must be at most 4094',
  ]);
  const out = renderPlan('n1', p, false);
  assert.equal(out.stdout, '');
  assert.match(out.stderr, /^invalid spec for n1: 5 errors\n {2}kind: must be OvirtNodeNetwork\n/);
  assert.match(out.stderr, /^ {2}spec\.networks\.a\.nic: NIC eth9 does not exist on the node$/m);
  const json = JSON.parse(renderPlan('n1', p, true).stdout) as { errors: unknown[]; notes: string[] };
  assert.equal(json.errors.length, 5);
  assert.deepEqual(json.notes, [BASE_LIMIT], 'no steps, so nothing said about them');
});

test('notes: an apply under way, a generation not acted on yet, drift', () => {
  const applying = planAgainstStatus(netnsSpec(), node({ generation: 5, phase: { kind: 'progressing', generation: 5 } }));
  assert.ok(applying.notes.includes('netns is applying generation 5 now: its kernelConfig may be about to change'));
  const behind = planAgainstStatus(netnsSpec(), node({ generation: 6, observedGeneration: 5, phase: { kind: 'available', generation: 5 } }));
  assert.ok(behind.notes.includes('netns\'s agent has not acted on generation 6 yet (last: 5)'));
  const drifted = planAgainstStatus(netnsSpec(), node({ phase: { kind: 'drifted', generation: 3, message: 'the kernel differs from generation 3: network net1: its devices are missing from the kernel', healing: false } }));
  assert.ok(drifted.notes.some((n) => n.startsWith('netns reports drift; what its kernel lost is planned here as new') && n.endsWith('network net1: its devices are missing from the kernel')));
  const json = JSON.parse(renderPlan('netns', drifted, true).stdout) as { steps: unknown[]; desired: { networks: Record<string, unknown> }; notes: string[] };
  assert.deepEqual(Object.keys(json.desired.networks).sort(), ['net1', 'net2']);
  assert.deepEqual(json.notes, drifted.notes);
});
