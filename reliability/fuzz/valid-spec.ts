// Valid specs: built to pass validation on the fuzz namespace (conflicts dropped while building).
import { MIN_IPV6_MTU } from '../../src/api/constants.js';
import fc from 'fast-check';
import type { Obj } from './json.js';
import { NICS } from './namespace.js';
import { BRIDGE_OPTS, NET_NAMES } from './vocabulary.js';

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
  // Always a mode that carries a bridge: no mode is balance-rr, which the engine's rule keeps bridgeless.
  bondOptions: fc.array(fc.constantFrom('mode=1 miimon=100', 'mode=802.3ad miimon=100', 'mode=balance-xor'), { minLength: 2, maxLength: 2 }),
  nets: fc.uniqueArray(rawValidNet, { selector: (n) => n.slot, maxLength: 5 }),
  connectivityCheck: fc.option(fc.constantFrom<Obj>({ enabled: false }, { timeoutSeconds: 5 }, { enabled: true, probes: { gateway: true } }), { nil: undefined, freq: 4 }),
});

type RawValidSpec = typeof rawValidSpec extends fc.Arbitrary<infer T> ? T : never;
type RawValidNet = RawValidSpec['nets'][number];

/** bond0 and bond1 over the NICs slaveOf gives them, when the spec has bonds at all. */
function validBonds(r: RawValidSpec): Record<string, Obj> {
  const bondings: Record<string, Obj> = {};
  if (r.features === 'plain') return bondings;
  for (const b of [0, 1]) {
    const nics = NICS.filter((_, i) => r.slaveOf[i] === b);
    if (nics.length === 0) continue;
    bondings[`bond${b}`] = { nics, options: r.bondOptions[b] };
  }
  return bondings;
}

/** One network on southbound sb (none: a nicless bridge), addressed in subnet 10.<slot+1>; the default route if it takes it. */
function validNetwork(n: RawValidNet, sb: string | undefined, vlan: number | undefined, takesDefault: boolean): Obj {
  const k = n.slot + 1;
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
  if (takesDefault) {
    net.defaultRoute = true;
    if (n.nameservers) net.nameservers = [...n.nameservers];
  }
  return net;
}

/**
 * The networks on a southbound with an untagged network share its MTU (the oVirt engine's rule,
 * which also keeps a VLAN from exceeding a bridgeless untagged network, its lower device).
 */
function capVlanMtus(networks: Record<string, Obj>): void {
  for (const net of Object.values(networks)) {
    if (net.vlan === undefined) continue;
    const sb = net.nic ?? net.bonding;
    const lower = Object.values(networks).find((u) => u.vlan === undefined && (u.nic ?? u.bonding) === sb);
    const lowerMtu = (lower?.mtu as number | undefined) ?? 1500;
    if (lower && ((net.mtu as number | undefined) ?? 1500) !== lowerMtu) {
      net.mtu = lowerMtu;
      if (lowerMtu < 1280) for (const f of ['ipv6addr', 'ipv6gateway', 'ipv6autoconf']) delete net[f];
    }
  }
}

/** A spec that passes validation on the fuzz namespace: choices that would conflict are dropped. No DHCP (see runTrial). */
export function buildValidSpec(r: RawValidSpec): Obj {
  const withBonds = r.features !== 'plain';
  const bondings = validBonds(r);
  const free: string[] = NICS.filter((_, i) => !withBonds || r.slaveOf[i] === -1);
  const southbounds = [...free, ...Object.keys(bondings)];
  const networks: Record<string, Obj> = {};
  // One network per southbound and VLAN; one default route.
  const used = new Set<string>();
  let defaultTaken = false;
  for (const n of r.nets) {
    // Two of every southbounds.length + 2 picks are nicless bridges.
    const pick = n.south % (southbounds.length + 2);
    const sb = pick < southbounds.length ? southbounds[pick] : undefined;
    const vlan = sb !== undefined && withBonds ? n.vlan : undefined;
    if (sb !== undefined) {
      const key = `${sb}/${vlan ?? ''}`;
      if (used.has(key)) continue;
      used.add(key);
    }
    const takesDefault = n.defaultRoute && !defaultTaken;
    if (takesDefault) defaultTaken = true;
    networks[NET_NAMES[n.slot]!] = validNetwork(n, sb, vlan, takesDefault);
  }
  capVlanMtus(networks);
  const spec: Obj = { networks };
  if (Object.keys(bondings).length) spec.bondings = bondings;
  if (r.connectivityCheck) spec.connectivityCheck = r.connectivityCheck;
  return spec;
}

export const validSpec: fc.Arbitrary<Obj> = rawValidSpec.map(buildValidSpec);
