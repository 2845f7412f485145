// Kernel device names for the networks of a config. VDSM's conventions: a bridged network's
// bridge is named after the network, a VLAN device is `<southbound>.<vlan>`, and the IP
// configuration lives on the top device (bridge, else VLAN device, else the southbound itself).
import type { NetworkConfig } from '../api/config.js';
import { IFNAME_MAX } from '../api/constants.js';

/** FNV-1a, 32 bit: a stable short hash for names that would not fit. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * `<southbound>.<vlan>` as VDSM names it; when that exceeds 15 characters the kernel would refuse
 * it, so a stable `v<hash>.<vlan>` is used instead (the observer identifies VLANs by their link
 * and id, not by name, so any name reads back correctly).
 */
export function vlanDeviceName(southbound: string, vlan: number): string {
  const plain = `${southbound}.${vlan}`;
  if (plain.length <= IFNAME_MAX) return plain;
  return `v${fnv1a(southbound).toString(16).padStart(8, '0')}.${vlan}`;
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

/** Dotted netmask → prefix length (255.255.255.0 → 24); throws on a non-contiguous mask. */
export function netmaskToPrefix(mask: string): number {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad netmask ${mask}`);
  const bits = parts.reduce((acc, p) => ((acc << 8) | p) >>> 0, 0);
  const prefix = Math.clz32(~bits >>> 0);
  const expected = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if (expected !== bits) throw new Error(`netmask ${mask} is not contiguous`);
  return prefix;
}
