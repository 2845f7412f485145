// Reliability experiment "fuzzed specs" (issue 8): random and mutated specs, made with
// fast-check, go through validate → plan → apply exactly as the agent runs them (HostBackend.setup)
// in a network namespace of the experiment's own. Every trial must end in one of three ways:
//   applied  — the kernel read back (kernelConfig) and the persisted running config both equal the
//              canonical desired config, every network and bond the spec names is in it, no device
//              was created that the config does not imply, and every device the config does not
//              mention is as it was before the handler ever ran;
//   rejected — InvalidSpec, every error naming a field path whose parent exists in the spec, and
//              the host and the persisted config unchanged;
//   failed   — SetupFailed with a kernel's refusal (this machine's kernel has no bonding and no
//              802.1q, so specs with bonds or VLANs land here), the host rolled back and the
//              persisted config unchanged.
// Anything else — an exception out of setup() or one it reports as a failure, a crash or hang of
// the process, a mismatch — is "lost". State carries over from trial to trial (so plans are diffs
// against what the previous specs left); every RESET_EVERY trials, and at the end, setup({}) must
// give back the namespace as it was created. After a loss the namespace is built afresh, so that
// one leftover is counted once.
//
//   node dist/reliability/fuzz.js [--trials 1000 | --quick] [--seed S] [--verbose]   (root)
//   node dist/reliability/fuzz.js --specs FILE.jsonl   replays specs, one JSON per line, in order
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import pino from 'pino';
import type { RunningConfig } from '../src/api/config.js';
import { DEFAULT_MTU, DEFAULT_RESOLV_CONF, MIN_IPV6_MTU } from '../src/api/constants.js';
import { createdDevicesOf, devicesOf } from '../src/apply/layout.js';
import { formatValidationErrors, HostBackend, validateForHost } from '../src/handler/node-backend.js';
import type { SetupResult } from '../src/handler/backend.js';
import { kernelConfig, observeHost } from '../src/observe/index.js';
import { loadRunningConfig, runningConfigPath } from '../src/persist/running-config.js';
import type { ValidationError } from '../src/plan/validate.js';
import { run } from '../src/util/exec.js';
import { jsonEqual } from '../src/util/json-equal.js';
import { benchNamespaceName, deleteNamespace, freshNamespace } from '../bench/lib/netns.js';
import { reliabilityTable, type ReliabilityRow } from '../bench/lib/report.js';

const SELF = fileURLToPath(import.meta.url);

/** A clean-slate check every this many trials (and once at the end). */
export const RESET_EVERY = 50;
/** A trial that takes longer has hung (a static apply takes ~100 ms). */
const TRIAL_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// The host the trials run on: veth NICs (the handler's NIC rule counts veth), peers kept in the
// same namespace and up so the NICs have carrier as real ones would. Some pre-existing state the
// handler must give back when it releases a NIC, and a bridge it must never touch unless named.

export const NICS = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5'] as const;
export const FOREIGN_BRIDGE = 'foreign0';
/**
 * The namespace's resolv.conf, as /etc/netns/<ns>/resolv.conf: `ip netns exec` bind-mounts it on
 * /etc/resolv.conf for the trial process, so the handler and the observer both use it as they
 * would /etc/resolv.conf on a node, and the machine's own file is never written.
 */
export const HOST_RESOLV = 'search fuzz.invalid\nnameserver 10.252.0.53\n';
const RESOLV_CONF = DEFAULT_RESOLV_CONF;

export function namespaceBatch(): string {
  const lines = ['link set lo up'];
  NICS.forEach((nic, i) => {
    lines.push(`link add ${nic} type veth peer name peer${i}`, `link set peer${i} up`);
    // eth4 stays down: a NIC the handler takes must be put back down when released.
    if (nic !== 'eth4') lines.push(`link set ${nic} up`);
  });
  // eth5 had an address and a jumbo MTU before the handler came; both must come back on release.
  lines.push('link set eth5 mtu 9000', 'addr add 10.250.5.1/24 dev eth5');
  lines.push(`link add ${FOREIGN_BRIDGE} type bridge`, `link set ${FOREIGN_BRIDGE} up`, `addr add 10.251.0.1/24 dev ${FOREIGN_BRIDGE}`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Spec generation. Three kinds of trial:
//   valid   — built to pass validation (conflicts dropped while building); mostly bridges and
//             bridgeless networks on the NICs with static IPv4/IPv6, a fifth with bonds and VLANs;
//   mutated — a valid spec with one thing dropped, replaced, garbled, duplicated or mistyped;
//   random  — every field drawn from the vocabulary, good values mostly, bad ones sometimes.
// Specs go through JSON before use: that is what the agent gets from the API server.

export type TrialKind = 'valid' | 'mutated' | 'random';
export interface Trial {
  kind: TrialKind;
  spec: unknown;
  /** For mutated specs, what was done to the valid one. */
  mutation?: string;
}

type Obj = Record<string, unknown>;

const NET_NAMES = ['net0', 'net1', 'net2', 'net3', 'net4', 'ovirtmgmt', 'n_5', 'x-6', 'abcdefghijklmno'];
/** Names a network must not have, or that are legal but unusual (prototype keys, 15 characters, non-ASCII). */
const ODD_NET_NAMES = [
  '', 'n.1', 'a b', '-x', 'abcdefghijklmnop', 'eth1', 'bond0', 'lo', FOREIGN_BRIDGE, 'net:1', 'n/1', 'ñññññññññ',
  'peer2', '__proto__', 'constructor', 'NET0', 'toString',
];
const BOND_NAMES = ['bond0', 'bond1', 'bond_x'];
const ODD_BOND_NAMES = ['bnd0', 'bond', 'bond-1', 'bond0.5', 'bondabcdefghijklm', 'eth2', '__proto__', ''];

/** Mostly good values, sometimes bad ones. */
function mix<T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
}

const HUGE = 'x'.repeat(5000);

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

// ---- valid specs ----

const BRIDGE_OPTS = ['forward_delay=400', 'multicast_snooping=0', 'ageing_time=1000 multicast_snooping=0', 'hello_time=150 max_age=1500', 'priority=100'];

const rawValidNet = fc.record({
  slot: fc.nat({ max: NET_NAMES.length - 1 }),
  south: fc.nat({ max: 40 }),
  vlan: fc.option(fc.constantFrom(0, 10, 20, 4094), { nil: undefined }),
  bridged: fc.boolean(),
  explicitBridged: fc.boolean(),
  stp: fc.boolean(),
  bridgeOpts: fc.option(fc.constantFrom(...BRIDGE_OPTS, 'forward_delay=0'), { nil: undefined, freq: 3 }),
  mtu: fc.option(fc.constantFrom(1280, 1400, 1500, 9000), { nil: undefined }),
  ipv4: fc.constantFrom('none', 'prefix', 'netmask', 'gateway'),
  prefix: fc.constantFrom(16, 24, 28),
  host: fc.constantFrom(2, 3),
  ipv6: fc.constantFrom('none', 'static', 'gateway', 'autoconf'),
  defaultRoute: fc.boolean(),
  nameservers: fc.option(fc.constantFrom(['10.252.0.54'], ['fd00:252::53', '10.252.0.53']), { nil: undefined }),
});

const rawValidSpec = fc.record({
  // Bonds and VLANs fail on this kernel (no modules): a fifth of the valid specs have them.
  features: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'bonds+vlans'),
  slaveOf: fc.array(fc.integer({ min: -1, max: 1 }), { minLength: NICS.length, maxLength: NICS.length }),
  bondOptions: fc.array(fc.option(fc.constantFrom('mode=1 miimon=100', 'mode=802.3ad miimon=100', 'mode=balance-xor'), { nil: undefined }), { minLength: 2, maxLength: 2 }),
  nets: fc.uniqueArray(rawValidNet, { selector: (n) => n.slot, maxLength: 5 }),
  connectivityCheck: fc.option(fc.constantFrom<Obj>({ enabled: false }, { timeoutSeconds: 5 }, { enabled: true, probes: { gateway: true } }), { nil: undefined, freq: 4 }),
});

type RawValidSpec = typeof rawValidSpec extends fc.Arbitrary<infer T> ? T : never;

/** A spec that passes validation on the fuzz namespace: choices that would conflict are dropped. No DHCP (see runTrial). */
export function buildValidSpec(r: RawValidSpec): Obj {
  const withBonds = r.features !== 'plain';
  const bondings: Record<string, Obj> = {};
  if (withBonds) {
    for (const b of [0, 1]) {
      const nics = NICS.filter((_, i) => r.slaveOf[i] === b);
      if (nics.length === 0) continue;
      const opts = r.bondOptions[b];
      bondings[`bond${b}`] = { nics, ...(opts !== undefined ? { options: opts } : {}) };
    }
  }
  const free: string[] = NICS.filter((_, i) => !withBonds || r.slaveOf[i] === -1);
  const southbounds = [...free, ...Object.keys(bondings)];
  const networks: Record<string, Obj> = {};
  const used = new Set<string>();
  let defaultTaken = false;
  for (const n of r.nets) {
    const name = NET_NAMES[n.slot]!;
    const k = n.slot + 1;
    // Two of every southbounds.length + 2 picks are nicless bridges.
    const pick = n.south % (southbounds.length + 2);
    const sb = pick < southbounds.length ? southbounds[pick] : undefined;
    const vlan = sb !== undefined && withBonds ? n.vlan : undefined;
    if (sb !== undefined) {
      const key = `${sb}/${vlan ?? ''}`;
      if (used.has(key)) continue;
      used.add(key);
    }
    const net: Obj = {};
    if (sb !== undefined) net[sb.startsWith('bond') ? 'bonding' : 'nic'] = sb;
    if (vlan !== undefined) net.vlan = vlan;
    const bridged = sb === undefined ? true : n.bridged;
    if (!bridged || n.explicitBridged) net.bridged = bridged;
    if (bridged && n.stp) net.stp = true;
    // The kernel refuses forward_delay below 2 s while STP runs.
    if (bridged && n.bridgeOpts !== undefined && !(n.stp && n.bridgeOpts === 'forward_delay=0')) net.bridgeOpts = n.bridgeOpts;
    if (n.ipv4 !== 'none') {
      net.ipaddr = `10.${k}.0.${n.host}`;
      if (n.ipv4 === 'netmask') net.netmask = '255.255.255.0';
      else net.prefix = n.prefix;
      if (n.ipv4 === 'gateway') net.gateway = `10.${k}.0.1`;
    }
    if (n.ipv6 === 'static' || n.ipv6 === 'gateway') net.ipv6addr = `fd00:${k}::${n.host}/64`;
    if (n.ipv6 === 'gateway') net.ipv6gateway = `fd00:${k}::1`;
    if (n.ipv6 === 'autoconf') net.ipv6autoconf = true;
    if (n.mtu !== undefined) net.mtu = n.ipv6 !== 'none' && n.mtu < MIN_IPV6_MTU ? MIN_IPV6_MTU : n.mtu;
    if (n.defaultRoute && !defaultTaken) {
      defaultTaken = true;
      net.defaultRoute = true;
      if (n.nameservers) net.nameservers = [...n.nameservers];
    }
    networks[name] = net;
  }
  // A VLAN cannot exceed the MTU of a bridgeless untagged network on the same southbound.
  for (const net of Object.values(networks)) {
    if (net.vlan === undefined) continue;
    const sb = net.nic ?? net.bonding;
    const lower = Object.values(networks).find((u) => u.vlan === undefined && u.bridged === false && (u.nic ?? u.bonding) === sb);
    const lowerMtu = (lower?.mtu as number | undefined) ?? DEFAULT_MTU;
    if (lower && ((net.mtu as number | undefined) ?? DEFAULT_MTU) > lowerMtu) {
      net.mtu = lowerMtu;
      if (lowerMtu < MIN_IPV6_MTU) for (const f of ['ipv6addr', 'ipv6gateway', 'ipv6autoconf']) delete net[f];
    }
  }
  const spec: Obj = { networks };
  if (Object.keys(bondings).length) spec.bondings = bondings;
  if (r.connectivityCheck) spec.connectivityCheck = r.connectivityCheck;
  return spec;
}

export const validSpec: fc.Arbitrary<Obj> = rawValidSpec.map(buildValidSpec);

// ---- mutations of a valid spec ----

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

/** Applies one mutation to a copy of a valid spec; returns the spec and what was done. */
export function mutate(
  base: Obj,
  m: { op: (typeof MUTATIONS)[number]; a: number; b: number; value: unknown; how: (typeof GARBLES)[number]; name: string },
): [unknown, string] {
  const spec = structuredClone(base);
  const networks = (spec.networks ?? {}) as Record<string, Obj>;
  spec.networks = networks;
  let names = Object.keys(networks);
  if (!names.length) {
    networks.net9 = {};
    names = ['net9'];
  }
  const netName = names[m.a % names.length]!;
  const net = networks[netName]!;
  const present = Object.keys(net);
  switch (m.op) {
    case 'drop-field': {
      const f = present.length ? present[m.b % present.length]! : 'nic';
      delete net[f];
      return [spec, `drop ${netName}.${f}`];
    }
    case 'set-field': {
      const f = NET_FIELDS[m.b % NET_FIELDS.length]!;
      net[f] = m.value;
      return [spec, `set ${netName}.${f}`];
    }
    case 'garble': {
      const strings = present.filter((f) => typeof net[f] === 'string' || (f === 'nameservers' && Array.isArray(net[f]) && (net[f] as unknown[]).length));
      if (!strings.length) {
        net.nic = garble('eth1', m.how, m.b);
        return [spec, `garble ${netName}.nic (${m.how})`];
      }
      const f = strings[m.b % strings.length]!;
      if (f === 'nameservers') (net[f] as unknown[])[0] = garble(String((net[f] as unknown[])[0]), m.how, m.b);
      else net[f] = garble(net[f] as string, m.how, m.b);
      return [spec, `garble ${netName}.${f} (${m.how})`];
    }
    case 'unknown-field': {
      const f = ['Nic', 'ipv6prefix', 'vlanId', 'bridge', 'dns', 'switch'][m.b % 6]!;
      if (m.a % 4 === 0) spec[f] = m.value;
      else net[f] = m.value;
      return [spec, `unknown field ${f}`];
    }
    case 'rename': {
      const to = m.name;
      delete networks[netName];
      networks[to] = net;
      return [spec, `rename ${netName} -> ${JSON.stringify(to)}`];
    }
    case 'duplicate': {
      const to = names.includes('net8') ? 'net7' : 'net8';
      networks[to] = structuredClone(net);
      return [spec, `duplicate ${netName} as ${to}`];
    }
    case 'network-type':
      (networks as Obj)[netName] = m.value;
      return [spec, `${netName} replaced by a ${Array.isArray(m.value) ? 'list' : typeof m.value}`];
    case 'top-type': {
      const where = ['networks', 'bondings', 'spec', 'connectivityCheck'][m.b % 4]!;
      if (where === 'spec') return [m.value, 'whole spec replaced'];
      spec[where] = m.value;
      return [spec, `${where} replaced`];
    }
    case 'second-default': {
      for (const n of names.slice(0, 2)) networks[n]!.defaultRoute = true;
      if (names.length < 2) networks.net8 = { defaultRoute: true };
      return [spec, 'two default routes'];
    }
    case 'bond': {
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
    case 'connectivity':
      spec.connectivityCheck = [{ enabled: m.value }, { timeoutSeconds: m.value }, { probes: { dns: m.value } }, m.value][m.b % 4];
      return [spec, 'connectivityCheck'];
    case 'dhcp':
      net.bootproto = 'dhcp';
      if (m.b % 2) net.dhcpv6 = true;
      return [spec, `${netName} to DHCP`];
    case 'huge': {
      const f = ['nic', 'bridgeOpts', 'ipaddr', 'ipv6addr', 'name'][m.b % 5]!;
      if (f === 'name') {
        delete networks[netName];
        networks[HUGE] = net;
      } else net[f] = HUGE;
      return [spec, `huge ${f}`];
    }
  }
}

const anyNetName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...NET_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_NET_NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 18 }) },
);

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

// ---- random specs over the vocabulary ----

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

export const trialArbitrary: fc.Arbitrary<Trial> = fc.oneof(
  { weight: 4, arbitrary: validSpec.map((spec): Trial => ({ kind: 'valid', spec })) },
  { weight: 4, arbitrary: mutatedSpec.map(([spec, mutation]): Trial => ({ kind: 'mutated', spec, mutation })) },
  { weight: 3, arbitrary: randomSpec.map((spec): Trial => ({ kind: 'random', spec })) },
);

/** n trials, the same for the same seed; each spec as JSON would carry it. */
export function generateTrials(n: number, seed: number): Trial[] {
  if (n <= 0) return [];
  return fc.sample(trialArbitrary, { numRuns: n, seed }).map((t) => ({ ...t, spec: JSON.parse(JSON.stringify(t.spec ?? null)) as unknown }));
}

// ---------------------------------------------------------------------------------------------
// Pure checks.

/** `spec.networks["a.b"].nics[0]` → ['spec', 'networks', 'a.b', 'nics', 0] (the syntax of validate.ts's joinPath); undefined if malformed. */
export function parseFieldPath(path: string): (string | number)[] | undefined {
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(path);
  if (!m) return undefined;
  const out: (string | number)[] = [m[0]];
  let i = m[0].length;
  while (i < path.length) {
    if (path[i] === '.') {
      const seg = /^[A-Za-z0-9_][A-Za-z0-9_-]*/.exec(path.slice(i + 1));
      if (!seg) return undefined;
      out.push(seg[0]);
      i += 1 + seg[0].length;
    } else if (path.startsWith('["', i)) {
      let j = i + 2;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      if (path[j + 1] !== ']') return undefined;
      try {
        out.push(JSON.parse(path.slice(i + 1, j + 1)) as string);
      } catch {
        return undefined;
      }
      i = j + 2;
    } else if (path[i] === '[') {
      const idx = /^\[(\d+)\]/.exec(path.slice(i));
      if (!idx) return undefined;
      out.push(Number(idx[1]));
      i += idx[0].length;
    } else return undefined;
  }
  return out;
}

/**
 * Why an error's path does not name a field of the spec, or undefined when it does: it must
 * parse, start at `spec`, and everything but its last segment must exist in the spec as given
 * (the last may be a missing required field, or an unknown one).
 */
export function fieldPathProblem(path: string, spec: unknown): string | undefined {
  const segs = parseFieldPath(path);
  if (!segs) return `"${path}" is not a field path`;
  if (segs[0] !== 'spec') return `"${path}" does not start at spec`;
  let cur: unknown = spec;
  for (const s of segs.slice(1, -1)) {
    if (typeof s === 'number' ? !Array.isArray(cur) || s >= cur.length : cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, s)) {
      return `"${path}": ${JSON.stringify(s)} is not in the spec`;
    }
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return undefined;
}

/** Problems of an InvalidSpec rejection: no errors, errors without a field path, or a message that is not theirs. */
export function rejectionProblems(errors: readonly ValidationError[], message: string, spec: unknown): string[] {
  if (!errors.length) return ['rejected without any error'];
  const out: string[] = [];
  for (const e of errors) {
    const p = fieldPathProblem(e.path, spec);
    if (p) out.push(`error without a field path: ${p} (${e.message})`);
    if (!e.message.trim()) out.push(`error at ${e.path} without a message`);
  }
  const want = formatValidationErrors(errors);
  if (message !== want) out.push(`setup's message is not the validation errors: ${clip(message, 200)}`);
  return out;
}

/** The devices a canonical config makes the handler create. */
export function impliedDevices(cfg: RunningConfig): Set<string> {
  return createdDevicesOf(cfg);
}

/** Every device a canonical config touches: implied ones, NICs, bond slaves. */
export function mentionedDevices(cfg: RunningConfig): Set<string> {
  return devicesOf(cfg);
}

/** The spec with DHCP turned off (bootproto dhcp dropped, dhcpv6 false); see runTrial for why. */
export function withoutDhcp(spec: unknown): unknown {
  const copy = structuredClone(spec) as { networks?: Record<string, Obj> };
  for (const n of Object.values(copy.networks ?? {})) {
    if (n.bootproto === 'dhcp') delete n.bootproto;
    if (n.dhcpv6 === true) delete n.dhcpv6;
  }
  return copy;
}

export function usesDhcp(cfg: RunningConfig): boolean {
  return Object.values(cfg.networks).some((n) => n.bootproto === 'dhcp' || n.dhcpv6);
}

/** Leaf paths where two JSON values differ (at most `max`), for messages. */
export function jsonDiff(a: unknown, b: unknown, max = 6, at = ''): string[] {
  if (jsonEqual(a, b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return [`${at || '.'}: ${clip(JSON.stringify(a), 120)} vs ${clip(JSON.stringify(b), 120)}`];
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (out.length >= max) break;
    out.push(...jsonDiff(a[k], b[k], max - out.length, `${at}.${k}`));
  }
  return out;
}

function clip(s: string | undefined, n: number): string {
  if (s === undefined) return 'undefined';
  return s.length > n ? `${s.slice(0, n)}…(${s.length})` : s;
}

// ---------------------------------------------------------------------------------------------
// Host snapshots: what `ip` shows of links, addresses, routes and rules, plus the IPv6 sysctls
// and resolv.conf, without what changes by itself (counters, timers, carrier, operstate, DAD
// state, kernel-made link-local addresses and the local table derived from the addresses).

interface IpLink {
  ifname: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_data?: Obj; info_slave_data?: Obj };
  addr_info?: (Obj & { family: string; local: string; prefixlen: number; scope?: string })[];
  [k: string]: unknown;
}

export interface Dumps {
  links: IpLink[];
  addrs: IpLink[];
  routes: Obj[];
  rules: Obj[];
  sysctl: Record<string, Record<string, string>>;
  resolv: string;
}

export interface LinkView {
  [k: string]: unknown;
  addrs: string[];
  routes: string[];
  sysctl?: Record<string, string>;
}

export interface HostView {
  links: Record<string, LinkView>;
  rules: string[];
  sysctl: Record<string, Record<string, string>>;
  resolv: string;
}

const VOLATILE_LINK = new Set(['ifindex', 'operstate', 'linkmode', 'qdisc', 'stats64', 'stats', 'addr_info', 'linkinfo', 'flags']);
const VOLATILE_FLAGS = new Set(['LOWER_UP', 'NO-CARRIER', 'M-DOWN', 'DORMANT']);
const VOLATILE_BRIDGE = /timer$|^topology_change|^root_port$|^root_path_cost$/;
const VOLATILE_PORT = /timer$|^state$|^topology_change_ack$|^config_pending$|^designated_/;
/** What a bridge re-created by a rollback may get anew: its MAC (when portless) and what derives from it, port numbers. */
const LOOSE_BRIDGE = /^(bridge_id|root_id)$/;
const LOOSE_PORT = /^(bridge_id|root_id|id|no)$/;
const ADDR_FLAGS = ['secondary', 'noprefixroute', 'nodad', 'home', 'mngtmpaddr'];

function sortedJson(o: Obj): string {
  return JSON.stringify(Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]])));
}

function filterKeys(o: Obj | undefined, drop: (k: string) => boolean): Obj | undefined {
  if (!o) return undefined;
  return Object.fromEntries(Object.keys(o).filter((k) => !drop(k)).sort().map((k) => [k, o[k]]));
}

/** The comparable view of a snapshot; `loose` leaves out what a re-created bridge legitimately gets anew. */
export function hostView(d: Dumps, loose = false): HostView {
  const links: Record<string, LinkView> = {};
  const hasPorts = new Set(d.links.map((l) => l.master).filter((m): m is string => typeof m === 'string'));
  const addrsOf = new Map(d.addrs.map((l) => [l.ifname, l.addr_info ?? []]));
  for (const l of d.links) {
    const v: LinkView = { addrs: [], routes: [] };
    for (const k of Object.keys(l).sort()) if (!VOLATILE_LINK.has(k)) v[k] = l[k];
    v.flags = (l.flags ?? []).filter((f) => !VOLATILE_FLAGS.has(f)).sort();
    const li = l.linkinfo;
    v.kind = li?.info_kind;
    v.slaveKind = li?.info_slave_kind;
    const portlessBridge = li?.info_kind === 'bridge' && !hasPorts.has(l.ifname);
    if (loose && portlessBridge) delete v.address;
    v.data = filterKeys(li?.info_data, (k) => VOLATILE_BRIDGE.test(k) || (loose && LOOSE_BRIDGE.test(k)));
    v.slaveData = filterKeys(li?.info_slave_data, (k) => VOLATILE_PORT.test(k) || (loose && LOOSE_PORT.test(k)));
    v.addrs = (addrsOf.get(l.ifname) ?? [])
      .filter((a) => !(a.family === 'inet6' && a.scope === 'link'))
      .map((a) => {
        const forever = a.valid_life_time === undefined || a.valid_life_time === 4294967295;
        const flags = ADDR_FLAGS.filter((f) => a[f] === true);
        return `${a.family} ${a.local}/${a.prefixlen} ${a.scope ?? ''}${forever ? '' : ' dynamic'}${flags.map((f) => ` ${f}`).join('')}${a.label && a.label !== l.ifname ? ` label ${String(a.label)}` : ''}`;
      })
      .sort();
    const sys = d.sysctl[l.ifname];
    if (sys) v.sysctl = sys;
    links[l.ifname] = v;
  }
  for (const r of d.routes) {
    if (r.table === 'local' || r.type === 'multicast' || (r.dst === 'fe80::/64' && r.protocol === 'kernel')) continue;
    const { flags: _f, expires: _e, ...rest } = r;
    const dev = typeof r.dev === 'string' && links[r.dev] ? r.dev : undefined;
    if (dev) links[dev]!.routes.push(sortedJson(rest));
    else (links['-'] ??= { addrs: [], routes: [] }).routes.push(sortedJson(rest));
  }
  for (const v of Object.values(links)) v.routes.sort();
  const sysctl = Object.fromEntries(['all', 'default'].filter((k) => d.sysctl[k]).map((k) => [k, d.sysctl[k]!]));
  return { links, rules: d.rules.map(sortedJson).sort(), sysctl, resolv: d.resolv };
}

/** Reads the snapshot inside the current network namespace. */
async function readDumps(resolvConf: string): Promise<Dumps> {
  const ipJson = async (...args: string[]): Promise<Obj[]> => JSON.parse((await run(['ip', '-json', ...args])).stdout || '[]') as Obj[];
  const [links, addrs, r4, r6, rules4, rules6, resolv] = await Promise.all([
    ipJson('-details', 'link', 'show'), ipJson('addr', 'show'), ipJson('-4', 'route', 'show', 'table', 'all'),
    ipJson('-6', 'route', 'show', 'table', 'all'), ipJson('-4', 'rule', 'show'), ipJson('-6', 'rule', 'show'),
    readFile(resolvConf, 'utf8').catch(() => '<missing>'),
  ]);
  const sysctl: Record<string, Record<string, string>> = {};
  const confDir = '/proc/sys/net/ipv6/conf';
  await Promise.all((await readdir(confDir).catch(() => [] as string[])).map(async (dev) => {
    const vals: Record<string, string> = {};
    for (const k of ['accept_ra', 'autoconf', 'disable_ipv6']) vals[k] = (await readFile(join(confDir, dev, k), 'utf8').catch(() => '?')).trim();
    sysctl[dev] = vals;
  }));
  return {
    links: links as IpLink[], addrs: addrs as IpLink[], routes: [...r4, ...r6.map((r) => ({ ...r, family: 6 }))],
    rules: [...rules4, ...rules6.map((r) => ({ ...r, family: 6 }))], sysctl, resolv,
  };
}

// ---------------------------------------------------------------------------------------------
// The child: one long-lived process inside the namespace (HostBackend works on the namespace of
// its own process), reading one request per line on stdin, answering one line per request.

export type Outcome = 'applied' | 'rejected' | 'failed' | 'lost';

export interface TrialResult {
  i: number;
  outcome: Outcome;
  problems: string[];
  /** SetupFailed etc.: the reason and message. */
  reason?: string;
  message?: string;
  /** The spec's canonical config needs bonding or 802.1q, which this kernel lacks. */
  needsModules?: boolean;
  /** A valid spec that asked for DHCP, applied with DHCP turned off. */
  dhcpOff?: boolean;
  /** Plan steps of an applied trial. */
  steps?: number;
  /** Resets: the devices not given back as found so far. */
  damaged?: string[];
  ms: number;
}

type Request = { op: 'trial'; i: number; spec: unknown } | { op: 'reset'; i: number };

interface ChildContext {
  backend: HostBackend;
  stateDir: string;
  baseline: Dumps;
  /**
   * The state each device of the namespace must be in whenever no config mentions it: its
   * baseline, until a trial is caught leaving it otherwise — then that is reported once (by that
   * trial) and becomes the expectation, so one leftover is not counted again by every later trial.
   */
  expectedFree: Record<string, LinkView>;
  /** Devices reported as not given back as found. */
  damaged: Set<string>;
}

async function persistedText(stateDir: string): Promise<string> {
  return readFile(runningConfigPath(stateDir), 'utf8').catch(() => '<none>');
}

function viewDiff(before: Dumps, after: Dumps, loose: boolean): string[] {
  return jsonDiff(hostView(before, loose), hostView(after, loose));
}

/** V8's wording of programming errors (TypeError, RangeError), as opposed to the kernel refusing something. */
export const INTERNAL_ERROR = /Cannot read propert|Cannot set propert|is not (iterable|a function|a constructor|defined)|Maximum call stack|Invalid (array|string) length|Cannot convert undefined|Cannot destructure/;

function needsModules(cfg: RunningConfig): boolean {
  return Object.keys(cfg.bondings).length > 0 || Object.values(cfg.networks).some((n) => n.vlan !== undefined || n.bonding !== undefined);
}

/** Checks of an applied config: read-back, persistence, names, created and untouched devices. */
async function appliedProblems(ctx: ChildContext, spec: unknown, desired: RunningConfig, after: Dumps): Promise<string[]> {
  const problems: string[] = [];
  const host = await observeHost();
  const readBack = kernelConfig(host, desired);
  if (!jsonEqual(readBack, desired)) problems.push(`kernel differs from the desired config: ${jsonDiff(desired, readBack).join('; ')}`);
  const persisted = await loadRunningConfig(ctx.stateDir);
  if (!jsonEqual(persisted, desired)) problems.push(`persisted config differs from the desired config: ${jsonDiff(desired, persisted).join('; ')}`);
  // Every network and bond the spec names must be in what was applied (nothing silently dropped).
  const s = spec as { networks?: unknown; bondings?: unknown } | null;
  for (const [field, names] of [['networks', desired.networks], ['bondings', desired.bondings]] as const) {
    const given = s && typeof s === 'object' ? (s as Obj)[field] : undefined;
    if (given && typeof given === 'object') {
      for (const k of Object.keys(given)) if (!Object.hasOwn(names, k)) problems.push(`spec.${field} names ${JSON.stringify(k)} but the applied config lacks it`);
    }
  }
  // Devices: those of the baseline are all there, the new ones are exactly those the config implies.
  const base = new Set(ctx.baseline.links.map((l) => l.ifname));
  const now = new Set(after.links.map((l) => l.ifname));
  const implied = impliedDevices(desired);
  for (const n of base) if (!now.has(n)) problems.push(`device ${n} of the namespace is gone`);
  for (const n of now) if (!base.has(n) && !implied.has(n)) problems.push(`device ${n} was created but the config does not imply it`);
  for (const n of implied) if (!now.has(n)) problems.push(`device ${n} is missing`);
  // Devices the config does not mention must be as they were before the handler ran.
  problems.push(...freeDeviceProblems(ctx, hostView(after, true).links, mentionedDevices(desired)));
  return problems;
}

/** Devices of the namespace that no config mentions and that are not as they were found (see expectedFree). */
function freeDeviceProblems(ctx: ChildContext, now: Record<string, LinkView>, mentioned: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [n, want] of Object.entries(ctx.expectedFree)) {
    const cur = now[n];
    if (mentioned.has(n) || !cur) continue;
    const d = jsonDiff(want, cur);
    if (!d.length) continue;
    problems.push(`device ${n}, in no config, is not as it was found: ${d.join('; ')}`);
    ctx.expectedFree[n] = cur;
    ctx.damaged.add(n);
  }
  return problems;
}

/**
 * One trial. DHCP: a valid spec that asks for bootproto dhcp or dhcpv6 is applied with DHCP
 * turned off. There is no DHCP server in the namespace, and the observer only shows a network as
 * DHCP once it holds a lease (usesDhcpv4/usesDhcpv6 look for dynamic addresses), so such a
 * network can never read back "exactly"; and a client left running would outlive the trial.
 * DHCP still takes part in rejection trials (dhcp + static address, dhcpv6 + ipv6addr...), which
 * is where the validation rules about it are. ipv6autoconf stays: it is two sysctls, no client.
 */
async function runTrial(ctx: ChildContext, i: number, given: unknown): Promise<TrialResult> {
  const t0 = Date.now();
  const res = (outcome: Outcome, problems: string[], extra: Partial<TrialResult> = {}): TrialResult => ({
    i, outcome: problems.length ? 'lost' : outcome, problems, ms: Date.now() - t0, ...extra,
  });
  const running = await loadRunningConfig(ctx.stateDir);
  let spec = given;
  let expected = await validateForHost(spec, running, RESOLV_CONF);
  let dhcpOff = false;
  if ('config' in expected && usesDhcp(expected.config)) {
    spec = withoutDhcp(spec);
    expected = await validateForHost(spec, running, RESOLV_CONF);
    dhcpOff = true;
  }
  const before = await readDumps(RESOLV_CONF);
  const persistedBefore = await persistedText(ctx.stateDir);
  let r: SetupResult;
  try {
    r = await ctx.backend.setup(spec, undefined);
  } catch (e) {
    return res('lost', [`setup threw: ${(e as Error).stack ?? String(e)}`]);
  }
  const after = await readDumps(RESOLV_CONF);
  const extra: Partial<TrialResult> = dhcpOff ? { dhcpOff } : {};
  if (r.ok) {
    if (!('config' in expected)) return res('lost', [`applied a spec that validation rejects: ${formatValidationErrors(expected.errors)}`], extra);
    return res('applied', await appliedProblems(ctx, spec, expected.config, after), { ...extra, steps: r.steps });
  }
  const persistedChanged = (await persistedText(ctx.stateDir)) !== persistedBefore;
  if (r.reason === 'InvalidSpec') {
    if ('config' in expected) return res('lost', [`rejected a spec that validation accepts: ${clip(r.message, 300)}`], extra);
    const problems = rejectionProblems(expected.errors, r.message, spec);
    const d = viewDiff(before, after, false);
    if (d.length) problems.push(`host changed after a rejection: ${d.join('; ')}`);
    if (persistedChanged) problems.push('persisted config changed after a rejection');
    return res('rejected', problems, { ...extra, message: clip(r.message, 300) });
  }
  // SetupFailed / RemovalFailed: the host must be back where it was (a bridge the rollback
  // re-created may have a new MAC when it has no ports, hence the loose view).
  const problems: string[] = [];
  if (r.reason !== 'SetupFailed' && r.reason !== 'RemovalFailed') problems.push(`${r.reason} without a connectivity check`);
  // A JavaScript exception that setup() turned into a failure is still a crash of the handler.
  if (INTERNAL_ERROR.test(r.message)) problems.push(`internal error reported as ${r.reason}: ${clip(r.message, 300)}`);
  const d = viewDiff(before, after, true);
  if (d.length) problems.push(`host not rolled back after ${r.reason}: ${d.join('; ')}`);
  if (persistedChanged) problems.push(`persisted config changed after ${r.reason}`);
  const mods = 'config' in expected && needsModules(expected.config);
  return res('failed', problems, { ...extra, reason: r.reason, message: clip(r.message, 300), needsModules: mods });
}

/** setup({}): everything the handler made is gone, the namespace as it was created (resolv.conf aside: VDSM keeps resolvers). */
async function runReset(ctx: ChildContext, i: number): Promise<TrialResult> {
  const t0 = Date.now();
  const problems: string[] = [];
  let r: SetupResult | undefined;
  try {
    r = await ctx.backend.setup({}, undefined);
  } catch (e) {
    problems.push(`setup({}) threw: ${(e as Error).stack ?? String(e)}`);
  }
  if (r && !r.ok) problems.push(`setup({}) failed: ${r.reason}: ${clip(r.message, 300)}`);
  const after = await readDumps(RESOLV_CONF);
  const base = hostView(ctx.baseline, true);
  const now = hostView(after, true);
  const extra = Object.keys(now.links).filter((n) => !base.links[n]);
  if (extra.length) problems.push(`devices left behind: ${extra.join(', ')}`);
  const gone = Object.keys(base.links).filter((n) => !now.links[n]);
  if (gone.length) problems.push(`devices of the namespace gone: ${gone.join(', ')}`);
  problems.push(...freeDeviceProblems(ctx, now.links, new Set()));
  const d = jsonDiff({ rules: base.rules, sysctl: base.sysctl }, { rules: now.rules, sysctl: now.sysctl });
  if (d.length) problems.push(`namespace differs from its initial state: ${d.join('; ')}`);
  const persisted = await loadRunningConfig(ctx.stateDir);
  if (Object.keys(persisted.networks).length || Object.keys(persisted.bondings).length) problems.push('persisted config is not empty');
  return { i, outcome: problems.length ? 'lost' : 'applied', problems, ms: Date.now() - t0, damaged: [...ctx.damaged].sort() };
}

/** DHCP clients started from this state dir (none are expected: see runTrial). */
async function stopDhcpClients(stateDir: string): Promise<void> {
  const dir = join(stateDir, 'dhcp');
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!f.endsWith('.pid')) continue;
    const pid = Number((await readFile(join(dir, f), 'utf8').catch(() => '')).trim());
    if (pid > 0) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

async function childMain(workDir: string, ns: string): Promise<void> {
  const stateDir = join(workDir, 'state');
  // The handler will write /etc/resolv.conf: refuse to run unless it is the namespace's own
  // (bind-mounted from /etc/netns/<ns>/ by ip netns exec, so the same file).
  const [mine, theirs] = await Promise.all([stat(RESOLV_CONF), stat(`/etc/netns/${ns}/resolv.conf`)]);
  if (mine.dev !== theirs.dev || mine.ino !== theirs.ino) throw new Error(`${RESOLV_CONF} is not the one of namespace ${ns}`);
  // The baseline is taken by the first child; one started after a crash compares with the same.
  const baselinePath = join(workDir, 'baseline.json');
  let baseline = await readFile(baselinePath, 'utf8').then((t) => JSON.parse(t) as Dumps).catch(() => undefined);
  if (!baseline) {
    baseline = await readDumps(RESOLV_CONF);
    await writeFile(baselinePath, JSON.stringify(baseline));
  }
  const ctx: ChildContext = {
    backend: new HostBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 200 }),
    stateDir, baseline,
    expectedFree: hostView(baseline, true).links,
    damaged: new Set(),
  };
  process.stdout.write('FUZZ {"ready":true}\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const req = JSON.parse(line) as Request;
    let out: TrialResult;
    try {
      out = req.op === 'reset' ? await runReset(ctx, req.i) : await runTrial(ctx, req.i, req.spec);
    } catch (e) {
      // The harness itself failed (an `ip` dump, a file): counted as lost, never hidden.
      out = { i: req.i, outcome: 'lost', problems: [`harness error: ${(e as Error).stack ?? String(e)}`], ms: 0 };
    }
    process.stdout.write(`FUZZ ${JSON.stringify(out)}\n`);
  }
  await stopDhcpClients(stateDir);
}

// ---------------------------------------------------------------------------------------------
// The parent: namespace, child process (restarted if it dies), tally.

class Child {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private pending: { resolve: (r: TrialResult) => void; reject: (e: Error) => void } | undefined;
  private ready: Promise<void> | undefined;
  private stderr = '';
  restarts = -1;

  constructor(private readonly ns: string, private readonly workDir: string) {}

  private start(): Promise<void> {
    this.restarts++;
    this.stderr = '';
    const proc = spawn('ip', ['netns', 'exec', this.ns, process.execPath, SELF, '--child', this.workDir, this.ns], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    let onReady: (() => void) | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      this.pending = { resolve: () => resolve(), reject };
    });
    proc.stderr.on('data', (b: Buffer) => void (this.stderr = (this.stderr + b.toString()).slice(-4000)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (!line.startsWith('FUZZ ')) return;
      const msg = JSON.parse(line.slice(5)) as TrialResult | { ready: true };
      if ('ready' in msg) return void onReady?.();
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(msg);
    });
    proc.on('close', (code, signal) => {
      if (this.proc === proc) this.proc = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new Error(`the process running the trials exited (${signal ?? code}): ${this.stderr.trim().split('\n').slice(-8).join(' | ')}`));
    });
    proc.stdin.on('error', () => undefined);
    return ready;
  }

  async send(req: Request, timeoutMs = TRIAL_TIMEOUT_MS): Promise<TrialResult> {
    if (!this.proc) this.ready = this.start();
    await this.ready;
    const proc = this.proc;
    if (!proc) throw new Error(`the process running the trials exited: ${this.stderr.trim().split('\n').slice(-8).join(' | ')}`);
    return new Promise<TrialResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      proc.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    proc.stdin.end();
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await closed;
    clearTimeout(t);
  }

  kill(): void {
    this.proc?.kill('SIGKILL');
  }
}

/** A failure's kind for the summary: the kernel's complaint without the step, device names and numbers. */
export function failureKind(r: Pick<TrialResult, 'reason' | 'message'>): string {
  const m = (r.message ?? '').replace(/^.*?: (?=(write|ip) )/, '')
    .replace(/\/(conf|class\/net)\/[^/\s]+\//g, '/$1/<dev>/').replace(/ name \S+ /g, ' name <dev> ');
  return `${r.reason}: ${m.replace(/\d+/g, 'N').slice(0, 140)}`;
}

export interface FuzzOptions {
  trials: number;
  seed?: number;
  log?: (l: string) => void;
  /** Replay these specs (in order) instead of generating them; for reproducing a failure. */
  specs?: unknown[];
  /** Log every trial (outcome and spec), to cut a failing sequence down to a reproducer. */
  verbose?: boolean;
}

export async function fuzzSpecs(opts: FuzzOptions): Promise<ReliabilityRow[]> {
  const log = opts.log ?? (() => undefined);
  const seed = opts.seed ?? randomBytes(4).readUInt32BE() % 2_147_483_647;
  const trials: Trial[] = opts.specs ? opts.specs.map((spec) => ({ kind: 'valid', spec })) : generateTrials(opts.trials, seed);
  const ns = benchNamespaceName('fuzz');
  const workDir = await mkdtemp(join(tmpdir(), 'ovnh-fuzz-'));
  const child = new Child(ns, workDir);
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= (async () => {
    await child.stop().catch(() => child.kill());
    await deleteNamespace(ns);
    await rm(`/etc/netns/${ns}`, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  })());
  const onSignal = () => {
    child.kill();
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  /** The namespace as created, the handler's state empty, the trial process not yet started. */
  const build = async () => {
    await child.stop().catch(() => child.kill());
    await freshNamespace(ns);
    await run(['ip', '-n', ns, '-batch', '-'], { input: namespaceBatch() });
    await mkdir(`/etc/netns/${ns}`, { recursive: true });
    await writeFile(`/etc/netns/${ns}/resolv.conf`, HOST_RESOLV);
    await rm(join(workDir, 'state'), { recursive: true, force: true });
    await rm(join(workDir, 'baseline.json'), { force: true });
  };

  const tally = { applied: 0, rejected: 0, failed: 0, failedModules: 0, lost: 0, dhcpOff: 0 };
  const byKind: Record<string, Record<Outcome, number>> = {};
  const failures = new Map<string, number>();
  const resets = { tried: 0, lost: 0, rebuilds: 0, damaged: new Set<string>() };
  const t0 = Date.now();
  // Trials since the namespace was last known clean: the sequence that reproduces a loss.
  let cleanSince = 0;
  const send = async (req: Request): Promise<TrialResult> => {
    try {
      return await child.send(req);
    } catch (e) {
      child.kill();
      return { i: req.i, outcome: 'lost', problems: [(e as Error).message], ms: 0 };
    }
  };
  // After a loss the namespace is built afresh: a leftover or a stuck config is counted once, by
  // the trial that showed it, instead of failing every trial after it.
  const lost = async (what: string, r: TrialResult, spec?: unknown) => {
    log(`LOST ${what} ${r.i}: ${r.problems.join(' || ')}`);
    if (spec !== undefined) log(`  spec: ${clip(JSON.stringify(spec), 2000)}`);
    if (r.i > cleanSince) log(`  (state from trials ${cleanSince}..${r.i - 1} carried over; the namespace is built afresh)`);
    for (const d of r.damaged ?? []) resets.damaged.add(d);
    resets.rebuilds++;
    await build();
    cleanSince = r.i + 1;
  };
  try {
    await build();
    log(`fuzzed specs: ${trials.length} trials, seed ${seed}, namespace ${ns}`);
    for (let i = 0; i < trials.length; i++) {
      if (i > 0 && i % RESET_EVERY === 0) {
        resets.tried++;
        const r = await send({ op: 'reset', i: i - 1 });
        if (r.outcome === 'lost') {
          resets.lost++;
          await lost('reset after trial', r);
        }
        cleanSince = i;
      }
      const t = trials[i]!;
      const r = await send({ op: 'trial', i, spec: t.spec });
      (byKind[t.kind] ??= { applied: 0, rejected: 0, failed: 0, lost: 0 })[r.outcome]++;
      if (r.dhcpOff) tally.dhcpOff++;
      if (opts.verbose) log(`trial ${i} ${t.kind}${t.mutation ? ` (${t.mutation})` : ''}: ${r.outcome} in ${r.ms} ms${r.message ? `: ${clip(r.message, 200)}` : ''}\n  spec: ${clip(JSON.stringify(t.spec), 3000)}`);
      if (r.outcome === 'lost') {
        tally.lost++;
        await lost(`trial (${t.kind}${t.mutation ? `: ${t.mutation}` : ''})`, r, t.spec);
      } else if (r.outcome === 'failed') {
        tally.failed++;
        if (r.needsModules) tally.failedModules++;
        else {
          const key = failureKind(r);
          if (!failures.has(key)) log(`failed (not bond/VLAN) trial ${i}: ${r.message}\n  spec: ${clip(JSON.stringify(t.spec), 2000)}`);
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      } else tally[r.outcome]++;
      if ((i + 1) % 100 === 0) {
        log(`${i + 1}/${trials.length} in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${tally.applied} applied, ${tally.rejected} rejected, ${tally.failed} failed, ${tally.lost} lost`);
      }
    }
    if (trials.length) {
      resets.tried++;
      const r = await send({ op: 'reset', i: trials.length - 1 });
      if (r.outcome === 'lost') {
        resets.lost++;
        log(`LOST reset after trial ${r.i}: ${r.problems.join(' || ')}`);
      }
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const secs = (Date.now() - t0) / 1000;
  log(`done in ${secs.toFixed(1)} s; by kind: ${Object.entries(byKind).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}`);
  if (child.restarts > resets.rebuilds) log(`the trial process was restarted ${child.restarts - resets.rebuilds} time(s) besides rebuilds`);
  for (const [k, n] of failures) log(`  ${n}x ${k}`);
  const other = tally.failed - tally.failedModules;
  const tried = trials.length;
  return [
    {
      experiment: 'fuzzed specs',
      case: 'random + mutated specs through validate → plan → apply (netns)',
      tried,
      survived: tried - tally.lost,
      lost: tally.lost,
      note: `${tally.applied} applied exactly, ${tally.rejected} rejected with field-named errors, ${tally.failed} failed and rolled back (${tally.failedModules} bond/VLAN: no kernel modules here${other ? `, ${other} other` : ''}); ${tally.dhcpOff} DHCP specs applied without DHCP; seed ${seed}, ${secs.toFixed(0)} s`,
    },
    {
      experiment: 'fuzzed specs',
      case: `setup({}) every ${RESET_EVERY} trials and at the end gives the namespace back as created`,
      tried: resets.tried,
      survived: resets.tried - resets.lost,
      lost: resets.lost,
      ...(resets.rebuilds ? { note: `namespace built afresh ${resets.rebuilds}x after a loss${resets.damaged.size ? `; not given back as found: ${[...resets.damaged].sort().join(', ')}` : ''}` } : {}),
    },
  ];
}

// ---------------------------------------------------------------------------------------------

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--child') {
    await childMain(process.argv[3]!, process.argv[4]!);
    process.exit(0);
  }
  const { values } = parseArgs({
    options: { trials: { type: 'string' }, seed: { type: 'string' }, quick: { type: 'boolean' }, specs: { type: 'string' }, verbose: { type: 'boolean' } },
  });
  const specs = values.specs
    ? (await readFile(values.specs, 'utf8')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown)
    : undefined;
  const rows = await fuzzSpecs({
    trials: Number(values.trials ?? (values.quick ? 100 : 1000)),
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    ...(specs ? { specs } : {}),
    verbose: values.verbose === true,
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(reliabilityTable(rows));
  process.exit(rows.some((r) => r.lost > 0) ? 1 : 0);
}
