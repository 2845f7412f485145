// Host network QoS (VDSM hostQos): validation (each rule at its field, with its reason and
// source), canonical form, VDSM's HFSC layout as tc commands (checked on a model of the kernel's
// tree: the commands reach the wanted tree, their undo gives back exactly the tree there was),
// the plan's setHostQos steps, the compiler's tc operations, and the reading of tc's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, type ValidationFacts } from '../../src/plan/validate.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { applyPlanToConfig, invertPlan, plan } from '../../src/plan/plan.js';
import {
  buildTree,
  DEFAULT_MINOR,
  desiredTree,
  treeCommands,
  tcRateExact,
  tcTimeExact,
  type QosClass,
  type QosTree,
} from '../../src/model/host-qos.js';
import { parseClasses, parseFilters, parseQdiscs, parseTcRate, parseTcTime, treeOf } from '../../src/observe/tc.js';
import { compile, emptyOrigins } from '../../src/apply/compile/index.js';
import type { CompileFacts, LinkFact } from '../../src/apply/compile/facts.js';
import { describeOp } from '../../src/apply/ops.js';
import type { NetworkSpec } from '../../src/api/spec.js';
import type { RunningConfig } from '../../src/api/config.js';
import { kernelConfig } from '../../src/observe/kernel-config.js';
import { capabilities } from '../../src/observe/capabilities.js';

const HOST: ValidationFacts = { nics: ['eth1', 'eth2'], bonds: {}, qosMissing: [] };
const MBIT = 1_000_000;
const QOS = { out: { ls: { m1: 4 * MBIT, d: 100_000, m2: 3 * MBIT }, ul: { m2: 8 * MBIT } } };
const errs = (networks: Record<string, unknown>, host: ValidationFacts = HOST) =>
  validate({ networks }, { host }).map((e) => `${e.path}: ${e.message}`);

// ---- validation ----

test('valid: VDSM functional test configs (a VLAN and an untagged network, two VLANs sharing a NIC)', () => {
  assert.deepEqual(errs({ n1: { nic: 'eth1', vlan: 10, hostQos: QOS } }), []);
  assert.deepEqual(errs({ n1: { nic: 'eth1', hostQos: QOS, bridged: false } }), []);
  assert.deepEqual(
    errs({
      n1: { nic: 'eth1', hostQos: { out: { ls: { m2: MBIT } } } },
      n2: { nic: 'eth1', vlan: 10, hostQos: { out: { ls: { m2: 5 * MBIT } } } },
    }),
    [],
  );
});

test('ls is required, named at hostQos.out.ls with the engine rule and VDSM reason', () => {
  const e = errs({ n1: { nic: 'eth1', vlan: 10, hostQos: { out: { ul: { m2: 8 * MBIT } } } } });
  assert.equal(e.length, 1);
  assert.match(e[0]!, /^spec\.networks\.n1\.hostQos\.out\.ls: is required: the link share curve/);
  assert.match(e[0]!, /HostNetworkQosValidator\.requiredValuesPresent/);
});

test('a curve needs m2, and two zero slopes are refused (tc hfsc_get_sc)', () => {
  assert.deepEqual(errs({ n1: { nic: 'eth1', hostQos: { out: { ls: { m1: 8000, d: 100 } } } } }), [
    'spec.networks.n1.hostQos.out.ls.m2: is required: tc takes no service curve without its m2 slope',
  ]);
  assert.deepEqual(errs({ n1: { nic: 'eth1', hostQos: { out: { ls: { m2: 5 }, rt: { m1: 0, m2: 0 } } } } }), [
    'spec.networks.n1.hostQos.out.rt.m2: a service curve with two zero slopes is refused by tc',
  ]);
});

test('the upper limit must be at least the real time rate (engine valuesConsistent)', () => {
  const e = errs({
    n1: { nic: 'eth1', hostQos: { out: { ls: { m2: 5 }, rt: { m2: 8 * MBIT }, ul: { m2: 4 * MBIT } } } },
  });
  assert.equal(e.length, 1);
  assert.match(e[0]!, /^spec\.networks\.n1\.hostQos\.out\.ul\.m2: must be at least rt\.m2 \(8000000\)/);
  assert.match(e[0]!, /HostNetworkQosValidator\.valuesConsistent/);
  assert.deepEqual(
    errs({ n1: { nic: 'eth1', hostQos: { out: { ls: { m2: 5 }, rt: { m2: 8 * MBIT }, ul: { m2: 8 * MBIT } } } } }),
    [],
  );
});

test('hostQos needs a southbound, and not VLAN 0 (its class would be the root class 1389:0)', () => {
  assert.deepEqual(errs({ n1: { hostQos: QOS } }), [
    'spec.networks.n1.hostQos: hostQos needs a southbound device (nic or bonding): its class sits on it',
  ]);
  const e = errs({ n1: { nic: 'eth1', vlan: 0, hostQos: QOS } });
  assert.equal(e.length, 1);
  assert.match(e[0]!, /^spec\.networks\.n1\.hostQos: hostQos cannot be on VLAN 0/);
});

test('the networks of one NIC or bond have hostQos all or none (engine validateQosNotPartiallyConfigured)', () => {
  const e = errs({ n1: { nic: 'eth1', vlan: 10, hostQos: QOS }, n2: { nic: 'eth1', vlan: 20 }, n3: { nic: 'eth2' } });
  assert.equal(e.length, 1);
  assert.match(e[0]!, /^spec\.networks\.n2\.hostQos: is required: n1 on eth1 has hostQos/);
  assert.match(e[0]!, /HostSetupNetworksValidator\.validateQosNotPartiallyConfigured/);
});

test('a kernel without sch_hfsc refuses hostQos naming the field and the missing module', () => {
  const e = errs(
    { n1: { nic: 'eth1', hostQos: QOS }, n2: { nic: 'eth2' } },
    { ...HOST, qosMissing: ['em_meta', 'sch_hfsc'] },
  );
  assert.deepEqual(e, [
    'spec.networks.n1.hostQos: needs kernel support this node lacks: em_meta (the meta ematch (vlan)), sch_hfsc ' +
      '(the HFSC qdisc) not found loaded (/sys/module), built in or loadable (/lib/modules)',
  ]);
  // A spec without hostQos is not held to it.
  assert.deepEqual(errs({ n2: { nic: 'eth2' } }, { ...HOST, qosMissing: ['sch_hfsc'] }), []);
});

test('values tc would read back rounded are refused at their field; bounds come from the schema', () => {
  const at = (out: unknown) => errs({ n1: { nic: 'eth1', hostQos: { out } } });
  assert.match(
    at({ ls: { m2: 5 }, ul: { m2: 1_000_001 } })[0]!,
    /^spec\.networks\.n1\.hostQos\.out\.ul\.m2: must be a multiple of 8/,
  );
  assert.match(
    at({ ls: { m2: 5 }, ul: { m2: 3_000_008 } })[0]!,
    /^spec\.networks\.n1\.hostQos\.out\.ul\.m2: is not a rate tc reads back exactly/,
  );
  assert.match(
    at({ ls: { m2: 5, m1: 10, d: 123_456 } })[0]!,
    /^spec\.networks\.n1\.hostQos\.out\.ls\.d: is not a time tc reads back exactly/,
  );
  assert.match(
    at({ ls: { m2: 2 ** 33 } })[0]!,
    /^spec\.networks\.n1\.hostQos\.out\.ls\.m2: must be at most 4294967295/,
  );
  assert.match(at({ ls: { m2: -1 } })[0]!, /^spec\.networks\.n1\.hostQos\.out\.ls\.m2: /);
  assert.match(at({ ls: { m2: 5, x: 1 } })[0]!, /^spec\.networks\.n1\.hostQos\.out\.ls/);
  assert.match(errs({ n1: { nic: 'eth1', hostQos: { in: {} } } })[0]!, /^spec\.networks\.n1\.hostQos/);
});

test('tcRateExact and tcTimeExact follow print_rate and print_time', () => {
  for (const v of [0, 8, 800, 999_992, 3_000_000, 24_000_000, 1_000_000_000, 2_500_000_000])
    assert.ok(tcRateExact(v), `${v}`);
  for (const v of [4, 3_000_008, 1_000_008, 1_234_567_000]) assert.equal(tcRateExact(v), false, `${v}`);
  for (const v of [0, 999, 1000, 100_000, 123_400, 1_500_000]) assert.ok(tcTimeExact(v), `${v}`);
  for (const v of [1001, 123_456, 1_550_000]) assert.equal(tcTimeExact(v), false, `${v}`);
});

test('canonical hostQos: curves ls, rt, ul without zero fields (VDSM kernelconfig)', () => {
  const c = canonicalize({
    networks: { n1: { nic: 'eth1', hostQos: { out: { ul: { m1: 0, d: 0, m2: 8 * MBIT }, ls: { m1: 0, m2: 5 } } } } },
  });
  assert.deepEqual(c.networks.n1!.hostQos, { out: { ls: { m2: 5 }, ul: { m2: 8 * MBIT } } });
});

// ---- the layout and its commands, on a model of the kernel ----

type Model = { root: boolean; classes: Map<number, QosClass> };

/** What the commands do to a device's tree, as the kernel does it (a class deleted takes its leaf). */
function runTc(m: Model, cmds: readonly string[][]): void {
  for (const a of cmds) {
    const [obj, verb] = a;
    const minorOf = (id: string) => parseInt(id.split(':')[1]!, 16);
    if (obj === 'qdisc' && a.includes('root')) {
      m.root = verb === 'replace';
      m.classes.clear();
    } else if (obj === 'qdisc') m.classes.get(minorOf(a[a.indexOf('parent') + 1]!))!.leaf = true;
    else if (obj === 'class' && verb === 'replace') {
      assert.ok(m.root, `${a.join(' ')} on a device without the root`);
      const minor = minorOf(a[a.indexOf('classid') + 1]!);
      const i = a.indexOf('hfsc');
      const curves: Record<string, { m1: number; d: number; m2: number }> = {};
      for (let k = i + 1; k < a.length; k += 7)
        curves[a[k]!] = { m1: parseInt(a[k + 2]!), d: parseInt(a[k + 4]!), m2: parseInt(a[k + 6]!) };
      const had = m.classes.get(minor);
      m.classes.set(minor, { curves, leaf: had?.leaf ?? false, filter: had?.filter ?? false });
    } else if (obj === 'class') m.classes.delete(minorOf(a[a.indexOf('classid') + 1]!));
    else if (obj === 'filter') {
      const c = m.classes.get(Number(a[a.indexOf('pref') + 1]));
      if (c) c.filter = verb === 'replace';
      else assert.equal(verb, 'del', `${a.join(' ')}: no class`);
    }
  }
}

const toModel = (t: QosTree): Model => ({
  root: t.kind === 'hfsc',
  classes: new Map(t.kind === 'hfsc' ? Object.entries(t.classes).map(([k, v]) => [Number(k), structuredClone(v)]) : []),
});
const fromModel = (m: Model): QosTree =>
  m.root
    ? { kind: 'hfsc', classes: Object.fromEntries([...m.classes].sort(([a], [b]) => a - b)) }
    : { kind: 'default' };

/** The commands reach `want`; their undo, last first, gives back `kernel`. */
function roundTrip(kernel: QosTree, want: QosTree): string[][] {
  const cmds = treeCommands('eth1', kernel, want);
  const m = toModel(kernel);
  runTc(
    m,
    cmds.map((c) => c.args),
  );
  assert.deepEqual(fromModel(m), fromModel(toModel(want)));
  runTc(
    m,
    [...cmds].reverse().flatMap((c) => c.undo),
  );
  assert.deepEqual(fromModel(m), fromModel(toModel(kernel)));
  return cmds.map((c) => c.args);
}

const nets = (spec: Record<string, NetworkSpec>): RunningConfig['networks'] =>
  canonicalize({ networks: spec }).networks;
const LS = (m2: number) => ({ out: { ls: { m2 } } });

test("VDSM's layout: hfsc root 1389: default 1388, a class per VLAN tag, the default class, fq_codel leaves, filters", () => {
  const want = desiredTree(nets({ a: { nic: 'eth1', vlan: 10, hostQos: QOS } }), 'eth1');
  const cmds = roundTrip({ kind: 'default' }, want).map((a) => a.join(' '));
  assert.deepEqual(cmds, [
    'qdisc replace dev eth1 root handle 1389: hfsc default 1388',
    'class replace dev eth1 parent 1389: classid 1389:1388 hfsc ls m1 0bit d 0us m2 24000000bit',
    'qdisc replace dev eth1 parent 1389:1388 handle 1388: fq_codel',
    'filter replace dev eth1 parent 1389: protocol all pref 5000 u32 match u8 0 0 flowid 0x1388',
    'class replace dev eth1 parent 1389: classid 1389:a hfsc ls m1 32000000bit d 100000us m2 24000000bit ' +
      'ul m1 0bit d 0us m2 8000000bit',
    'qdisc replace dev eth1 parent 1389:a handle a: fq_codel',
    'filter replace dev eth1 parent 1389: protocol all pref 10 basic match meta(vlan eq 10) flowid 1389:a',
  ]);
});

test('the untagged network has the default class itself; a VLAN keyed by its tag in hex', () => {
  const t = desiredTree(
    nets({ u: { nic: 'eth1', hostQos: LS(1 * MBIT) }, v: { nic: 'eth1', vlan: 300, hostQos: LS(5 * MBIT) } }),
    'eth1',
  );
  assert.equal(t.kind, 'hfsc');
  if (t.kind !== 'hfsc') return;
  assert.deepEqual(Object.keys(t.classes).map(Number).sort(), [300, DEFAULT_MINOR]);
  assert.deepEqual(t.classes[DEFAULT_MINOR]!.curves, { ls: { m1: 0, d: 0, m2: 8 * MBIT } });
  assert.deepEqual(t.classes[300]!.curves, { ls: { m1: 0, d: 0, m2: 40 * MBIT } });
});

test('sharing a NIC: adding one adds only its class (the default class follows the largest share); removing one removes only its class; the last removes the qdisc', () => {
  const one = desiredTree(nets({ a: { nic: 'eth1', vlan: 10, hostQos: LS(100) } }), 'eth1');
  const two = desiredTree(
    nets({ a: { nic: 'eth1', vlan: 10, hostQos: LS(100) }, b: { nic: 'eth1', vlan: 20, hostQos: LS(300) } }),
    'eth1',
  );
  const add = roundTrip(one, two).map((a) => a.join(' '));
  assert.ok(
    add.every((l) => !/root/.test(l)),
    'the root qdisc stays',
  );
  assert.ok(
    add.some((l) => /classid 1389:14 hfsc/.test(l)),
    'class of VLAN 20',
  );
  assert.ok(
    add.every((l) => !/1389:a\b/.test(l)),
    'VLAN 10 untouched',
  );
  assert.ok(
    add.some((l) => /classid 1389:1388 hfsc ls m1 0bit d 0us m2 2400bit/.test(l)),
    'default class at the largest share',
  );
  const del = roundTrip(two, one).map((a) => a.join(' '));
  assert.ok(del.some((l) => l === 'filter del dev eth1 parent 1389: pref 20'));
  assert.ok(del.some((l) => l === 'class del dev eth1 classid 1389:14'));
  assert.ok(del.every((l) => !/root|1389:a\b/.test(l)));
  assert.deepEqual(roundTrip(one, { kind: 'default' }), [['qdisc', 'del', 'dev', 'eth1', 'root']]);
  assert.deepEqual(roundTrip(two, two), []);
});

test('changing one network rebuilds its class only; a class missing its leaf or filter is rebuilt; undo is exact', () => {
  const base = nets({ a: { nic: 'eth1', vlan: 10, hostQos: LS(100) }, b: { nic: 'eth1', vlan: 20, hostQos: LS(300) } });
  const t1 = desiredTree(base, 'eth1');
  const t2 = desiredTree(
    { ...base, a: { ...base.a!, hostQos: { out: { ls: { m2: 100 }, ul: { m2: 8 * MBIT } } } } },
    'eth1',
  );
  const ch = roundTrip(t1, t2).map((a) => a.join(' '));
  assert.ok(
    ch.every((l) => !/1389:14\b|pref 20\b|root/.test(l)),
    ch.join('\n'),
  );
  assert.ok(ch.some((l) => /classid 1389:a hfsc ls m1 0bit d 0us m2 800bit ul m1 0bit d 0us m2 8000000bit/.test(l)));
  if (t1.kind !== 'hfsc') return;
  const broken: QosTree = {
    kind: 'hfsc',
    classes: { ...t1.classes, 10: { ...t1.classes[10]!, filter: false, leaf: false } },
  };
  assert.ok(roundTrip(broken, t1).length > 0);
  assert.deepEqual(buildTree('eth1', t1)[0], [
    'qdisc',
    'replace',
    'dev',
    'eth1',
    'root',
    'handle',
    '1389:',
    'hfsc',
    'default',
    '1388',
  ]);
});

test("a root qdisc that is not the handler's is never replaced", () => {
  assert.throws(
    () =>
      treeCommands(
        'eth1',
        { kind: 'foreign', qdisc: 'netem 8001:' },
        desiredTree(nets({ a: { nic: 'eth1', hostQos: LS(5) } }), 'eth1'),
      ),
    /root qdisc the handler did not make: netem 8001:/,
  );
});

// ---- the plan and the compiler ----

test('plan: one setHostQos step per network change; applying the plan gives the desired config, its inverse the running one', () => {
  const r = canonicalize({
    networks: { a: { nic: 'eth1', vlan: 10, hostQos: LS(100) }, b: { nic: 'eth1', vlan: 20, hostQos: LS(300) } },
  });
  const d = canonicalize({
    networks: { a: { nic: 'eth1', vlan: 10, hostQos: LS(200) }, b: { nic: 'eth1', vlan: 20, hostQos: LS(300) } },
  });
  const p = plan(d, r);
  assert.deepEqual(
    p.map((s) => s.kind),
    ['setHostQos'],
  );
  assert.deepEqual(applyPlanToConfig(r, p), d);
  assert.deepEqual(applyPlanToConfig(d, invertPlan(p)), r);
  const added = plan(r, canonicalize({ networks: {} }));
  assert.deepEqual(
    added.map((s) => s.kind),
    ['addNetwork', 'addNetwork', 'setHostQos', 'setHostQos'],
  );
  assert.equal('hostQos' in (added[0] as { config: object }).config, false, 'addNetwork carries no QoS');
  assert.deepEqual(applyPlanToConfig(canonicalize({ networks: {} }), added), r);
  const removed = plan(canonicalize({ networks: {} }), r);
  assert.deepEqual(
    removed.map((s) => s.kind),
    ['setHostQos', 'setHostQos', 'removeNetwork', 'removeNetwork'],
  );
  assert.deepEqual(applyPlanToConfig(r, removed), canonicalize({ networks: {} }));
});

function facts(qos?: Record<string, QosTree>): CompileFacts {
  const nic = (name: string): LinkFact => ({
    name,
    kind: 'veth',
    mtu: 1500,
    hwaddr: '02:00:00:00:00:01',
    up: true,
    addresses: [],
  });
  return {
    links: { eth1: nic('eth1'), ...(qos ? { 'eth1.10': nic('eth1.10'), 'eth1.20': nic('eth1.20') } : {}) },
    routes: [],
    sysctls: { default: { accept_ra: '1', autoconf: '1', disable_ipv6: '0' } },
    resolv: undefined,
    ...(qos ? { qos } : {}),
  };
}

test('compile: the first setHostQos step on a device owns its tc operations (after the VLANs exist), each with its undo', () => {
  const empty = canonicalize({ networks: {} });
  const to = canonicalize({
    networks: { a: { nic: 'eth1', vlan: 10, hostQos: LS(100) }, b: { nic: 'eth1', vlan: 20, hostQos: LS(300) } },
  });
  const c = compile({ from: empty, to, host: facts(), origins: emptyOrigins(), resolvConf: '/tmp/resolv.conf' });
  const tc = c.ops.filter((p) => p.op.kind === 'tc');
  assert.equal(new Set(tc.map((p) => p.step)).size, 1, 'one step owns them');
  assert.equal(c.plan[tc[0]!.step]!.kind, 'setHostQos');
  assert.equal(describeOp(tc[0]!.op), 'tc qdisc replace dev eth1 root handle 1389: hfsc default 1388');
  assert.deepEqual(tc[0]!.undo, [{ kind: 'tc', args: ['qdisc', 'del', 'dev', 'eth1', 'root'], okIfMissing: true }]);
  const lastVlan = Math.max(
    ...c.ops.map((p, i) => (p.op.kind === 'ip' && /type vlan/.test(p.op.args.join(' ')) ? i : -1)),
  );
  assert.ok(c.ops.indexOf(tc[0]!) > lastVlan, 'tc after the VLAN devices');
  // Removing everything: one `qdisc del root`, undone by rebuilding the tree the kernel has.
  const back = compile({
    from: to,
    to: empty,
    host: facts({ eth1: desiredTree(to.networks, 'eth1') }),
    origins: emptyOrigins(),
    resolvConf: '/tmp/resolv.conf',
  });
  const del = back.ops.filter((p) => p.op.kind === 'tc');
  assert.deepEqual(
    del.map((p) => describeOp(p.op)),
    ['tc qdisc del dev eth1 root'],
  );
  assert.ok((del[0]!.undo as unknown[]).length >= 7);
  assert.ok(back.ops.indexOf(del[0]!) < back.ops.findIndex((p) => p.op.kind === 'ip'), 'before the VLANs go');
  assert.throws(
    () =>
      compile({
        from: empty,
        to,
        host: facts({ eth1: { kind: 'foreign', qdisc: 'tbf 8001:' } }),
        origins: emptyOrigins(),
        resolvConf: '/tmp/resolv.conf',
      }),
    /eth1 has a root qdisc the handler did not make: tbf 8001:/,
  );
});

// ---- reading tc back ----

const QDISCS = `qdisc noqueue 0: dev lo root refcnt 2
qdisc hfsc 1389: dev eth1 root refcnt 2 default 1388
qdisc fq_codel 1388: dev eth1 parent 1389:1388 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64
qdisc fq_codel a: dev eth1 parent 1389:a limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64
qdisc mq 0: dev eth0 root
qdisc netem 8001: dev eth2 root refcnt 2 limit 1000 delay 1ms
`;
const CLASSES = `class hfsc 1389: root
class hfsc 1389:1388 parent 1389: leaf 1388: ls m1 0bit d 0us m2 24Mbit
class hfsc 1389:a parent 1389: leaf a: ls m1 32Mbit d 100.0ms m2 24Mbit ul m1 0bit d 0us m2 8Mbit
class fq_codel a:1 parent a:
`;
const FILTERS = `filter protocol all pref 10 basic chain 0
filter protocol all pref 10 basic chain 0 handle 0x1 flowid 1389:a
  meta(vlan eq 10)
filter protocol all pref 5000 u32 chain 0
filter protocol all pref 5000 u32 chain 0 fh 800: ht divisor 1
filter protocol all pref 5000 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 *flowid :1388 not_in_hw
  match 00000000/00000000 at 0
`;

test("tc's text output parses back into the layout's tree; what does not parse does not count", () => {
  assert.equal(parseTcRate('24Mbit'), 24 * MBIT);
  assert.equal(parseTcRate('2400bit'), 2400);
  assert.equal(parseTcRate('24Mibit'), undefined);
  assert.equal(parseTcRate('1e9bit'), undefined);
  assert.equal(parseTcTime('100.0ms'), 100_000);
  assert.equal(parseTcTime('1.5s'), 1_500_000);
  assert.equal(parseTcTime('999us'), 999);
  assert.equal(parseTcTime('1.5us'), undefined);
  const q = parseQdiscs(QDISCS);
  assert.deepEqual(treeOf('eth0', q), { kind: 'default' });
  assert.deepEqual(treeOf('eth2', q), { kind: 'foreign', qdisc: 'netem 8001:' });
  assert.deepEqual(treeOf('eth9', q), { kind: 'default' });
  const t = treeOf('eth1', q, parseClasses(CLASSES), parseFilters(FILTERS));
  assert.deepEqual(t, desiredTree(nets({ a: { nic: 'eth1', vlan: 10, hostQos: QOS } }), 'eth1'));
  const bad = parseClasses(
    'class hfsc 1389:a parent 1389: leaf a: ls m1 x d 0us m2 24Mbit\nclass hfsc 1389:zz parent 1389:\n',
  );
  assert.deepEqual([...bad], [[10, {}]]);
  assert.deepEqual(
    [...parseFilters('filter protocol all pref 10 basic chain 0 handle 0x1 flowid 1389:a\n  meta(vlan eq 11)\n')],
    [],
  );
});

test("kernelConfig's hostQos has zero fields stripped (round-trips to the spec); capabilities report VDSM's shape", () => {
  const running = canonicalize({ networks: { a: { nic: 'eth1', vlan: 10, bridged: false, hostQos: QOS } } });
  const link = (name: string, extra: object) => ({
    name,
    ifindex: 2,
    kind: '',
    linkType: 'ether',
    hasDevice: true,
    mtu: 1500,
    hwaddr: '02:00:00:00:00:01',
    operstate: 'UP',
    flags: ['UP'],
    addresses: [],
    ...extra,
  });
  const host = {
    links: { eth1: link('eth1', {}), 'eth1.10': link('eth1.10', { kind: 'vlan', parent: 'eth1', vlanId: 10 }) },
    routes: [],
    nameservers: [],
    ipv6conf: {},
    sampleTime: 0,
    qos: { eth1: treeOf('eth1', parseQdiscs(QDISCS), parseClasses(CLASSES), parseFilters(FILTERS)) },
  } as unknown as Parameters<typeof kernelConfig>[0];
  const k = kernelConfig(host, running);
  assert.deepEqual(k.networks.a?.hostQos, running.networks.a!.hostQos);
  assert.deepEqual(capabilities(host, running).networks.a?.hostQos, {
    out: { ls: { m1: 4 * MBIT, d: 100_000, m2: 3 * MBIT }, ul: { m1: 0, d: 0, m2: 8 * MBIT } },
  });
});

test('a journal read back holds tc operations of the layout only (qdisc, class, filter, no control characters)', async () => {
  const { KernelOpSchema } = await import('../../src/persist/schemas.js');
  assert.ok(KernelOpSchema.safeParse({ kind: 'tc', args: ['qdisc', 'del', 'dev', 'eth1', 'root'], okIfMissing: true }).success);
  assert.equal(KernelOpSchema.safeParse({ kind: 'tc', args: ['action', 'add', 'mirred'] }).success, false);
  assert.equal(KernelOpSchema.safeParse({ kind: 'tc', args: ['qdisc', 'del\nexec'] }).success, false);
  assert.equal(KernelOpSchema.safeParse({ kind: 'tc', args: [] }).success, false);
});

test("a delete's object already gone: the messages Debian's tc 6.1 gives count as done", async () => {
  const { TC_MISSING } = await import('../../src/apply/kernel.js');
  // As `tc -batch` printed them on this machine (a veth, no qdisc of the layout).
  for (const m of [
    'RTNETLINK answers: No such file or directory',
    'Error: Cannot delete qdisc with handle of zero.',
    "Error: Parent Qdisc doesn't exists. We have an error talking to the kernel",
    'Error: Failed to find specified qdisc.',
  ])
    assert.match(m, TC_MISSING);
  assert.doesNotMatch('Error: Specified qdisc kind is unknown.', TC_MISSING);
  assert.doesNotMatch('RTNETLINK answers: Device or resource busy', TC_MISSING);
});
