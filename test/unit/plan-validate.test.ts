// One table per rule: each case names the exact error paths it must produce (and a fragment of
// each message); valid cases must produce none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningConfig } from '../../src/api/config.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { checkSpec, extractSpec, validate, type ValidationFacts, type ValidationContext } from '../../src/plan/validate.js';
import { vlanDeviceName } from '../../src/model/device-names.js';

const HOST: ValidationFacts = { nics: ['eth0', 'eth1', 'eth2', 'eth3', 'eth4'], bonds: { bond9: ['eth4'] } };

interface Case {
  name: string;
  spec: unknown;
  ctx?: ValidationContext;
  /** path -> message fragment (regex) */
  errors: [string, RegExp][];
}

function run(cases: Case[]): void {
  for (const c of cases) {
    test(c.name, () => {
      const got = validate(c.spec, c.ctx ?? { host: HOST });
      assert.deepEqual(got.map((e) => e.path), c.errors.map(([p]) => p).sort(), JSON.stringify(got, null, 1));
      for (const [p, re] of c.errors) {
        assert.ok(got.some((e) => e.path === p && re.test(e.message)), `${p}: no message matching ${re} in ${JSON.stringify(got)}`);
      }
    });
  }
}

const net = (n: Record<string, unknown>) => ({ networks: { net1: n } });

// ---- valid specs ----
run([
  { name: 'valid: empty spec', spec: {}, errors: [] },
  { name: 'valid: undefined spec', spec: undefined, errors: [] },
  {
    name: 'valid: the seed example',
    spec: {
      networks: { net1: { bridged: true, bonding: 'bond1', bootproto: 'dhcp', defaultRoute: true } },
      bondings: { bond1: { options: 'mode=4 miimon=100', nics: ['eth1'] } },
    },
    errors: [],
  },
  { name: 'valid: VLAN 0 and 4094', spec: { networks: { a: { nic: 'eth1', vlan: 0 }, b: { nic: 'eth1', vlan: 4094 } } }, errors: [] },
  { name: 'valid: nicless bridged network', spec: net({ ipaddr: '10.0.0.5', prefix: 24 }), errors: [] },
  { name: 'valid: network on an existing bond of the node', spec: net({ bonding: 'bond9', vlan: 10 }), errors: [] },
  {
    name: 'valid: untagged + VLAN networks on one NIC with one MTU',
    spec: { networks: { a: { nic: 'eth1', mtu: 9000 }, b: { nic: 'eth1', vlan: 10, mtu: 9000 } } },
    errors: [],
  },
  {
    name: 'valid: static IPv4 with gateway, IPv6 static, nameservers on the default-route network',
    spec: net({ nic: 'eth1', ipaddr: '10.0.0.5', netmask: '255.255.255.0', gateway: '10.0.0.1', defaultRoute: true, ipv6addr: '2001:db8::5/64', ipv6gateway: 'fe80::1', nameservers: ['10.0.0.1', '2001:db8::53'] }),
    errors: [],
  },
  { name: 'valid: /31 and /32 addresses', spec: { networks: { a: { ipaddr: '10.0.0.0', prefix: 31 }, b: { ipaddr: '10.0.1.255', prefix: 32 } } }, errors: [] },
  { name: 'valid: DHCPv6 with autoconf', spec: net({ nic: 'eth1', dhcpv6: true, ipv6autoconf: true }), errors: [] },
  { name: 'valid: bond options per mode', spec: { bondings: { bond1: { nics: ['eth1', 'eth2'], options: 'mode=active-backup primary=eth2 miimon=100 fail_over_mac=active' } } }, errors: [] },
  {
    name: 'valid: a bond that moves its networks away while the spec removes it',
    spec: net({ nic: 'eth1' }),
    ctx: { host: { nics: HOST.nics, bonds: { bond1: ['eth2'] } }, running: canonicalize({ networks: { net1: { bonding: 'bond1' } }, bondings: { bond1: { nics: ['eth2'] } } }) },
    errors: [],
  },
  { name: 'valid: without host facts, NICs are not checked', spec: net({ nic: 'eth99' }), ctx: {}, errors: [] },
]);

// ---- names ----
run([
  { name: 'name: empty', spec: { networks: { '': {} } }, errors: [['spec.networks[""]', /empty/]] },
  { name: 'name: longer than 15', spec: { networks: { abcdefghijklmnop: {} } }, errors: [['spec.networks.abcdefghijklmnop', /15 characters/]] },
  { name: 'name: 15 is fine', spec: { networks: { abcdefghijklmno: {} } }, errors: [] },
  { name: 'name: colon', spec: { networks: { 'a:b': {} } }, errors: [['spec.networks["a:b"]', /has the character ":"/]] },
  { name: 'name: dot', spec: { networks: { 'a.b': {} } }, errors: [['spec.networks["a.b"]', /has the character "\."/]] },
  { name: 'name: slash', spec: { networks: { 'a/b': {} } }, errors: [['spec.networks["a/b"]', /has the character "\/"/]] },
  { name: 'name: whitespace', spec: { networks: { 'a b': {}, 'c\td': {} } }, errors: [['spec.networks["a b"]', /U\+0020 \(space\)/], ['spec.networks["c\\u0009d"]', /U\+0009/]] },
  { name: 'name: control character, escaped in the path and the message', spec: { networks: { 'a\u001bb': {} } }, errors: [['spec.networks["a\\u001bb"]', /^"a\\u001bb" has the character U\+001B/]] },
  { name: 'name: leading dash', spec: { networks: { '-ab': {} } }, errors: [['spec.networks["-ab"]', /start with a letter or a digit/]] },
  { name: 'name: leading underscore', spec: { networks: { _ab: {} } }, errors: [['spec.networks._ab', /start with a letter or a digit/]] },
  { name: 'name: reserved', spec: { networks: { lo: {}, default: {} } }, errors: [['spec.networks.default', /reserved/], ['spec.networks.lo', /reserved/]] },
  { name: 'name: if<number> (iproute2 reads it as an ifindex)', spec: { networks: { if2: {}, 'if-3': {}, ifx: {} } }, errors: [['spec.networks.if-3', /interface index/], ['spec.networks.if2', /interface index/]] },
  { name: 'nic: a bad name', spec: net({ nic: 'e#1' }), errors: [['spec.networks.net1.nic', /has the character "#"/]] },
  { name: 'bonding: a bad name', spec: net({ bonding: 'bond"1' }), errors: [['spec.networks.net1.bonding', /has the character """/]] },
  { name: 'bond nic: a bad name', spec: { bondings: { bond1: { nics: ['eth1', 'e\\1'] } } }, errors: [['spec.bondings.bond1.nics[1]', /has the character "\\"/]] },
  { name: 'name: bond not bond<word>', spec: { bondings: { team0: { nics: ['eth1'] } } }, errors: [['spec.bondings.team0', /"bond" followed by/]] },
  { name: 'name: bond too long', spec: { bondings: { bond_0123456789ab: { nics: ['eth1'] } } }, errors: [['spec.bondings.bond_0123456789ab', /15 characters/]] },
  { name: 'name: bridged network named like a NIC', spec: { networks: { eth0: {} } }, errors: [['spec.networks.eth0', /name of a NIC/]] },
  { name: 'name: bridgeless network may be named like a NIC', spec: { networks: { eth0: { nic: 'eth1', bridged: false } } }, errors: [] },
  { name: 'name: bridged network named like a bond', spec: { networks: { bond9: {} } }, errors: [['spec.networks.bond9', /name of a bond/]] },
  { name: 'name: bond named like a NIC', spec: { bondings: { bond1: { nics: ['eth1'] } } }, ctx: { host: { nics: ['bond1', 'eth1'], bonds: {} } }, errors: [['spec.bondings.bond1', /name of a NIC/]] },
]);

// ---- VLAN, southbound, bridge ----
run([
  { name: 'vlan: 4095', spec: net({ nic: 'eth1', vlan: 4095 }), errors: [['spec.networks.net1.vlan', /at most 4094/]] },
  { name: 'vlan: negative', spec: net({ nic: 'eth1', vlan: -1 }), errors: [['spec.networks.net1.vlan', /at least 0/]] },
  { name: 'vlan: not an integer', spec: net({ nic: 'eth1', vlan: 1.5 }), errors: [['spec.networks.net1.vlan', /integer/]] },
  { name: 'vlan: a string', spec: net({ nic: 'eth1', vlan: '10' }), errors: [['spec.networks.net1.vlan', /must be a number|integer/]] },
  { name: 'vlan: without southbound', spec: net({ vlan: 10 }), errors: [['spec.networks.net1.vlan', /southbound/]] },
  { name: 'nic XOR bonding', spec: { networks: { net1: { nic: 'eth1', bonding: 'bond1' } }, bondings: { bond1: { nics: ['eth2'], options: 'mode=1' } } }, errors: [['spec.networks.net1.bonding', /mutually exclusive/]] },
  { name: 'bridgeless without southbound', spec: net({ bridged: false }), errors: [['spec.networks.net1.bridged', /southbound/]] },
  { name: 'stp on a bridgeless network', spec: net({ nic: 'eth1', bridged: false, stp: true }), errors: [['spec.networks.net1.stp', /bridged/]] },
  { name: 'bridgeOpts on a bridgeless network', spec: net({ nic: 'eth1', bridged: false, bridgeOpts: 'forward_delay=0' }), errors: [['spec.networks.net1.bridgeOpts', /bridged/]] },
  { name: 'bridgeOpts: unknown option and bad token', spec: net({ bridgeOpts: 'foo=1 forward_delay' }), errors: [['spec.networks.net1.bridgeOpts', /unknown bridge option "foo"/], ['spec.networks.net1.bridgeOpts', /not of the form/]] },
  { name: 'bridgeOpts: stp_state belongs to stp', spec: net({ bridgeOpts: 'stp_state=1' }), errors: [['spec.networks.net1.bridgeOpts', /stp field/]] },
  { name: 'bridged: not a boolean', spec: net({ bridged: 'yes' }), errors: [['spec.networks.net1.bridged', /true or false/]] },
]);

// ---- southbound use: NICs, bonds ----
run([
  { name: 'nic: does not exist', spec: net({ nic: 'eth9' }), errors: [['spec.networks.net1.nic', /does not exist/]] },
  { name: 'nic: is a bond', spec: net({ nic: 'bond9' }), errors: [['spec.networks.net1.nic', /is a bond; use bonding/]] },
  { name: 'nic: too long for a device name', spec: net({ nic: 'eth0123456789abc' }), errors: [['spec.networks.net1.nic', /longer than 15 characters/]] },
  { name: 'bond nic: does not exist', spec: { bondings: { bond1: { nics: ['eth1', 'eth9'] } } }, errors: [['spec.bondings.bond1.nics[1]', /does not exist/]] },
  { name: 'bond nic: listed twice', spec: { bondings: { bond1: { nics: ['eth1', 'eth1'] } } }, errors: [['spec.bondings.bond1.nics[1]', /listed twice/]] },
  { name: 'bond nic: no nics', spec: { bondings: { bond1: { nics: [] } } }, errors: [['spec.bondings.bond1.nics', /at least 1 item/]] },
  { name: 'bond nic: missing nics', spec: { bondings: { bond1: { options: 'mode=1' } } }, errors: [['spec.bondings.bond1.nics', /required/]] },
  { name: 'bond nic: a bond', spec: { bondings: { bond1: { nics: ['bond9'] } } }, errors: [['spec.bondings.bond1.nics[0]', /is a bond, not a NIC/]] },
  {
    name: 'NIC used by two bonds',
    spec: { bondings: { bond1: { nics: ['eth1', 'eth2'] }, bond2: { nics: ['eth3', 'eth2'] } } },
    errors: [['spec.bondings.bond2.nics[1]', /already a slave of bond bond1/]],
  },
  {
    name: 'NIC both bond slave and network nic',
    spec: { networks: { net1: { nic: 'eth1' } }, bondings: { bond1: { nics: ['eth1'] } } },
    errors: [['spec.networks.net1.nic', /slave of bond bond1/]],
  },
  { name: 'NIC enslaved to a bond the handler does not manage', spec: { bondings: { bond1: { nics: ['eth4'] } } }, errors: [['spec.bondings.bond1.nics[0]', /bond9, which the handler does not manage/]] },
  { name: 'network on a NIC of an unmanaged bond', spec: net({ nic: 'eth4' }), errors: [['spec.networks.net1.nic', /bond9, which the handler does not manage/]] },
  { name: 'a spec that names a node bond manages it', spec: { bondings: { bond9: { nics: ['eth4', 'eth3'] } } }, errors: [] },
  { name: 'bond not defined anywhere', spec: net({ bonding: 'bond5' }), errors: [['spec.networks.net1.bonding', /neither in spec.bondings nor on the node/]] },
  { name: 'bond not defined, no host facts', spec: net({ bonding: 'bond5' }), ctx: {}, errors: [['spec.networks.net1.bonding', /not in spec.bondings/]] },
  { name: 'bond reference with a bad name', spec: net({ bonding: 'team0' }), errors: [['spec.networks.net1.bonding', /"bond" followed by/]] },
  {
    name: 'bond in use by a network that the spec removes',
    spec: net({ bonding: 'bond1' }),
    ctx: { host: { nics: HOST.nics, bonds: { bond1: ['eth2'] } }, running: canonicalize({ networks: { net1: { bonding: 'bond1' } }, bondings: { bond1: { nics: ['eth2'] } } }) },
    errors: [['spec.networks.net1.bonding', /spec removes it/]],
  },
  {
    name: 'two networks on the same NIC and VLAN',
    spec: { networks: { a: { nic: 'eth1', vlan: 10 }, b: { nic: 'eth1', vlan: 10 }, c: { nic: 'eth1', vlan: 11 } } },
    errors: [['spec.networks.b.vlan', /network a already uses VLAN 10 on eth1/]],
  },
  {
    name: 'two untagged networks on one bond',
    spec: { networks: { a: { bonding: 'bond1' }, b: { bonding: 'bond1', bridged: false } }, bondings: { bond1: { nics: ['eth1'], options: 'mode=1' } } },
    errors: [['spec.networks.b.bonding', /at most one untagged network/]],
  },
]);

// ---- MTU ----
run([
  { name: 'mtu: below 1280', spec: net({ mtu: 1279 }), errors: [['spec.networks.net1.mtu', /at least 1280/]] },
  { name: 'mtu: above 65535', spec: net({ mtu: 65536 }), errors: [['spec.networks.net1.mtu', /at most 65535/]] },
  {
    name: 'mtu: VLAN larger than its bridgeless untagged lower device',
    spec: { networks: { a: { nic: 'eth1', bridged: false, mtu: 1500 }, b: { nic: 'eth1', vlan: 10, mtu: 9000 }, c: { nic: 'eth1', vlan: 11, mtu: 1500 } } },
    errors: [['spec.networks.b.mtu', /exceeds 1500.*bridgeless network a/]],
  },
  { name: 'mtu: IPv6 below 1280', spec: net({ nic: 'eth1', mtu: 1200, ipv6autoconf: true }), errors: [['spec.networks.net1.mtu', /1280/]] },
]);

// ---- IPv4 ----
run([
  { name: 'ipv4: prefix and netmask', spec: net({ ipaddr: '10.0.0.5', prefix: 24, netmask: '255.255.255.0' }), errors: [['spec.networks.net1.prefix', /mutually exclusive/]] },
  { name: 'ipv4: invalid address', spec: net({ ipaddr: '10.0.0.256', prefix: 24 }), errors: [['spec.networks.net1.ipaddr', /IPv4 address/]] },
  { name: 'ipv4: leading zeros', spec: net({ ipaddr: '10.0.0.05', prefix: 24 }), errors: [['spec.networks.net1.ipaddr', /IPv4 address/]] },
  { name: 'ipv4: non-contiguous netmask', spec: net({ ipaddr: '10.0.0.5', netmask: '255.0.255.0' }), errors: [['spec.networks.net1.netmask', /not a netmask/]] },
  { name: 'ipv4: netmask 0.0.0.0', spec: net({ ipaddr: '10.0.0.5', netmask: '0.0.0.0' }), errors: [['spec.networks.net1.netmask', /not a netmask/]] },
  { name: 'ipv4: prefix 33', spec: net({ ipaddr: '10.0.0.5', prefix: 33 }), errors: [['spec.networks.net1.prefix', /at most 32/]] },
  { name: 'ipv4: prefix 0', spec: net({ ipaddr: '10.0.0.5', prefix: 0 }), errors: [['spec.networks.net1.prefix', /at least 1/]] },
  { name: 'ipv4: ipaddr without mask', spec: net({ ipaddr: '10.0.0.5' }), errors: [['spec.networks.net1.ipaddr', /needs netmask or prefix/]] },
  { name: 'ipv4: netmask without ipaddr', spec: net({ netmask: '255.255.255.0' }), errors: [['spec.networks.net1.netmask', /needs ipaddr/]] },
  { name: 'ipv4: gateway without ipaddr', spec: net({ gateway: '10.0.0.1' }), errors: [['spec.networks.net1.gateway', /needs ipaddr/]] },
  { name: 'ipv4: gateway outside the subnet', spec: net({ ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.1.1' }), errors: [['spec.networks.net1.gateway', /not in the subnet of 10.0.0.5\/24/]] },
  { name: 'ipv4: gateway is the address', spec: net({ ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.0.5' }), errors: [['spec.networks.net1.gateway', /own address/]] },
  { name: 'ipv4: network address', spec: net({ ipaddr: '10.0.0.0', prefix: 24 }), errors: [['spec.networks.net1.ipaddr', /network address/]] },
  { name: 'ipv4: broadcast address', spec: net({ ipaddr: '10.0.0.255', prefix: 24 }), errors: [['spec.networks.net1.ipaddr', /broadcast address/]] },
  { name: 'ipv4: loopback', spec: net({ ipaddr: '127.0.0.2', prefix: 8 }), errors: [['spec.networks.net1.ipaddr', /loopback/]] },
  { name: 'ipv4: multicast', spec: net({ ipaddr: '224.0.0.5', prefix: 24 }), errors: [['spec.networks.net1.ipaddr', /multicast/]] },
  {
    name: 'ipv4: static settings with DHCP',
    spec: net({ bootproto: 'dhcp', ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.0.1' }),
    errors: [['spec.networks.net1.ipaddr', /conflicts with bootproto: dhcp/], ['spec.networks.net1.prefix', /conflicts/], ['spec.networks.net1.gateway', /conflicts/]],
  },
  { name: 'ipv4: bootproto static is not a value', spec: net({ bootproto: 'static' }), errors: [['spec.networks.net1.bootproto', /one of "dhcp", "none"/]] },
  {
    name: 'ipv4: one address on two networks',
    spec: { networks: { a: { ipaddr: '10.0.0.5', prefix: 24 }, b: { ipaddr: '10.0.0.5', prefix: 16 } } },
    errors: [['spec.networks.b.ipaddr', /also used by network a/]],
  },
]);

// ---- IPv6 ----
run([
  { name: 'ipv6: no prefix length', spec: net({ ipv6addr: '2001:db8::5' }), errors: [['spec.networks.net1.ipv6addr', /prefix length/]] },
  { name: 'ipv6: prefix 129', spec: net({ ipv6addr: '2001:db8::5/129' }), errors: [['spec.networks.net1.ipv6addr', /prefix length/]] },
  { name: 'ipv6: not an address', spec: net({ ipv6addr: '2001:db8::g/64' }), errors: [['spec.networks.net1.ipv6addr', /IPv6/]] },
  { name: 'ipv6: multicast', spec: net({ ipv6addr: 'ff02::1/64' }), errors: [['spec.networks.net1.ipv6addr', /unicast/]] },
  { name: 'ipv6: static with dhcpv6', spec: net({ nic: 'eth1', ipv6addr: '2001:db8::5/64', dhcpv6: true }), errors: [['spec.networks.net1.ipv6addr', /conflicts with dhcpv6/]] },
  { name: 'ipv6: static with autoconf', spec: net({ nic: 'eth1', ipv6addr: '2001:db8::5/64', ipv6autoconf: true }), errors: [['spec.networks.net1.ipv6addr', /conflicts/]] },
  { name: 'ipv6: gateway without address', spec: net({ nic: 'eth1', ipv6gateway: '2001:db8::1', dhcpv6: true }), errors: [['spec.networks.net1.ipv6gateway', /needs ipv6addr/]] },
  { name: 'ipv6: gateway not an address', spec: net({ ipv6addr: '2001:db8::5/64', ipv6gateway: 'x::y' }), errors: [['spec.networks.net1.ipv6gateway', /IPv6 address/]] },
]);

// ---- default route, DNS ----
run([
  {
    name: 'defaultRoute on two networks',
    spec: { networks: { a: { nic: 'eth1', bootproto: 'dhcp', defaultRoute: true }, b: { nic: 'eth2', bootproto: 'dhcp', defaultRoute: true }, c: { nic: 'eth3' } } },
    errors: [['spec.networks.a.defaultRoute', /set on a, b/], ['spec.networks.b.defaultRoute', /set on a, b/]],
  },
  { name: 'nameservers without defaultRoute', spec: net({ nic: 'eth1', nameservers: ['10.0.0.53'] }), errors: [['spec.networks.net1.nameservers', /defaultRoute/]] },
  { name: 'nameservers: not an address', spec: net({ defaultRoute: true, nameservers: ['10.0.0.53', 'dns.example'] }), errors: [['spec.networks.net1.nameservers[1]', /IPv4 or IPv6/]] },
  { name: 'nameservers: listed twice', spec: net({ defaultRoute: true, nameservers: ['2001:db8::53', '2001:DB8:0::53'] }), errors: [['spec.networks.net1.nameservers[1]', /listed twice/]] },
]);

// ---- bond options ----
const bond = (options: string, nics = ['eth1', 'eth2']) => ({ bondings: { bond1: { nics, options } } });
run([
  { name: 'bond options: unknown option', spec: bond('mode=1 foo=bar'), errors: [['spec.bondings.bond1.options', /unknown bond option "foo"/]] },
  { name: 'bond options: bad mode', spec: bond('mode=9'), errors: [['spec.bondings.bond1.options', /mode=9: must be one of balance-rr/]] },
  { name: 'bond options: bad mode name', spec: bond('mode=lacp'), errors: [['spec.bondings.bond1.options', /mode=lacp/]] },
  { name: 'bond options: not key=value', spec: bond('mode=1 miimon'), errors: [['spec.bondings.bond1.options', /"miimon" is not of the form/]] },
  { name: 'bond options: bad integer', spec: bond('miimon=fast'), errors: [['spec.bondings.bond1.options', /miimon=fast: must be an integer/]] },
  { name: 'bond options: bad enum value', spec: bond('mode=4 lacp_rate=medium'), errors: [['spec.bondings.bond1.options', /lacp_rate=medium/]] },
  { name: 'bond options: LACP option in active-backup', spec: bond('mode=active-backup lacp_rate=fast'), errors: [['spec.bondings.bond1.options', /lacp_rate does not apply to mode active-backup \(1\)/]] },
  { name: 'bond options: ARP monitoring in 802.3ad', spec: bond('mode=4 arp_interval=100 arp_ip_target=10.0.0.1'), errors: [['spec.bondings.bond1.options', /arp_interval does not apply/], ['spec.bondings.bond1.options', /arp_ip_target does not apply/]] },
  { name: 'bond options: primary in default mode', spec: bond('primary=eth1'), errors: [['spec.bondings.bond1.options', /primary does not apply to mode balance-rr \(0\)/]] },
  { name: 'bond options: primary not a slave', spec: bond('mode=1 primary=eth3'), errors: [['spec.bondings.bond1.options', /not one of the bond's nics/]] },
  { name: 'bond options: given twice', spec: bond('miimon=100 miimon=200'), errors: [['spec.bondings.bond1.options', /twice/]] },
  { name: 'bond options: bad arp_ip_target', spec: bond('arp_interval=100 arp_ip_target=10.0.0.300'), errors: [['spec.bondings.bond1.options', /IPv4 addresses/]] },
  { name: 'bond hwaddr: not a MAC', spec: { bondings: { bond1: { nics: ['eth1'], hwaddr: '52:54:00:00:00' } } }, errors: [['spec.bondings.bond1.hwaddr', /MAC address/]] },
  { name: 'bond hwaddr: multicast', spec: { bondings: { bond1: { nics: ['eth1'], hwaddr: '01:00:5e:00:00:01' } } }, errors: [['spec.bondings.bond1.hwaddr', /unicast/]] },
]);

// ---- schema errors in the same shape ----
run([
  { name: 'schema: spec not an object', spec: 'networks', errors: [['spec', /an object/]] },
  { name: 'schema: networks is a list', spec: { networks: [] }, errors: [['spec.networks', /an object/]] },
  { name: 'schema: network is null', spec: { networks: { net1: null } }, errors: [['spec.networks.net1', /an object/]] },
  { name: 'schema: unknown fields', spec: { networks: { net1: { bootProto: 'dhcp' } }, bonds: {} }, errors: [['spec.networks.net1.bootProto', /unknown field/], ['spec.bonds', /unknown field/]] },
  { name: 'schema: connectivityCheck timeout', spec: { connectivityCheck: { timeoutSeconds: 0, probes: { ping: true } } }, errors: [['spec.connectivityCheck.timeoutSeconds', /at least 1/], ['spec.connectivityCheck.probes.ping', /unknown field/]] },
  {
    name: 'schema errors do not hide the other rules of the same network',
    spec: net({ vlan: 5000, bootproto: 'dhcp', ipaddr: '10.0.0.5', prefix: 24 }),
    errors: [['spec.networks.net1.vlan', /at most 4094/], ['spec.networks.net1.ipaddr', /conflicts/], ['spec.networks.net1.prefix', /conflicts/]],
  },
  {
    name: 'a malformed address does not cause "needs ipaddr" errors',
    spec: net({ ipaddr: '10.0.0.256', prefix: 24, gateway: '10.0.0.1' }),
    errors: [['spec.networks.net1.ipaddr', /IPv4 address/]],
  },
  {
    name: 'a network referring to a bond whose entry is malformed is not told the bond is missing',
    spec: { networks: { net1: { bonding: 'bond1' } }, bondings: { bond1: { nics: 'eth1' } } },
    errors: [['spec.bondings.bond1.nics', /a list/]],
  },
]);

test('every error of a spec is reported at once', () => {
  const errors = validate({
    networks: {
      'bad.name': { vlan: 5000, nic: 'eth9' },
      a: { nic: 'eth1', defaultRoute: true, bootproto: 'dhcp', ipaddr: '10.0.0.1' },
      b: { nic: 'eth1', defaultRoute: true },
    },
    bondings: { bond1: { nics: ['eth2', 'eth2'], options: 'mode=1 lacp_rate=1' } },
  }, { host: HOST });
  assert.deepEqual(errors.map((e) => e.path), [
    'spec.bondings.bond1.nics[1]',
    'spec.bondings.bond1.options',
    'spec.networks.a.defaultRoute',
    'spec.networks.a.ipaddr',
    'spec.networks.b.defaultRoute',
    'spec.networks.b.nic',
    'spec.networks["bad.name"]',
    'spec.networks["bad.name"].vlan',
  ]);
});

test('checkSpec returns the parsed spec with defaults and the canonical config', () => {
  const r = checkSpec({ networks: { net1: { nic: 'eth1', ipaddr: '10.0.0.5', prefix: 24, defaultRoute: true } } }, { host: { ...HOST, nameservers: ['10.0.0.53'] } });
  assert.ok(r.ok);
  assert.deepEqual(r.spec.connectivityCheck, { enabled: true, timeoutSeconds: 60, probes: { gateway: false, dns: false, pathMtu: true } });
  assert.deepEqual(r.config.networks.net1, {
    nic: 'eth1', bridged: true, stp: false, mtu: 1500, bootproto: 'none', ipaddr: '10.0.0.5', netmask: '255.255.255.0',
    defaultRoute: true, dhcpv6: false, ipv6autoconf: false, nameservers: ['10.0.0.53'], switch: 'legacy',
  });
});

test('extractSpec: a whole object or a bare spec', () => {
  const spec = { networks: {} };
  assert.deepEqual(extractSpec({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n' }, spec }), { spec, errors: [] });
  assert.deepEqual(extractSpec(spec), { spec, errors: [] });
  assert.deepEqual(extractSpec({ kind: 'OvirtNodeNetwork', metadata: { name: 'n' } }), { spec: {}, errors: [] });
  assert.deepEqual(extractSpec({ apiVersion: 'v1', kind: 'ConfigMap', spec }).errors.map((e) => e.path), ['apiVersion', 'kind']);
});

test('running config validation uses the same rules', async () => {
  const { validateConfig } = await import('../../src/plan/validate.js');
  const bad: RunningConfig = canonicalize({ networks: { a: { nic: 'eth1', defaultRoute: true }, b: { nic: 'eth2', defaultRoute: true } } });
  assert.deepEqual(validateConfig(bad, { host: HOST }).map((e) => e.path), ['spec.networks.a.defaultRoute', 'spec.networks.b.defaultRoute']);
});

test('names every JavaScript object has are refused, __proto__ included (not dropped)', () => {
  for (const [text, path] of [
    ['{"networks":{"__proto__":{"nic":"eth1"}}}', 'spec.networks.__proto__'],
    ['{"networks":{"constructor":{}}}', 'spec.networks.constructor'],
    ['{"networks":{"toString":{}}}', 'spec.networks.toString'],
  ] as const) {
    const r = checkSpec(JSON.parse(text), { host: HOST });
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.ok(r.errors.some((e) => e.path === path && /reserved/.test(e.message)), JSON.stringify(r.errors));
  }
});

test('an MTU below 1280 is refused: the kernel removes IPv6 settings the handler writes', () => {
  const r = checkSpec({ networks: { n: { mtu: 1000 } } }, { host: HOST });
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.errors.map((e) => e.path), ['spec.networks.n.mtu']);
});

test('a device name is ASCII (the kernel counts bytes; what is not ASCII is refused outright)', () => {
  const r = checkSpec({ networks: { 'ñ': {} } }, { host: HOST });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors[0]!.message, /U\+00F1/);
});

test('a canonical config (what kernelConfig reports, switch: legacy included) is itself a valid spec that canonicalizes to itself', () => {
  const spec = {
    bondings: { bond1: { nics: ['eth1', 'eth2'], options: 'mode=4 miimon=100' } },
    networks: {
      net1: { bonding: 'bond1', vlan: 10, bootproto: 'dhcp', defaultRoute: true, dhcpv6: true },
      net2: { nic: 'eth3', bridged: false, ipaddr: '10.0.0.5', prefix: 24, gateway: '10.0.0.1', ipv6addr: 'fd00::5/64', mtu: 9000 },
      net3: { stp: true, bridgeOpts: 'forward_delay=400' },
    },
  };
  const first = checkSpec(spec, { host: HOST });
  assert.ok(first.ok, JSON.stringify(!first.ok && first.errors));
  assert.equal(first.config.networks.net1?.switch, 'legacy');
  const again = checkSpec(JSON.parse(JSON.stringify(first.config)), { host: HOST });
  assert.ok(again.ok, JSON.stringify(!again.ok && again.errors));
  assert.deepEqual(again.config, first.config);
  const ovs = checkSpec({ networks: { n: { switch: 'ovs' } } }, { host: HOST });
  assert.ok(!ovs.ok);
  assert.deepEqual(ovs.errors.map((e) => e.path), ['spec.networks.n.switch']);
});

test('STP timers the kernel refuses are refused by name: forward_delay while stp is on, hello_time and max_age always', () => {
  const r = checkSpec({ networks: { n1: { stp: true, bridgeOpts: 'forward_delay=0 hello_time=100' }, n2: { bridgeOpts: 'forward_delay=0 max_age=100' } } });
  assert.equal(r.ok, false);
  const messages = !r.ok ? r.errors.map((e) => `${e.path}: ${e.message}`) : [];
  assert.deepEqual(messages, [
    'spec.networks.n1.bridgeOpts: forward_delay=0: must be 200..3000 (centiseconds) while stp is on',
    'spec.networks.n2.bridgeOpts: max_age=100: must be 600..4000 (centiseconds)',
  ]);
});

test('bridge flags and enumerated options take only the values the kernel keeps as written (found by the fuzz: multicast_snooping=7 read back 1)', () => {
  const bad = ['multicast_snooping=7', 'nf_call_iptables=2', 'vlan_filtering=01', 'multicast_router=3', 'multicast_igmp_version=1', 'multicast_mld_version=3', 'vlan_protocol=0x8101'];
  const r = checkSpec({ networks: { n1: { bridgeOpts: bad.join(' ') } } });
  const messages = !r.ok ? r.errors.map((e) => `${e.path}: ${e.message}`) : [];
  assert.equal(messages.length, bad.length, messages.join('\n'));
  for (const b of bad) assert.ok(messages.some((m) => m.startsWith(`spec.networks.n1.bridgeOpts: ${b}: must be one of `)), b);
  const good = checkSpec({ networks: { n1: { bridgeOpts: 'multicast_snooping=0 vlan_filtering=1 multicast_router=2 multicast_igmp_version=3 vlan_protocol=0x88A8' } } });
  assert.equal(good.ok, true, JSON.stringify(good));
});

test('a static IPv6 gateway must be on-link: inside ipv6addr\'s prefix or link-local, and not the address itself (found by the fuzz: the kernel said "No route to host")', () => {
  const gw = (ipv6gateway: string) => checkSpec({ networks: { n1: { ipv6addr: 'fd70:8::2/64', ipv6gateway } } });
  for (const off of ['fd00:8::1', 'fd70:9::1', '2001:db8::1']) {
    const r = gw(off);
    assert.equal(r.ok, false, off);
    assert.deepEqual(!r.ok && r.errors.map((e) => [e.path, e.message]), [['spec.networks.n1.ipv6gateway', `gateway ${off} is not in the prefix of fd70:8::2/64 nor link-local`]]);
  }
  const self = gw('fd70:8::2');
  assert.deepEqual(!self.ok && self.errors.map((e) => e.message), ["gateway is the network's own address"]);
  for (const on of ['fd70:8::1', 'fd70:8:0:0:ffff::1', 'fe80::1']) assert.equal(gw(on).ok, true, on);
});

test('two VLANs that would get one device name are refused (a hashed name spelled out by a short southbound)', () => {
  const long = 'bond_0123456789';
  const hashed = vlanDeviceName(long, 100);
  assert.match(hashed, /^v[0-9a-f]{8}\.100$/);
  const short = hashed.split('.')[0]!;
  const spec = {
    networks: { a: { bonding: long, vlan: 100 }, b: { nic: short, vlan: 100 } },
    bondings: { [long]: { nics: ['eth1'], options: 'mode=1' } },
  };
  const errors = validate(spec, { host: { nics: [...HOST.nics, short], bonds: {} } });
  assert.deepEqual(errors.map((e) => e.path), ['spec.networks.b.vlan']);
  assert.match(errors[0]!.message, new RegExp(`device name ${hashed.replace('.', '\\.')}, which VLAN 100 on ${long} \\(network a\\)`));
  // Different VLAN ids never collide.
  assert.deepEqual(validate({ ...spec, networks: { ...spec.networks, b: { nic: short, vlan: 101 } } }, { host: { nics: [...HOST.nics, short], bonds: {} } }), []);
});
