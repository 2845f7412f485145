// Random specs: every field drawn from the vocabulary, good values mostly, bad ones sometimes.
import fc from 'fast-check';
import type { Obj } from './json.js';
import { FOREIGN_BRIDGE, NICS } from './namespace.js';
import { anyNetName, anyValue, BOND_NAMES, BRIDGE_OPTS, HUGE, mix, ODD_BOND_NAMES } from './vocabulary.js';

const subnet = fc.integer({ min: 1, max: 4 });
const ip4Bundle: fc.Arbitrary<Obj> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 3, arbitrary: fc.record({ k: subnet, h: fc.constantFrom(0, 2, 3, 255), p: fc.constantFrom(8, 24, 30, 31, 32) }).map(({ k, h, p }) => ({ ipaddr: `10.${k}.0.${h}`, prefix: p })) },
  { weight: 2, arbitrary: fc.record({ k: subnet, m: fc.constantFrom('255.255.255.0', '255.255.0.0', '255.0.255.0', '0.0.0.0') }).map(({ k, m }) => ({ ipaddr: `10.${k}.0.2`, netmask: m })) },
  { weight: 2, arbitrary: fc.record({ k: subnet, g: fc.constantFrom(1, 2, 99) }).map(({ k, g }) => ({ ipaddr: `10.${k}.0.2`, prefix: 24, gateway: g === 99 ? '10.99.0.1' : `10.${k}.0.${g}` })) },
  { weight: 2, arbitrary: fc.constant({ bootproto: 'dhcp' }) },
  { weight: 1, arbitrary: fc.record({ bootproto: mix(fc.constantFrom('none', 'dhcp'), anyValue), ipaddr: mix(fc.constant('10.1.0.2'), anyValue), netmask: mix(fc.constant('255.255.255.0'), anyValue), prefix: mix(fc.constant(24), anyValue), gateway: mix(fc.constant('10.1.0.1'), anyValue) }, { requiredKeys: [] }) },
);
const ip6Bundle: fc.Arbitrary<Obj> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 3, arbitrary: fc.record({ k: subnet, p: fc.constantFrom(64, 127, 128) }).map(({ k, p }) => ({ ipv6addr: `fd00:${k}::2/${p}` })) },
  { weight: 2, arbitrary: subnet.map((k) => ({ ipv6addr: `fd00:${k}::2/64`, ipv6gateway: `fd00:${k}::1` })) },
  { weight: 2, arbitrary: fc.constantFrom<Obj>({ ipv6autoconf: true }, { dhcpv6: true }, { dhcpv6: true, ipv6autoconf: true }, { ipv6addr: 'fd00:1::2/64', ipv6autoconf: true }, { ipv6gateway: 'fd00:1::1' }) },
  { weight: 1, arbitrary: fc.record({ ipv6addr: mix(fc.constant('fd00:1::2/64'), anyValue), ipv6gateway: mix(fc.constant('fd00:1::1'), anyValue), dhcpv6: mix(fc.boolean(), anyValue), ipv6autoconf: mix(fc.boolean(), anyValue) }, { requiredKeys: [] }) },
);

const randomNet: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.tuple(
      fc.record({
        nic: mix(fc.constantFrom(...NICS), fc.constantFrom<unknown>('eth9', 'peer0', 'lo', FOREIGN_BRIDGE, '', 'e'.repeat(16), 'bond0', 5)),
        bonding: mix(fc.constantFrom('bond0', 'bond1'), fc.constantFrom<unknown>('bond7', 'bnd', 'eth0', true)),
        vlan: mix(fc.integer({ min: 0, max: 4094 }), fc.constantFrom<unknown>(-1, 4095, 1.5, '100', null)),
        bridged: mix(fc.boolean(), fc.constantFrom<unknown>('false', 0)),
        stp: mix(fc.boolean(), fc.constant<unknown>('on')),
        bridgeOpts: mix(fc.constantFrom(...BRIDGE_OPTS), fc.constantFrom<unknown>('forward_delay', 'stp_state=1', 'nonsense=1', 'forward_delay=abc', 'forward_delay=0 forward_delay=1', 'hello_time=0', HUGE)),
        mtu: mix(fc.constantFrom(1280, 1400, 1500, 9000), fc.constantFrom<unknown>(67, 65536, 1000, '1500', 9000.5)),
        defaultRoute: fc.boolean(),
        nameservers: mix(fc.constantFrom<unknown>([], ['10.252.0.54'], ['fd00:252::53', '10.252.0.53']), fc.constantFrom<unknown>(['x'], ['10.0.0.53', '10.0.0.53'], '10.0.0.53')),
        extra: fc.constantFrom<unknown>('ipv6prefix', 'Nic'),
      }, { requiredKeys: [] }).map((r) => {
        // Southbound less often than not-at-all would make every spec collide on the NICs.
        const out: Obj = { ...r };
        if (out.bonding !== undefined && out.nic !== undefined && typeof out.vlan !== 'number') delete out.bonding;
        if (out.extra !== undefined) out[out.extra as string] = 1;
        delete out.extra;
        return out;
      }),
      ip4Bundle,
      ip6Bundle,
    ).map(([a, b, c]) => ({ ...a, ...b, ...c })),
  },
  { weight: 1, arbitrary: anyValue },
);

const randomBond: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      nics: mix(fc.subarray([...NICS], { minLength: 1, maxLength: 3 }), fc.constantFrom<unknown>([], ['eth9'], ['eth1', 'eth1'], 'eth1', ['bond1'])),
      options: mix(fc.constantFrom('mode=1 miimon=100', 'mode=4', 'mode=balance-alb', ''), fc.constantFrom<unknown>('mode=99', 'miimon', 'nonsense=1', 'mode=1 mode=2', 'primary=eth9 mode=1', 5)),
      hwaddr: mix(fc.constant('52:54:00:00:00:01'), fc.constantFrom<unknown>('01:00:00:00:00:00', '00:00:00:00:00:00', 'zz')),
    }, { requiredKeys: ['nics'] }),
  },
  { weight: 1, arbitrary: anyValue },
);

export const randomSpec: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      networks: fc.dictionary(anyNetName, randomNet, { maxKeys: 4, noNullPrototype: true }),
      bondings: fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...BOND_NAMES) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_BOND_NAMES) }), randomBond, { maxKeys: 2, noNullPrototype: true }),
      connectivityCheck: mix(fc.constantFrom<unknown>({}, { enabled: false }), anyValue),
    }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: anyValue },
);
