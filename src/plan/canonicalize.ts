// Canonicalization, as VDSM's canonicalize.py does it: every default filled in and every value in
// one spelling, so that a spec, the running config and the kernelConfig read back from the kernel
// compare with a deep equality. Input is assumed valid (see validate.ts); nothing here throws.
import type { BondConfig, NetworkConfig, NicConfig, RunningConfig } from '../api/config.js';
import { DEFAULT_MTU } from '../api/constants.js';
import type { BondSpec, NetworkSpec, NicSpec, SpecInput } from '../api/spec.js';
import { canonicalIp, canonicalIpv6, canonicalIpv6Cidr, prefixToNetmask } from '../util/ip.js';
import { canonicalBondOptions } from '../model/bond-options.js';
import { canonicalBridgeOpts } from '../model/bridge-options.js';
import { canonicalHostQos } from '../model/host-qos.js';

export interface CanonicalizeOptions {
  /**
   * The host's current resolvers. VDSM gives a static default-route network without nameservers
   * the host's resolvers (so the network "owns" the host DNS as it is); without this option the
   * default is [] (DNS untouched).
   */
  hostNameservers?: readonly string[];
}

export function canonicalizeNetwork(net: NetworkSpec, opts: CanonicalizeOptions = {}): NetworkConfig {
  const bridged = net.bridged ?? true;
  const bootproto = net.bootproto ?? 'none';
  const defaultRoute = net.defaultRoute ?? false;
  // Key order is the order of src/api/config.ts, so JSON output reads the same everywhere.
  const out: NetworkConfig = {} as NetworkConfig;
  if (net.nic !== undefined) out.nic = net.nic;
  if (net.bonding !== undefined) out.bonding = net.bonding;
  if (net.vlan !== undefined) out.vlan = net.vlan;
  out.bridged = bridged;
  // STP and bridge options only exist on a bridge; VDSM ignores them otherwise.
  out.stp = bridged ? (net.stp ?? false) : false;
  const bridgeOpts = bridged ? canonicalBridgeOpts(net.bridgeOpts) : undefined;
  if (bridgeOpts !== undefined) out.bridgeOpts = bridgeOpts;
  out.mtu = net.mtu ?? DEFAULT_MTU;
  out.bootproto = bootproto;
  if (net.ipaddr !== undefined) out.ipaddr = net.ipaddr;
  if (net.netmask !== undefined) out.netmask = net.netmask;
  else if (net.prefix !== undefined) out.netmask = prefixToNetmask(net.prefix);
  if (net.gateway !== undefined) out.gateway = net.gateway;
  out.defaultRoute = defaultRoute;
  if (net.ipv6addr !== undefined) out.ipv6addr = canonicalIpv6Cidr(net.ipv6addr) ?? net.ipv6addr;
  if (net.ipv6gateway !== undefined) out.ipv6gateway = canonicalIpv6(net.ipv6gateway) ?? net.ipv6gateway;
  out.dhcpv6 = net.dhcpv6 ?? false;
  out.ipv6autoconf = net.ipv6autoconf ?? false;
  out.nameservers =
    net.nameservers !== undefined
      ? net.nameservers.map(canonicalIp)
      : defaultRoute && bootproto !== 'dhcp' && opts.hostNameservers
        ? opts.hostNameservers.map(canonicalIp)
        : [];
  out.switch = 'legacy';
  if (net.hostQos !== undefined) out.hostQos = canonicalHostQos(net.hostQos);
  return out;
}

/**
 * Options without a mode canonicalize to mode=0, the kernel's and VDSM's default. The oVirt
 * engine's API would fill empty options with its own "mode=4 miimon=100 xmit_hash_policy=2", but
 * its validation (BondMode.isBondModeValidForVmNetwork) judges the mode the bond really runs, and
 * here that is mode 0 — so validation refuses a bridged network on it (validate.ts,
 * bondBridgeProblem) rather than this function switching the mode of every bond written without one.
 */
export function canonicalizeBond(bond: BondSpec): BondConfig {
  const out: BondConfig = {
    nics: [...new Set(bond.nics)].sort(),
    options: canonicalBondOptions(bond.options),
  } as BondConfig;
  if (bond.hwaddr !== undefined) out.hwaddr = bond.hwaddr.toLowerCase();
  out.switch = 'legacy';
  return out;
}

/** A whole spec (parsed or as written; only networks and bondings matter) in canonical form. */
export function canonicalize(
  spec: Pick<SpecInput, 'networks' | 'bondings' | 'nics'>,
  opts: CanonicalizeOptions = {},
): RunningConfig {
  const networks: Record<string, NetworkConfig> = {};
  for (const name of Object.keys(spec.networks ?? {}).sort())
    networks[name] = canonicalizeNetwork(spec.networks![name]!, opts);
  const bondings: Record<string, BondConfig> = {};
  for (const name of Object.keys(spec.bondings ?? {}).sort()) bondings[name] = canonicalizeBond(spec.bondings![name]!);
  const nics = canonicalizeNics(spec.nics);
  return { networks, bondings, ...(nics ? { nics } : {}) };
}

/**
 * spec.nics in canonical form: NICs and features sorted, a NIC without any setting left out,
 * and no `nics` at all when none is left (so a config without NIC settings is the one it was
 * before they existed).
 */
export function canonicalizeNics(nics: SpecInput['nics']): Record<string, NicConfig> | undefined {
  const out: Record<string, NicConfig> = {};
  for (const name of Object.keys(nics ?? {}).sort()) {
    const o = nics![name]!.ethtoolOpts;
    const opts: NicConfig['ethtoolOpts'] = { features: sortedDefined(o?.features ?? {}) };
    const rings = sortedDefined(o?.rings ?? {});
    const coalesce = sortedDefined(o?.coalesce ?? {});
    if (Object.keys(rings).length) opts.rings = rings;
    if (Object.keys(coalesce).length) opts.coalesce = coalesce;
    if (Object.keys(opts.features).length || opts.rings || opts.coalesce) out[name] = { ethtoolOpts: opts };
  }
  return Object.keys(out).length ? out : undefined;
}

/** A map's defined entries, sorted by name. */
function sortedDefined<V>(m: Readonly<Record<string, V | undefined>>): Record<string, V> {
  const keys = Object.keys(m)
    .filter((k) => m[k] !== undefined)
    .sort();
  return Object.fromEntries(keys.map((k) => [k, m[k]!]));
}

/**
 * The spec that canonicalizes to `config` (switch dropped; netmask kept as netmask). Used to
 * report a running config in spec vocabulary and by the round-trip property tests.
 */
export function configToSpec(config: RunningConfig): {
  networks: Record<string, NetworkSpec>;
  bondings: Record<string, BondSpec>;
  nics?: Record<string, NicSpec>;
} {
  const networks: Record<string, NetworkSpec> = {};
  for (const [name, net] of Object.entries(config.networks)) {
    const { switch: _s, ...rest } = net;
    networks[name] = { ...rest, nameservers: [...net.nameservers] };
  }
  const bondings: Record<string, BondSpec> = {};
  for (const [name, bond] of Object.entries(config.bondings)) {
    const b: BondSpec = { nics: [...bond.nics], options: bond.options };
    if (bond.hwaddr !== undefined) b.hwaddr = bond.hwaddr;
    bondings[name] = b;
  }
  if (!config.nics) return { networks, bondings };
  const nics: Record<string, NicSpec> = {};
  for (const [name, n] of Object.entries(config.nics)) {
    const { features, rings, coalesce } = n.ethtoolOpts;
    nics[name] = {
      ethtoolOpts: { features: { ...features }, ...(rings ? { rings: { ...rings } } : {}) },
    };
    if (coalesce) nics[name]!.ethtoolOpts!.coalesce = { ...coalesce };
  }
  return { networks, bondings, nics };
}
