import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelConfig } from '../../src/observe/kernel-config.js';
import { assembleHostState } from '../../src/observe/parse.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';

test('VM: kernelConfig read back equals the running config that describes the setup', () => {
  const host = assembleHostState(loadDumps('vm'), 1);
  assert.deepStrictEqual(kernelConfig(host, loadRunning('vm')), loadRunning('vm'));
});

test('namespace: kernelConfig equals the running config (static, default route, resolvers, bridgeless nic)', () => {
  const host = assembleHostState(loadDumps('netns'), 1);
  assert.deepStrictEqual(kernelConfig(host, loadRunning('netns')), loadRunning('netns'));
});

test('drift is visible: kernel values win, missing devices are left out', () => {
  const host = assembleHostState(loadDumps('vm'), 1);
  const running = loadRunning('vm');
  running.networks.nsfx!.mtu = 1500;
  running.networks.nsfx!.ipaddr = '10.78.0.9';
  running.networks.nnfx!.stp = false;
  running.bondings.b4fx!.options = 'miimon=200 mode=4';
  running.bondings.bafx!.nics = ['da1fx'];
  running.networks.missing = { ...running.networks.nnfx! };
  running.bondings.missing = { nics: ['x'], options: 'mode=0', switch: 'legacy' };
  const kc = kernelConfig(host, running);
  assert.equal(kc.networks.nsfx!.mtu, 9000);
  assert.equal(kc.networks.nsfx!.ipaddr, '10.78.0.2');
  assert.equal(kc.networks.nnfx!.stp, true);
  assert.equal(kc.bondings.b4fx!.options, 'lacp_rate=1 miimon=100 mode=4'); // the kernel's miimon, not the config's
  assert.deepEqual(kc.bondings.bafx!.nics, ['da1fx', 'da2fx']);
  assert.equal(kc.networks.missing, undefined);
  assert.equal(kc.bondings.missing, undefined);
});

test('bond hwaddr and bridge options are read back only when the config names them', () => {
  const host = assembleHostState(loadDumps('vm'), 1);
  const running = loadRunning('vm');
  running.bondings.bafx!.hwaddr = '02:00:00:00:00:01';
  running.networks.ndfx!.bridgeOpts = 'forward_delay=1500 group_fwd_mask=0 multicast_snooping=1 no_such_opt=1';
  const kc = kernelConfig(host, running);
  assert.equal(kc.bondings.bafx!.hwaddr, host.links.bafx!.hwaddr);
  assert.equal(kc.bondings.b4fx!.hwaddr, undefined);
  // sysfs says group_fwd_mask 0x0: the same value, so the config's spelling; unknown options left out.
  assert.equal(kc.networks.ndfx!.bridgeOpts, 'forward_delay=0 group_fwd_mask=0 multicast_snooping=1');
  assert.equal(kc.networks.nnfx!.bridgeOpts, undefined);
});

test('a DHCP network reports no static address or resolvers; a static default-route one reports the host resolvers', () => {
  const vm = kernelConfig(assembleHostState(loadDumps('vm'), 1), loadRunning('vm'));
  assert.equal(vm.networks.ndfx!.bootproto, 'dhcp');
  assert.equal(vm.networks.ndfx!.ipaddr, undefined);
  assert.equal(vm.networks.ndfx!.gateway, undefined);
  assert.equal(vm.networks.ndfx!.ipv6addr, undefined); // DHCPv6-leased
  assert.deepEqual(vm.networks.ndfx!.nameservers, []);
  const ns = kernelConfig(assembleHostState(loadDumps('netns'), 1), loadRunning('netns'));
  assert.deepEqual(ns.networks.net1!.nameservers, ['10.66.0.53', 'fd00:66::53']);
  assert.deepEqual(ns.networks.net2!.nameservers, []);
});

test('a DHCP client that runs is configuration: bootproto dhcp / dhcpv6 before any lease, static addresses not read then', () => {
  const host = assembleHostState(loadDumps('netns'), 1);
  const running = loadRunning('netns');
  const [name, net] = Object.entries(running.networks).find(([, n]) => n.bootproto !== 'dhcp')!;
  const top = kernelConfig(host, running).networks[name]!;
  assert.equal(top.bootproto, 'none');
  const dev = net.bridged ? name : (net.nic ?? net.bonding)!;
  const withClients = { ...host, dhcpClients: [`${dev}/4`, `${dev}/6`] };
  const kc = kernelConfig(withClients, running).networks[name]!;
  assert.equal(kc.bootproto, 'dhcp');
  assert.equal(kc.dhcpv6, true);
  assert.equal(kc.ipaddr, undefined, 'a DHCP network reports no static address');
  assert.equal(kernelConfig({ ...host, dhcpClients: ['other0/4'] }, running).networks[name]!.bootproto, 'none', 'a client on another device');
});

test('a source-routed gateway reads back from its network\'s own table (with its rule), not from another table', () => {
  const host = assembleHostState(loadDumps('vm'), 1);
  const running = loadRunning('vm');
  const n = running.networks.nsfx!;
  // A bridgeless VLAN network with a gateway: its top device is the VLAN device.
  assert.ok(!n.bridged && n.gateway && n.ipaddr && !n.defaultRoute);
  const top = 'bafx.200';
  const own = 0x10000005;
  // Its gateway in its own table only (the fixture's default routes through it taken out).
  host.routes = host.routes.filter((r) => !(r.dst === 'default' && r.dev === top && r.family === 4));
  host.routes.push({ family: 4, dst: 'default', gateway: n.gateway, dev: top, table: String(own), type: 'unicast', protocol: 'static' });
  // Without a recorded table (a state of the previous version): any table, as before.
  assert.equal(kernelConfig(host, running).networks.nsfx!.gateway, n.gateway);
  assert.equal(kernelConfig(host, running, { nsfx: own }).networks.nsfx!.gateway, n.gateway);
  host.rules = [{ family: 4, priority: 32000, src: `${n.ipaddr}/32`, table: String(own) }];
  assert.equal(kernelConfig(host, running, { nsfx: own }).networks.nsfx!.gateway, n.gateway);
  // Another network's table (what a hash collision gave), or its rule gone: no gateway, i.e. drift.
  assert.equal(kernelConfig(host, running, { nsfx: own + 1 }).networks.nsfx!.gateway, undefined);
  host.rules = [];
  assert.equal(kernelConfig(host, running, { nsfx: own }).networks.nsfx!.gateway, undefined);
});
