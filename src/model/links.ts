// The link predicates and relations every floor above reads the host by: the one NIC rule, the
// kinds of device, and who is enslaved to whom. Pure functions of HostState (host-state.ts).
import type { HostState, Link } from './host-state.js';
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

// Enslaved devices by master, computed once per HostState: hosts with thousands of devices
// would otherwise scan every link for every master.
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
