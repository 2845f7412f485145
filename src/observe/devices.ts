// Device classification and the per-device facts shared by capabilities and kernelConfig.
import type { Address, DeviceInfo, HostState, Link, Route } from './types.js';
import { vlanDeviceName } from '../apply/names.js';
import { prefixToNetmask } from '../util/ip.js';
import { words } from '../util/kv.js';

/**
 * The NIC rule, the only one (status, validation and the tree view all use it). A NIC is an
 * Ethernet device (link type `ether`: bridges, bonds and VLANs take nothing else) that is
 *   - hardware: it has a /sys/class/net/<name>/device link (PCI, USB, virtio, ...; such devices
 *     are exactly those missing from /sys/devices/virtual/net) and no rtnetlink kind; or
 *   - a veth or a dummy: the stand-ins for NICs in labs and tests (VDSM counts both as
 *     "NIC-like" for the same reason). The lab's nodes get their NICs as veth pairs.
 * Not NICs: lo, hardware of another link type (a modem in raw-IP mode, firewire), and every
 * other software device: bridge, bond, vlan, macvlan, vxlan, tun/tap, ifb, ipip/gre tunnels,
 * wireguard, team... The rtnetlink kind decides, not sysfs' DEVTYPE, which macvlan, ipvlan and
 * ifb do not set.
 * Trade-off: on a container host, runtime veths also count as NICs; they are listed, never
 * touched unless a spec names them.
 */
export function isNic(l: Link): boolean {
  if (l.linkType !== 'ether') return false;
  if (l.kind === 'veth' || l.kind === 'dummy') return true;
  return l.kind === '' && l.hasDevice;
}

export const isBond = (l: Link): boolean => l.kind === 'bond';
export const isBridge = (l: Link): boolean => l.kind === 'bridge';
export const isVlan = (l: Link): boolean => l.kind === 'vlan' && l.vlanId !== undefined;

const cidr = (a: Address): string => `${a.local}/${a.prefixlen}`;

/** The primary IPv4 address: the first one that is not a secondary. */
export function primaryIPv4(l: Link): Address | undefined {
  return l.addresses.find((a) => a.family === 'inet' && !a.secondary);
}

/** IPv6 addresses worth reporting: not link-local (every IPv6 device has one). */
export function ipv6Addresses(l: Link): Address[] {
  return l.addresses.filter((a) => a.family === 'inet6' && a.scope !== 'link');
}

const isDefault = (r: Route): boolean => r.dst === 'default' && r.type === 'unicast';

// Default routes by device, computed once per HostState: hosts with thousands of devices
// would otherwise scan every route for every device.
const defaultsCache = new WeakMap<HostState, Map<string, Route[]>>();

function defaultRoutes(host: HostState, dev: string): Route[] {
  let byDev = defaultsCache.get(host);
  if (!byDev) {
    byDev = new Map();
    for (const r of host.routes) {
      if (!isDefault(r) || !r.dev) continue;
      const list = byDev.get(r.dev);
      if (list) list.push(r);
      else byDev.set(r.dev, [r]);
    }
    defaultsCache.set(host, byDev);
  }
  return byDev.get(dev) ?? [];
}

/**
 * The device's default gateway: its default route in the main table, else in another table
 * (VDSM keeps per-network gateways in source-routing tables). excludeRa leaves out routes a
 * router advertisement installed (not configuration).
 */
export function defaultGateway(
  host: HostState,
  dev: string,
  family: 4 | 6,
  opts: { excludeRa?: boolean } = {},
): string | undefined {
  const mine = defaultRoutes(host, dev).filter(
    (r) => r.family === family && r.gateway !== undefined && !(opts.excludeRa && r.protocol === 'ra'),
  );
  return (mine.find((r) => r.table === 'main') ?? mine[0])?.gateway;
}

/** The device carries an IPv4 default route of the main table (the host's default route). */
export function hasIPv4DefaultRoute(host: HostState, dev: string): boolean {
  return defaultRoutes(host, dev).some((r) => r.family === 4 && r.table === 'main');
}

/**
 * The device holds the host's default route: IPv4's, or an IPv6 one that is configuration (in
 * main, not learnt from a router advertisement). Either side alone says so: a network keeps
 * holding it when one family's route is lost.
 */
export function holdsDefaultRoute(host: HostState, dev: string): boolean {
  return defaultRoutes(host, dev).some(
    (r) => r.table === 'main' && (r.family === 4 || (r.protocol !== 'ra' && r.protocol !== 'kernel')),
  );
}

/** DHCPv4 in use: the kernel shows an IPv4 address with a finite lifetime, i.e. a lease. */
export function usesDhcpv4(l: Link): boolean {
  return l.addresses.some((a) => a.family === 'inet' && a.dynamic);
}

/**
 * DHCPv6 in use: a global IPv6 address with a finite lifetime and prefix length 128. DHCPv6
 * hands out single addresses (IA_NA) and clients (dhcpcd, dhclient, NetworkManager) add them as
 * /128; SLAAC addresses carry the advertised prefix (/64), so they do not count.
 */
export function usesDhcpv6(l: Link): boolean {
  return l.addresses.some((a) => a.family === 'inet6' && a.scope === 'global' && a.dynamic && a.prefixlen === 128);
}

/** SLAAC on: the kernel accepts router advertisements and autoconfigures addresses from them. */
export function ipv6Autoconf(l: Link): boolean {
  return !!l.ipv6 && !l.ipv6.disabled && l.ipv6.autoconf && l.ipv6.acceptRa > 0;
}

export function deviceInfo(host: HostState, l: Link): DeviceInfo {
  const primary = primaryIPv4(l);
  return {
    addr: primary?.local ?? '',
    netmask: primary ? prefixToNetmask(primary.prefixlen) : '',
    ipv4addrs: l.addresses.filter((a) => a.family === 'inet').map(cidr),
    ipv6addrs: ipv6Addresses(l).map(cidr),
    gateway: defaultGateway(host, l.name, 4) ?? '',
    ipv6gateway: defaultGateway(host, l.name, 6) ?? '::',
    ipv4defaultroute: hasIPv4DefaultRoute(host, l.name),
    dhcpv4: usesDhcpv4(l),
    dhcpv6: usesDhcpv6(l),
    ipv6autoconf: ipv6Autoconf(l),
    mtu: String(l.mtu),
  };
}

// Enslaved devices by master, computed once per HostState (same reason as above).
const slavesCache = new WeakMap<HostState, Map<string, Link[]>>();

/** Devices enslaved to `master`, in ifindex order. */
export function slavesOf(host: HostState, master: string): Link[] {
  let byMaster = slavesCache.get(host);
  if (!byMaster) {
    byMaster = new Map();
    for (const l of Object.values(host.links)) {
      if (!l.master) continue;
      const list = byMaster.get(l.master);
      if (list) list.push(l);
      else byMaster.set(l.master, [l]);
    }
    slavesCache.set(host, byMaster);
  }
  return byMaster.get(master) ?? [];
}

/** Ports of a bridge, sorted. */
export function bridgePorts(host: HostState, bridge: string): string[] {
  return slavesOf(host, bridge)
    .filter((l) => l.slaveKind === 'bridge')
    .map((l) => l.name)
    .sort();
}

/** Slaves of a bond, sorted; from sysfs when readable, else from the link dump's masters. */
export function bondSlaves(host: HostState, bond: Link): string[] {
  const sys = bond.bonding?.slaves;
  if (sys !== undefined) return words(sys).sort();
  return slavesOf(host, bond.name)
    .filter((l) => l.slaveKind === 'bond')
    .map((l) => l.name)
    .sort();
}

/** The vlan device on `parent` with `id`, whatever its name (VDSM names it <parent>.<id>). */
export function findVlan(host: HostState, parent: string, id: number): Link | undefined {
  const byName = host.links[vlanDeviceName(parent, id)];
  if (byName && isVlan(byName) && byName.parent === parent && byName.vlanId === id) return byName;
  return Object.values(host.links).find((l) => isVlan(l) && l.parent === parent && l.vlanId === id);
}
