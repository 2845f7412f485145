import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilities } from '../../src/observe/capabilities.js';
import { BRIDGE_DEFAULTS, nonDefaultBridgeOptions } from '../../src/model/bridge-options.js';
import { isNic } from '../../src/model/links.js';
import { assembleHostState } from '../../src/observe/parse.js';
import type { Link } from '../../src/model/host-state.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { observed, runOp, type KState } from '../helpers/kernel-model.js';

const vmHost = () => assembleHostState(loadDumps('vm'), 1);

test('NIC rule: hardware (device link / parent bus), veth and dummy; never lo, bond, bridge, vlan, macvlan, tun', () => {
  const base: Link = {
    name: 'x', index: 1, kind: '', linkType: 'ether', flags: [], operstate: 'up', mtu: 1500, hwaddr: '', hasDevice: false,
    counters: { rxBytes: 0n, txBytes: 0n, rxDropped: 0n, txDropped: 0n, rxErrors: 0n, txErrors: 0n }, addresses: [],
  };
  assert.equal(isNic({ ...base, hasDevice: true }), true);
  assert.equal(isNic({ ...base, kind: 'veth' }), true);
  assert.equal(isNic({ ...base, kind: 'dummy' }), true);
  assert.equal(isNic(base), false); // no device, no kind: e.g. a virtual driver without rtnl ops
  assert.equal(isNic({ ...base, linkType: 'loopback', hasDevice: true }), false);
  assert.equal(isNic({ ...base, linkType: 'none', hasDevice: true }), false); // hardware, not Ethernet: a modem in raw-IP mode
  for (const kind of ['bond', 'bridge', 'vlan', 'macvlan', 'tun', 'ifb', 'vxlan']) assert.equal(isNic({ ...base, kind, hasDevice: true }), false, kind);
});

test('VM capabilities: nics, bonds, bridges, vlans, networks from the running config', () => {
  const host = vmHost();
  const caps = capabilities(host, loadRunning('vm'));
  assert.deepEqual(Object.keys(caps.nics).sort(), ['da1fx', 'da2fx', 'eth0', 'eth1', 'eth2', 'v4afx', 'v4bfx']);
  assert.deepEqual(Object.keys(caps.bondings).sort(), ['b4fx', 'bafx']);
  assert.deepEqual(Object.keys(caps.bridges).sort(), ['ndfx', 'nnfx']);
  assert.deepEqual(Object.keys(caps.vlans).sort(), ['b4fx.100', 'bafx.200']);
  assert.deepEqual(Object.keys(caps.networks).sort(), ['ndfx', 'nnfx', 'nsfx']);
  assert.equal(caps.supportsIPv6, true);

  const b4 = caps.bondings.b4fx!;
  assert.deepEqual(b4.opts, { mode: '4', lacp_rate: '1' }); // miimon=100 is mode 4's default
  assert.deepEqual(b4.slaves, ['v4afx', 'v4bfx']);
  assert.equal(b4.ad_aggregator_id, '1');
  assert.match(b4.ad_partner_mac ?? '', /^[0-9a-f:]{17}$/);
  assert.notEqual(b4.ad_partner_mac, '00:00:00:00:00:00');
  assert.equal(b4.speed, 20000);
  assert.equal(b4.mtu, '1500');
  assert.equal(b4.switch, 'legacy');
  const ab = caps.bondings.bafx!;
  assert.deepEqual(ab.opts, { mode: '1', miimon: '100' });
  assert.equal(ab.active_slave, 'da1fx');
  assert.equal(ab.mtu, '9000');
  assert.equal(ab.ad_aggregator_id, undefined);

  const slave = caps.nics.v4bfx!;
  assert.equal(slave.ad_aggregator_id, '1');
  assert.equal(slave.permhwaddr, host.links.v4bfx!.bondSlave?.permHwaddr);
  assert.equal(slave.speed, 10000);
  assert.equal(caps.nics.da2fx!.ad_aggregator_id, undefined); // active-backup: no aggregator
  assert.match(caps.nics.da2fx!.permhwaddr ?? '', /^[0-9a-f:]{17}$/);
  assert.equal(caps.nics.eth0!.speed, 0);
  assert.equal(caps.nics.eth0!.permhwaddr, undefined);

  assert.deepEqual(caps.vlans['b4fx.100'], { ...caps.vlans['b4fx.100'], iface: 'b4fx', vlanid: 100 });
  assert.equal(caps.vlans['bafx.200']!.addr, '10.78.0.2');

  const nd = caps.bridges.ndfx!;
  assert.deepEqual(nd.ports, ['b4fx.100']);
  assert.equal(nd.stp, 'off');
  assert.equal(nd.dhcpv4, true);
  assert.equal(nd.dhcpv6, true);
  assert.equal(nd.ipv6autoconf, false);
  assert.equal(nd.ipv4defaultroute, true);
  assert.equal(nd.gateway, '10.77.0.1');
  assert.match(nd.ipv6gateway, /^fe80::/); // from the router advertisement
  // Non-default options only: no timers or STP state, and Debian's HZ=250 reading of the
  // 31.25 s startup query interval (3124) counts as the default it is.
  assert.deepEqual(nd.opts, { forward_delay: '0' });
  assert.equal(caps.bridges.nnfx!.stp, 'on');
  assert.deepEqual(caps.bridges.nnfx!.opts, {}, 'stp_state is the stp field, not an option');
  assert.deepEqual(caps.bridges.nnfx!.ports, []);
});

test('bridge opts: options that differ from the kernel default, other spellings of a default, unknown options unless empty', () => {
  assert.deepEqual(nonDefaultBridgeOptions({
    group_fwd_mask: '0', multicast_snooping: '0', vlan_protocol: '0x88a8', group_addr: '01:80:C2:00:00:00', gc_timer: '17',
    hello_timer: '3', root_id: '8000.aa', stp_state: '1', flush: '', multicast_startup_query_interval: '3124', mst_enabled: '1', some_new_file: '',
  }), { mst_enabled: '1', multicast_snooping: '0', vlan_protocol: '0x88a8' });
  assert.deepEqual(nonDefaultBridgeOptions(BRIDGE_DEFAULTS), {}, 'a fresh bridge reports none');
});

test('VM networks: bridged over vlan over bond, bridgeless on a vlan, nicless', () => {
  const caps = capabilities(vmHost(), loadRunning('vm'));
  const nd = caps.networks.ndfx!;
  assert.equal(nd.iface, 'ndfx');
  assert.equal(nd.bridged, true);
  assert.equal(nd.southbound, 'b4fx.100', 'as VDSM: the device right under the network');
  assert.equal(nd.vlanid, 100);
  assert.deepEqual(nd.ports, ['b4fx.100']);
  assert.equal(nd.stp, 'off');
  assert.match(nd.addr, /^10\.77\.0\.1\d\d$/);
  assert.equal(nd.netmask, '255.255.255.0');
  assert.equal(nd.dhcpv4, true);

  const ns = caps.networks.nsfx!;
  assert.deepEqual(ns, {
    addr: '10.78.0.2', netmask: '255.255.255.0', ipv4addrs: ['10.78.0.2/24'], ipv6addrs: ['fd00:78::2/64'],
    gateway: '10.78.0.1', ipv6gateway: 'fd00:78::1', ipv4defaultroute: false, dhcpv4: false, dhcpv6: false, ipv6autoconf: false,
    mtu: '9000', iface: 'bafx.200', interface: 'bafx.200', bridged: false, switch: 'legacy', southbound: 'bafx.200', vlanid: 200,
  });
  const nn = caps.networks.nnfx!;
  assert.equal(nn.southbound, undefined);
  assert.equal(nn.stp, 'on');
  assert.equal(nn.ipv6autoconf, true); // accept_ra=2 autoconf=1
});

test('namespace capabilities: macvlan is no nic, resolvers come from the namespace, gateways per device', () => {
  const caps = capabilities(assembleHostState(loadDumps('netns'), 1), loadRunning('netns'));
  assert.deepEqual(Object.keys(caps.nics).sort(), ['e1', 'e2', 'e3']);
  assert.deepEqual(Object.keys(caps.bridges).sort(), ['br1', 'net1']);
  assert.deepEqual(caps.nameservers, ['10.66.0.53', 'fd00:66::53']);
  const br = caps.bridges.net1!;
  assert.equal(br.gateway, '10.66.0.1');
  assert.equal(br.ipv6gateway, 'fd00:66::1');
  assert.equal(br.ipv4defaultroute, true);
  assert.deepEqual(br.ipv6addrs, ['fd00:66::2/64']); // link-local left out
  assert.equal(caps.nics.e2!.netmask, '255.255.255.128');
  assert.equal(caps.nics.e2!.mtu, '1400');
  assert.equal(caps.nics.e2!.ipv6autoconf, false);
  assert.equal(caps.nics.e1!.ipv6gateway, '::');
  assert.deepEqual(Object.keys(caps.networks).sort(), ['net1', 'net2']);
  assert.equal(caps.networks.net2!.iface, 'e2');
  assert.equal(caps.networks.net2!.southbound, 'e2');
});

test('networks missing from the kernel are left out; none without a running config', () => {
  const host = vmHost();
  const running = loadRunning('vm');
  running.networks.gone = { ...running.networks.nnfx!, bridged: true };
  running.networks.gone2 = { ...running.networks.nsfx!, vlan: 999 };
  const caps = capabilities(host, running);
  assert.equal(caps.networks.gone, undefined);
  assert.equal(caps.networks.gone2, undefined);
  assert.deepEqual(capabilities(host, { networks: {}, bondings: {} }).networks, {});
});

test('dhcpv4/dhcpv6 mean a DHCP client is configured (VDSM): true on a DHCP network before any lease', () => {
  const k: KState = { links: {}, routes: [], rules: [], files: { '/proc/sys/net/ipv6/conf/default/accept_ra': '1', '/proc/sys/net/ipv6/conf/default/autoconf': '1', '/proc/sys/net/ipv6/conf/default/disable_ipv6': '0' }, dhcp: {}, resolv: null };
  runOp(k, { kind: 'ip', args: ['link', 'add', 'name', 'net1', 'mtu', '1500', 'type', 'bridge', 'stp_state', '0'] });
  runOp(k, { kind: 'ip', args: ['link', 'set', 'dev', 'net1', 'up'] });
  const running = canonicalize({ networks: { net1: { bootproto: 'dhcp', dhcpv6: true } } });
  const caps = capabilities(observed(k), running);
  assert.equal(caps.networks.net1?.dhcpv4, true);
  assert.equal(caps.networks.net1?.dhcpv6, true);
  assert.equal(caps.bridges.net1?.dhcpv4, true, 'the device too');
  assert.equal(capabilities(observed(k), canonicalize({ networks: { net1: {} } })).networks.net1?.dhcpv4, false, 'a static network: no client');
});
