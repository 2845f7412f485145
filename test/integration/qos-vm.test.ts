// Host network QoS (VDSM hostQos) on the lab VM's Debian kernel (sch_hfsc, fq_codel, u32,
// basic + meta): through the CLI as an operator runs it, on a dummy NIC of the test's own. VDSM's
// layout read with tc itself; kernelConfig equal to the canonical spec (a reported config
// round-trips) and capabilities in getCapabilities' shape; two VLAN networks sharing the NIC's
// tree, one more added, one changed and one removed touching only their own classes; the last
// removing the qdisc; a class removed by hand healed; a crash right after the tc work undone to
// exactly the tree before.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NetworkSpec } from '../../src/api/spec.js';
import type { Lab } from '../../lab/src/index.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { ensureLab, exec, releaseLab, sh } from '../../lab/client/index.js';
import { BIN, ROOT } from './apply-support.js';

let lab: Lab;
let vm: string;
const NODE = `${ROOT}/node_modules/node/bin/node`;
const STATE = `/tmp/ovnh-qos-vm-${randomBytes(3).toString('hex')}`;
const NIC = 'qosd0';
const MBIT = 1_000_000;

type Nets = Record<string, NetworkSpec>;

before(async () => {
  lab = await ensureLab();
  vm = lab.state.nodes.find((n) => n.kind === 'vm')!.name;
  await sh(vm, `ip link del ${NIC} 2>/dev/null || true; ip link add ${NIC} type dummy && ip link set ${NIC} up`);
});

after(async () => {
  if (vm) {
    await cli(['apply', '-f', '-', '--state-dir', STATE, '-q', '--no-verify'], '{}').catch(() => undefined);
    await sh(vm, `ip link del ${NIC} 2>/dev/null; rm -rf ${STATE}`, { allowFailure: true });
  }
  await releaseLab();
});

function cli(args: string[], input?: string) {
  return exec(vm, ['env', 'NO_COLOR=1', NODE, BIN, ...args], { allowFailure: true, ...(input !== undefined ? { input } : {}) });
}

async function apply(networks: Nets, extra: string[] = []): Promise<{ code: number; stderr: string }> {
  return cli(['apply', '-f', '-', '--state-dir', STATE, '-q', '--no-verify', ...extra], JSON.stringify({ networks }));
}

interface Shown {
  capabilities: { networks: Record<string, { hostQos?: unknown }> };
  kernelConfig: { networks: Record<string, unknown> };
}

async function show(): Promise<Shown> {
  const r = await cli(['show', '--json', '--state-dir', STATE]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Shown;
}

/** Applies; the kernel read back holds exactly the canonical spec. */
async function applyAndReadBack(networks: Nets): Promise<Shown> {
  const r = await apply(networks);
  assert.equal(r.code, 0, `apply failed: ${r.stderr}`);
  const s = await show();
  assert.deepEqual(s.kernelConfig.networks, canonicalize({ networks }).networks);
  return s;
}

/**
 * The device's tc state, as tc prints it (counters left out). fq_codel lists a class per flow it
 * holds packets of at that moment (`class fq_codel 1388:180 parent 1388:` while an LLDP or DHCP
 * frame waits): live traffic, not configuration, so left out too.
 */
async function tcState(): Promise<{ qdiscs: string[]; classes: string[]; filters: string[] }> {
  const lines = async (cmd: string) =>
    (await sh(vm, cmd)).stdout
      .split('\n')
      .map((l) => l.trimEnd())
      .filter(Boolean);
  return {
    qdiscs: await lines(`tc qdisc show dev ${NIC}`),
    classes: (await lines(`tc class show dev ${NIC}`)).filter((l) => !l.startsWith('class fq_codel ')),
    filters: await lines(`tc filter show dev ${NIC} parent 1389: 2>/dev/null || true`),
  };
}

const qos = (ls: number, ul?: number) => ({ out: { ls: { m2: ls }, ...(ul ? { ul: { m2: ul } } : {}) } });
const vlanNet = (vlan: number, q: ReturnType<typeof qos>): NetworkSpec => ({ nic: NIC, vlan, bridged: false, hostQos: q });

describe('hostQos in the lab VM', () => {
  const TWO: Nets = {
    qa: { ...vlanNet(10, qos(100, 8 * MBIT)), hostQos: { out: { ls: { m1: 400, d: 100_000, m2: 300 }, ul: { m2: 8 * MBIT } } } },
    qb: vlanNet(20, qos(200)),
  };

  it("VDSM's layout on the NIC; kernelConfig round-trips; capabilities in getCapabilities' shape", async () => {
    const s = await applyAndReadBack(TWO);
    const t = await tcState();
    assert.match(t.qdiscs.join('\n'), /qdisc hfsc 1389: root .*default 0?x?1388/);
    for (const minor of ['1388', 'a', '14'])
      assert.ok(t.qdiscs.some((l) => l.startsWith(`qdisc fq_codel ${minor}: parent 1389:${minor} `)), t.qdiscs.join('\n'));
    assert.ok(t.classes.some((l) => /^class hfsc 1389:a parent 1389: leaf a: ls m1 3200bit d 100(\.0)?ms m2 2400bit ul m1 0bit d 0us m2 8Mbit/.test(l)), t.classes.join('\n'));
    assert.ok(t.classes.some((l) => /^class hfsc 1389:1388 parent 1389: leaf 1388: ls m1 0bit d 0us m2 2400bit/.test(l)), 'default class: the largest share');
    assert.ok(t.filters.some((l) => /pref 10 basic .*flowid 1389:a/.test(l)));
    assert.ok(t.filters.some((l) => /meta\(vlan eq 20\)/.test(l)));
    assert.ok(t.filters.some((l) => /pref 5000 u32 .*flowid :1388/.test(l)));
    assert.deepEqual(s.capabilities.networks.qa?.hostQos, {
      out: { ls: { m1: 400, d: 100_000, m2: 300 }, ul: { m1: 0, d: 0, m2: 8 * MBIT } },
    });
    // Applying the read-back config as a spec changes nothing.
    const again = await apply(s.kernelConfig.networks as Nets);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await tcState(), t);
  });

  it('one more network adds only its class; changing one rebuilds only its class; removing one removes only its class', async () => {
    const before = await tcState();
    const classOf = (t: { classes: string[] }, minor: string) => t.classes.find((l) => l.startsWith(`class hfsc 1389:${minor} `));
    await applyAndReadBack({ ...TWO, qc: vlanNet(30, qos(50)) });
    const three = await tcState();
    assert.equal(classOf(three, 'a'), classOf(before, 'a'));
    assert.equal(classOf(three, '14'), classOf(before, '14'));
    assert.ok(classOf(three, '1e'));
    await applyAndReadBack({ ...TWO, qb: vlanNet(20, qos(200, 4 * MBIT)), qc: vlanNet(30, qos(50)) });
    const changed = await tcState();
    assert.match(classOf(changed, '14') ?? '', /ul m1 0bit d 0us m2 4Mbit/);
    assert.equal(classOf(changed, 'a'), classOf(before, 'a'));
    assert.equal(classOf(changed, '1e'), classOf(three, '1e'));
    await applyAndReadBack({ qa: TWO.qa!, qc: vlanNet(30, qos(50)) });
    const removed = await tcState();
    assert.equal(classOf(removed, '14'), undefined);
    assert.ok(!removed.filters.some((l) => /pref 20 /.test(l)));
    assert.equal(classOf(removed, 'a'), classOf(before, 'a'));
  });

  it('a class removed by hand is drift, healed by the next apply', async () => {
    const nets: Nets = { qa: TWO.qa!, qc: vlanNet(30, qos(50)) };
    const want = await tcState();
    await sh(vm, `tc filter del dev ${NIC} parent 1389: pref 30 && tc class del dev ${NIC} classid 1389:1e`);
    const s = await show();
    assert.equal((s.kernelConfig.networks.qc as { hostQos?: unknown }).hostQos, undefined, 'kernelConfig shows it gone');
    await applyAndReadBack(nets);
    assert.deepEqual(await tcState(), want);
  });

  it('a crash after the tc work is undone at the next start to exactly the tree before', async () => {
    const nets: Nets = { qa: TWO.qa!, qc: vlanNet(30, qos(50)) };
    const before = await tcState();
    const plan = await cli(['apply', '-f', '-', '--state-dir', STATE, '--dry-run'], JSON.stringify({ networks: { ...nets, qd: vlanNet(40, qos(70)) } }));
    assert.equal(plan.code, 0, plan.stderr);
    // Operations run phase by phase: the tc work (phase qos-add) comes right before the links go up.
    const ops = plan.stdout.split('\n').filter((l) => /^\s{8}\S/.test(l));
    assert.ok(ops.some((l) => /^\s+tc class replace .*1389:28 /.test(l)), plan.stdout);
    const after = ops.filter((l) => /^\s+ip link set dev \S+ up$/.test(l)).length;
    const crashed = await apply({ ...nets, qd: vlanNet(40, qos(70)) }, ['--test-crash-after-operation', String(ops.length - after)]);
    assert.notEqual(crashed.code, 0);
    assert.ok((await tcState()).classes.some((l) => l.startsWith('class hfsc 1389:28 ')), 'the crash came after the class');
    // The next apply recovers first (the journal's undo), then applies the spec it is given.
    await applyAndReadBack(nets);
    assert.deepEqual(await tcState(), before);
  });

  it('the last QoS network removed takes the qdisc with it: the kernel default is back', async () => {
    await applyAndReadBack({});
    const t = await tcState();
    assert.ok(t.qdiscs.every((l) => !/hfsc|fq_codel/.test(l)), t.qdiscs.join('\n'));
    assert.deepEqual(t.classes, []);
  });
});
