// Finding a handler-owned network's devices in the kernel, the way VDSM lays them out:
//   bridged:    a bridge named after the network, its southbound port being the vlan device
//               (<nic|bond>.<id>) or the nic/bond itself, or no port at all (nicless);
//   bridgeless: no device of its own; the network lives on the vlan device or the nic/bond.
import type { NetworkConfig } from '../api/config.js';
import { isBond, isBridge, isNic, isVlan, slavesOf } from '../model/links.js';
import { findVlan } from './devices.js';
import type { HostState, Link } from '../model/host-state.js';

export interface NetworkDevices {
  /** The device holding the network's addresses and MTU. */
  top: Link;
  bridged: boolean;
  /** The nic or bond under it, if any. */
  southbound?: Link;
  vlan?: Link;
}

/** A port that can be a southbound: a nic, a bond, or a vlan over one of them. */
function southboundOfPort(host: HostState, port: Link): { southbound: Link; vlan?: Link } | undefined {
  if (isVlan(port)) {
    const lower = port.parent ? host.links[port.parent] : undefined;
    return lower && (isNic(lower) || isBond(lower)) ? { southbound: lower, vlan: port } : undefined;
  }
  return isNic(port) || isBond(port) ? { southbound: port } : undefined;
}

/**
 * The kernel devices of network `name` (given its running config), or undefined when the kernel
 * does not have it. The layout (bridged or not, which southbound, which vlan) is read from the
 * kernel; the config only says where to look and which port to prefer when a bridge has several
 * candidates (e.g. VM taps next to the uplink).
 */
export function locateNetwork(host: HostState, name: string, cfg: NetworkConfig): NetworkDevices | undefined {
  if (cfg.bridged) {
    const br = host.links[name];
    if (!br || !isBridge(br)) return undefined;
    const wanted = cfg.nic ?? cfg.bonding;
    const candidates = slavesOf(host, name)
      .filter((p) => p.slaveKind === 'bridge')
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((p) => southboundOfPort(host, p) ?? []);
    const chosen = candidates.find((c) => c.southbound.name === wanted && c.vlan?.vlanId === cfg.vlan) ?? candidates[0];
    return { top: br, bridged: true, ...chosen };
  }
  const sbName = cfg.nic ?? cfg.bonding;
  const sb = sbName ? host.links[sbName] : undefined;
  if (!sb) return undefined;
  if (cfg.vlan !== undefined) {
    const vlan = findVlan(host, sb.name, cfg.vlan);
    return vlan ? { top: vlan, bridged: false, southbound: sb, vlan } : undefined;
  }
  return { top: sb, bridged: false, southbound: sb };
}
