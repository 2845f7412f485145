// Validation of a spec against VDSM's rules (netswitch/validator.py and canonicalize.py) and
// against the node: every error is collected, each naming the field it is about
// (`spec.networks.net1.vlan`), so a user fixes a spec in one round. Schema errors (types, ranges,
// formats, unknown fields) come from the zod schemas and are reported in the same shape.
import { z } from 'zod';
import type { NetworkConfig, RunningConfig } from '../api/config.js';
import { API_VERSION, DEFAULT_MTU, KIND, MIN_IPV6_MTU } from '../api/constants.js';
import { bondNameProblem, deviceNameProblem, quoteName } from '../api/names.js';
import {
  BondSpecSchema,
  NetworkSpecSchema,
  SpecSchema,
  type BondSpec,
  type NetworkSpec,
  type NicSpec,
  type Spec,
} from '../api/spec.js';
import { vlanDeviceName } from '../model/device-names.js';
import { netmaskToPrefix, parseIpv4, parseIpv6, parseIpv6Cidr, prefixToMask, canonicalIp } from '../util/ip.js';
import {
  BRIDGEABLE_MODE_LABELS,
  bondMode,
  bondOptionErrors,
  modeCarriesBridge,
  modeLabel,
  splitOptions,
} from '../model/bond-options.js';
import { bridgeOptionErrors } from '../model/bridge-options.js';
import type { ValidationFacts } from '../model/host-facts.js';
import { featureProblem, type EthtoolRead } from '../model/ethtool.js';
import { paramProblem, type ParamValue } from '../model/ethtool-params.js';
import { canonicalize, canonicalizeNetwork, configToSpec } from './canonicalize.js';
import { hostQosErrors, qosDeviceErrors } from './qos-validation.js';

export interface ValidationError {
  /** Field path from the object root, e.g. `spec.networks.net1.vlan`, `spec.bondings.bond1.nics[0]`. */
  path: string;
  message: string;
}

/** What validation needs to know about the node (model/host-facts.ts projects it). */
export type { ValidationFacts };

export interface ValidationContext {
  /** Without it, NIC existence and the node's own bonds are not checked. */
  host?: ValidationFacts;
  /** What the handler owns now: a bond here but not in the spec is being removed. */
  running?: RunningConfig;
}

export type SpecCheck = { ok: true; spec: Spec; config: RunningConfig } | { ok: false; errors: ValidationError[] };

/**
 * `spec.networks` + `net1` -> `spec.networks.net1`; odd names are quoted, everything but
 * printable ASCII escaped (a path is printed to terminals): `spec.networks["a.b"]`,
 * `spec.networks["a\u001bb"]`.
 */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(key) ? `${base}.${key}` : `${base}[${quoteName(key)}]`;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  int: 'an integer',
  record: 'an object',
};

const FORMAT_WORDS: Record<string, string> = {
  ipv4: 'an IPv4 address (a.b.c.d)',
  mac: 'a MAC address (xx:xx:xx:xx:xx:xx)',
  datetime: 'an RFC 3339 date-time',
};

const UNIT: Record<string, [string, string]> = { string: ['character', 'characters'], array: ['item', 'items'] };

function sizeMessage(bound: 'least' | 'most', origin: string, n: number | bigint): string {
  const unit = UNIT[origin];
  if (unit) return `must have at ${bound} ${n} ${Number(n) === 1 ? unit[0] : unit[1]}`;
  return `must be at ${bound} ${n}`;
}

/** zod issues -> field-path errors, with messages written for people editing YAML. */
export function zodIssuesToErrors(issues: readonly z.core.$ZodIssue[], base = 'spec'): ValidationError[] {
  const out: ValidationError[] = [];
  for (const issue of issues) {
    const path = issue.path.reduce<string>((p, k) => joinPath(p, typeof k === 'symbol' ? String(k) : k), base);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const k of issue.keys) out.push({ path: joinPath(path, k), message: 'unknown field' });
        break;
      case 'invalid_type':
        out.push({
          path,
          message:
            issue.input === undefined ? 'is required' : `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`,
        });
        break;
      case 'too_big':
        out.push({ path, message: sizeMessage('most', issue.origin, issue.maximum) });
        break;
      case 'too_small':
        out.push({ path, message: sizeMessage('least', issue.origin, issue.minimum) });
        break;
      case 'invalid_value':
        out.push({ path, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` });
        break;
      case 'invalid_format':
        out.push({ path, message: `must be ${FORMAT_WORDS[issue.format] ?? `a valid ${issue.format}`}` });
        break;
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}

// ---- names ----

// The one name rule (src/api/names.ts), re-exported for the callers of validation.
export { bondNameProblem, deviceNameProblem } from '../api/names.js';

// ---- one network, one bond (rules within an object) ----

type Report = (path: string, message: string) => void;

function ipv4HostProblem(ip: number, prefix: number | undefined): string | undefined {
  const first = ip >>> 24;
  if (first === 0) return 'is not a host address (0.0.0.0/8)';
  if (first === 127) return 'is a loopback address';
  if (first >= 224) return 'is a multicast or reserved address';
  if (prefix !== undefined && prefix <= 30) {
    const host = ip & ~prefixToMask(prefix);
    if (host === 0) return `is the network address of its /${prefix} subnet`;
    if (host >>> 0 === ~prefixToMask(prefix) >>> 0) return `is the broadcast address of its /${prefix} subnet`;
  }
  return undefined;
}

/** One network's fields as its rules read them: where each is, and whether it was given. */
interface NetworkFields {
  net: NetworkSpec;
  at(field: string): string;
  /** Given, even if it failed the schema. */
  has(field: keyof NetworkSpec): boolean;
  /** Given but failed the schema. */
  unknown: ReadonlySet<string>;
  report: Report;
}

/**
 * Rules within one network. `unknown` names fields that were given but failed the schema: they
 * count as present for "X needs Y" rules (so one bad value does not cause a second error) and
 * take part in no other rule.
 */
export function networkErrors(
  base: string,
  net: NetworkSpec,
  report: Report,
  unknown: ReadonlySet<string> = new Set(),
): void {
  const f: NetworkFields = {
    net,
    at: (field) => joinPath(base, field),
    has: (field) => net[field] !== undefined || unknown.has(field),
    unknown,
    report,
  };
  topologyErrors(f);
  ipv4Errors(f);
  ipv6Errors(f);
  dnsErrors(f);
  hostQosErrors(base, net, report);
}

/** Where the network sits: one southbound at most, what bridgeless and VLAN networks need, the bridge options. */
function topologyErrors({ net, at, has, report }: NetworkFields): void {
  const hasSouthbound = has('nic') || has('bonding');
  if (net.nic !== undefined && net.bonding !== undefined)
    report(at('bonding'), 'nic and bonding are mutually exclusive');
  if (net.bridged === false && !hasSouthbound)
    report(at('bridged'), 'a bridgeless network needs a southbound device (nic or bonding)');
  if (net.vlan !== undefined && !hasSouthbound) report(at('vlan'), 'a VLAN needs a southbound device (nic or bonding)');
  if (net.bridged === false) {
    if (net.stp) report(at('stp'), 'stp needs a bridged network');
    if (net.bridgeOpts !== undefined && net.bridgeOpts.trim() !== '')
      report(at('bridgeOpts'), 'bridgeOpts needs a bridged network');
  } else if (net.bridgeOpts !== undefined) {
    for (const m of bridgeOptionErrors(net.bridgeOpts, net.stp === true)) report(at('bridgeOpts'), m);
  }
}

/** IPv4: static (ipaddr + netmask|prefix [+ gateway]) or DHCP, never both. */
function ipv4Errors(f: NetworkFields): void {
  const { net, at, report } = f;
  if (net.prefix !== undefined && net.netmask !== undefined)
    report(at('prefix'), 'prefix and netmask are mutually exclusive');
  if (net.bootproto === 'dhcp') {
    for (const k of ['ipaddr', 'netmask', 'prefix', 'gateway'] as const) {
      if (net[k] !== undefined) report(at(k), `static IPv4 setting ${k} conflicts with bootproto: dhcp`);
    }
    return;
  }
  let prefix = net.prefix;
  if (net.netmask !== undefined) {
    const p = netmaskToPrefix(net.netmask);
    if (p === undefined || p === 0)
      report(at('netmask'), `${net.netmask} is not a netmask (contiguous ones, then zeros)`);
    else prefix = p;
  }
  if (f.unknown.has('ipaddr')) {
    // The address is malformed (reported already): nothing to relate the rest to.
  } else if (net.ipaddr === undefined) {
    if (net.netmask !== undefined) report(at('netmask'), 'netmask needs ipaddr');
    if (net.prefix !== undefined) report(at('prefix'), 'prefix needs ipaddr');
    if (net.gateway !== undefined) report(at('gateway'), 'gateway needs ipaddr');
  } else {
    staticIpv4Errors(f, net.ipaddr, prefix);
  }
}

/** A static IPv4 address: a host address, with a netmask or prefix, and a gateway inside its subnet. */
function staticIpv4Errors({ net, at, has, report }: NetworkFields, ipaddr: string, prefix: number | undefined): void {
  const ip = parseIpv4(ipaddr);
  if (!has('netmask') && !has('prefix')) report(at('ipaddr'), 'ipaddr needs netmask or prefix');
  const problem = ip === undefined ? undefined : ipv4HostProblem(ip, prefix);
  if (problem) report(at('ipaddr'), `${ipaddr} ${problem}`);
  const gw = net.gateway === undefined ? undefined : parseIpv4(net.gateway);
  if (ip !== undefined && gw !== undefined && prefix !== undefined) {
    const mask = prefixToMask(prefix);
    if (gw === ip) report(at('gateway'), "gateway is the network's own address");
    else if ((gw & mask) >>> 0 !== (ip & mask) >>> 0)
      report(at('gateway'), `gateway ${net.gateway} is not in the subnet of ${ipaddr}/${prefix}`);
  }
}

/** IPv6: a static address, or DHCPv6 / autoconf; VDSM does not mix them. */
function ipv6Errors({ net, at, has, report }: NetworkFields): void {
  const dynamic6 = net.dhcpv6 === true || net.ipv6autoconf === true;
  if (net.ipv6addr !== undefined) {
    if (dynamic6)
      report(
        at('ipv6addr'),
        'a static ipv6addr conflicts with dhcpv6 and ipv6autoconf (static and dynamic IPv6 are not mixed)',
      );
    const c = parseIpv6Cidr(net.ipv6addr);
    if (c) {
      if (c.address === 0n || c.address === 1n || c.address >> 120n === 0xffn)
        report(at('ipv6addr'), `${net.ipv6addr} is not a unicast host address`);
      else if (c.prefix === 0) report(at('ipv6addr'), 'the prefix length must be 1..128');
    }
  }
  if (net.ipv6gateway !== undefined && !has('ipv6addr')) report(at('ipv6gateway'), 'ipv6gateway needs ipv6addr');
  const own = net.ipv6addr === undefined ? undefined : parseIpv6Cidr(net.ipv6addr);
  const gw = net.ipv6gateway === undefined ? undefined : parseIpv6(net.ipv6gateway);
  if (own && gw !== undefined && own.prefix > 0) ipv6GatewayErrors(at('ipv6gateway'), net, own, gw, report);
  if ((net.ipv6addr !== undefined || dynamic6) && (net.mtu ?? DEFAULT_MTU) < MIN_IPV6_MTU) {
    report(at('mtu'), `IPv6 needs an mtu of at least ${MIN_IPV6_MTU} (the kernel disables IPv6 below it)`);
  }
}

/**
 * The kernel takes a default route only through an on-link gateway: one inside the static
 * address's prefix, or link-local (fe80::/10, on-link on every interface).
 */
function ipv6GatewayErrors(
  path: string,
  net: { ipv6addr?: string; ipv6gateway?: string },
  own: { address: bigint; prefix: number },
  gw: bigint,
  report: Report,
): void {
  const shift = BigInt(128 - own.prefix);
  if (gw === own.address) report(path, "gateway is the network's own address");
  else if (gw >> 118n !== 0x3fan && gw >> shift !== own.address >> shift)
    report(path, `gateway ${net.ipv6gateway} is not in the prefix of ${net.ipv6addr} nor link-local`);
}

/** DNS: VDSM keeps the host's resolvers on the default-route network only, each listed once. */
function dnsErrors({ net, at, unknown, report }: NetworkFields): void {
  if (
    net.nameservers !== undefined &&
    net.nameservers.length > 0 &&
    net.defaultRoute !== true &&
    !unknown.has('defaultRoute')
  ) {
    report(
      at('nameservers'),
      "nameservers may only be set on the network with defaultRoute (they become the host's resolvers)",
    );
  }
  const seen = new Set<string>();
  (net.nameservers ?? []).forEach((ns, i) => {
    const c = canonicalIp(ns);
    if (seen.has(c)) report(joinPath(at('nameservers'), i), `${ns} is listed twice`);
    seen.add(c);
  });
}

/** Rules within one bond; without nics (they failed the schema) `primary` is not checked. */
export function bondErrors(base: string, bond: Partial<BondSpec>, report: Report): void {
  const nics = bond.nics;
  const messages = bondOptionErrors(bond.options ?? '', nics ?? []).filter(
    (m) => nics !== undefined || !m.startsWith('primary='),
  );
  for (const m of messages) report(joinPath(base, 'options'), m);
  if (bond.hwaddr !== undefined) {
    const first = parseInt(bond.hwaddr.slice(0, 2), 16);
    if ((first & 1) === 1 || /^(00:){5}00$/.test(bond.hwaddr))
      report(joinPath(base, 'hwaddr'), 'must be a unicast MAC address, not zero');
  }
}

// ---- rules across objects and against the node ----

interface Known {
  /** Names present in the spec even if their entry did not parse (so references to them resolve). */
  networks: ReadonlySet<string>;
  bonds: ReadonlySet<string>;
}

/** The devices the rules across objects check references against: the node's and the spec's. */
interface DeviceView {
  host: ValidationFacts | undefined;
  /** Undefined without a host: NIC existence is not checked. */
  hostNics: ReadonlySet<string> | undefined;
  hostBonds: ReadonlySet<string>;
  /** Bonds of the running config (the handler owns them). */
  owned: ReadonlySet<string>;
  /** Bonds the spec names, parsed or not. */
  specBonds: ReadonlySet<string>;
  /** Slaves of bonds the handler neither owns nor is given: not ours to take. */
  foreignSlaveOf: ReadonlyMap<string, string>;
}

function deviceView(
  bonds: Readonly<Record<string, { nics: readonly string[] }>>,
  ctx: ValidationContext,
  known: Known,
): DeviceView {
  const host = ctx.host;
  const owned = new Set(Object.keys(ctx.running?.bondings ?? {}));
  const specBonds = new Set([...Object.keys(bonds), ...known.bonds]);
  const foreignSlaveOf = new Map<string, string>();
  for (const [b, slaves] of Object.entries(host?.bonds ?? {})) {
    if (specBonds.has(b) || owned.has(b)) continue;
    for (const s of slaves) foreignSlaveOf.set(s, b);
  }
  return {
    host,
    hostNics: host ? new Set(host.nics) : undefined,
    hostBonds: new Set(Object.keys(host?.bonds ?? {})),
    owned,
    specBonds,
    foreignSlaveOf,
  };
}

const isBondName = (d: DeviceView, n: string): boolean => d.specBonds.has(n) || d.hostBonds.has(n);

/** Each bond's slaves: real NICs of the node, listed once, no other bond's; returns the slaves' bonds. */
function bondSlaveErrors(
  bonds: Readonly<Record<string, { nics: readonly string[] }>>,
  d: DeviceView,
  report: Report,
): Map<string, string> {
  const slaveOf = new Map<string, string>();
  for (const b of Object.keys(bonds).sort()) {
    const base = joinPath('spec.bondings', b);
    if (d.hostNics?.has(b)) report(base, `bond name ${b} is the name of a NIC of the node`);
    const seen = new Set<string>();
    bonds[b]!.nics.forEach((nic, i) => {
      const p = joinPath(joinPath(base, 'nics'), i);
      const badName = deviceNameProblem(nic);
      if (badName) return report(p, badName);
      if (seen.has(nic)) return report(p, `${nic} is listed twice`);
      seen.add(nic);
      if (isBondName(d, nic)) return report(p, `${nic} is a bond, not a NIC`);
      if (d.hostNics && !d.hostNics.has(nic)) return report(p, `NIC ${nic} does not exist on the node`);
      const other = slaveOf.get(nic);
      if (other !== undefined) return report(p, `NIC ${nic} is already a slave of bond ${other}`);
      const foreign = d.foreignSlaveOf.get(nic);
      if (foreign !== undefined)
        return report(p, `NIC ${nic} is a slave of bond ${foreign}, which the handler does not manage`);
      slaveOf.set(nic, b);
    });
  }
  return slaveOf;
}

/** A bridged network's bridge is named after it: not a NIC's or a bond's name. */
function bridgeNameErrors(n: string, net: NetworkConfig, d: DeviceView, report: Report): void {
  const base = joinPath('spec.networks', n);
  if (net.bridged && d.hostNics?.has(n))
    report(base, `network name ${n} is the name of a NIC; a bridged network's bridge is named after the network`);
  else if (net.bridged && isBondName(d, n))
    report(base, `network name ${n} is the name of a bond; a bridged network's bridge is named after the network`);
}

/** A network's nic: a NIC of the node that no bond holds. */
function nicErrors(
  path: string,
  nic: string,
  d: DeviceView,
  slaveOf: ReadonlyMap<string, string>,
  report: Report,
): void {
  const badName = deviceNameProblem(nic);
  if (badName) report(path, badName);
  else if (isBondName(d, nic)) report(path, `${nic} is a bond; use bonding`);
  else if (d.hostNics && !d.hostNics.has(nic)) report(path, `NIC ${nic} does not exist on the node`);
  else if (slaveOf.has(nic)) report(path, `NIC ${nic} is a slave of bond ${slaveOf.get(nic)}`);
  else if (d.foreignSlaveOf.has(nic))
    report(path, `NIC ${nic} is a slave of bond ${d.foreignSlaveOf.get(nic)}, which the handler does not manage`);
}

/** A network's bonding: in the spec, or a bond of the node the handler does not own (one it owns goes). */
function bondingErrors(path: string, b: string, d: DeviceView, report: Report): void {
  const badName = bondNameProblem(b);
  if (badName) report(path, badName);
  else if (d.specBonds.has(b)) {
    /* defined in the spec */
  } else if (d.owned.has(b))
    report(path, `bond ${b} is used by this network but the spec removes it (it is not in spec.bondings)`);
  else if (d.host && d.hostBonds.has(b)) {
    /* an existing bond of the node */
  } else
    report(
      path,
      d.host ? `bond ${b} is neither in spec.bondings nor on the node` : `bond ${b} is not in spec.bondings`,
    );
}

/** The first network of each use that must be unique: a southbound with a VLAN id (or untagged), an address. */
interface Uses {
  /** By `${southbound}\0${vlan or ''}`. */
  bySouthbound: Map<string, string>;
  byIpv4: Map<string, string>;
  byIpv6: Map<string, string>;
}

/** One network on a southbound per VLAN id (and one untagged), one network per address. */
function sharedUseErrors(n: string, net: NetworkConfig, uses: Uses, report: Report): void {
  const at = (f: string) => joinPath(joinPath('spec.networks', n), f);
  const southbound = net.nic ?? net.bonding;
  if (southbound !== undefined) {
    const key = `${southbound}\0${net.vlan ?? ''}`;
    const first = uses.bySouthbound.get(key);
    if (first === undefined) uses.bySouthbound.set(key, n);
    else if (net.vlan !== undefined)
      report(at('vlan'), `network ${first} already uses VLAN ${net.vlan} on ${southbound}`);
    else
      report(
        at(net.nic !== undefined ? 'nic' : 'bonding'),
        `network ${first} already uses ${southbound} untagged; a device carries at most one untagged network ` +
          `(${ENGINE_SOURCE.untagged})`,
      );
  }
  for (const [addr, map, field] of [
    [net.ipaddr, uses.byIpv4, 'ipaddr'],
    [net.ipv6addr?.split('/')[0], uses.byIpv6, 'ipv6addr'],
  ] as const) {
    if (addr === undefined) continue;
    const first = map.get(addr);
    if (first !== undefined) report(at(field), `address ${addr} is also used by network ${first}`);
    else map.set(addr, n);
  }
}

/**
 * Two VLANs must not get one device name: `<southbound>.<vlan>` is unique, but a name too long
 * for it becomes `v<hash of southbound>.<vlan>` (src/model/device-names.ts), which a second long
 * southbound may hash to as well, or a short one named like the hash spell out.
 */
function vlanDeviceNameErrors(
  networks: Readonly<Record<string, NetworkConfig>>,
  names: string[],
  report: Report,
): void {
  const byVlanDevice = new Map<string, { network: string; southbound: string; vlan: number }>();
  for (const n of names) {
    const net = networks[n]!;
    const southbound = net.nic ?? net.bonding;
    if (southbound === undefined || net.vlan === undefined) continue;
    const dev = vlanDeviceName(southbound, net.vlan);
    const first = byVlanDevice.get(dev);
    if (first === undefined) byVlanDevice.set(dev, { network: n, southbound, vlan: net.vlan });
    else if (first.southbound !== southbound) {
      report(
        joinPath(joinPath('spec.networks', n), 'vlan'),
        `VLAN ${net.vlan} on ${southbound} would get the device name ${dev}, which VLAN ${first.vlan} on ` +
          `${first.southbound} (network ${first.network}) already gets; rename one of the southbound devices`,
      );
    }
  }
}

/**
 * A VLAN device cannot have a larger MTU than its lower device; a bridgeless untagged network
 * *is* that lower device, so its MTU bounds the VLAN networks on the same southbound.
 */
function vlanMtuErrors(
  networks: Readonly<Record<string, NetworkConfig>>,
  names: string[],
  bySouthbound: ReadonlyMap<string, string>,
  report: Report,
): void {
  for (const n of names) {
    const net = networks[n]!;
    const southbound = net.nic ?? net.bonding;
    if (southbound === undefined || net.vlan === undefined) continue;
    const u = bySouthbound.get(`${southbound}\0`);
    const untagged = u === undefined ? undefined : networks[u];
    if (untagged && !untagged.bridged && net.mtu > untagged.mtu) {
      report(
        joinPath(joinPath('spec.networks', n), 'mtu'),
        `mtu ${net.mtu} exceeds ${untagged.mtu}, the mtu of ${southbound} set by bridgeless network ${u}; ` +
          'a VLAN cannot exceed its lower device',
      );
    }
  }
}

/** At most one network holds the host's default route. */
function defaultRouteErrors(networks: Readonly<Record<string, NetworkConfig>>, names: string[], report: Report): void {
  const withDefault = names.filter((n) => networks[n]!.defaultRoute);
  if (withDefault.length <= 1) return;
  for (const n of withDefault) {
    report(
      joinPath(joinPath('spec.networks', n), 'defaultRoute'),
      `only one network may have defaultRoute; it is set on ${withDefault.join(', ')}`,
    );
  }
}

function crossErrors(
  networks: Readonly<Record<string, NetworkConfig>>,
  bonds: Readonly<Record<string, { nics: readonly string[] }>>,
  ctx: ValidationContext,
  known: Known,
  report: Report,
): void {
  const d = deviceView(bonds, ctx, known);
  const slaveOf = bondSlaveErrors(bonds, d, report);
  const names = Object.keys(networks).sort();
  const uses: Uses = { bySouthbound: new Map(), byIpv4: new Map(), byIpv6: new Map() };
  for (const n of names) {
    const net = networks[n]!;
    const at = (f: string) => joinPath(joinPath('spec.networks', n), f);
    bridgeNameErrors(n, net, d, report);
    if (net.nic !== undefined) nicErrors(at('nic'), net.nic, d, slaveOf, report);
    if (net.bonding !== undefined) bondingErrors(at('bonding'), net.bonding, d, report);
    sharedUseErrors(n, net, uses, report);
  }
  vlanDeviceNameErrors(networks, names, report);
  vlanMtuErrors(networks, names, uses.bySouthbound, report);
  defaultRouteErrors(networks, names, report);
}

// ---- the oVirt engine's rules (Setup Host Networks) ----
//
// Rules the engine applies before it calls VDSM's setupNetworks, which VDSM itself does not: a
// spec an oVirt administrator could not have set up is refused here too. They judge the desired
// config only: unlike the rules above they are no kernel invariant, so relationErrors (which the
// planner holds every intermediate state of a plan to) leaves them out.

/** Where each rule comes from in ovirt-engine (backend/manager/modules/...), quoted in its message. */
export const ENGINE_SOURCE = {
  bondMode:
    'oVirt engine: HostSetupNetworksValidator.validateBondModeVsNetworksAttachedToIt, ' +
    'BondMode.isBondModeValidForVmNetwork',
  untagged: 'oVirt engine: NetworkAttachmentsValidator.validateNetworkExclusiveOnNics',
  mtu: 'oVirt engine: NetworkMtuValidator.validateMtu',
} as const;

/**
 * Why a bond cannot carry a bridged network, or undefined if it can. Options naming no mode
 * leave the bond in the kernel's default, balance-rr (0) — VDSM's canonical form says so
 * ("mode=0", canonicalize.ts) — and the engine refuses those too: BondMode.parseBondMode finds
 * no mode and isBondModeValidForVmNetwork answers false. (The engine's own API fills *empty*
 * options with "mode=4 miimon=100 xmit_hash_policy=2" before validating, but that is the
 * engine's default, never sent to VDSM empty; this spec speaks VDSM's vocabulary, where empty
 * means the kernel's mode 0, and changing that default would silently switch the mode of every
 * bond written without one.)
 */
export function bondBridgeProblem(options: string | undefined): string | undefined {
  const mode = bondMode(options);
  if (mode === undefined) return undefined; // an invalid mode is reported already
  return modeBridgeProblem(
    mode,
    splitOptions(options ?? '').pairs.some(([k]) => k === 'mode'),
  );
}

/** Why a bond in this mode cannot carry a bridged network (named: the options give the mode). */
function modeBridgeProblem(mode: number, named: boolean): string | undefined {
  if (modeCarriesBridge(mode)) return undefined;
  const which = named ? `is in mode ${modeLabel(mode)}` : `names no mode, so it runs in ${modeLabel(mode)}`;
  return (
    `${which}, which cannot carry a bridged (VM) network; use bridged: false, or a bond mode of ` +
    `${BRIDGEABLE_MODE_LABELS.join(', ')} (${ENGINE_SOURCE.bondMode})`
  );
}

/**
 * A bridged network on a bond: the bond's mode must carry a bridge. A bond of the spec by its
 * options; a bond of the node the spec does not define (nor the handler own: that one is being
 * removed, reported already) by the mode the node reports, as the engine checks existing bonds.
 */
export function bridgedOnBondErrors(
  networks: Readonly<Record<string, { bonding?: string | undefined; bridged?: boolean | undefined }>>,
  bonds: Readonly<Record<string, { options?: string | undefined }>>,
  base: string,
  report: Report,
  nodeBonds: { modes?: Readonly<Record<string, number>>; owned?: ReadonlySet<string> } = {},
): void {
  for (const n of Object.keys(networks).sort()) {
    const net = networks[n]!;
    const b = net.bonding;
    if (net.bridged === false || b === undefined) continue;
    let problem: string | undefined;
    if (Object.hasOwn(bonds, b)) problem = bondBridgeProblem(bonds[b]!.options);
    else if (nodeBonds.modes && Object.hasOwn(nodeBonds.modes, b) && !nodeBonds.owned?.has(b)) {
      const p = modeBridgeProblem(nodeBonds.modes[b]!, true);
      problem = p && `(of the node) ${p}`;
    }
    if (problem) report(joinPath(joinPath(base, n), 'bridged'), `bond ${b} ${problem}`);
  }
}

/**
 * A device with an untagged network has one MTU for all its networks: the engine requires every
 * VLAN network on it to have the untagged network's MTU (a default MTU counts as 1500). Without
 * an untagged network the VLANs may differ.
 */
function engineMtuErrors(networks: Readonly<Record<string, NetworkConfig>>, names: string[], report: Report): void {
  const untaggedOn = new Map<string, string>();
  for (const n of names) {
    const net = networks[n]!;
    const southbound = net.nic ?? net.bonding;
    if (southbound === undefined || net.vlan !== undefined || untaggedOn.has(southbound)) continue;
    untaggedOn.set(southbound, n);
  }
  for (const n of names) {
    const net = networks[n]!;
    const southbound = net.nic ?? net.bonding;
    if (southbound === undefined || net.vlan === undefined) continue;
    const u = untaggedOn.get(southbound);
    const untagged = u === undefined ? undefined : networks[u]!;
    if (!untagged || net.mtu === untagged.mtu) continue;
    // Above a bridgeless untagged network's MTU, vlanMtuErrors reports the kernel's reason.
    if (!untagged.bridged && net.mtu > untagged.mtu) continue;
    report(
      joinPath(joinPath('spec.networks', n), 'mtu'),
      `mtu ${net.mtu} differs from ${untagged.mtu}, the mtu of untagged network ${u} on ${southbound}; the ` +
        `networks on a device with an untagged network share its MTU (${ENGINE_SOURCE.mtu})`,
    );
  }
}

/** The engine's rules on a whole spec (the untagged-network rule is sharedUseErrors', a kernel fact too). */
function engineErrors(
  networks: Readonly<Record<string, NetworkConfig>>,
  bonds: Readonly<Record<string, BondSpec>>,
  ctx: ValidationContext,
  report: Report,
): void {
  const names = Object.keys(networks).sort();
  const owned = new Set(Object.keys(ctx.running?.bondings ?? {}));
  bridgedOnBondErrors(networks, bonds, 'spec.networks', report, { modes: ctx.host?.bondModes, owned });
  engineMtuErrors(networks, names, report);
  const qosAt = (n: string) => joinPath(joinPath('spec.networks', n), 'hostQos');
  qosDeviceErrors(networks, names, ctx.host?.qosMissing, qosAt, report);
}

// ---- entry points ----

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function collector(): { errors: ValidationError[]; report: Report } {
  const errors: ValidationError[] = [];
  return { errors, report: (path, message) => void errors.push({ path, message }) };
}

function finish(errors: ValidationError[]): ValidationError[] {
  const seen = new Set<string>();
  const out = errors.filter((e) => {
    const k = `${e.path}\0${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return out.sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0,
  );
}

/**
 * An entry that failed the schema, minus its failing and unknown fields, so the rules within the
 * entry can still run on what is left.
 */
function salvage<T>(
  value: unknown,
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType<T>,
  check: (partial: T, failed: ReadonlySet<string>) => void,
): void {
  if (!isPlainObject(value)) return;
  const failed = new Set<string>();
  const unknownKeys = new Set<string>();
  for (const i of issues) {
    if (i.code === 'unrecognized_keys' && i.path.length === 0) i.keys.forEach((k) => unknownKeys.add(k));
    else if (typeof i.path[0] === 'string') failed.add(i.path[0]);
  }
  const partial = Object.fromEntries(Object.entries(value).filter(([k]) => !failed.has(k) && !unknownKeys.has(k)));
  const p = schema.safeParse(partial);
  if (p.success) check(p.data, failed);
}

/**
 * Parses and validates a spec (the `spec` of an OvirtNodeNetwork, as written). On success returns
 * the parsed spec and its canonical config; otherwise every error found. Entries that fail the
 * schema are left out of the cross-object rules (their names still count as defined).
 */
const RESERVED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

export function checkSpec(raw: unknown, ctx: ValidationContext = {}): SpecCheck {
  const { errors, report } = collector();
  const parsed = SpecSchema.safeParse(raw ?? {}, { reportInput: true });
  let networks: Record<string, NetworkSpec> = {};
  let bondings: Record<string, BondSpec> = {};
  const known = { networks: new Set<string>(), bonds: new Set<string>() };
  if (parsed.success) {
    networks = parsed.data.networks;
    bondings = parsed.data.bondings;
  } else {
    errors.push(...zodIssuesToErrors(parsed.error.issues, 'spec'));
    const r = isPlainObject(raw) ? raw : {};
    if (isPlainObject(r.networks)) {
      for (const [k, v] of Object.entries(r.networks)) {
        known.networks.add(k);
        const p = NetworkSpecSchema.safeParse(v);
        if (p.success) networks[k] = p.data;
        else
          salvage(v, p.error.issues, NetworkSpecSchema, (part, bad) =>
            networkErrors(joinPath('spec.networks', k), part, report, bad),
          );
      }
    }
    if (isPlainObject(r.bondings)) {
      for (const [k, v] of Object.entries(r.bondings)) {
        known.bonds.add(k);
        const p = BondSpecSchema.safeParse(v);
        if (p.success) bondings[k] = p.data;
        else
          salvage(v, p.error.issues, BondSpecSchema.partial(), (part) =>
            bondErrors(joinPath('spec.bondings', k), part, report),
          );
      }
    }
  }
  // Names every JavaScript object already has (constructor, toString, __proto__ — which the
  // schema's record would even drop silently) cannot be looked up safely: refused outright.
  const rawObj = isPlainObject(raw) ? raw : {};
  for (const [field, base] of [
    ['networks', 'spec.networks'],
    ['bondings', 'spec.bondings'],
    ['nics', 'spec.nics'],
  ] as const) {
    const m = rawObj[field];
    if (!isPlainObject(m)) continue;
    for (const k of Object.keys(m))
      if (RESERVED_NAMES.has(k)) report(joinPath(base, k), 'is a reserved name; choose another');
  }
  for (const n of new Set([...Object.keys(networks), ...known.networks])) {
    const problem = deviceNameProblem(n);
    if (problem) report(joinPath('spec.networks', n), problem);
  }
  for (const b of new Set([...Object.keys(bondings), ...known.bonds])) {
    const problem = bondNameProblem(b);
    if (problem) report(joinPath('spec.bondings', b), problem);
  }
  for (const [n, net] of Object.entries(networks)) networkErrors(joinPath('spec.networks', n), net, report);
  for (const [b, bond] of Object.entries(bondings)) bondErrors(joinPath('spec.bondings', b), bond, report);
  const canonicalNets: Record<string, NetworkConfig> = {};
  for (const [n, net] of Object.entries(networks)) canonicalNets[n] = canonicalizeNetwork(net);
  // Bond nics in the spec's order, so error paths index the user's list.
  crossErrors(canonicalNets, bondings, ctx, known, report);
  engineErrors(canonicalNets, bondings, ctx, report);
  nicSettingsErrors(rawObj.nics, parsed.success ? parsed.data.nics : undefined, bondings, ctx, report);

  if (errors.length > 0 || !parsed.success) return { ok: false, errors: finish(errors) };
  return { ok: true, spec: parsed.data, config: canonicalize(parsed.data, { hostNameservers: ctx.host?.nameservers }) };
}

/** All errors of a spec as written ([] when valid). */
export function validate(raw: unknown, ctx: ValidationContext = {}): ValidationError[] {
  const r = checkSpec(raw, ctx);
  return r.ok ? [] : r.errors;
}

/** The same rules applied to a canonical config (e.g. a persisted running config). */
export function validateConfig(config: RunningConfig, ctx: ValidationContext = {}): ValidationError[] {
  return validate(configToSpec(config), ctx);
}

/**
 * The spec of a document given to the CLI: a whole OvirtNodeNetwork (apiVersion/kind/metadata/
 * spec, the seed's node_network.yml) or a bare spec.
 */
export function extractSpec(doc: unknown): { spec: unknown; errors: ValidationError[] } {
  if (!isPlainObject(doc)) return { spec: doc ?? {}, errors: [] };
  const isObject = ['apiVersion', 'kind', 'metadata', 'spec', 'status'].some((k) => k in doc);
  if (!isObject) return { spec: doc, errors: [] };
  const errors: ValidationError[] = [];
  if (doc.apiVersion !== undefined && doc.apiVersion !== API_VERSION)
    errors.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (doc.kind !== undefined && doc.kind !== KIND) errors.push({ path: 'kind', message: `must be ${KIND}` });
  return { spec: doc.spec ?? {}, errors };
}

/**
 * Only the rules relating objects to each other and to the node (shared southbounds, bond
 * membership, one defaultRoute, MTU against a lower device...), for a canonical config. The
 * planner's tests hold every intermediate state of a plan to these.
 */
export function relationErrors(config: RunningConfig, ctx: ValidationContext = {}): ValidationError[] {
  const { errors, report } = collector();
  crossErrors(config.networks, config.bondings, ctx, { networks: new Set(), bonds: new Set() }, report);
  return finish(errors);
}

// ---- NIC settings (spec.nics: ethtoolOpts) ----
//
// Kept apart from the network and bond rules above. A NIC named here must be a NIC of the node
// (not a bond); each feature must be one the NIC's driver reports and lets change, as the host
// read before validation found it (HostState.ethtool): a fixed feature, a group of features or
// one the NIC lacks is refused naming it, before anything on the host changes.

/** The keys of spec.nics.NIC.ethtoolOpts.features as written ([] when not an object). */
function rawFeatureKeys(rawNics: unknown, nic: string): string[] {
  const n = isPlainObject(rawNics) && Object.hasOwn(rawNics, nic) ? rawNics[nic] : undefined;
  const opts = isPlainObject(n) ? n.ethtoolOpts : undefined;
  const f = isPlainObject(opts) ? opts.features : undefined;
  return isPlainObject(f) ? Object.keys(f) : [];
}

function nicSettingsErrors(
  rawNics: unknown,
  nics: Readonly<Record<string, NicSpec>> | undefined,
  bondings: Readonly<Record<string, BondSpec>>,
  ctx: ValidationContext,
  report: Report,
): void {
  // A spec failing elsewhere still has its NICs held to the host.
  const parsed = nics ?? (isPlainObject(rawNics) ? SpecSchema.shape.nics.safeParse(rawNics).data : undefined) ?? {};
  const host = ctx.host;
  const bonds = new Set([...Object.keys(bondings), ...Object.keys(host?.bonds ?? {})]);
  for (const nic of Object.keys(parsed).sort()) {
    if (RESERVED_NAMES.has(nic) || deviceNameProblem(nic)) continue; // reported with the map's keys
    const base = joinPath('spec.nics', nic);
    if (bonds.has(nic)) {
      report(base, `${nic} is a bond, not a NIC: set its slaves' features`);
      continue;
    }
    if (host && !host.nics.includes(nic)) {
      report(base, `NIC ${nic} does not exist on the node`);
      continue;
    }
    const features = parsed[nic]!.ethtoolOpts?.features ?? {};
    const read = host?.ethtool && Object.hasOwn(host.ethtool, nic) ? host.ethtool[nic] : undefined;
    // The keys as written too: the schema's record drops "__proto__" without a word.
    for (const f of [...new Set([...Object.keys(features), ...rawFeatureKeys(rawNics, nic)])].sort()) {
      const at = joinPath(joinPath(joinPath(base, 'ethtoolOpts'), 'features'), f);
      if (RESERVED_NAMES.has(f)) {
        report(at, 'is a reserved name, not a feature');
        continue;
      }
      const p = read && featureProblem(read, f);
      if (p) report(at, p);
    }
    if (read) paramErrors(joinPath(base, 'ethtoolOpts'), parsed[nic]!.ethtoolOpts, read, report);
  }
}

/**
 * Rings and coalescing against the driver's report (`ethtool -g` maximums, the parameters `ethtool
 * -c` does not print "n/a"): each name and value the schema took, at its field.
 */
function paramErrors(base: string, opts: NicSpec['ethtoolOpts'], read: EthtoolRead, report: Report): void {
  for (const group of ['rings', 'coalesce'] as const) {
    const values: Record<string, ParamValue | undefined> = opts?.[group] ?? {};
    const part = 'error' in read ? { error: read.error } : read[group];
    for (const k of Object.keys(values).sort()) {
      if (values[k] === undefined) continue;
      const p = paramProblem(group, part, k, values[k]);
      if (p) report(joinPath(joinPath(base, group), k), p);
    }
  }
}
