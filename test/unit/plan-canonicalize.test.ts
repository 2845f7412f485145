import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize, canonicalizeBond, canonicalizeNetwork, configToSpec } from '../../src/plan/canonicalize.js';
import { canonicalBondOptions } from '../../src/model/bond-options.js';

// The seed README's "Add a network" example and what the 2017 handler then reported under
// state.kernel_config.
const SEED_SPEC = {
  networks: { net1: { bridged: true, bonding: 'bond1', bootproto: 'dhcp' as const, defaultRoute: true } },
  bondings: { bond1: { options: 'mode=4 miimon=100', nics: ['eth1'] } },
};
const SEED_KERNEL_CONFIG = {
  bondings: { bond1: { nics: ['eth1'], options: 'miimon=100 mode=4', switch: 'legacy' } },
  networks: {
    net1: {
      bonding: 'bond1', bootproto: 'dhcp', bridged: true, defaultRoute: false, dhcpv6: false, ipv6autoconf: false,
      mtu: 1500, nameservers: [], stp: false, switch: 'legacy',
    },
  },
};

test('the seed spec canonicalizes to the seed kernel_config', () => {
  const c = canonicalize(SEED_SPEC);
  // defaultRoute is the one field only the kernel knows: the seed's DHCP lease on eth1 carried no
  // gateway ("gateway": "" in its capabilities), so the kernel had no default route through net1
  // and read it back as false. The desired state keeps what the spec asks for.
  assert.equal(c.networks.net1!.defaultRoute, true);
  const kernelView = structuredClone(c);
  kernelView.networks.net1!.defaultRoute = false;
  assert.deepEqual(kernelView, SEED_KERNEL_CONFIG);
});

test('network defaults are VDSM\'s', () => {
  assert.deepEqual(canonicalizeNetwork({}), {
    bridged: true, stp: false, mtu: 1500, bootproto: 'none', defaultRoute: false, dhcpv6: false, ipv6autoconf: false,
    nameservers: [], switch: 'legacy',
  });
});

test('prefix becomes netmask; netmask stays', () => {
  assert.equal(canonicalizeNetwork({ ipaddr: '10.0.0.5', prefix: 24 }).netmask, '255.255.255.0');
  assert.equal(canonicalizeNetwork({ ipaddr: '10.0.0.5', prefix: 17 }).netmask, '255.255.128.0');
  const n = canonicalizeNetwork({ ipaddr: '10.0.0.5', netmask: '255.255.0.0' });
  assert.equal(n.netmask, '255.255.0.0');
  assert.equal('prefix' in n, false);
});

test('bridgeless networks have no STP and no bridge options', () => {
  const n = canonicalizeNetwork({ nic: 'eth1', bridged: false, stp: true, bridgeOpts: 'forward_delay=0' });
  assert.equal(n.stp, false);
  assert.equal('bridgeOpts' in n, false);
});

test('bridge options are sorted; empty ones vanish', () => {
  assert.equal(canonicalizeNetwork({ bridgeOpts: ' multicast_snooping=0  forward_delay=0 ' }).bridgeOpts, 'forward_delay=0 multicast_snooping=0');
  assert.equal('bridgeOpts' in canonicalizeNetwork({ bridgeOpts: '  ' }), false);
});

test('IPv6 addresses take the kernel\'s compressed form', () => {
  const n = canonicalizeNetwork({ ipv6addr: '2001:DB8:0:0::5/64', ipv6gateway: '2001:db8:0::1', nameservers: ['2001:4860:0:0::8888'], defaultRoute: true });
  assert.equal(n.ipv6addr, '2001:db8::5/64');
  assert.equal(n.ipv6gateway, '2001:db8::1');
  assert.deepEqual(n.nameservers, ['2001:4860::8888']);
});

test('nameservers: VDSM gives a static default-route network the host resolvers', () => {
  const host = { hostNameservers: ['192.168.122.1'] };
  assert.deepEqual(canonicalizeNetwork({ nic: 'eth0', ipaddr: '10.0.0.5', prefix: 24, defaultRoute: true }, host).nameservers, ['192.168.122.1']);
  assert.deepEqual(canonicalizeNetwork({ nic: 'eth0', bootproto: 'dhcp', defaultRoute: true }, host).nameservers, []);
  assert.deepEqual(canonicalizeNetwork({ nic: 'eth0', ipaddr: '10.0.0.5', prefix: 24 }, host).nameservers, []);
  assert.deepEqual(canonicalizeNetwork({ nic: 'eth0', defaultRoute: true, nameservers: [] }, host).nameservers, []);
  assert.deepEqual(canonicalizeNetwork({ nic: 'eth0', defaultRoute: true }).nameservers, []);
});

test('bond options: numeric mode, default mode 0, numeric values, sorted', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'mode=0'],
    ['', 'mode=0'],
    ['miimon=100', 'miimon=100 mode=0'],
    ['mode=4 miimon=100', 'miimon=100 mode=4'],
    ['mode=802.3ad miimon=100', 'miimon=100 mode=4'],
    ['mode=active-backup primary=eth1', 'mode=1 primary=eth1'],
    ['mode=balance-alb', 'mode=6'],
    ['lacp_rate=fast mode=802.3ad xmit_hash_policy=layer3+4', 'lacp_rate=1 mode=4 xmit_hash_policy=1'],
    ['mode=1 num_unsol_na=3', 'mode=1 num_grat_arp=3'],
    ['mode=0 arp_interval=0100 arp_ip_target=10.0.0.1,10.0.0.2', 'arp_interval=100 arp_ip_target=10.0.0.1,10.0.0.2 mode=0'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalBondOptions(input), want, String(input));
});

test('bond nics are sorted, hwaddr lowercased', () => {
  assert.deepEqual(canonicalizeBond({ nics: ['eth2', 'eth1'], hwaddr: '52:54:00:AB:CD:EF' }), {
    nics: ['eth1', 'eth2'], options: 'mode=0', hwaddr: '52:54:00:ab:cd:ef', switch: 'legacy',
  });
});

test('configToSpec round-trips', () => {
  const c = canonicalize({
    networks: {
      a: { nic: 'eth0', vlan: 10, ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.0.1', defaultRoute: true, nameservers: ['1.1.1.1'] },
      b: { bonding: 'bond0', bridged: false, dhcpv6: true, mtu: 9000 },
    },
    bondings: { bond0: { nics: ['eth2', 'eth1'], options: 'mode=1', hwaddr: '52:54:00:00:00:01' } },
  });
  assert.deepEqual(canonicalize(configToSpec(c)), c);
});
