// Kernel device names for the networks of a config. VDSM's conventions: a bridged network's
// bridge is named after the network, a VLAN device is `<southbound>.<vlan>`, and the IP
// configuration lives on the top device (bridge, else VLAN device, else the southbound itself).
import type { NetworkConfig } from '../api/config.js';
import { IFNAME_MAX } from '../api/constants.js';
import { fnv1a32 } from '../util/hash.js';

/**
 * `<southbound>.<vlan>` as VDSM names it; when that exceeds 15 characters the kernel would refuse
 * it, so a stable `v<hash>.<vlan>` is used instead (the observer identifies VLANs by their link
 * and id, not by name, so any name reads back correctly). `<southbound>.<vlan>` names are unique
 * (device names hold no '.': src/api/names.ts), hashed ones are not: two long southbounds may
 * hash alike, and a short southbound may be named like a hash. Validation refuses a spec in which
 * two VLANs would get one name (src/plan/validate.ts, crossErrors).
 */
export function vlanDeviceName(southbound: string, vlan: number): string {
  const plain = `${southbound}.${vlan}`;
  if (plain.length <= IFNAME_MAX) return plain;
  return `v${fnv1a32(southbound).toString(16).padStart(8, '0')}.${vlan}`;
}

/** The device below the network's bridge/IP: nic or bond, undefined when nicless. */
export function southboundOf(net: Pick<NetworkConfig, 'nic' | 'bonding'>): string | undefined {
  return net.nic ?? net.bonding;
}

/** The device the bridge enslaves (or that carries the IP when bridgeless): VLAN device or southbound. */
export function portDeviceOf(net: Pick<NetworkConfig, 'nic' | 'bonding' | 'vlan'>): string | undefined {
  const south = southboundOf(net);
  if (south === undefined) return undefined;
  return net.vlan !== undefined ? vlanDeviceName(south, net.vlan) : south;
}

/** The device that carries the network's addresses, routes and DHCP client. */
export function topDeviceOf(name: string, net: Pick<NetworkConfig, 'nic' | 'bonding' | 'vlan' | 'bridged'>): string {
  if (net.bridged) return name;
  const port = portDeviceOf(net);
  if (port === undefined) throw new Error(`network ${name}: a bridgeless network needs a nic or a bonding`);
  return port;
}
