import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleHostState, parseAddrDump, parseJsonExact, parseLinkDump, parseRouteDump, parseSysDump } from '../../src/observe/parse.js';
import { loadDumps } from './observe-fixtures.js';

test('parseJsonExact keeps 64-bit integers exact and leaves small ones numbers', () => {
  const v = parseJsonExact('{"a":18446744073709551615,"b":42,"c":"12345678901234567890","d":1.5}') as Record<string, unknown>;
  assert.equal(v.a, 18446744073709551615n);
  assert.equal(v.b, 42);
  assert.equal(v.c, '12345678901234567890');
  assert.equal(v.d, 1.5);
  assert.deepEqual(parseJsonExact('[{"x":1}]'), [{ x: 1 }]);
});

test('link dump: kinds, masters, vlan parent and id, parent bus, bond slave data (VM, Debian kernel)', () => {
  const links = parseLinkDump(loadDumps('vm').links);
  const by = Object.fromEntries(links.map((l) => [l.name, l]));
  assert.equal(by.lo?.linkType, 'loopback');
  assert.equal(by.eth0?.kind, '');
  assert.equal(by.eth0?.parentBus, 'virtio');
  assert.equal(by.eth1?.kind, 'veth');
  assert.equal(by.b4fx?.kind, 'bond');
  assert.equal(by.v4afx?.master, 'b4fx');
  assert.equal(by.v4afx?.slaveKind, 'bond');
  assert.equal(by.v4afx?.slaveData?.aggregatorId, '1');
  assert.match(by.v4bfx?.slaveData?.permHwaddr ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  assert.equal(by['b4fx.100']?.kind, 'vlan');
  assert.equal(by['b4fx.100']?.parent, 'b4fx');
  assert.equal(by['b4fx.100']?.vlanId, 100);
  assert.equal(by['b4fx.100']?.master, 'ndfx');
  assert.equal(by['b4fx.100']?.slaveKind, 'bridge');
  assert.equal(by['bafx.200']?.vlanId, 200);
  assert.equal(by['bafx.200']?.mtu, 9000);
  assert.equal(by.da1fx?.kind, 'dummy');
  assert.equal(by.ndfx?.kind, 'bridge');
  assert.equal(by.ndfx?.operstate, 'up');
  assert.equal(by.nnfx?.operstate, 'down');
  assert.equal(typeof by.eth0?.counters.rxBytes, 'bigint');
  assert.ok(by.eth0!.counters.rxBytes > 0n);
});

test('link dump: counters beyond 2^53 survive exactly, rx and tx dropped not swapped', () => {
  const text = JSON.stringify([{
    ifindex: 7, ifname: 'big0', flags: ['UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', address: '02:00:00:00:00:01',
    stats64: { rx: { bytes: 1, packets: 1, errors: 3, dropped: 5 }, tx: { bytes: 2, packets: 1, errors: 4, dropped: 6 } },
  }]).replace('"bytes":1,', '"bytes":18446744073709551615,').replace('"bytes":2,', '"bytes":9007199254740993,');
  const [l] = parseLinkDump(text);
  assert.equal(l?.counters.rxBytes, 18446744073709551615n);
  assert.equal(l?.counters.txBytes, 9007199254740993n);
  assert.equal(l?.counters.rxDropped, 5n);
  assert.equal(l?.counters.txDropped, 6n);
  assert.equal(l?.counters.rxErrors, 3n);
  assert.equal(l?.counters.txErrors, 4n);
});

test('addresses in the link dump: DHCP lease and DHCPv6 address are dynamic, static ones are not (VM)', () => {
  const a = Object.fromEntries(parseLinkDump(loadDumps('vm').links).map((l) => [l.name, l.addresses]));
  const nd = a.ndfx!;
  const v4 = nd.find((x) => x.family === 'inet')!;
  assert.match(v4.local, /^10\.77\.0\.1\d\d$/);
  assert.equal(v4.prefixlen, 24);
  assert.equal(v4.dynamic, true);
  const v6 = nd.find((x) => x.family === 'inet6' && x.scope === 'global')!;
  assert.equal(v6.prefixlen, 128);
  assert.equal(v6.dynamic, true);
  assert.deepEqual(a['bafx.200']!.filter((x) => x.scope === 'global').map((x) => [x.local, x.prefixlen, x.dynamic]), [
    ['10.78.0.2', 24, false], ['fd00:78::2', 64, false],
  ]);
  assert.deepEqual(a.v4afx, []);
});

test('addr dump (plain ip addr): secondary IPv4 addresses are flagged', () => {
  const a = parseAddrDump(JSON.stringify([{ ifname: 'x', addr_info: [
    { family: 'inet', local: '192.0.2.1', prefixlen: 24, scope: 'global', valid_life_time: 4294967295 },
    { family: 'inet', local: '192.0.2.2', prefixlen: 24, scope: 'global', secondary: true },
  ] }]));
  assert.deepEqual(a.x?.map((x) => x.secondary), [false, true]);
});

test('route dumps: tables, default routes, RA protocol, multipath next hops', () => {
  const d = loadDumps('vm');
  const r4 = parseRouteDump(d.routes4, 4);
  assert.ok(r4.some((r) => r.dst === 'default' && r.gateway === '10.77.0.1' && r.dev === 'ndfx' && r.table === 'main' && r.protocol === 'dhcp'));
  assert.ok(r4.some((r) => r.dst === 'default' && r.gateway === '10.78.0.1' && r.dev === 'bafx.200' && r.table === '4242'));
  assert.ok(r4.every((r) => r.dst === 'default')); // only default routes are dumped
  const r6 = parseRouteDump(d.routes6, 6);
  assert.ok(r6.every((r) => r.family === 6));
  assert.ok(r6.some((r) => r.dst === 'default' && r.dev === 'ndfx' && r.protocol === 'ra'));
  assert.ok(r6.some((r) => r.dst === 'default' && r.gateway === 'fd00:78::1' && r.table === '4242'));
  const mp = parseRouteDump(JSON.stringify([{ dst: 'default', flags: [], nexthops: [
    { gateway: '192.0.2.1', dev: 'a', weight: 1, flags: [] }, { gateway: '192.0.2.2', dev: 'b', weight: 1, flags: [] },
  ] }]), 4);
  assert.deepEqual(mp.map((r) => [r.dev, r.gateway, r.table]), [['a', '192.0.2.1', 'main'], ['b', '192.0.2.2', 'main']]);
  assert.deepEqual(parseRouteDump('', 6), []);
});

test('sysfs dump: devices, speeds, bonding and bridge files, /proc/net/bonding, IPv6 sysctls, resolv.conf (VM)', () => {
  const s = parseSysDump(loadDumps('vm').sys);
  assert.deepEqual([...(s.virtual ?? [])].filter((n) => n.startsWith('eth')), ['eth1', 'eth2']); // eth0 is virtio hardware
  assert.equal(s.supportsIPv6, true);
  assert.equal(s.speed.v4afx, 10000);
  assert.equal(s.speed.b4fx, 20000);
  assert.equal(s.speed.eth0, undefined); // virtio reports -1
  assert.equal(s.bonding.b4fx?.mode, '802.3ad 4');
  assert.equal(s.bonding.b4fx?.lacp_rate, 'fast 1');
  assert.equal(s.bonding.b4fx?.slaves, 'v4afx v4bfx');
  assert.equal(s.bonding.bafx?.active_slave, 'da1fx');
  assert.equal(s.bridge.nnfx?.stp_state, '1');
  assert.equal(s.bridge.ndfx?.stp_state, '0');
  assert.equal(s.bridge.ndfx?.flush, undefined); // write-only
  assert.equal(s.procBonding.b4fx?.v4afx?.aggregatorId, '1');
  assert.equal(s.procBonding.b4fx?.v4bfx?.aggregatorId, '1');
  assert.match(s.procBonding.bafx?.da2fx?.permHwaddr ?? '', /^[0-9a-f:]{17}$/);
  assert.equal(s.ipv6conf.ndfx?.accept_ra, '0');
  assert.equal(s.ipv6conf['bafx.200']?.autoconf, '0');
  assert.equal(s.ipv6conf.nnfx?.accept_ra, '2');
});

test('sysfs dump of a namespace: its own resolv.conf and bridge files (netns scenario)', () => {
  const s = parseSysDump(loadDumps('netns').sys);
  assert.deepEqual(s.nameservers, ['10.66.0.53', 'fd00:66::53']);
  assert.equal(s.bridge.net1?.stp_state, '0');
  assert.equal(s.bridge.br1?.stp_state, '1');
  assert.ok(['e1', 'e2', 'e3', 'lo', 'mv0', 'net1', 'br1'].every((n) => s.virtual?.has(n))); // no hardware
  assert.equal(s.ipv6conf.e2?.accept_ra, '0');
});

test('sysfs dump: markers, multi-line files and garbage lines', () => {
  const s = parseSysDump([
    '@virtual-listed', '@virtual lo', '@ipv6', 'eno1/speed:1000', 'eno1/speed2:x', 'junk', '',
    '/sys/class/net/br0/bridge/stp_state:1', '/sys/class/net/eno2/speed:100',
    '/etc/resolv.conf:# comment', '/etc/resolv.conf:nameserver 192.0.2.53', '/etc/resolv.conf:nameserver  2001:db8::53 ',
    '/proc/net/bonding/bond0:Aggregator ID: 9', '/proc/net/bonding/bond0:Slave Interface: eno1', '/proc/net/bonding/bond0:Aggregator ID: 2',
  ].join('\n'));
  assert.deepEqual([...s.virtual!], ['lo']);
  assert.equal(s.speed.eno1, 1000);
  assert.equal(s.speed.eno2, 100); // absolute paths of targeted reads
  assert.equal(s.bridge.br0?.stp_state, '1');
  assert.deepEqual(s.nameservers, ['192.0.2.53', '2001:db8::53']);
  assert.deepEqual(s.procBonding.bond0, { eno1: { aggregatorId: '2' } });
});

test('assembleHostState merges dumps by name in ifindex order (lab namespace node)', () => {
  const h = assembleHostState(loadDumps('ns-node'), 1700000000.5);
  assert.deepEqual(Object.keys(h.links), ['lo', 'eth0', 'eth1', 'eth2']);
  assert.equal(h.sampleTime, 1700000000.5);
  const eth0 = h.links.eth0!;
  assert.equal(eth0.kind, 'veth');
  assert.equal(eth0.speed, 10000);
  assert.deepEqual(eth0.addresses.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['10.88.0.11/24']);
  assert.equal(eth0.ipv6?.disabled, false);
  assert.equal(h.supportsIPv6, true);
  assert.ok(h.routes.every((r) => r.dst === 'default'));
  assert.deepEqual(h.routes.filter((r) => r.family === 4), []); // the lab's namespace nodes have no IPv4 default route
});

test('assembleHostState: empty dumps give an empty host', () => {
  const h = assembleHostState({ links: '', routes4: '', routes6: '', sys: '' }, 0);
  assert.deepEqual(h, { links: {}, routes: [], nameservers: [], ipv6conf: {}, supportsIPv6: false, sampleTime: 0 });
});
