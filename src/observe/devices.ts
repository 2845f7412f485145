// The per-device facts shared by capabilities and kernelConfig (addresses, gateways, DHCP and
// SLAAC in use). What kind of device a link is, and its slaves, are the model's (model/links.ts).
import type { DeviceInfo } from '../api/status.js';
import { vlanDeviceName } from '../model/device-names.js';
import type { Address, HostState, Link, Route } from '../model/host-state.js';
import { isVlan } from '../model/links.js';
import { prefixToNetmask } from '../util/ip.js';

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

/** The vlan device on `parent` with `id`, whatever its name (VDSM names it <parent>.<id>). */
export function findVlan(host: HostState, parent: string, id: number): Link | undefined {
  const byName = host.links[vlanDeviceName(parent, id)];
  if (byName && isVlan(byName) && byName.parent === parent && byName.vlanId === id) return byName;
  return Object.values(host.links).find((l) => isVlan(l) && l.parent === parent && l.vlanId === id);
}
