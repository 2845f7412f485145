// What the spec generators draw from: names, good and bad values, the "mostly good" mix.
import fc from 'fast-check';
import { FOREIGN_BRIDGE } from './namespace.js';

export const NET_NAMES = ['net0', 'net1', 'net2', 'net3', 'net4', 'ovirtmgmt', 'n_5', 'x-6', 'abcdefghijklmno'];
/** Names a network must not have, or that are legal but unusual (prototype keys, 15 characters, non-ASCII). */
const ODD_NET_NAMES = [
  '', 'n.1', 'a b', '-x', 'abcdefghijklmnop', 'eth1', 'bond0', 'lo', FOREIGN_BRIDGE, 'net:1', 'n/1', 'ñññññññññ',
  'peer2', '__proto__', 'constructor', 'NET0', 'toString',
];
export const BOND_NAMES = ['bond0', 'bond1', 'bond_x'];
export const ODD_BOND_NAMES = ['bnd0', 'bond', 'bond-1', 'bond0.5', 'bondabcdefghijklm', 'eth2', '__proto__', ''];

/** Mostly good values, sometimes bad ones. */
export function mix<T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
}

export const HUGE = 'x'.repeat(5000);

/** Any JSON value a field could wrongly get: other types, edge numbers, near-miss strings, huge strings. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(
    null, true, false, 0, -1, 1.5, 68, 1279, 4094, 4095, 65535, 65536, 1e21, '', ' ', 'none', 'dhcp', 'static', 'eth0',
    'eth9', 'peer1', 'lo', 'bond0', 'bond7', '10.1.0.2', '10.1.0.255', '10.1.0.0', '255.255.255.0', '255.0.255.0', '0.0.0.0',
    '224.0.0.1', '127.0.0.1', '300.1.1.1', 'fd00:1::2/64', 'fd00:1::2', '::/0', '::1/128', 'ff02::1/64', 'fd00::1/129',
    'forward_delay=abc', 'forward_delay=0', 'stp_state=1', 'mode=4 miimon=100', 'mode=99', 'miimon=-1', '52:54:00:00:00:01',
    '01:00:00:00:00:00', [], {}, ['10.252.0.53'], ['x'], [1, 2], ['eth0', 'eth0'], { nic: 'eth0' },
  ) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constant(HUGE) },
);

export const BRIDGE_OPTS = ['forward_delay=400', 'multicast_snooping=0', 'ageing_time=1000 multicast_snooping=0', 'hello_time=150 max_age=1500', 'priority=100'];

export const anyNetName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...NET_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_NET_NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 18 }) },
);
