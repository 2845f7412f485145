// A tree of the host's device stack for a person: nic -> bond -> vlan -> bridge -> network,
// each line with state, MTU and addresses. Roots are the bottom of a stack (nics, bonds with
// their slaves listed under them, nicless bridges, other software devices); children are what
// is stacked on a device: vlans/macvlans over it, the bridge it is a port of.
import type { RunningConfig } from '../api/config.js';
import { printableName } from '../api/names.js';
import { bondOptionsFromSysfs, formatBondOptions } from '../model/bond-options.js';
import { isBond, isBridge, isNic, isVlan, slavesOf } from '../model/links.js';
import { usesDhcpv4 } from './devices.js';
import { locateNetwork } from './networks.js';
import { linkState } from './statistics.js';
import { drawForest } from '../util/forest.js';
import type { HostState, Link } from '../model/host-state.js';

/** Devices whose `link` names the device they are stacked on (a veth's names its peer). */
function stackedOn(l: Link): string | undefined {
  return l.kind !== 'veth' && l.parent ? l.parent : undefined;
}

function describe(host: HostState, l: Link, networks: Map<string, string[]>): string {
  const parts = [printableName(l.name)];
  if (isNic(l)) parts.push(l.kind ? `nic (${l.kind})` : 'nic');
  else if (isBond(l)) parts.push(`bond ${formatBondOptions(bondOptionsFromSysfs(l.bonding ?? {}))}`);
  else if (isVlan(l)) parts.push(`vlan ${l.vlanId}`);
  else if (isBridge(l)) parts.push(`bridge stp ${l.bridge?.stp_state && l.bridge.stp_state !== '0' ? 'on' : 'off'}`);
  else parts.push(l.kind || l.linkType);
  parts.push(linkState(l), `mtu ${l.mtu}`);
  if (l.speed) parts.push(`${l.speed}Mb/s`);
  const dhcp = usesDhcpv4(l);
  const addrs = l.addresses
    .filter((a) => !(a.family === 'inet6' && a.scope === 'link'))
    .map(
      (a) => `${a.local}/${a.prefixlen}${a.dynamic ? (a.family === 'inet' && dhcp ? ' (dhcp)' : ' (dynamic)') : ''}`,
    );
  if (addrs.length) parts.push(addrs.join(', '));
  const gw = host.routes.filter((r) => r.dev === l.name && r.dst === 'default' && r.gateway && r.table === 'main');
  for (const r of gw) parts.push(`default via ${r.gateway}`);
  for (const n of networks.get(l.name) ?? []) parts.push(`[network ${n}]`);
  return parts.join('  ');
}

export interface TreeOptions {
  /** Only the stacks that contain this device. */
  interface?: string;
}

export function renderTree(host: HostState, running: RunningConfig, opts: TreeOptions = {}): string {
  const links = Object.values(host.links).filter((l) => l.linkType !== 'loopback');
  // Network name(s) carried by each top device.
  const networks = new Map<string, string[]>();
  for (const [name, cfg] of Object.entries(running.networks)) {
    const devs = locateNetwork(host, name, cfg);
    if (devs) networks.set(devs.top.name, [...(networks.get(devs.top.name) ?? []), name]);
  }
  const above = new Map<string, Link[]>();
  const add = (lower: string, l: Link) => above.set(lower, [...(above.get(lower) ?? []), l]);
  for (const l of links) {
    const on = stackedOn(l);
    if (on && host.links[on]) add(on, l);
    if (l.master && l.slaveKind !== 'bond' && host.links[l.master]) add(l.name, host.links[l.master]!);
  }
  const isRoot = (l: Link): boolean => {
    if (l.slaveKind === 'bond' && l.master && host.links[l.master]) return false; // drawn under its bond
    if (stackedOn(l) && host.links[stackedOn(l)!]) return false;
    if (isBridge(l) && slavesOf(host, l.name).length > 0) return false;
    return true;
  };
  return drawForest(
    links.filter(isRoot),
    {
      key: (l) => printableName(l.name),
      label: (l) => describe(host, l, networks),
      children: (l) => [
        ...(isBond(l) ? slavesOf(host, l.name).filter((s) => s.slaveKind === 'bond') : []).map((node) => ({
          node,
          leaf: true,
          suffix: '  (slave)',
        })),
        ...(above.get(l.name) ?? []).map((node) => ({ node })),
      ],
    },
    opts.interface !== undefined ? { only: printableName(opts.interface) } : {},
  );
}
