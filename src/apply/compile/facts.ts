// What the compiler needs to know about the host before a transaction, projected from the one
// HostState (src/observe/host.ts reads it): links (MTU, MAC, up, master, addresses), routes,
// the IPv6 sysctls of the NICs that may carry a network, and resolv.conf. Pure.
import type { Address, HostState, Route } from '../../model/host-state.js';
import type { Sysctls } from '../../model/layout.js';
import { requestedFeatures } from '../../model/ethtool.js';
import { currentParams, type ParamGroup, type ParamValue } from '../../model/ethtool-params.js';
import type { QosTree } from '../../model/host-qos.js';

export interface LinkFact {
  name: string;
  kind: string;
  mtu: number;
  hwaddr: string;
  up: boolean;
  master?: string;
  /** A bond slave's own address (the kernel gives it back when the slave is released). */
  permHwaddr?: string;
  /** Link group (Link.group): absent for the default group. */
  group?: string;
  addresses: Address[];
}

export interface CompileFacts {
  links: Record<string, LinkFact>;
  routes: Route[];
  /** The kernel's policy rules (both families), when read: their tables are never allocated. */
  rules?: { table: string }[];
  /** IPv6 sysctls by device (only the devices asked for), and `default` (what new devices get). */
  sysctls: Record<string, Sysctls>;
  /** resolv.conf content (undefined: no such file, or an empty one). */
  resolv: string | undefined;
  /** The requested ethtool features of the NICs the host read has them for (HostState.ethtool). */
  features?: Record<string, Record<string, boolean>>;
  /** The current ring sizes and coalescing of the NICs the host read has them for (HostState.ethtool). */
  params?: Record<string, Partial<Record<ParamGroup, Record<string, ParamValue>>>>;
  /** The QoS tree of each device the host read has one for (HostState.qos). */
  qos?: Record<string, QosTree>;
}

export const SYSCTL_KEYS = ['accept_ra', 'autoconf', 'disable_ipv6'] as const;

export function sysctlPath(dev: string, key: string): string {
  return `/proc/sys/net/ipv6/conf/${dev}/${key}`;
}

/** The compiler's keys of one conf directory; undefined unless all of them were read. */
function completeSysctls(conf: Record<string, string> | undefined): Sysctls | undefined {
  if (!conf || !SYSCTL_KEYS.every((k) => conf[k] !== undefined)) return undefined;
  return Object.fromEntries(SYSCTL_KEYS.map((k) => [k, conf[k]!]));
}

/**
 * The projection. `host` must have been read with `routes: 'all'` (a NIC's own routes are
 * recorded when the handler takes it) from the resolv.conf the transaction manages.
 * `sysctlDevices`: the devices whose IPv6 sysctls the compiler may use; the others' are left
 * out, as unknown (the compiler then writes every value it wants on them).
 */
export function compileFacts(host: HostState, sysctlDevices: Iterable<string>): CompileFacts {
  const links: Record<string, LinkFact> = {};
  for (const l of Object.values(host.links)) {
    const f: LinkFact = {
      name: l.name,
      kind: l.kind,
      mtu: l.mtu,
      hwaddr: l.hwaddr,
      up: l.flags.includes('UP'),
      addresses: l.addresses,
    };
    if (l.master) f.master = l.master;
    if (l.group) f.group = l.group;
    if (l.bondSlave?.permHwaddr) f.permHwaddr = l.bondSlave.permHwaddr;
    links[l.name] = f;
  }
  const sysctls: Record<string, Sysctls> = {};
  // What a new device starts with (absent when the kernel has no IPv6).
  const defaults = completeSysctls(host.ipv6conf.default);
  if (defaults) sysctls.default = defaults;
  for (const dev of sysctlDevices) {
    const s = links[dev] ? completeSysctls(host.ipv6conf[dev]) : undefined;
    if (s) sysctls[dev] = s;
  }
  const features: Record<string, Record<string, boolean>> = {};
  for (const [nic, read] of Object.entries(host.ethtool ?? {}))
    if (!('error' in read)) features[nic] = requestedFeatures(read, Object.keys(read.features));
  const params: NonNullable<CompileFacts['params']> = {};
  for (const [nic, read] of Object.entries(host.ethtool ?? {})) {
    if ('error' in read) continue;
    const p: Partial<Record<ParamGroup, Record<string, ParamValue>>> = {};
    for (const g of ['rings', 'coalesce'] as const) {
      const r = read[g];
      if (r && !('error' in r)) p[g] = currentParams(r, Object.keys(r.current));
    }
    params[nic] = p;
  }
  return {
    links,
    routes: host.routes,
    ...(host.rules ? { rules: host.rules } : {}),
    sysctls,
    resolv: host.resolv,
    ...(host.ethtool ? { features, params } : {}),
    ...(host.qos ? { qos: host.qos } : {}),
  };
}
