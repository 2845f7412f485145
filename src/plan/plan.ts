// Planning: the ordered steps that take the kernel from the running config (what the handler owns
// now) to the desired one (the canonical spec). Steps are at the level of the config vocabulary —
// a network, a bond, an attribute group — each small enough for an executor to carry out with a
// few iproute2/sysfs operations, and each carrying the values it replaces, so that
// `invertStep` undoes it. Two properties hold for every plan (see the property tests):
//   applyPlanToConfig(running, plan(desired, running)) == desired
//   undoing any executed prefix in reverse order (invertPlan) restores running,
// and each step's inverse is valid in the state right after the step, so an executor that stops
// anywhere can roll back step by step. Devices that neither config mentions never appear.
//
// Order: first what goes away (nameservers, default route, networks, MTU decreases, bond slaves,
// southbound MTU decreases, bonds), then what comes (bonds, their options and slaves, MTU increases, in-place changes,
// networks, default route, nameservers). MTUs rise lower device first and fall upper device first,
// because the kernel keeps a VLAN's MTU at most its lower device's.
import type { BondConfig, HostQos, NetworkConfig, NicConfig, RunningConfig } from '../api/config.js';
import { IFDOWN_OPTIONS, NO_SLAVES_OPTIONS, changedOptions } from '../model/bond-options.js';
import { southboundOf } from '../model/device-names.js';
import { paramsText, type ParamGroup, type ParamValue } from '../model/ethtool-params.js';
import { jsonEqual } from '../util/json-equal.js';
import { DEFAULT_MTU } from '../api/constants.js';

/** Where a network sits; enough for an executor to name its devices (bridge, VLAN device, top). */
export type Topology = Pick<NetworkConfig, 'nic' | 'bonding' | 'vlan' | 'bridged'>;

export interface Ipv4Settings {
  bootproto: 'dhcp' | 'none';
  ipaddr?: string;
  netmask?: string;
  gateway?: string;
}

export interface Ipv6Settings {
  ipv6addr?: string;
  ipv6gateway?: string;
  dhcpv6: boolean;
  ipv6autoconf: boolean;
}

export interface BridgeSettings {
  stp: boolean;
  bridgeOpts?: string;
}

export type Step =
  /** Tear down a network's devices (bridge, VLAN device), addresses, routes, DHCP clients. */
  | { kind: 'removeNetwork'; network: string; config: NetworkConfig }
  /** Build a network whole: VLAN device, bridge + port, MTUs, IPv4/IPv6, default route, DNS. */
  | { kind: 'addNetwork'; network: string; config: NetworkConfig }
  /**
   * MTU of the network's own devices (VLAN device, bridge). A bridgeless untagged network has
   * none: its MTU is its southbound's, which `setMtu` sets.
   */
  | { kind: 'setNetworkMtu'; network: string; topology: Topology; from: number; to: number }
  | { kind: 'setBridge'; network: string; topology: Topology; from: BridgeSettings; to: BridgeSettings }
  /** Addresses, gateway, DHCP client. `defaultRoute`: the network holds the default route now (re-point it). */
  | {
      kind: 'setIpv4';
      network: string;
      topology: Topology;
      defaultRoute: boolean;
      from: Ipv4Settings;
      to: Ipv4Settings;
    }
  | {
      kind: 'setIpv6';
      network: string;
      topology: Topology;
      defaultRoute: boolean;
      from: Ipv6Settings;
      to: Ipv6Settings;
    }
  /** Give (to: true) or take (to: false) the host default route; `ipv4`/`ipv6gateway` as the network has them then. */
  | {
      kind: 'setDefaultRoute';
      network: string;
      topology: Topology;
      ipv4: Ipv4Settings;
      ipv6gateway?: string;
      from: boolean;
      to: boolean;
    }
  /** The host's resolvers, which the default-route network carries; to: [] = stop managing them. */
  | { kind: 'setNameservers'; network: string; from: string[]; to: string[] }
  /** Create the bond with its options and hwaddr, and enslave its nics. */
  | { kind: 'addBond'; bond: string; config: BondConfig }
  /** Delete the bond (its slaves are released). */
  | { kind: 'removeBond'; bond: string; config: BondConfig }
  /**
   * Options, canonical strings; the executor writes the changed ones and resets the dropped ones
   * to their defaults. `needsDown`: a changed option is only accepted while the bond is down.
   * Options the kernel changes only without slaves (mode, fail_over_mac) are planned between
   * `release` and `enslave` steps of all slaves.
   */
  | { kind: 'setBondOptions'; bond: string; from: string; to: string; needsDown: boolean }
  /** undefined = no explicit address (the bond takes its first slave's). */
  | { kind: 'setBondHwaddr'; bond: string; from?: string; to?: string }
  | { kind: 'enslave'; bond: string; nic: string }
  | { kind: 'release'; bond: string; nic: string }
  /** MTU of a southbound device (NIC or bond): the largest MTU of the networks on it, else 1500. */
  | { kind: 'setMtu'; device: string; from: number; to: number }
  /**
   * What the kernel lacks of a device of the running config with no config change behind it (a
   * hand-made change, a NIC that went down): planned by the compiler from the host it reads.
   */
  | {
      kind: 'syncLink';
      device: string;
      mtu?: { from: number; to: number };
      up?: boolean;
      hwaddr?: { from: string; to: string };
    }
  /** resolv.conf lists other resolvers than the default-route network's. */
  | { kind: 'syncResolvers'; network: string; from: string[]; to: string[] }
  /**
   * Routes of a network that both configs keep and the kernel lacks (deleted by hand), put back
   * (apply/compile/addressing.ts lostRoutes); `routes` as people read them.
   */
  | { kind: 'syncRoutes'; network: string; routes: string[] }
  /**
   * The ethtool features the handler manages on a NIC (spec.nics.NIC.ethtoolOpts.features),
   * sorted; {} = none. A feature in `to` is set; one only in `from` is no longer managed and
   * keeps its value. The kernel work sets only what the kernel does not already have, and its
   * undo the values the kernel had (apply/compile/lower.ts).
   */
  | { kind: 'setNicFeatures'; nic: string; from: Record<string, boolean>; to: Record<string, boolean> }
  /**
   * The ring sizes or coalescing parameters the handler manages on a NIC (ethtoolOpts.rings,
   * ethtoolOpts.coalesce), sorted, {} = none; as setNicFeatures: `to` is set, a name only in
   * `from` keeps its value, and the kernel work's undo sets back what the kernel had.
   */
  | {
      kind: 'setNicParams';
      nic: string;
      group: ParamGroup;
      from: Record<string, ParamValue>;
      to: Record<string, ParamValue>;
    }
  /**
   * A network's hostQos (undefined: none). One step per network; its kernel work is the class
   * tree of the network's southbound, from what the kernel has to what the desired config's
   * networks on that device want (apply/compile/qos.ts), undone exactly. Taken off before a
   * network is removed and put on after it is added, so addNetwork/removeNetwork carry no QoS.
   */
  | { kind: 'setHostQos'; network: string; topology: Topology; from?: HostQos; to?: HostQos };

export type StepKind = Step['kind'];
export type Plan = Step[];

// ---- projections of a network config ----

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function topologyOf(n: NetworkConfig): Topology {
  return defined({ nic: n.nic, bonding: n.bonding, vlan: n.vlan, bridged: n.bridged });
}

export function ipv4Of(n: NetworkConfig): Ipv4Settings {
  return defined({ bootproto: n.bootproto, ipaddr: n.ipaddr, netmask: n.netmask, gateway: n.gateway });
}

export function ipv6Of(n: NetworkConfig): Ipv6Settings {
  return defined({ ipv6addr: n.ipv6addr, ipv6gateway: n.ipv6gateway, dhcpv6: n.dhcpv6, ipv6autoconf: n.ipv6autoconf });
}

export function bridgeOf(n: NetworkConfig): BridgeSettings {
  return defined({ stp: n.stp, bridgeOpts: n.bridgeOpts });
}

/** Where a network's southbound is (the model's one definition, re-exported for the plan's callers). */
export { southboundOf };

/** A change of where the network sits replaces it: its devices are different devices. */
function topologyChanged(a: NetworkConfig, b: NetworkConfig): boolean {
  return !jsonEqual(topologyOf(a), topologyOf(b));
}

/** The features a config manages on a NIC ({} when none), as a copy. */
export function nicFeatures(config: RunningConfig, nic: string): Record<string, boolean> {
  const n = config.nics && Object.hasOwn(config.nics, nic) ? config.nics[nic] : undefined;
  return { ...(n?.ethtoolOpts.features ?? {}) };
}

/** The ring sizes or coalescing a config manages on a NIC ({} when none), as a copy. */
export function nicParams(config: RunningConfig, nic: string, group: ParamGroup): Record<string, ParamValue> {
  const n = config.nics && Object.hasOwn(config.nics, nic) ? config.nics[nic] : undefined;
  return { ...(n?.ethtoolOpts[group] ?? {}) };
}

/** The MTU a southbound device needs: the largest of its networks', undefined without networks. */
export function southboundMtu(config: RunningConfig, device: string): number | undefined {
  let mtu: number | undefined;
  for (const n of Object.values(config.networks)) {
    if (southboundOf(n) === device && (mtu === undefined || n.mtu > mtu)) mtu = n.mtu;
  }
  return mtu;
}

/** southboundMtu of every southbound device, in one pass. */
function southboundMtus(config: RunningConfig): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of Object.values(config.networks)) {
    const s = southboundOf(n);
    if (s !== undefined && n.mtu > (out.get(s) ?? 0)) out.set(s, n.mtu);
  }
  return out;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function union(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(byName);
}

// ---- planning ----

/**
 * Networks and bonds to replace (remove, then add) even where the configs agree: the kernel lacks
 * some of their devices (src/plan/drift.ts), and what is left of them goes before they are made.
 */
export interface Replace {
  networks?: ReadonlySet<string>;
  bonds?: ReadonlySet<string>;
}

/** The groups of steps a plan is made of, in the order it runs them (the header's "Order"). */
const PLAN_ORDER = [
  'nsClear',
  'routeOff',
  'qosOff',
  'removeNet',
  'netMtuDown',
  'release',
  'devMtuDown',
  'removeBond',
  'addBond',
  'bondOpts',
  'enslave',
  'devMtuUp',
  'netMtuUp',
  'nicFeatures',
  'inPlace',
  'addNet',
  'qosOn',
  'routeOn',
  'nsSet',
] as const;

type StepGroups = Record<(typeof PLAN_ORDER)[number], Step[]>;

export function plan(desired: RunningConfig, running: RunningConfig, replace: Replace = {}): Plan {
  const out = Object.fromEntries(PLAN_ORDER.map((g) => [g, []])) as unknown as StepGroups;
  for (const name of union(desired.networks, running.networks)) {
    planNetwork(name, desired.networks[name], running.networks[name], replace, out);
  }
  for (const name of union(desired.bondings, running.bondings)) {
    planBond(name, desired.bondings[name], running.bondings[name], replace, out);
  }
  planSouthboundMtus(desired, running, out);
  for (const nic of union(desired.nics ?? {}, running.nics ?? {})) {
    const from = nicFeatures(running, nic);
    const to = nicFeatures(desired, nic);
    if (!jsonEqual(from, to)) out.nicFeatures.push({ kind: 'setNicFeatures', nic, from, to });
    for (const group of ['rings', 'coalesce'] as const) {
      const [a, b] = [nicParams(running, nic, group), nicParams(desired, nic, group)];
      if (!jsonEqual(a, b)) out.nicFeatures.push({ kind: 'setNicParams', nic, group, from: a, to: b });
    }
  }
  // Untagged networks may be their southbound itself; VLANs sit above them.
  const tagged = (s: Step): number => ('topology' in s && s.topology.vlan !== undefined ? 1 : 0);
  out.netMtuUp.sort((a, b) => tagged(a) - tagged(b));
  out.netMtuDown.sort((a, b) => tagged(b) - tagged(a));
  return PLAN_ORDER.flatMap((g) => out[g]);
}

/** A network added, removed, rebuilt (its topology changed, or replaced), or changed in place. */
function planNetwork(
  name: string,
  d: NetworkConfig | undefined,
  r: NetworkConfig | undefined,
  replace: Replace,
  out: StepGroups,
): void {
  const replaced = replace.networks?.has(name) === true && !!r;
  if (r && !replaced && jsonEqual(r, d)) return;
  const rebuild = !!r && !!d && (replaced || topologyChanged(r, d));
  if (r && (!d || rebuild)) {
    if (r.hostQos) out.qosOff.push(qosStep(name, r, r.hostQos, undefined));
    out.removeNet.push({ kind: 'removeNetwork', network: name, config: withoutQos(r) });
  }
  if (d && (!r || rebuild)) {
    out.addNet.push({ kind: 'addNetwork', network: name, config: withoutQos(d) });
    if (d.hostQos) out.qosOn.push(qosStep(name, d, undefined, d.hostQos));
  }
  if (r && d && !rebuild) {
    planNetworkChange(name, r, d, out);
    if (!jsonEqual(r.hostQos, d.hostQos)) out.qosOn.push(qosStep(name, d, r.hostQos, d.hostQos));
  }
}

/** A network's config without its hostQos (what addNetwork and removeNetwork carry). */
export function withoutQos(n: NetworkConfig): NetworkConfig {
  if (!n.hostQos) return n;
  const { hostQos: _q, ...rest } = n;
  return rest;
}

function qosStep(network: string, n: NetworkConfig, from: HostQos | undefined, to: HostQos | undefined): Step {
  return defined({ kind: 'setHostQos' as const, network, topology: topologyOf(n), from, to });
}

/** The in-place changes of a network that keeps its devices: MTU, bridge, addresses, default route, resolvers. */
function planNetworkChange(name: string, r: NetworkConfig, d: NetworkConfig, out: StepGroups): void {
  const topology = topologyOf(d);
  if (r.mtu !== d.mtu) {
    (d.mtu > r.mtu ? out.netMtuUp : out.netMtuDown).push({
      kind: 'setNetworkMtu',
      network: name,
      topology,
      from: r.mtu,
      to: d.mtu,
    });
  }
  if (!jsonEqual(bridgeOf(r), bridgeOf(d))) {
    out.inPlace.push({ kind: 'setBridge', network: name, topology, from: bridgeOf(r), to: bridgeOf(d) });
  }
  // The default route is taken before and given after the address change, so while the
  // address changes the network holds it only if it holds it on both sides.
  const holds = r.defaultRoute && d.defaultRoute;
  if (!jsonEqual(ipv4Of(r), ipv4Of(d))) {
    out.inPlace.push({ kind: 'setIpv4', network: name, topology, defaultRoute: holds, from: ipv4Of(r), to: ipv4Of(d) });
  }
  if (!jsonEqual(ipv6Of(r), ipv6Of(d))) {
    out.inPlace.push({ kind: 'setIpv6', network: name, topology, defaultRoute: holds, from: ipv6Of(r), to: ipv6Of(d) });
  }
  if (r.defaultRoute !== d.defaultRoute) {
    const side = d.defaultRoute ? d : r;
    const step: Step = defined({
      kind: 'setDefaultRoute' as const,
      network: name,
      topology,
      ipv4: ipv4Of(side),
      ipv6gateway: side.ipv6gateway,
      from: r.defaultRoute,
      to: d.defaultRoute,
    });
    (d.defaultRoute ? out.routeOn : out.routeOff).push(step);
  }
  if (!jsonEqual(r.nameservers, d.nameservers)) {
    (d.nameservers.length === 0 ? out.nsClear : out.nsSet).push({
      kind: 'setNameservers',
      network: name,
      from: [...r.nameservers],
      to: [...d.nameservers],
    });
  }
}

/** A bond added, removed, replaced, or changed in place (options, hwaddr, slaves). */
function planBond(
  name: string,
  d: BondConfig | undefined,
  r: BondConfig | undefined,
  replace: Replace,
  out: StepGroups,
): void {
  const replaced = replace.bonds?.has(name) === true && !!r && !!d;
  if (r && (!d || replaced)) out.removeBond.push({ kind: 'removeBond', bond: name, config: r });
  if (d && (!r || replaced)) out.addBond.push({ kind: 'addBond', bond: name, config: d });
  if (!r || !d || replaced) return;
  const changed = changedOptions(r.options, d.options);
  const reslave = changed.some((k) => NO_SLAVES_OPTIONS.has(k));
  if (changed.length > 0) {
    out.bondOpts.push({
      kind: 'setBondOptions',
      bond: name,
      from: r.options,
      to: d.options,
      needsDown: changed.some((k) => IFDOWN_OPTIONS.has(k)),
    });
  }
  if (r.hwaddr !== d.hwaddr)
    out.bondOpts.push(defined({ kind: 'setBondHwaddr' as const, bond: name, from: r.hwaddr, to: d.hwaddr }));
  for (const nic of r.nics) {
    if (reslave || !d.nics.includes(nic)) out.release.push({ kind: 'release', bond: name, nic });
  }
  for (const nic of d.nics) {
    if (reslave || !r.nics.includes(nic)) out.enslave.push({ kind: 'enslave', bond: name, nic });
  }
}

/**
 * The MTU of each southbound of either side. A bond about to be deleted is still set back to
 * 1500 first, so that the rollback (re-create it at 1500, set its MTU, re-add its networks) has
 * that step; a bond just created (at 1500) gets its MTU after creation, whichever the direction.
 */
function planSouthboundMtus(desired: RunningConfig, running: RunningConfig, out: StepGroups): void {
  const southbounds = new Set<string>();
  for (const n of [...Object.values(running.networks), ...Object.values(desired.networks)]) {
    const s = southboundOf(n);
    if (s !== undefined) southbounds.add(s);
  }
  const runningMtus = southboundMtus(running);
  const desiredMtus = southboundMtus(desired);
  for (const device of [...southbounds].sort(byName)) {
    const removed = running.bondings[device] !== undefined && desired.bondings[device] === undefined;
    const created = desired.bondings[device] !== undefined && running.bondings[device] === undefined;
    const from = created ? DEFAULT_MTU : (runningMtus.get(device) ?? DEFAULT_MTU);
    const to = removed ? DEFAULT_MTU : (desiredMtus.get(device) ?? DEFAULT_MTU);
    if (from === to) continue;
    const step: Step = { kind: 'setMtu', device, from, to };
    if (removed) out.devMtuDown.push(step);
    else if (created) out.devMtuUp.push(step);
    else (to > from ? out.devMtuUp : out.devMtuDown).push(step);
  }
}

// ---- inverse ----

export function invertStep(s: Step): Step {
  switch (s.kind) {
    case 'removeNetwork':
      return { kind: 'addNetwork', network: s.network, config: s.config };
    case 'addNetwork':
      return { kind: 'removeNetwork', network: s.network, config: s.config };
    case 'addBond':
      return { kind: 'removeBond', bond: s.bond, config: s.config };
    case 'removeBond':
      return { kind: 'addBond', bond: s.bond, config: s.config };
    case 'enslave':
      return { kind: 'release', bond: s.bond, nic: s.nic };
    case 'release':
      return { kind: 'enslave', bond: s.bond, nic: s.nic };
    case 'setBondHwaddr':
      return defined({ kind: 'setBondHwaddr', bond: s.bond, from: s.to, to: s.from });
    case 'syncRoutes':
      // A repair of the kernel alone: no config change to invert (the operations' undo takes
      // the routes away again).
      return { ...s, routes: [...s.routes] };
    case 'syncLink':
      return defined({
        kind: 'syncLink' as const,
        device: s.device,
        mtu: s.mtu && { from: s.mtu.to, to: s.mtu.from },
        up: s.up === undefined ? undefined : !s.up,
        hwaddr: s.hwaddr && { from: s.hwaddr.to, to: s.hwaddr.from },
      });
    case 'setHostQos':
      return defined({ ...s, from: s.to, to: s.from });
    default:
      return { ...s, from: s.to, to: s.from } as Step;
  }
}

/** The rollback of (an executed prefix of) a plan: inverses in reverse order. */
export function invertPlan(p: readonly Step[]): Plan {
  return [...p].reverse().map(invertStep);
}

// ---- the model: what a plan does to a config ----

export class PlanMismatchError extends Error {
  constructor(step: Step, why: string) {
    super(`step ${describeStep(step)} does not apply: ${why}`);
    this.name = 'PlanMismatchError';
  }
}

/**
 * One part of a NIC's ethtoolOpts set to `to` in place ({} drops it), the others kept; a NIC left
 * with none is dropped, and `nics` when none is left. The shape is canonicalize's: features
 * always, rings and coalesce when not empty, NICs and names sorted (configs compare with a deep
 * equality that sees key order).
 */
function setNicPart(
  config: RunningConfig,
  nic: string,
  part: 'features' | ParamGroup,
  to: Readonly<Record<string, ParamValue>>,
): void {
  const nics = { ...(config.nics ?? {}) };
  const old = Object.hasOwn(nics, nic) ? nics[nic]!.ethtoolOpts : { features: {} };
  const parts: Record<string, Record<string, ParamValue>> = { ...old, [part]: { ...to } };
  const features = parts.features as Record<string, boolean>;
  const opts: NicConfig['ethtoolOpts'] = { features };
  for (const g of ['rings', 'coalesce'] as const)
    if (Object.keys(parts[g] ?? {}).length) (opts as Record<string, unknown>)[g] = parts[g];
  delete nics[nic];
  if (Object.keys(features).length || opts.rings || opts.coalesce) nics[nic] = { ethtoolOpts: opts };
  delete config.nics;
  const names = Object.keys(nics).sort(byName);
  if (names.length) config.nics = Object.fromEntries(names.map((n) => [n, nics[n]!]));
}

function check(ok: boolean, step: Step, why: string): void {
  if (!ok) throw new PlanMismatchError(step, why);
}

function network(config: RunningConfig, s: Step & { network: string }): NetworkConfig {
  const n = config.networks[s.network];
  check(n !== undefined, s, `network ${s.network} does not exist`);
  if ('topology' in s) check(jsonEqual(topologyOf(n!), s.topology), s, 'topology differs');
  return n!;
}

function bond(config: RunningConfig, s: Step & { bond: string }): BondConfig {
  const b = config.bondings[s.bond];
  check(b !== undefined, s, `bond ${s.bond} does not exist`);
  return b!;
}

/** Applies one step to a config in place; throws PlanMismatchError if the config is not the step's `from`. */
export function applyStep(config: RunningConfig, s: Step): void {
  switch (s.kind) {
    case 'removeNetwork':
      check(jsonEqual(config.networks[s.network], s.config), s, "the network differs from the step's config");
      delete config.networks[s.network];
      return;
    case 'addNetwork':
      check(config.networks[s.network] === undefined, s, 'the network exists');
      config.networks[s.network] = structuredClone(s.config);
      return;
    case 'setNetworkMtu':
    case 'setBridge':
    case 'setIpv4':
    case 'setIpv6':
    case 'setDefaultRoute':
    case 'setNameservers':
      return applyNetworkChange(network(config, s), s);
    case 'addBond':
      check(config.bondings[s.bond] === undefined, s, 'the bond exists');
      config.bondings[s.bond] = structuredClone(s.config);
      return;
    case 'removeBond':
      check(jsonEqual(config.bondings[s.bond], s.config), s, "the bond differs from the step's config");
      delete config.bondings[s.bond];
      return;
    case 'setBondOptions':
    case 'setBondHwaddr':
    case 'enslave':
    case 'release':
      return applyBondChange(bond(config, s), s);
    case 'setMtu':
    case 'syncLink':
    case 'syncResolvers':
    case 'syncRoutes':
      // Kernel state that is not part of the config (derived from the networks, or a repair).
      return;
    case 'setHostQos': {
      const n = network(config, s);
      check(jsonEqual(n.hostQos, s.from), s, 'hostQos differs');
      delete n.hostQos;
      if (s.to) n.hostQos = structuredClone(s.to);
      return;
    }
    case 'setNicFeatures':
      check(jsonEqual(nicFeatures(config, s.nic), s.from), s, 'features differ');
      return setNicPart(config, s.nic, 'features', s.to);
    case 'setNicParams':
      check(jsonEqual(nicParams(config, s.nic, s.group), s.from), s, `${s.group} differ`);
      return setNicPart(config, s.nic, s.group, s.to);
  }
}

type NetworkChange = Extract<
  Step,
  { kind: 'setNetworkMtu' | 'setBridge' | 'setIpv4' | 'setIpv6' | 'setDefaultRoute' | 'setNameservers' }
>;

/** An in-place step applied to its network `n`, checked against the step's `from`. */
function applyNetworkChange(n: NetworkConfig, s: NetworkChange): void {
  switch (s.kind) {
    case 'setNetworkMtu':
      check(n.mtu === s.from, s, `mtu is ${n.mtu}`);
      n.mtu = s.to;
      return;
    case 'setBridge':
      check(jsonEqual(bridgeOf(n), s.from), s, 'bridge settings differ');
      n.stp = s.to.stp;
      delete n.bridgeOpts;
      if (s.to.bridgeOpts !== undefined) n.bridgeOpts = s.to.bridgeOpts;
      return;
    case 'setIpv4':
      check(jsonEqual(ipv4Of(n), s.from), s, 'IPv4 settings differ');
      check(n.defaultRoute === s.defaultRoute, s, 'default route differs');
      delete n.ipaddr;
      delete n.netmask;
      delete n.gateway;
      Object.assign(n, structuredClone(s.to));
      return;
    case 'setIpv6':
      check(jsonEqual(ipv6Of(n), s.from), s, 'IPv6 settings differ');
      check(n.defaultRoute === s.defaultRoute, s, 'default route differs');
      delete n.ipv6addr;
      delete n.ipv6gateway;
      Object.assign(n, structuredClone(s.to));
      return;
    case 'setDefaultRoute':
      check(n.defaultRoute === s.from, s, `defaultRoute is ${n.defaultRoute}`);
      check(jsonEqual(ipv4Of(n), s.ipv4) && n.ipv6gateway === s.ipv6gateway, s, 'addresses differ');
      n.defaultRoute = s.to;
      return;
    case 'setNameservers':
      check(jsonEqual(n.nameservers, s.from), s, 'nameservers differ');
      n.nameservers = [...s.to];
      return;
  }
}

type BondChange = Extract<Step, { kind: 'setBondOptions' | 'setBondHwaddr' | 'enslave' | 'release' }>;

/** An in-place step applied to its bond `b`, checked against the step's `from`. */
function applyBondChange(b: BondConfig, s: BondChange): void {
  switch (s.kind) {
    case 'setBondOptions':
      check(b.options === s.from, s, `options are "${b.options}"`);
      b.options = s.to;
      return;
    case 'setBondHwaddr':
      check(b.hwaddr === s.from, s, `hwaddr is ${b.hwaddr ?? 'unset'}`);
      delete b.hwaddr;
      if (s.to !== undefined) b.hwaddr = s.to;
      return;
    case 'enslave':
      check(!b.nics.includes(s.nic), s, `${s.nic} is already a slave`);
      b.nics = [...b.nics, s.nic].sort(byName);
      return;
    case 'release':
      check(b.nics.includes(s.nic), s, `${s.nic} is not a slave`);
      b.nics = b.nics.filter((n) => n !== s.nic);
      return;
  }
}

export function applyPlanToConfig(running: RunningConfig, p: readonly Step[]): RunningConfig {
  const config = structuredClone(running);
  for (const s of p) applyStep(config, s);
  return config;
}

// ---- for people ----

function where(t: Topology): string {
  const south = t.nic ?? t.bonding;
  const parts = [t.bridged ? 'bridged' : 'bridgeless'];
  if (south !== undefined) parts.push(`on ${south}`);
  else parts.push('nicless');
  if (t.vlan !== undefined) parts.push(`VLAN ${t.vlan}`);
  return parts.join(' ');
}

function ipv4Text(v: Ipv4Settings): string {
  if (v.bootproto === 'dhcp') return 'dhcp';
  if (v.ipaddr === undefined) return 'none';
  return `${v.ipaddr}/${v.netmask ?? '?'}${v.gateway !== undefined ? ` gw ${v.gateway}` : ''}`;
}

function ipv6Text(v: Ipv6Settings): string {
  const parts: string[] = [];
  if (v.ipv6addr !== undefined) parts.push(v.ipv6addr + (v.ipv6gateway !== undefined ? ` gw ${v.ipv6gateway}` : ''));
  if (v.dhcpv6) parts.push('dhcpv6');
  if (v.ipv6autoconf) parts.push('autoconf');
  return parts.length ? parts.join(' + ') : 'none';
}

function bridgeText(b: BridgeSettings): string {
  return `stp ${b.stp ? 'on' : 'off'}${b.bridgeOpts !== undefined ? `, ${b.bridgeOpts}` : ''}`;
}

function networkText(c: NetworkConfig): string {
  const parts = [where(topologyOf(c)), `mtu ${c.mtu}`, `IPv4 ${ipv4Text(ipv4Of(c))}`];
  const v6 = ipv6Text(ipv6Of(c));
  if (v6 !== 'none') parts.push(`IPv6 ${v6}`);
  if (c.bridged) parts.push(bridgeText(bridgeOf(c)));
  if (c.defaultRoute) parts.push('default route');
  if (c.nameservers.length) parts.push(`nameservers ${c.nameservers.join(' ')}`);
  return parts.join(', ');
}

const list = (xs: readonly string[]): string => (xs.length ? xs.join(' ') : '(none)');

const featuresText = (f: Readonly<Record<string, boolean>>): string =>
  list(Object.keys(f).map((k) => `${k} ${f[k] ? 'on' : 'off'}`));

const qosText = (q: HostQos | undefined): string => (q ? JSON.stringify(q.out) : '(none)');

export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'removeNetwork':
      return `remove network ${s.network} (${where(topologyOf(s.config))})`;
    case 'addNetwork':
      return `add network ${s.network}: ${networkText(s.config)}`;
    case 'setNetworkMtu':
      return `network ${s.network}: mtu ${s.from} -> ${s.to}`;
    case 'setBridge':
      return `network ${s.network}: bridge ${bridgeText(s.from)} -> ${bridgeText(s.to)}`;
    case 'setIpv4':
      return `network ${s.network}: IPv4 ${ipv4Text(s.from)} -> ${ipv4Text(s.to)}`;
    case 'setIpv6':
      return `network ${s.network}: IPv6 ${ipv6Text(s.from)} -> ${ipv6Text(s.to)}`;
    case 'setDefaultRoute':
      return `network ${s.network}: ${s.to ? 'takes' : 'gives up'} the default route`;
    case 'setNameservers':
      return `network ${s.network}: nameservers ${list(s.from)} -> ${list(s.to)}`;
    case 'addBond':
      return (
        `add bond ${s.bond}: ${s.config.options}, slaves ${list(s.config.nics)}` +
        (s.config.hwaddr ? `, hwaddr ${s.config.hwaddr}` : '')
      );
    case 'removeBond':
      return `remove bond ${s.bond} (slaves ${list(s.config.nics)})`;
    case 'setBondOptions':
      return `bond ${s.bond}: options "${s.from}" -> "${s.to}"${s.needsDown ? ' (bond taken down)' : ''}`;
    case 'setBondHwaddr':
      return `bond ${s.bond}: hwaddr ${s.from ?? 'inherited'} -> ${s.to ?? 'inherited'}`;
    case 'enslave':
      return `bond ${s.bond}: enslave ${s.nic}`;
    case 'release':
      return `bond ${s.bond}: release ${s.nic}`;
    case 'setMtu':
      return `device ${s.device}: mtu ${s.from} -> ${s.to}`;
    case 'syncLink': {
      const parts = [
        ...(s.mtu ? [`mtu ${s.mtu.from} -> ${s.mtu.to}`] : []),
        ...(s.up !== undefined ? [s.up ? 'down -> up' : 'up -> down'] : []),
        ...(s.hwaddr ? [`hwaddr ${s.hwaddr.from} -> ${s.hwaddr.to}`] : []),
      ];
      return `device ${s.device}: ${parts.join(', ')} (the kernel differs from the running config)`;
    }
    case 'setNicFeatures':
      return `nic ${s.nic}: features ${featuresText(s.from)} -> ${featuresText(s.to)}`;
    case 'setNicParams':
      return `nic ${s.nic}: ${s.group} ${paramsText(s.from)} -> ${paramsText(s.to)}`;
    case 'setHostQos':
      return `network ${s.network}: hostQos ${qosText(s.from)} -> ${qosText(s.to)}`;
    case 'syncResolvers':
      return (
        `resolv.conf: nameservers ${list(s.from)} -> ${list(s.to)} (network ${s.network}; the file differs from ` +
        'the running config)'
      );
    case 'syncRoutes': {
      const them = s.routes.length > 1 ? 'them' : 'it';
      return `network ${s.network}: put back ${s.routes.join('; ')} (the kernel lacks ${them})`;
    }
  }
}
