// Many devices deleted as one link group (src/apply/compile/group-delete.ts): what the lowering
// emits, that it runs in the kernel model and undoes exactly after any prefix, and when it falls
// back to per-device deletes (a foreign device in, or possibly in, the group; a single delete).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningConfig } from '../../src/api/config.js';
import { DELETE_LINK_GROUP } from '../../src/api/constants.js';
import { compile, emptyOrigins, type Compiled } from '../../src/apply/compile/index.js';
import { deletedDevice, groupDeletes, GROUP_DELETE_MIN } from '../../src/apply/compile/group-delete.js';
import { undoSequence } from '../../src/apply/journal.js';
import { describeOp, ip, type KernelOp, type PlannedOp } from '../../src/apply/ops.js';
import { sysctlPath, SYSCTL_KEYS } from '../../src/apply/compile/facts.js';
import { parseLinkDump } from '../../src/observe/parse.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { DEFAULT_SYSCTLS, hostFacts, normalized, previousOp, runOp, type KState } from '../helpers/kernel-model.js';

const G = String(DELETE_LINK_GROUP);
const EMPTY: RunningConfig = { networks: {}, bondings: {} };
const RESOLV = '/etc/resolv.conf';

/** A node with one NIC; `foreign`: a bridge the handler does not own, in that group. */
function kernel(foreign?: string): KState {
  const k: KState = { links: {}, routes: [], rules: [], files: {}, dhcp: {}, resolv: null };
  for (const key of SYSCTL_KEYS) k.files[sysctlPath('default', key)] = DEFAULT_SYSCTLS[key]!;
  k.links.eth1 = { name: 'eth1', kind: 'nic', mtu: 1500, up: true, mac: '02:00:00:00:00:01', permMac: '02:00:00:00:00:01', macSet: false, addrs: [] };
  if (foreign !== undefined) runOp(k, ip('link', 'add', 'name', 'br-foreign', 'mtu', 1500, 'type', 'bridge', 'stp_state', 0));
  if (foreign !== undefined) runOp(k, ip('link', 'set', 'dev', 'br-foreign', 'group', foreign));
  return k;
}

/** n bridged networks: nicless ones, and one VLAN network on eth1 (a bridge and its VLAN port). */
function networks(n: number): RunningConfig {
  const nets: Record<string, object> = Object.fromEntries(Array.from({ length: n }, (_, i) => [`net${i}`, {}]));
  nets.vnet = { nic: 'eth1', vlan: 10 };
  return canonicalize({ networks: nets, bondings: {} });
}

function run(k: KState, c: Compiled, count = c.ops.length): KernelOp[][] {
  const undo: KernelOp[][] = [];
  for (const p of c.ops.slice(0, count)) {
    undo.push(p.undo === 'previous' ? previousOp(k, p.op) : p.undo);
    runOp(k, p.op);
  }
  return undo;
}

/** The kernel with `cfg` applied, and the removal of all of it compiled. */
function removal(cfg: RunningConfig, foreign?: string): { k: KState; c: Compiled } {
  const k = kernel(foreign);
  const made = compile({ from: EMPTY, to: cfg, host: hostFacts(k), origins: emptyOrigins(), resolvConf: RESOLV });
  run(k, made);
  return { k, c: compile({ from: cfg, to: EMPTY, host: hostFacts(k), origins: made.originsAfter, resolvConf: RESOLV }) };
}

const lines = (c: Compiled) => c.ops.map((p) => describeOp(p.op));

test('a removal of many devices moves each into the deletion group, then deletes the group once', () => {
  const { c } = removal(networks(3));
  const l = lines(c);
  const devices = ['net0', 'net1', 'net2', 'vnet', 'eth1.10'];
  assert.equal(l.filter((x) => x.startsWith('ip link del')).length, 1, l.join('\n'));
  const del = l.indexOf(`ip link del group ${G}`);
  for (const d of devices) assert.ok(l.indexOf(`ip link set dev ${d} group ${G}`) < del, `${d} is in the group before the delete`);
  const moves = c.ops.filter((p) => describeOp(p.op).endsWith(` group ${G}`) && describeOp(p.op).startsWith('ip link set'));
  assert.deepEqual(moves.map((p) => p.undo), devices.map((d) => [ip('link', 'set', 'dev', d, 'group', 'default')]), 'each move is undone to the group it had');
  // The group's undo makes the devices again last deleted first: the VLAN before the bridge it is a port of.
  const undo = c.ops[del]!.undo as KernelOp[];
  const made = undo.filter((o) => o.kind === 'ip' && o.args[1] === 'add').map((o) => (o as { args: string[] }).args.find((_, i, a) => a[i - 1] === 'name'));
  assert.deepEqual(made, ['eth1.10', 'vnet', 'net2', 'net1', 'net0']);
  assert.ok(c.ops[del]!.step >= 0 && c.ops[del]!.step < c.plan.length, 'the group delete belongs to a step');
});

test('the group removal runs in the kernel model, and its undo after every prefix gives the kernel back', () => {
  const { k, c } = removal(networks(4));
  const before = normalized(k);
  const done = structuredClone(k);
  run(done, c);
  assert.deepEqual(Object.keys(done.links), ['eth1'], 'every network device is gone');
  for (let n = 0; n <= c.ops.length; n++) {
    const k2 = structuredClone(k);
    for (const op of undoSequence(run(k2, c, n))) runOp(k2, op);
    assert.deepEqual(normalized(k2), before, `undo after ${n} of ${c.ops.length} operations`);
  }
});

test('a foreign device in the group, or in a named group that could be it, keeps the deletes per device', () => {
  for (const foreign of [G, 'lab-group']) {
    const { k, c } = removal(networks(3), foreign);
    const l = lines(c);
    assert.ok(!l.some((x) => x.includes(' group ')), `${foreign}: no group operation\n${l.join('\n')}`);
    assert.equal(l.filter((x) => /^ip link del dev /.test(x)).length, 5, `${foreign}: per-device deletes`);
    run(k, c);
    assert.equal(k.links['br-foreign']?.group, foreign, 'the foreign device stays');
  }
  // Another numeric group is not ours.
  const { k, c } = removal(networks(3), '7');
  assert.ok(lines(c).includes(`ip link del group ${G}`));
  run(k, c);
  assert.deepEqual(Object.keys(k.links).sort(), ['br-foreign', 'eth1']);
});

test('a deleted device in a group of its own gets it back from the undo', () => {
  const { k } = removal(networks(2));
  runOp(k, ip('link', 'set', 'dev', 'net1', 'group', '7'));
  const c = compile({ from: networks(2), to: EMPTY, host: hostFacts(k), origins: emptyOrigins(), resolvConf: RESOLV });
  const move = c.ops.find((p) => describeOp(p.op) === `ip link set dev net1 group ${G}`);
  assert.deepEqual(move?.undo, [ip('link', 'set', 'dev', 'net1', 'group', '7')]);
  const before = normalized(k);
  for (const op of undoSequence(run(k, c))) runOp(k, op);
  assert.deepEqual(normalized(k), before);
  assert.equal(k.links.net1?.group, '7');
});

test(`fewer than ${GROUP_DELETE_MIN} deletions stay per device; other operations break a run`, () => {
  const del = (dev: string, step = 0): PlannedOp => ({ op: ip('link', 'del', 'dev', dev), undo: [ip('link', 'add', 'name', dev, 'type', 'bridge')], step });
  const other: PlannedOp = { op: ip('link', 'set', 'dev', 'eth1', 'nomaster'), undo: [], step: 1 };
  const h = hostFacts(kernel());
  assert.deepEqual(groupDeletes([del('a')], h), [del('a')]);
  // a | other | b, c: the lone a stays, b and c are grouped.
  const out = groupDeletes([del('a'), other, del('b', 2), del('c', 3)], h).map((p) => describeOp(p.op));
  assert.deepEqual(out, ['ip link del dev a', 'ip link set dev eth1 nomaster', `ip link set dev b group ${G}`, `ip link set dev c group ${G}`, `ip link del group ${G}`]);
  assert.equal(deletedDevice({ op: ip('link', 'del', 'group', G), undo: [], step: 0 }), undefined, 'a group delete is not a device delete');
  assert.equal(deletedDevice({ ...del('x'), bestEffort: true }), undefined, 'a best-effort delete stays as it is');
});

test('the deletion group is one iproute2 accepts (1…2^31-1: `ip` refuses larger groups as invalid)', () => {
  assert.ok(Number.isInteger(DELETE_LINK_GROUP) && DELETE_LINK_GROUP >= 1 && DELETE_LINK_GROUP <= 2 ** 31 - 1, String(DELETE_LINK_GROUP));
});

test('the kernel model refuses what the kernel refuses of link groups', () => {
  const k = kernel();
  assert.throws(() => runOp(k, ip('link', 'del', 'group', 'default')), /Operation not permitted/);
  assert.throws(() => runOp(k, ip('link', 'del', 'group', G)), /No such device/);
  runOp(k, ip('link', 'add', 'link', 'eth1', 'name', 'eth1.5', 'mtu', 1500, 'type', 'vlan', 'id', 5));
  runOp(k, ip('link', 'set', 'dev', 'eth1.5', 'group', G));
  runOp(k, ip('link', 'del', 'group', G));
  assert.deepEqual(Object.keys(k.links), ['eth1']);
});

test('the link dump gives a device\'s group, none for the default group', () => {
  const dump = JSON.stringify([
    { ifindex: 1, ifname: 'a', flags: [], mtu: 1500, operstate: 'UP', group: 'default' },
    { ifindex: 2, ifname: 'b', flags: [], mtu: 1500, operstate: 'UP', group: G },
  ]);
  const [a, b] = parseLinkDump(dump);
  assert.equal(a?.group, undefined);
  assert.equal(b?.group, G);
});
