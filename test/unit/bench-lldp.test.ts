// The LLDP benchmark's figures from its raw records (bench/lib/lldp-figures.ts): the bytes a
// status.lldp adds as the status budget counts an object, the RSS samples read in the VM, the
// rows and verdicts, docs/benchmarks.md's section between its markers; and the lab switches'
// ports that announce (the VM's own switch: its data NICs only).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BEGIN, END, lldpRows, lldpSection, lldpStatusSample, parseRssSample, withLldpSection, type LldpRaw, type LldpRssPhase,
} from '../../bench/lib/lldp-figures.js';
import { baseBytes, objectBytes } from '../../src/report/status-budget.js';
import type { OnnObject } from '../../src/k8s/client.js';
import type { ResultsFile } from '../../kit/report.js';
import { switchPorts, vmSwitchPorts } from '../../lab/src/switch-lldp.js';

const heardEntry = { enabled: true, tlvs: [{ type: 5, name: 'System Name', properties: { 'system name': 'sw' } }] };
const obj = (lldp?: Record<string, unknown>): OnnObject => ({
  apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork',
  metadata: { name: 'n1', resourceVersion: '5', generation: 1 },
  spec: {},
  status: { capabilities: { nics: { eth0: {}, eth1: {} } }, ...(lldp ? { lldp } : {}) },
} as unknown as OnnObject);

test('status bytes: the object with status.lldp against the same without it, as the budget counts them', () => {
  const o = obj({ eth0: heardEntry, eth1: { enabled: true, tlvs: [] } });
  const s = lldpStatusSample(o, 'netns')!;
  const { lldp: _, ...without } = o.status as Record<string, unknown>;
  assert.equal(s.bytes, objectBytes(baseBytes(o), o.status as Record<string, unknown>));
  assert.equal(s.bytesWithoutLldp, objectBytes(baseBytes(o), without));
  assert.ok(s.bytes > s.bytesWithoutLldp);
  assert.deepEqual([s.nics, s.heard], [2, 1]);
  assert.deepEqual(s.heardEntryBytes, [Buffer.byteLength(`"eth0":${JSON.stringify(heardEntry)},`)]);
  assert.deepEqual(s.silentEntryBytes, [Buffer.byteLength('"eth1":{"enabled":true,"tlvs":[]},')]);
  assert.equal(lldpStatusSample(obj(), 'vm'), undefined, 'an object without status.lldp gives no sample');
});

test('an RSS sample: the agent, and every lldpd process summed; a missing value is not a zero', () => {
  assert.deepEqual(parseRssSample('agent 51200\nlldpd 3000\nlldpd 1000\n'), { agentKb: 51200, lldpdKb: 4000, lldpdProcesses: 2 });
  const gone = parseRssSample('agent \n');
  assert.ok(Number.isNaN(gone.agentKb));
  assert.equal(gone.lldpdProcesses, 0);
});

const phase = (round: number, variant: 'receive' | 'off', agentMb: number, lldpdMb: number): LldpRssPhase => ({
  round, variant, node: 'vm-node-1', agentKb: [agentMb * 1024 - 10, agentMb * 1024], lldpdKb: [lldpdMb * 1024, lldpdMb * 1024],
  lldpdProcesses: variant === 'receive' ? 2 : 0, objectBytes: variant === 'receive' ? 9000 : 6000,
});
const raw: LldpRaw = {
  status: [lldpStatusSample(obj({ eth0: heardEntry, eth1: heardEntry }), 'netns')!],
  rss: [phase(0, 'receive', 60, 4), phase(0, 'off', 58, 0), phase(1, 'off', 59, 0), phase(1, 'receive', 61, 4)],
};

test('rows: per NIC bytes, the RSS medians of each phase\'s max against --lldp off, and their verdicts', () => {
  const rows = lldpRows(raw);
  const s = raw.status[0]!;
  const perNic = rows.find((r) => r.case.startsWith('status bytes added per NIC, n1'))!;
  assert.equal(perNic.value, (s.bytes - s.bytesWithoutLldp) / 2);
  assert.equal(perNic.met, true);
  const agent = rows.find((r) => r.case.startsWith('agent RSS'))!;
  assert.equal(agent.value, 60.5);
  assert.equal(agent.baseline, 58.5);
  assert.equal(agent.ratio, 60.5 / 58.5);
  const total = rows.find((r) => r.case.startsWith('agent + lldpd RSS'))!;
  assert.equal(total.value, 64.5);
  assert.equal(total.met, true);
  assert.match(rows.find((r) => r.case.startsWith('lldpd RSS'))!.case, /2 processes/);
  assert.equal(rows.find((r) => r.case.startsWith('object as the agent wrote it'))!.ratio, 1.5);
  assert.deepEqual(lldpRows({ status: [], rss: [phase(0, 'receive', 60, 4)] }), [], 'no ratio without both variants');
});

test('the section comes from the raw records, between its markers; nothing around it changes', () => {
  const f: ResultsFile = { command: 'node dist/bench/lldp.js', commit: 'abc', startedAt: 't', host: { kernel: 'k', cpus: 2, node: 'v24' }, bench: [], reliability: [], raw: { lldp: raw } };
  const s = lldpSection(f);
  assert.ok(s.startsWith(BEGIN) && s.endsWith(END));
  assert.match(s, /\| lldp \| agent RSS, --lldp receive \(lldpd running\), vm-node-1 \| 60\.5 MB \| 58\.5 MB \(agent, --lldp off\) \| 1\.03x \|/);
  assert.match(s, /\| 1 \| receive \| 61\.0 \| 4\.0 \| 2 \| 9000 \|/);
  assert.throws(() => lldpSection({ ...f, raw: {} }), /raw LLDP records/);
  const doc = `# A\n\n${BEGIN}\nold\n${END}\n\n## Memory\n`;
  assert.equal(withLldpSection(doc, s, '## Memory'), `# A\n\n${s}\n\n## Memory\n`);
  assert.equal(withLldpSection('# A\n\n## Memory\n', s, '## Memory'), `# A\n\n${s}\n\n## Memory\n`);
});

test("the switches' announcing ports: every namespace node NIC on this machine's, a VM's data NICs on its own", () => {
  const nodes = [
    { name: 'ns-node-1', kind: 'netns' as const, agent: 'pod' as const, dataNics: 1 },
    { name: 'vm-node-1', kind: 'vm' as const, agent: 'process' as const, dataNics: 2 },
  ];
  assert.deepEqual(switchPorts(nodes), [
    { port: 'n1e0', description: 'ns-node-1 eth0' },
    { port: 'n1e1', description: 'ns-node-1 eth1' },
  ]);
  assert.deepEqual(vmSwitchPorts('vm-node-1', 2, 2), [
    { port: 'n2e1', description: 'vm-node-1 eth1' },
    { port: 'n2e2', description: 'vm-node-1 eth2' },
  ]);
});
