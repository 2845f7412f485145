// The kernel devices a RunningConfig implies (pure): the one device enumerator. compile/ lays out
// both sides of a transaction and lowers each plan step against them.
import type { BondConfig, NetworkConfig, RunningConfig } from '../api/config.js';
import { DEFAULT_MTU } from '../api/constants.js';
import { DEFAULT_BOND_MODE, parseBondOptions, numericBondValue } from './bond-options.js';
import { netmaskToPrefix } from '../util/ip.js';
import { parseKv } from '../util/kv.js';
import { portDeviceOf, southboundOf, topDeviceOf } from './device-names.js';

export interface BridgeDev {
  network: string;
  stp: boolean;
  /** Parsed "k=v" bridge options (sysfs names). */
  opts: Record<string, string>;
  mtu: number;
  port?: string;
}

export interface VlanDev {
  network: string;
  link: string;
  id: number;
  mtu: number;
}

export interface BondDev {
  nics: string[];
  /** Numeric option values, mode included ("0".."6"). */
  options: Record<string, string>;
  hwaddr?: string;
  mtu: number;
}

/** The IPv6 sysctls of a device (only the keys that matter are present; see ipv6Sysctls). */
export type Sysctls = Record<string, string>;

/** Everything placed on a network's top device. */
export interface TopDev {
  network: string;
  /** "a.b.c.d/len" */
  ipv4?: string;
  gateway?: string;
  defaultRoute: boolean;
  /** "addr/len" */
  ipv6?: string;
  ipv6gateway?: string;
  dhcp4: boolean;
  dhcp6: boolean;
  sysctls: Sysctls;
  nameservers: string[];
}

export interface Layout {
  bridges: Map<string, BridgeDev>;
  vlans: Map<string, VlanDev>;
  bonds: Map<string, BondDev>;
  /** NICs the config uses (bond slaves and network southbounds), with the MTU they need. */
  nics: Map<string, { mtu?: number; slaveOf?: string }>;
  tops: Map<string, TopDev>;
  /** Southbounds the config names but does not own (a bond of the node), with the MTU their networks need. */
  foreignSouthbounds: Map<string, number>;
  /** The network holding the host's default route. */
  defaultRouteNetwork?: string;
}

/**
 * IPv6 on a top device: off entirely when the network has no IPv6 configuration (VDSM/nmstate
 * "ipv6 enabled: false"), else on with SLAAC as asked. Keys are written in this order, so
 * router advertisements are refused before IPv6 comes up. accept_ra=2 accepts them even when
 * the node forwards (a Kubernetes node usually does).
 */
export function ipv6Sysctls(n: Pick<NetworkConfig, 'ipv6addr' | 'dhcpv6' | 'ipv6autoconf'>): Sysctls {
  if (!n.ipv6addr && !n.dhcpv6 && !n.ipv6autoconf) return IPV6_OFF;
  const on = n.ipv6autoconf ? '1' : '0';
  return { accept_ra: n.ipv6autoconf ? '2' : '0', autoconf: on, disable_ipv6: '0' };
}

/**
 * IPv6 off. The compiler completes it with the kernel's defaults for new devices
 * (conf/default/accept_ra, autoconf), so a device with IPv6 off reads the same whatever it was
 * before (a rollback leaves no trace of the path taken) and a new one needs one write.
 */
export const IPV6_OFF: Sysctls = { disable_ipv6: '1' };

export const PORT_ONLY_SYSCTLS: Sysctls = IPV6_OFF;

export function bondOptionMap(b: Pick<BondConfig, 'options'>): Record<string, string> {
  const raw = parseBondOptions(b.options);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = numericBondValue(k, v);
  out.mode ??= String(DEFAULT_BOND_MODE);
  return out;
}

/** A network's netmask as a prefix length; validation admits only contiguous masks, so this throws. */
function prefixOfNetmask(network: string, netmask: string): number {
  const p = netmaskToPrefix(netmask);
  if (p === undefined)
    throw new Error(`network ${network}: netmask ${netmask} is not a netmask (contiguous ones, then zeros)`);
  return p;
}

export function layoutOf(cfg: RunningConfig): Layout {
  const l: Layout = {
    bridges: new Map(),
    vlans: new Map(),
    bonds: new Map(),
    nics: new Map(),
    tops: new Map(),
    foreignSouthbounds: new Map(),
  };
  for (const [name, b] of Object.entries(cfg.bondings)) {
    l.bonds.set(name, {
      nics: [...b.nics].sort(),
      options: bondOptionMap(b),
      ...(b.hwaddr ? { hwaddr: b.hwaddr.toLowerCase() } : {}),
      mtu: 0,
    });
    for (const nic of b.nics) l.nics.set(nic, { slaveOf: name });
  }
  // MTU of each southbound: the largest of its networks' (VDSM); DEFAULT_MTU when it carries none.
  const southMtu = new Map<string, number>();
  for (const name of Object.keys(cfg.networks).sort()) {
    const n = cfg.networks[name]!;
    const south = southboundOf(n);
    const port = portDeviceOf(n);
    const top = topDeviceOf(name, n);
    if (south !== undefined) southMtu.set(south, Math.max(southMtu.get(south) ?? 0, n.mtu));
    if (n.nic !== undefined && !l.nics.has(n.nic)) l.nics.set(n.nic, {});
    if (n.vlan !== undefined && south !== undefined && port !== undefined) {
      l.vlans.set(port, { network: name, link: south, id: n.vlan, mtu: n.mtu });
    }
    if (n.bridged) {
      l.bridges.set(name, {
        network: name,
        stp: n.stp,
        opts: parseKv(n.bridgeOpts),
        mtu: n.mtu,
        ...(port !== undefined ? { port } : {}),
      });
    }
    const t: TopDev = {
      network: name,
      defaultRoute: n.defaultRoute,
      dhcp4: n.bootproto === 'dhcp',
      dhcp6: n.dhcpv6,
      sysctls: ipv6Sysctls(n),
      nameservers: [...n.nameservers],
    };
    if (n.bootproto !== 'dhcp' && n.ipaddr) {
      t.ipv4 = `${n.ipaddr}/${n.netmask ? prefixOfNetmask(name, n.netmask) : 32}`;
      if (n.gateway) t.gateway = n.gateway;
    }
    if (!n.dhcpv6 && n.ipv6addr) {
      t.ipv6 = n.ipv6addr.includes('/') ? n.ipv6addr : `${n.ipv6addr}/128`;
      if (n.ipv6gateway) t.ipv6gateway = n.ipv6gateway;
    }
    l.tops.set(top, t);
    if (n.defaultRoute) l.defaultRouteNetwork = name;
  }
  for (const [name, b] of l.bonds) b.mtu = southMtu.get(name) ?? DEFAULT_MTU;
  for (const [south, mtu] of southMtu)
    if (!l.bonds.has(south) && !l.nics.has(south)) l.foreignSouthbounds.set(south, mtu);
  for (const [nic, info] of l.nics) {
    if (info.slaveOf !== undefined) continue;
    info.mtu = southMtu.get(nic) ?? DEFAULT_MTU;
  }
  return l;
}

// Device lists derive from layoutOf, the one place that names a config's devices (device-names.ts), so
// that no list can disagree with what the compiler creates (a hashed long VLAN name included).

/** NICs used by a config: bond slaves and network southbounds (for origin bookkeeping). */
export function nicsOf(cfg: RunningConfig): Set<string> {
  return new Set(layoutOf(cfg).nics.keys());
}

/** The devices a config makes the handler create: its bonds, bridges and VLAN devices. */
export function createdDevicesOf(cfg: RunningConfig): Set<string> {
  return createdIn(layoutOf(cfg));
}

/** Every device a config creates or uses: created ones, NICs, and the bonds and NICs under VLANs and bridges. */
export function devicesOf(cfg: RunningConfig): Set<string> {
  const l = layoutOf(cfg);
  const out = createdIn(l);
  for (const nic of l.nics.keys()) out.add(nic);
  for (const v of l.vlans.values()) out.add(v.link);
  for (const b of l.bridges.values()) if (b.port !== undefined) out.add(b.port);
  for (const top of l.tops.keys()) out.add(top);
  return out;
}

function createdIn(l: Layout): Set<string> {
  return new Set([...l.bonds.keys(), ...l.bridges.keys(), ...l.vlans.keys()]);
}
