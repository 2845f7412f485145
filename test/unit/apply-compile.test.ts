// The kernel work of a transaction (src/apply/compile.ts): order the kernel requires, undo of
// every operation, NIC give-back, default route hand-over, attribution to the plan's steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningConfig } from '../../src/api/config.js';
import type { NetworkSpec, BondSpec } from '../../src/api/spec.js';
import { compile, emptyOrigins, legacyRouteTable, TABLE_BASE, type Compiled, type Origins } from '../../src/apply/compile/index.js';
import { resolvContent } from '../../src/util/resolv.js';
import type { CompileFacts, LinkFact } from '../../src/apply/compile/facts.js';
import { describeOp, type KernelOp } from '../../src/apply/ops.js';
import { canonicalize } from '../../src/plan/canonicalize.js';

const EMPTY: RunningConfig = { networks: {}, bondings: {} };
/** conf/default as Debian ships it: what a new device starts with. */
const DEFAULT_SYSCTLS = { accept_ra: '1', autoconf: '1', disable_ipv6: '0' };

function cfg(networks: Record<string, NetworkSpec> = {}, bondings: Record<string, BondSpec> = {}): RunningConfig {
  return canonicalize({ networks, bondings });
}

function nic(name: string, extra: Partial<LinkFact> = {}): LinkFact {
  const n = Number(name.replace(/\D/g, '')) || 1;
  return { name, kind: 'veth', mtu: 1500, hwaddr: `02:00:00:00:00:0${n}`, up: true, addresses: [], ...extra };
}

function host(links: LinkFact[] = [nic('eth1'), nic('eth2')], extra: Partial<CompileFacts> = {}): CompileFacts {
  return {
    links: Object.fromEntries(links.map((l) => [l.name, l])), routes: [], sysctls: { default: { ...DEFAULT_SYSCTLS } },
    resolv: 'nameserver 192.0.2.53\n', ...extra,
  };
}

function run(from: RunningConfig, to: RunningConfig, h = host(), origins: Origins = emptyOrigins()): Compiled {
  return compile({ from, to, host: h, origins, resolvConf: '/tmp/resolv.conf' });
}

const lines = (c: Compiled): string[] => c.ops.map((p) => describeOp(p.op));
const indexOf = (c: Compiled, re: RegExp): number => {
  const i = lines(c).findIndex((l) => re.test(l));
  assert.ok(i >= 0, `no operation matches ${re}:\n${lines(c).join('\n')}`);
  return i;
};

test('a bond is created with its mode, then its NICs go down and are enslaved, then it comes up', () => {
  const to = cfg({}, { bond1: { nics: ['eth2', 'eth1'], options: 'mode=802.3ad miimon=150 lacp_rate=fast' } });
  const c = run(EMPTY, to);
  const add = indexOf(c, /^ip link add name bond1 mtu 1500 type bond mode 4 /);
  assert.match(lines(c)[add]!, /lacp_rate 1 miimon 150/);
  for (const n of ['eth1', 'eth2']) {
    const down = indexOf(c, new RegExp(`^ip link set dev ${n} down$`));
    const master = indexOf(c, new RegExp(`^ip link set dev ${n} master bond1$`));
    assert.ok(add < down && down < master, `${n}: add < down < master`);
  }
  assert.ok(indexOf(c, /^ip link set dev eth1 master bond1$/) < indexOf(c, /^ip link set dev eth2 master bond1$/), 'slaves in sorted order');
  assert.ok(indexOf(c, /^ip link set dev bond1 up$/) > indexOf(c, /^ip link set dev eth2 master bond1$/));
  // The bond carries no network: IPv6 off on it.
  indexOf(c, /^write 1 > \/proc\/sys\/net\/ipv6\/conf\/bond1\/disable_ipv6$/);
  // Origins of the NICs are recorded for when the handler gives them back.
  assert.deepEqual(c.originsAfter.nics.eth1, { mtu: 1500, hwaddr: '02:00:00:00:00:01', up: true });
});

test('MTU: lower devices rise before upper ones and fall after them', () => {
  const small = cfg({ net1: { bonding: 'bond1', vlan: 10, mtu: 1500 } }, { bond1: { nics: ['eth1'], options: 'mode=1' } });
  const big = cfg({ net1: { bonding: 'bond1', vlan: 10, mtu: 9000 } }, { bond1: { nics: ['eth1'], options: 'mode=1' } });
  const links = [nic('eth1', { master: 'bond1' }), { ...nic('bond1'), kind: 'bond' }, { ...nic('bond1.10'), kind: 'vlan' }, { ...nic('net1'), kind: 'bridge' }];
  const up = run(small, big, host(links));
  const order = ['bond1', 'bond1.10', 'net1'].map((d) => indexOf(up, new RegExp(`^ip link set dev ${d.replace('.', '\\.')} mtu 9000$`)));
  assert.deepEqual([...order].sort((a, b) => a - b), order, 'raised lower first');
  const linksBig = links.map((l) => ({ ...l, mtu: 9000 }));
  const down = run(big, small, host(linksBig));
  const order2 = ['net1', 'bond1.10', 'bond1'].map((d) => indexOf(down, new RegExp(`^ip link set dev ${d.replace('.', '\\.')} mtu 1500$`)));
  assert.deepEqual([...order2].sort((a, b) => a - b), order2, 'lowered upper first');
  // The bond's slaves follow the bond; they get no MTU of their own.
  assert.ok(!lines(up).some((l) => l.startsWith('ip link set dev eth1 mtu')));
  // Each MTU change is undone with the MTU the device had.
  const undo = up.ops[order[0]!]!.undo as KernelOp[];
  assert.deepEqual(undo.map(describeOp), ['ip link set dev bond1 mtu 1500']);
});

test('a southbound gets the largest MTU of its networks and a new VLAN is created after the raise', () => {
  const to = cfg({ a: { nic: 'eth1', vlan: 10, mtu: 9000 }, b: { nic: 'eth1', vlan: 20, mtu: 1500 } });
  const c = run(EMPTY, to);
  const raise = indexOf(c, /^ip link set dev eth1 mtu 9000$/);
  assert.ok(raise < indexOf(c, /^ip link add link eth1 name eth1\.10 mtu 9000 type vlan id 10$/));
  indexOf(c, /^ip link add link eth1 name eth1\.20 mtu 1500 type vlan id 20$/);
  // bridge a gets eth1.10 as port, after both exist, then comes up.
  assert.ok(indexOf(c, /^ip link set dev eth1\.10 master a$/) > indexOf(c, /^ip link add name a mtu 9000 type bridge stp_state 0$/));
});

test('sysctls are written after the device exists and before it comes up; only what differs from a new device\'s defaults', () => {
  const to = cfg({ v4: { ipaddr: '192.0.2.2', prefix: 24 }, v6: { ipv6addr: '2001:db8::2/64' }, auto: { ipv6autoconf: true } });
  const c = run(EMPTY, to);
  for (const [n, key] of [['v4', 'disable_ipv6'], ['v6', 'autoconf'], ['auto', 'accept_ra']]) {
    const add = indexOf(c, new RegExp(`^ip link add name ${n} `));
    const sys = indexOf(c, new RegExp(`conf/${n}/${key}$`));
    const up = indexOf(c, new RegExp(`^ip link set dev ${n} up$`));
    assert.ok(add < sys && sys < up, n);
  }
  const writes = lines(c).filter((l) => l.startsWith('write'));
  assert.deepEqual(writes, [
    'write 1 > /proc/sys/net/ipv6/conf/v4/disable_ipv6',
    'write 0 > /proc/sys/net/ipv6/conf/v6/accept_ra',
    'write 0 > /proc/sys/net/ipv6/conf/v6/autoconf',
    'write 2 > /proc/sys/net/ipv6/conf/auto/accept_ra',
  ].sort((a, b) => lines(c).indexOf(a) - lines(c).indexOf(b)));
  assert.ok(indexOf(c, /^ip addr add 2001:db8::2\/64 dev v6$/) > indexOf(c, /conf\/v6\/autoconf$/));
});

test('IPv6 off on an existing device reads like a new one; a kernel without IPv6 gets no sysctl writes', () => {
  const on = cfg({ n: { ipv6addr: '2001:db8::2/64' } });
  const off = cfg({ n: {} });
  const c = run(on, off, host([{ ...nic('n'), kind: 'bridge' }]));
  assert.deepEqual(lines(c).filter((l) => l.startsWith('write')), [
    'write 1 > /proc/sys/net/ipv6/conf/n/accept_ra',
    'write 1 > /proc/sys/net/ipv6/conf/n/autoconf',
    'write 1 > /proc/sys/net/ipv6/conf/n/disable_ipv6',
  ]);
  const noIpv6 = run(EMPTY, on, host([], { sysctls: {} }));
  assert.deepEqual(lines(noIpv6).filter((l) => l.startsWith('write')), []);
});

test('removing a bond gives its NICs back their MAC, MTU and up state; the undo re-creates it', () => {
  const from = cfg({}, { bond1: { nics: ['eth1'], options: 'mode=1 miimon=100', hwaddr: '02:aa:00:00:00:01' } });
  const links = [nic('eth1', { master: 'bond1', hwaddr: '02:aa:00:00:00:01', permHwaddr: '02:00:00:00:00:01', mtu: 9000 }), { ...nic('bond1'), kind: 'bond', mtu: 9000, hwaddr: '02:aa:00:00:00:01' }];
  const origins: Origins = { nics: { eth1: { mtu: 1400, hwaddr: '02:00:00:00:00:01', up: true } }, displacedDefault: [] };
  const c = run(from, EMPTY, host(links), origins);
  assert.deepEqual(lines(c), ['ip link del dev bond1', 'ip link set dev eth1 mtu 1400', 'ip link set dev eth1 up']);
  const recreate = (c.ops[0]!.undo as KernelOp[]).map(describeOp);
  assert.deepEqual(recreate, [
    'ip link add name bond1 mtu 9000 type bond mode 1 miimon 100',
    'ip link set dev bond1 address 02:aa:00:00:00:01',
    'write 1 > /proc/sys/net/ipv6/conf/bond1/disable_ipv6',
    'ip link set dev eth1 down',
    'ip link set dev eth1 master bond1',
    'ip link set dev bond1 up',
  ]);
  assert.deepEqual(c.originsAfter.nics, {});
});

test('a mode change takes the bond down, releases every slave (last first, so an undo enslaves them in order), changes the mode and enslaves them again', () => {
  const from = cfg({}, { bond1: { nics: ['eth1', 'eth2'], options: 'mode=1 miimon=100' } });
  const to = cfg({}, { bond1: { nics: ['eth1', 'eth2'], options: 'mode=4' } });
  const links = [nic('eth1', { master: 'bond1' }), nic('eth2', { master: 'bond1' }), { ...nic('bond1'), kind: 'bond' }];
  const c = run(from, to, host(links));
  assert.deepEqual(lines(c), [
    'ip link set dev bond1 down',
    'ip link set dev eth2 nomaster',
    'ip link set dev eth1 nomaster',
    'ip link set dev bond1 type bond mode 4',
    'ip link set dev eth1 down',
    'ip link set dev eth1 master bond1',
    'ip link set dev eth2 down',
    'ip link set dev eth2 master bond1',
    'ip link set dev bond1 up',
  ]);
  // miimon=100 is also mode 4's default, so only the mode changes, and back.
  assert.deepEqual((c.ops[3]!.undo as KernelOp[]).map(describeOp), ['ip link set dev bond1 type bond mode 1']);
  // From a mode whose miimon default is 0, the kernel's own 802.3ad default is written explicitly.
  const from0 = cfg({}, { bond1: { nics: ['eth1', 'eth2'], options: 'mode=1' } });
  const c0 = run(from0, to, host(links));
  assert.ok(lines(c0).includes('ip link set dev bond1 type bond mode 4 miimon 100'));
});

test('options dropped from a bond are reset to the mode\'s default', () => {
  const from = cfg({}, { bond1: { nics: ['eth1'], options: 'mode=1 miimon=100 updelay=200' } });
  const to = cfg({}, { bond1: { nics: ['eth1'], options: 'mode=1 miimon=100' } });
  const c = run(from, to, host([nic('eth1', { master: 'bond1' }), { ...nic('bond1'), kind: 'bond' }]));
  assert.deepEqual(lines(c), ['ip link set dev bond1 type bond updelay 0']);
});

test('the default route moves: the old one goes before the new one comes', () => {
  const a = { ipaddr: '192.0.2.2', prefix: 24, gateway: '192.0.2.1' };
  const b = { ipaddr: '198.51.100.2', prefix: 24, gateway: '198.51.100.1' };
  const from = cfg({ na: { ...a, defaultRoute: true }, nb: b });
  const to = cfg({ na: a, nb: { ...b, defaultRoute: true } });
  const c = run(from, to, host([{ ...nic('na'), kind: 'bridge' }, { ...nic('nb'), kind: 'bridge' }]));
  const del = indexOf(c, /^ip route del 0\.0\.0\.0\/0 via 192\.0\.2\.1 dev na proto static$/);
  const add = indexOf(c, /^ip route replace 0\.0\.0\.0\/0 via 198\.51\.100\.1 dev nb proto static$/);
  assert.ok(del < add);
  // na keeps its gateway in a table of its own (source routing: the first free id), nb leaves
  // its table (none recorded: the previous version's, which it adopts).
  indexOf(c, new RegExp(`^ip route replace 0\\.0\\.0\\.0/0 via 192\\.0\\.2\\.1 dev na table ${TABLE_BASE} proto static$`));
  indexOf(c, new RegExp(`^ip rule add from 192\\.0\\.2\\.2/32 table ${TABLE_BASE} priority 32000$`));
  indexOf(c, new RegExp(`^ip rule del from 198\\.51\\.100\\.2/32 table ${legacyRouteTable('nb')} priority 32000$`));
  assert.deepEqual(c.originsAfter.routeTables, { na: TABLE_BASE });
});

test('a default route that is not the handler\'s is displaced, and given back when no network holds it', () => {
  const foreign = { family: 4 as const, dst: 'default', gateway: '10.0.0.1', dev: 'eth0', table: 'main', type: 'unicast', protocol: 'static' };
  const to = cfg({ net1: { ipaddr: '192.0.2.2', prefix: 24, gateway: '192.0.2.1', defaultRoute: true } });
  const h = host([nic('eth0')], { routes: [foreign] });
  const c = run(EMPTY, to, h);
  const del = indexOf(c, /^ip route del 0\.0\.0\.0\/0 via 10\.0\.0\.1 dev eth0 proto static$/);
  assert.ok(del < indexOf(c, /^ip route replace 0\.0\.0\.0\/0 via 192\.0\.2\.1 dev net1/));
  assert.deepEqual(c.originsAfter.displacedDefault, [{ family: 4, dev: 'eth0', gateway: '10.0.0.1', protocol: 'static' }]);
  const back = run(to, EMPTY, host([nic('eth0'), { ...nic('net1'), kind: 'bridge' }]), c.originsAfter);
  const give = back.ops.find((p) => describeOp(p.op) === 'ip route replace 0.0.0.0/0 via 10.0.0.1 dev eth0 proto static');
  assert.ok(give?.bestEffort, 'given back, best effort');
  assert.deepEqual(back.originsAfter.displacedDefault, []);
});

test('DHCP: clients stop before their device goes and start after it is up; a changed default route restarts them', () => {
  const dhcp = cfg({ net1: { nic: 'eth1', bootproto: 'dhcp', defaultRoute: true } });
  const c = run(EMPTY, dhcp);
  assert.ok(indexOf(c, /^start DHCPv4 client on net1$/) > indexOf(c, /^ip link set dev net1 up$/));
  assert.deepEqual(c.dhcpStarted, [{ network: 'net1', dev: 'net1', family: 4, defaultRoute: true }]);
  const noDefault = cfg({ net1: { nic: 'eth1', bootproto: 'dhcp' } });
  const r = run(dhcp, noDefault, host([nic('eth1', { master: 'net1' }), { ...nic('net1'), kind: 'bridge' }]));
  assert.deepEqual(lines(r), ['stop DHCPv4 client on net1', 'start DHCPv4 client on net1']);
  const gone = run(dhcp, EMPTY, host([nic('eth1', { master: 'net1' }), { ...nic('net1'), kind: 'bridge' }]));
  assert.ok(indexOf(gone, /^stop DHCPv4 client on net1$/) < indexOf(gone, /^ip link del dev net1$/));
});

test('resolv.conf is written only when the default-route network names resolvers the file lacks', () => {
  const withNs = cfg({ net1: { ipaddr: '192.0.2.2', prefix: 24, gateway: '192.0.2.1', defaultRoute: true, nameservers: ['192.0.2.53', '192.0.2.54'] } });
  const c = run(EMPTY, withNs, host([], { resolv: 'search example.org\nnameserver 192.0.2.53\n' }));
  const w = c.ops.find((p) => p.op.kind === 'file');
  assert.deepEqual(w?.op, { kind: 'file', path: '/tmp/resolv.conf', content: 'search example.org\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n' });
  assert.equal(w?.undo, 'previous');
  const same = run(EMPTY, withNs, host([], { resolv: 'nameserver 192.0.2.53\nnameserver 192.0.2.54\n' }));
  assert.ok(!same.ops.some((p) => p.op.kind === 'file'));
  assert.ok(!run(EMPTY, cfg({ n: { ipaddr: '192.0.2.2', prefix: 24 } })).ops.some((p) => p.op.kind === 'file'));
  assert.equal(resolvContent(undefined, ['::1']), 'nameserver ::1\n');
});

test('every operation is attributed to the plan step it carries out', () => {
  const to = cfg({ net1: { bonding: 'bond1', vlan: 7, mtu: 9000 } }, { bond1: { nics: ['eth1'], options: 'mode=1' } });
  const c = run(EMPTY, to);
  const stepOf = (re: RegExp) => c.units[c.ops[indexOf(c, re)]!.step];
  assert.match(stepOf(/^ip link add name bond1 /)!, /^add bond bond1/);
  // A new bond is created with its MTU (the plan's setMtu step then needs no operation of its own).
  indexOf(c, /^ip link add name bond1 mtu 9000 type bond mode 1$/);
  assert.match(stepOf(/^ip link add link bond1 name bond1\.7 /)!, /^add network net1/);
  assert.equal(c.plan.length, c.units.length, 'no work outside the plan');
});

test('nothing to do when from and to are equal', () => {
  const c = cfg({ net1: { nic: 'eth1', ipaddr: '192.0.2.2', prefix: 24 } }, { bond1: { nics: ['eth2'] } });
  assert.deepEqual(run(c, c, host([nic('eth1', { master: 'net1' }), nic('eth2', { master: 'bond1' }), { ...nic('net1'), kind: 'bridge' }, { ...nic('bond1'), kind: 'bond' }])).ops, []);
});

test('a VLAN device name that would exceed 15 characters is shortened', () => {
  const c = run(EMPTY, cfg({ n: { nic: 'enp0s31f6long', vlan: 4000, bridged: false } }), host([nic('enp0s31f6long')]));
  const add = lines(c).find((l) => l.startsWith('ip link add link'))!;
  const name = /name (\S+)/.exec(add)![1]!;
  assert.ok(name.length <= 15 && name.endsWith('.4000'), name);
});

test('bond options the new mode refuses are reset before the mode changes, once the bond is down and without slaves; the undo mirrors it', () => {
  const lacp = cfg({}, { bond1: { nics: ['eth1'], options: 'mode=4 lacp_rate=fast' } });
  const ab = cfg({}, { bond1: { nics: ['eth1'], options: 'mode=1 miimon=100' } });
  const links = [nic('eth1', { master: 'bond1' }), { ...nic('bond1'), kind: 'bond' }];
  const c = run(lacp, ab, host(links));
  assert.deepEqual(lines(c), [
    'ip link set dev bond1 down',
    'ip link set dev eth1 nomaster',
    'ip link set dev bond1 type bond lacp_rate 0',
    'ip link set dev bond1 type bond mode 1',
    'ip link set dev eth1 down',
    'ip link set dev eth1 master bond1',
    'ip link set dev bond1 up',
  ]);
  const back = run(ab, lacp, host(links));
  const modeOp = back.ops.find((p) => describeOp(p.op).includes('mode 4'))!;
  assert.equal(describeOp(modeOp.op), 'ip link set dev bond1 type bond mode 4 lacp_rate 1');
  assert.deepEqual((modeOp.undo as KernelOp[]).map(describeOp), ['ip link set dev bond1 type bond lacp_rate 0', 'ip link set dev bond1 type bond mode 1']);
});

test('clearing primary (not an ip option once empty) before a mode switch goes through sysfs', () => {
  const ab = cfg({}, { bond1: { nics: ['eth1', 'eth2'], options: 'mode=1 primary=eth2' } });
  const lacp = cfg({}, { bond1: { nics: ['eth1', 'eth2'], options: 'mode=4' } });
  const links = [nic('eth1', { master: 'bond1' }), nic('eth2', { master: 'bond1' }), { ...nic('bond1'), kind: 'bond' }];
  const c = run(ab, lacp, host(links));
  assert.ok(!lines(c).includes('ip link set dev bond1 type bond'), 'no empty option line');
  const clear = indexOf(c, /^write \n > \/sys\/class\/net\/bond1\/bonding\/primary$/);
  assert.ok(clear < indexOf(c, /^ip link set dev bond1 type bond mode 4/));
  assert.equal(c.ops[clear]!.undo, 'previous');
});

test('removing a bridgeless network whose address the NIC had before gives that address back after deleting it', () => {
  // The management case: eth0 carried 10.88.0.11/24, a network took eth0 with the same address;
  // removing the network must leave eth0 with its address, not without one.
  const from = cfg({ mgmt: { nic: 'eth0', bridged: false, bootproto: 'none', ipaddr: '10.88.0.11', netmask: '255.255.255.0' } });
  const links = [nic('eth0', { addresses: [{ family: 'inet', local: '10.88.0.11', prefixlen: 24, scope: 'global', dynamic: false, secondary: false }] })];
  const origins: Origins = { nics: { eth0: { mtu: 1500, hwaddr: '02:00:00:00:00:01', up: true, addresses: ['10.88.0.11/24'] } }, displacedDefault: [] };
  const c = run(from, EMPTY, host(links), origins);
  const del = indexOf(c, /^ip addr del 10\.88\.0\.11\/24 dev eth0$/);
  const add = indexOf(c, /^ip addr add 10\.88\.0\.11\/24 dev eth0$/);
  assert.ok(del < add, lines(c).join('\n'));
});

test('a NIC taken with its address keeps its own routes: undone after the address comes back, given back on release', () => {
  // A service range via the management gateway: the kernel drops it with eth0's last address.
  const svc = { family: 4 as const, dst: '10.96.0.0/24', gateway: '10.88.0.1', dev: 'eth0', table: 'main', type: 'unicast', protocol: 'boot' };
  const connected = { family: 4 as const, dst: '10.88.0.0/24', dev: 'eth0', table: 'main', type: 'unicast', protocol: 'kernel' };
  const eth0 = nic('eth0', { addresses: [{ family: 'inet', local: '10.88.0.11', prefixlen: 24, scope: 'global', dynamic: false, secondary: false }] });
  const to = cfg({ mgmt: { nic: 'eth0', bridged: true, bootproto: 'none', ipaddr: '10.88.0.11', prefix: 24 } });
  const c = run(EMPTY, to, host([eth0], { routes: [svc, connected] }));
  assert.deepEqual(c.originsAfter.nics.eth0?.routes, [{ family: 4, dst: '10.96.0.0/24', gateway: '10.88.0.1', protocol: 'boot' }], 'the kernel\'s connected route is not recorded');
  const del = c.ops.find((p) => describeOp(p.op) === 'ip addr del 10.88.0.11/24 dev eth0')!;
  assert.deepEqual((del.undo as KernelOp[]).map(describeOp), ['ip addr add 10.88.0.11/24 dev eth0', 'ip route replace 10.96.0.0/24 via 10.88.0.1 dev eth0 proto boot']);
  const back = run(to, EMPTY, host([nic('eth0', { master: 'mgmt' }), { ...nic('mgmt'), kind: 'bridge' }]), c.originsAfter);
  const addAddr = indexOf(back, /^ip addr add 10\.88\.0\.11\/24 dev eth0$/);
  const addRoute = indexOf(back, /^ip route replace 10\.96\.0\.0\/24 via 10\.88\.0\.1 dev eth0 proto boot$/);
  assert.ok(addAddr < addRoute, 'the route after its address');
  assert.ok(back.ops[addRoute]!.bestEffort);
});

test('a NIC\'s own routes follow it onto the network that carries it directly (bridgeless or its bridge), best effort', () => {
  const svc = { family: 4 as const, dst: '10.96.0.0/24', gateway: '10.88.0.1', dev: 'eth0', table: 'main', type: 'unicast', protocol: 'boot' };
  const eth0 = nic('eth0', { addresses: [{ family: 'inet', local: '10.88.0.11', prefixlen: 24, scope: 'global', dynamic: false, secondary: false }] });
  for (const [bridged, dev] of [[false, 'eth0'], [true, 'mgmt']] as const) {
    const to = cfg({ mgmt: { nic: 'eth0', bridged, bootproto: 'none', ipaddr: '10.88.0.11', prefix: 24 } });
    const c = run(EMPTY, to, host([eth0], { routes: [svc] }));
    const i = indexOf(c, new RegExp(`^ip route replace 10\\.96\\.0\\.0/24 via 10\\.88\\.0\\.1 dev ${dev} proto boot$`));
    assert.ok(i > indexOf(c, new RegExp(`^ip addr add 10\\.88\\.0\\.11/24 dev ${dev}$`)), 'after the address');
    assert.ok(c.ops[i]!.bestEffort);
    assert.deepEqual((c.ops[i]!.undo as KernelOp[]).map(describeOp), [`ip route del 10.96.0.0/24 via 10.88.0.1 dev ${dev}`]);
  }
  // A VLAN network on the NIC does not carry it directly: nothing moves.
  const vlan = run(EMPTY, cfg({ v: { nic: 'eth0', vlan: 5, bridged: false, bootproto: 'none', ipaddr: '10.5.0.1', prefix: 24 } }), host([eth0], { routes: [svc] }));
  assert.ok(!lines(vlan).some((l) => l.startsWith('ip route replace 10.96.0.0/24')));
});

test('a bond taken down for a mode change gets back the IPv6 address and routes of the network on it', () => {
  const net = { bonding: 'bond1', bridged: false, ipv6addr: '2001:db8:1::2/64', ipaddr: '192.0.2.2', prefix: 24, gateway: '192.0.2.1' };
  const from = cfg({ net1: net }, { bond1: { nics: ['eth1'], options: 'mode=1' } });
  const to = cfg({ net1: net }, { bond1: { nics: ['eth1'], options: 'mode=4' } });
  const c = run(from, to, host([nic('eth1', { master: 'bond1' }), { ...nic('bond1'), kind: 'bond' }]));
  const down = indexOf(c, /^ip link set dev bond1 down$/);
  const up = indexOf(c, /^ip link set dev bond1 up$/);
  assert.ok(up < indexOf(c, /^ip addr add 2001:db8:1::2\/64 dev bond1$/), 'the address comes back after the bond is up');
  indexOf(c, /^ip route replace 0\.0\.0\.0\/0 via 192\.0\.2\.1 dev bond1 table \d+ proto static$/);
  assert.deepEqual((c.ops[down]!.undo as KernelOp[]).map(describeOp).slice(0, 2), ['ip link set dev bond1 up', 'ip addr add 2001:db8:1::2/64 dev bond1']);
});

test('the management NIC taken into a bond: its default route is part of its origin, put back by the undo and on release', () => {
  const mgmt = nic('eth1', { addresses: [{ family: 'inet', local: '192.0.2.10', prefixlen: 24, scope: 'global', dynamic: false, secondary: false }] });
  const routes = [{ family: 4 as const, dst: 'default', gateway: '192.0.2.1', dev: 'eth1', table: 'main', type: 'unicast', protocol: 'boot' }];
  const to = cfg({}, { bond1: { nics: ['eth1'] } });
  const c = run(EMPTY, to, host([mgmt, nic('eth2')], { routes }));
  assert.deepEqual(c.originsAfter.nics.eth1!.routes, [{ family: 4, dst: 'default', gateway: '192.0.2.1', protocol: 'boot' }]);
  const shed = c.ops[indexOf(c, /^ip addr del 192\.0\.2\.10\/24 dev eth1$/)]!;
  assert.deepEqual((shed.undo as KernelOp[]).map(describeOp), ['ip addr add 192.0.2.10/24 dev eth1', 'ip route replace default via 192.0.2.1 dev eth1 proto boot']);
  const back = run(to, EMPTY, host([nic('eth1', { master: 'bond1' }), { ...nic('bond1'), kind: 'bond' }]), c.originsAfter);
  indexOf(back, /^ip route replace default via 192\.0\.2\.1 dev eth1 proto boot$/);
});

test('a network on a bond the handler does not own raises that bond to its MTU', () => {
  const c = run(EMPTY, cfg({ net1: { bonding: 'bond9', vlan: 10, mtu: 9000 } }), host([nic('eth1'), { ...nic('bond9'), kind: 'bond' }]));
  assert.ok(indexOf(c, /^ip link set dev bond9 mtu 9000$/) < indexOf(c, /^ip link add link bond9 name bond9\.10 mtu 9000 type vlan id 10$/));
});

test('what the kernel lacks of the running config without a config change is a sync step of the plan', () => {
  const c1 = cfg({ net1: { nic: 'eth1', bridged: false, mtu: 9000 } });
  const c = run(c1, c1, host([nic('eth1', { up: false, mtu: 1500 }), nic('eth2')]));
  assert.deepEqual(c.plan.map((s) => s.kind), ['syncLink']);
  assert.equal(c.units[0], 'device eth1: mtu 1500 -> 9000, down -> up (the kernel differs from the running config)');
  assert.deepEqual(lines(c), ['ip link set dev eth1 mtu 9000', 'ip link set dev eth1 up']);
});

test('a route both configs keep that the kernel lacks is put back by a sync step; its undo takes it away again', () => {
  // A gatewayless default route: the IPv6 one still shows net1 holding the default route, so
  // the kernel's config read back (the drift base) cannot show this one gone.
  const c1 = cfg({ net1: { nic: 'eth1', defaultRoute: true, ipv6addr: '2001:db8:2::2/64', ipv6gateway: '2001:db8:2::1' } });
  const v6 = { family: 6 as const, dst: 'default', gateway: '2001:db8:2::1', dev: 'net1', table: 'main', type: 'unicast', protocol: 'static', metric: 1 };
  const v4 = { family: 4 as const, dst: 'default', dev: 'net1', table: 'main', type: 'unicast', protocol: 'static' };
  const links = [nic('eth1', { master: 'net1' }), nic('eth2'), { ...nic('net1'), kind: 'bridge' }];
  const c = run(c1, c1, host(links, { routes: [v6] }));
  assert.deepEqual(c.plan.map((s) => s.kind), ['syncRoutes']);
  assert.equal(c.units[0], 'network net1: put back 0.0.0.0/0 dev net1 proto static (the kernel lacks it)');
  assert.deepEqual(lines(c), ['ip route replace 0.0.0.0/0 dev net1 proto static']);
  assert.deepEqual((c.ops[0]!.undo as KernelOp[]).map(describeOp), ['ip route del 0.0.0.0/0 dev net1 proto static']);
  // Whatever protocol the kernel's route carries now, it routes the same: nothing to do.
  assert.deepEqual(lines(run(c1, c1, host(links, { routes: [v6, { ...v4, protocol: 'boot' }] }))), []);
});

test('the management NIC\'s own routes follow it onto its bridge; the undo of deleting that bridge puts them back', () => {
  const mgmt = nic('eth1', { addresses: [{ family: 'inet', local: '192.0.2.10', prefixlen: 24, scope: 'global', dynamic: false, secondary: false }] });
  const routes = [{ family: 4 as const, dst: '10.96.0.0/24', gateway: '192.0.2.1', dev: 'eth1', table: 'main', type: 'unicast', protocol: 'boot' }];
  const a = cfg({ mgmt: { nic: 'eth1', ipaddr: '192.0.2.10', prefix: 24 } });
  const first = run(EMPTY, a, host([mgmt, nic('eth2')], { routes }));
  indexOf(first, /^ip route replace 10\.96\.0\.0\/24 via 192\.0\.2\.1 dev mgmt proto boot$/);
  const kernel = host([nic('eth1', { master: 'mgmt' }), nic('eth2'), { ...nic('mgmt'), kind: 'bridge' }], { routes: [{ ...routes[0]!, dev: 'mgmt' }] });
  const removed = run(a, cfg({ other: { nic: 'eth2' } }), kernel, first.originsAfter);
  const del = removed.ops[indexOf(removed, /^ip link del dev mgmt$/)]!;
  assert.ok((del.undo as KernelOp[]).map(describeOp).includes('ip route replace 10.96.0.0/24 via 192.0.2.1 dev mgmt proto boot'));
});

test('STP turned on clamps a forward delay outside 2..30 s: the undo writes the old one back after turning it off', () => {
  const from = cfg({ br: { bridgeOpts: 'forward_delay=0' } });
  const to = cfg({ br: { stp: true } });
  const c = run(from, to, host([nic('eth1'), nic('eth2'), { ...nic('br'), kind: 'bridge' }]));
  const stp = c.ops[indexOf(c, /^ip link set dev br type bridge stp_state 1$/)]!;
  assert.deepEqual((stp.undo as KernelOp[]).map(describeOp), ['ip link set dev br type bridge stp_state 0', 'write 0 > /sys/class/net/br/bridge/forward_delay']);
});

test('a bridge option dropped from bridgeOpts is written back to its kernel default (every writable option has one)', () => {
  const from = cfg({ br: { bridgeOpts: 'vlan_protocol=0x88a8 group_addr=01:80:c2:00:00:0e' } });
  const c = run(from, cfg({ br: {} }), host([nic('eth1'), nic('eth2'), { ...nic('br'), kind: 'bridge' }]));
  assert.deepEqual(lines(c).filter((d) => d.includes('/bridge/')).sort(), [
    'write 01:80:c2:00:00:00 > /sys/class/net/br/bridge/group_addr',
    'write 0x8100 > /sys/class/net/br/bridge/vlan_protocol',
  ]);
});

test('routes a router advertisement installed are not part of a NIC\'s origin (the kernel learns them again)', () => {
  const routes = [
    { family: 6 as const, dst: 'default', gateway: 'fe80::2', dev: 'eth1', table: 'main', type: 'unicast', protocol: 'ra', metric: 1024 },
    { family: 4 as const, dst: 'default', gateway: '192.0.2.1', dev: 'eth1', table: 'main', type: 'unicast', protocol: 'boot' },
  ];
  const c = run(EMPTY, cfg({}, { bond1: { nics: ['eth1'] } }), host([nic('eth1'), nic('eth2')], { routes }));
  assert.deepEqual(c.originsAfter.nics.eth1!.routes, [{ family: 4, dst: 'default', gateway: '192.0.2.1', protocol: 'boot' }]);
});
