// Mutated specs: a valid spec with one thing dropped, replaced, garbled, duplicated or mistyped.
import fc from 'fast-check';
import type { Obj } from './json.js';
import { validSpec } from './valid-spec.js';
import { anyNetName, anyValue, HUGE, ODD_BOND_NAMES } from './vocabulary.js';

const NET_FIELDS = [
  'nic', 'bonding', 'vlan', 'bridged', 'stp', 'bridgeOpts', 'mtu', 'bootproto', 'ipaddr', 'netmask', 'prefix', 'gateway',
  'defaultRoute', 'ipv6addr', 'ipv6gateway', 'dhcpv6', 'ipv6autoconf', 'nameservers',
];
const MUTATIONS = [
  'drop-field', 'set-field', 'set-field', 'garble', 'garble', 'unknown-field', 'rename', 'duplicate', 'network-type',
  'top-type', 'second-default', 'bond', 'connectivity', 'dhcp', 'huge',
] as const;
const GARBLES = ['append', 'truncate', 'upper', 'space', 'digit', 'empty', 'unicode'] as const;

function garble(s: string, how: (typeof GARBLES)[number], at: number): string {
  const i = s.length ? at % s.length : 0;
  switch (how) {
    case 'append': return `${s}0`;
    case 'truncate': return s.slice(0, i);
    case 'upper': return s.toUpperCase() === s ? `${s}X` : s.toUpperCase();
    case 'space': return `${s.slice(0, i)} ${s.slice(i)}`;
    case 'digit': return s.replace(/\d/, (d) => String((Number(d) + 7) % 10)) + (/\d/.test(s) ? '' : '9');
    case 'empty': return '';
    case 'unicode': return `${s.slice(0, i)}\u00e9${s.slice(i)}`;
  }
}

type Op = (typeof MUTATIONS)[number];

/** One mutation as drawn: what to do, and the numbers and values that pick where and with what. */
export interface Mutation {
  op: Op;
  a: number;
  b: number;
  value: unknown;
  how: (typeof GARBLES)[number];
  name: string;
}

/** A copy of the valid spec being mutated, with the network picked by `m.a` (net9, empty, when it has none). */
interface Target {
  spec: Obj;
  networks: Record<string, Obj>;
  /** The names of the spec's networks, before the mutation. */
  names: string[];
  netName: string;
  net: Obj;
  m: Mutation;
}

type Mutator = (t: Target) => [unknown, string];

function garbleField({ spec, netName, net, m }: Target): [unknown, string] {
  const strings = Object.keys(net).filter((f) => typeof net[f] === 'string' || (f === 'nameservers' && Array.isArray(net[f]) && (net[f] as unknown[]).length));
  if (!strings.length) {
    net.nic = garble('eth1', m.how, m.b);
    return [spec, `garble ${netName}.nic (${m.how})`];
  }
  const f = strings[m.b % strings.length]!;
  if (f === 'nameservers') (net[f] as unknown[])[0] = garble(String((net[f] as unknown[])[0]), m.how, m.b);
  else net[f] = garble(net[f] as string, m.how, m.b);
  return [spec, `garble ${netName}.${f} (${m.how})`];
}

/** One thing wrong with the spec's first bond (bond0, on eth2, when it has none). */
function breakBond({ spec, net, m }: Target): [unknown, string] {
  const bondings = (spec.bondings ?? {}) as Record<string, Obj>;
  spec.bondings = bondings;
  const b = Object.keys(bondings)[0] ?? 'bond0';
  const bond = bondings[b] ?? { nics: ['eth2'] };
  bondings[b] = bond;
  const edits: [string, () => void][] = [
    ['no nics', () => void (bond.nics = [])],
    ['unknown nic', () => void (bond.nics = ['eth9'])],
    ['nic twice', () => void (bond.nics = ['eth3', 'eth3'])],
    ['nics a string', () => void (bond.nics = 'eth3')],
    ['nic used by a network', () => void (bond.nics = [String(net.nic ?? 'eth0')])],
    ['options', () => void (bond.options = m.value)],
    ['hwaddr', () => void (bond.hwaddr = m.value)],
    ['odd name', () => void ((delete bondings[b]), (bondings[ODD_BOND_NAMES[m.a % ODD_BOND_NAMES.length]!] = bond))],
    ['network on missing bond', () => void ((delete net.nic), (net.bonding = 'bond7'))],
  ];
  const [what, edit] = edits[m.b % edits.length]!;
  edit();
  return [spec, `bond: ${what}`];
}

const MUTATORS: Record<Op, Mutator> = {
  'drop-field': ({ spec, netName, net, m }) => {
    const present = Object.keys(net);
    const f = present.length ? present[m.b % present.length]! : 'nic';
    delete net[f];
    return [spec, `drop ${netName}.${f}`];
  },
  'set-field': ({ spec, netName, net, m }) => {
    const f = NET_FIELDS[m.b % NET_FIELDS.length]!;
    net[f] = m.value;
    return [spec, `set ${netName}.${f}`];
  },
  garble: garbleField,
  'unknown-field': ({ spec, net, m }) => {
    const f = ['Nic', 'ipv6prefix', 'vlanId', 'bridge', 'dns', 'switch'][m.b % 6]!;
    if (m.a % 4 === 0) spec[f] = m.value;
    else net[f] = m.value;
    return [spec, `unknown field ${f}`];
  },
  rename: ({ spec, networks, netName, net, m }) => {
    const to = m.name;
    delete networks[netName];
    networks[to] = net;
    return [spec, `rename ${netName} -> ${JSON.stringify(to)}`];
  },
  duplicate: ({ spec, networks, names, netName, net }) => {
    const to = names.includes('net8') ? 'net7' : 'net8';
    networks[to] = structuredClone(net);
    return [spec, `duplicate ${netName} as ${to}`];
  },
  'network-type': ({ spec, networks, netName, m }) => {
    (networks as Obj)[netName] = m.value;
    return [spec, `${netName} replaced by a ${Array.isArray(m.value) ? 'list' : typeof m.value}`];
  },
  'top-type': ({ spec, m }) => {
    const where = ['networks', 'bondings', 'spec', 'connectivityCheck'][m.b % 4]!;
    if (where === 'spec') return [m.value, 'whole spec replaced'];
    spec[where] = m.value;
    return [spec, `${where} replaced`];
  },
  'second-default': ({ spec, networks, names }) => {
    for (const n of names.slice(0, 2)) networks[n]!.defaultRoute = true;
    if (names.length < 2) networks.net8 = { defaultRoute: true };
    return [spec, 'two default routes'];
  },
  bond: breakBond,
  connectivity: ({ spec, m }) => {
    spec.connectivityCheck = [{ enabled: m.value }, { timeoutSeconds: m.value }, { probes: { dns: m.value } }, m.value][m.b % 4];
    return [spec, 'connectivityCheck'];
  },
  dhcp: ({ spec, netName, net, m }) => {
    net.bootproto = 'dhcp';
    if (m.b % 2) net.dhcpv6 = true;
    return [spec, `${netName} to DHCP`];
  },
  huge: ({ spec, networks, netName, net, m }) => {
    const f = ['nic', 'bridgeOpts', 'ipaddr', 'ipv6addr', 'name'][m.b % 5]!;
    if (f === 'name') {
      delete networks[netName];
      networks[HUGE] = net;
    } else net[f] = HUGE;
    return [spec, `huge ${f}`];
  },
};

/** Applies one mutation to a copy of a valid spec; returns the spec and what was done. */
export function mutate(base: Obj, m: Mutation): [unknown, string] {
  const spec = structuredClone(base);
  const networks = (spec.networks ?? {}) as Record<string, Obj>;
  spec.networks = networks;
  let names = Object.keys(networks);
  if (!names.length) {
    networks.net9 = {};
    names = ['net9'];
  }
  const netName = names[m.a % names.length]!;
  return MUTATORS[m.op]({ spec, networks, names, netName, net: networks[netName]!, m });
}

export const mutatedSpec: fc.Arbitrary<[unknown, string]> = fc.tuple(
  validSpec,
  fc.record({
    op: fc.constantFrom(...MUTATIONS),
    a: fc.nat(),
    b: fc.nat(),
    value: anyValue,
    how: fc.constantFrom(...GARBLES),
    name: anyNetName,
  }),
).map(([base, m]) => mutate(base, m));
