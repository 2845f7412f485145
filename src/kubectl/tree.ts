// `kubectl onn tree`: the node's device stack drawn from what its agent reported — capabilities
// for the devices, how they stack and their addresses; statistics for link state — as `show
// --tree` draws it from the host (src/observe/tree.ts; both use src/util/forest.ts). Roots are
// NICs and bonds (slaves listed under their bond), bridges without a reported port; above a
// device come its VLANs and the bridge it is a port of; a network's name marks its top device.
// Pure.
import { printableName, printableText } from '../api/names.js';
import type { Capabilities, DeviceInfo, Lldp, Statistics } from '../api/status.js';
import { lldpNeighbor } from '../observe/lldp.js';
import { formatBondOptions } from '../model/bond-options.js';
import { drawForest, type ForestChild } from '../util/forest.js';

/** Statistics list the loopback device too; it is no part of a stack. */
const LOOPBACK = 'lo';

type Kind = 'nic' | 'bond' | 'vlan' | 'bridge' | 'port';

interface Device {
  name: string;
  kind: Kind;
  /** Undefined for a bridge port capabilities do not list (a tap, a veth that is no NIC). */
  info?: DeviceInfo;
}

export interface StatusTreeOptions {
  /** Only the stacks that contain this device. */
  interface?: string;
  /** status.lldp: a NIC's line names the switch and port its neighbor announces. */
  lldp?: Lldp;
}

function devices(caps: Capabilities): Map<string, Device> {
  const out = new Map<string, Device>();
  for (const [name, info] of Object.entries(caps.nics)) out.set(name, { name, kind: 'nic', info });
  for (const [name, info] of Object.entries(caps.bondings)) out.set(name, { name, kind: 'bond', info });
  for (const [name, info] of Object.entries(caps.vlans)) out.set(name, { name, kind: 'vlan', info });
  for (const [name, info] of Object.entries(caps.bridges)) out.set(name, { name, kind: 'bridge', info });
  return out;
}

/**
 * One device's line. Everything in it comes from a node's agent, which an attacker holding that
 * node writes: names and text are printed escaped, never raw to the terminal.
 */
function describe(
  d: Device,
  caps: Capabilities,
  stats: Statistics | undefined,
  networks: Map<string, string[]>,
  lldp: Lldp | undefined,
): string {
  const name = printableName(d.name);
  const state = printableText(stats?.[d.name]?.state ?? 'state unknown');
  if (d.kind === 'port') return [name, 'port (not in capabilities)', state].join('  ');
  const parts = [name, kindLabel(d, caps), state, `mtu ${printableText(String(d.info!.mtu))}`];
  const speed = d.kind === 'nic' ? caps.nics[d.name]!.speed : d.kind === 'bond' ? caps.bondings[d.name]!.speed : 0;
  if (speed > 0) parts.push(`${speed}Mb/s`);
  parts.push(...addressParts(d.info!));
  for (const n of networks.get(d.name) ?? []) parts.push(`[network ${printableName(n)}]`);
  // The switch writes these strings: escaped like everything else the agent reports.
  const peer = d.kind === 'nic' && lldp && Object.hasOwn(lldp, d.name) ? lldpNeighbor(lldp[d.name]) : undefined;
  if (peer) parts.push(`switch ${printableText(peer.switch)} port ${printableText(peer.port)}`);
  return parts.join('  ');
}

function kindLabel(d: Device, caps: Capabilities): string {
  if (d.kind === 'bond') return `bond ${printableText(formatBondOptions(caps.bondings[d.name]!.opts))}`;
  if (d.kind === 'vlan') return `vlan ${printableText(String(caps.vlans[d.name]!.vlanid))}`;
  if (d.kind === 'bridge') return `bridge stp ${printableText(String(caps.bridges[d.name]!.stp))}`;
  return 'nic';
}

function addressParts(info: DeviceInfo): string[] {
  const parts: string[] = [];
  // capabilities say which device runs a DHCP client, not which address it leased: the primary one.
  const v4 = info.ipv4addrs.map((a) => (info.dhcpv4 && a.split('/')[0] === info.addr ? `${a} (dhcp)` : a));
  if (info.dhcpv4 && info.addr === '') v4.push('dhcp (no lease)');
  const addrs = [...v4, ...info.ipv6addrs];
  if (addrs.length) parts.push(printableText(addrs.join(', ')));
  // `gateway` is the device's default route in any table (a network's source routing has one);
  // only ipv4defaultroute says it is the host's.
  const gw = printableText(info.gateway);
  if (info.gateway) parts.push(info.ipv4defaultroute ? `default via ${gw}` : `gateway ${gw}`);
  if (info.ipv6gateway && info.ipv6gateway !== '::') parts.push(`gateway ${printableText(info.ipv6gateway)}`);
  return parts;
}

export function renderStatusTree(caps: Capabilities, stats: Statistics | undefined, o: StatusTreeOptions = {}): string {
  const devs = devices(caps);
  const above = new Map<string, Device[]>();
  const add = (lower: string, d: Device) => above.set(lower, [...(above.get(lower) ?? []), d]);
  const slaveOf = new Map<string, string>();
  for (const [bond, b] of Object.entries(caps.bondings))
    for (const s of b.slaves) if (devs.has(s)) slaveOf.set(s, bond);
  for (const [name, v] of Object.entries(caps.vlans)) if (devs.has(v.iface)) add(v.iface, devs.get(name)!);
  const portless = new Set<string>();
  for (const [name, br] of Object.entries(caps.bridges)) {
    const reported = br.ports.filter((p) => devs.has(p));
    for (const p of reported) add(p, devs.get(name)!);
    if (reported.length === 0) portless.add(name);
  }
  const networks = new Map<string, string[]>();
  for (const [name, n] of Object.entries(caps.networks))
    networks.set(n.iface, [...(networks.get(n.iface) ?? []), name]);

  const isRoot = (d: Device): boolean => {
    if (slaveOf.has(d.name)) return false;
    if (d.kind === 'vlan') return !devs.has(caps.vlans[d.name]!.iface);
    if (d.kind === 'bridge') return portless.has(d.name);
    return true;
  };
  // The agent reports statistics in ifindex order: the order the host lists its devices in.
  const order = [...new Set([...Object.keys(stats ?? {}), ...devs.keys()])].filter((n) => devs.has(n));
  const children = (d: Device): ForestChild<Device>[] => {
    const out: ForestChild<Device>[] = [];
    if (d.kind === 'bond') {
      const active = caps.bondings[d.name]!.active_slave;
      for (const s of caps.bondings[d.name]!.slaves) {
        const node = devs.get(s) ?? { name: s, kind: 'port' as const };
        out.push({ node, leaf: true, suffix: s === active ? '  (slave, active)' : '  (slave)' });
      }
    }
    if (d.kind === 'bridge') {
      for (const p of caps.bridges[d.name]!.ports)
        if (!devs.has(p)) out.push({ node: { name: p, kind: 'port' }, leaf: true });
    }
    for (const up of above.get(d.name) ?? []) out.push({ node: up });
    return out;
  };
  const tree = drawForest(
    order.map((n) => devs.get(n)!).filter(isRoot),
    {
      key: (d) => d.name,
      label: (d) => describe(d, caps, stats, networks, o.lldp),
      children,
    },
    o.interface !== undefined ? { only: o.interface } : {},
  );
  // Devices of other kinds (macvlan, tun...) are in statistics only: their state, not their place.
  const drawnPorts = new Set(Object.values(caps.bridges).flatMap((b) => b.ports));
  const others = Object.values(stats ?? {})
    .filter((s) => !devs.has(s.name) && !drawnPorts.has(s.name) && s.name !== LOOPBACK)
    .filter((s) => o.interface === undefined || s.name === o.interface)
    .map((s) => `${printableName(s.name)} ${printableText(s.state)}`);
  return others.length
    ? `${tree}other interfaces (in statistics only, not placed in the stack): ${others.join(', ')}\n`
    : tree;
}
