// Taking devices down (upper first): bridges and VLAN devices go, slaves are released, bonds go,
// and a NIC the handler lets go of gets back what it had before the handler took it. Each undo
// makes the device again as the running config had it (build.ts).
import { ip } from '../ops.js';
import { originRouteOp, originRoutesGiven, topAddresses } from './addressing.js';
import { changeSysctls, recreateBond, recreateBridge, recreateVlan } from './build.js';
import { exists, keptBridge, keptVlan, link, originOf, type Change } from './context.js';
import type { Emit, OriginRoute } from './types.js';
import { inIpv4Subnet } from '../../util/ip.js';

/** A network's bridge and VLAN device, unless the desired config keeps them. */
export function deleteNetworkDevices(c: Change, network: string, port: string | undefined, emit: Emit): void {
  // What the kernel no longer has is where the change wants it: nothing to delete.
  const b = c.fromDevices.bridges.get(network);
  if (b && !keptBridge(c, network) && exists(c, network)) {
    // Made again by the undo with the routes its NIC port's origin had moved onto it.
    const nicPort = b.port !== undefined && c.fromDevices.nics.has(b.port) ? b.port : undefined;
    // (Only those it can carry: an IPv4 gateway on-link through the network's address.)
    const v4 = c.fromDevices.tops.get(network)?.ipv4;
    const onLink = (r: OriginRoute) =>
      !r.gateway || r.family === 6 || (v4 !== undefined && inIpv4Subnet(r.gateway, v4));
    const followed = nicPort
      ? originRoutesGiven(c, c.origins.nics[nicPort]?.routes ?? [], 'from')
          .filter(onLink)
          .map((r) => originRouteOp('replace', network, r))
      : [];
    emit('bridges-del', ip('link', 'del', 'dev', network), [...recreateBridge(c, network, b), ...followed]);
  }
  const v = port !== undefined ? c.fromDevices.vlans.get(port) : undefined;
  if (v && v.network === network && !keptVlan(c, port!) && exists(c, port!))
    emit('vlans-del', ip('link', 'del', 'dev', port!), recreateVlan(c, port!, v));
}

/**
 * Slaves are released last first, so that an undo (in reverse) enslaves them again in their
 * order: a bond without a MAC of its own takes its first slave's, and keeps the one it had.
 */
export function releaseSlave(c: Change, bond: string, nic: string, emit: Emit): void {
  const rank = -(c.fromDevices.bonds.get(bond)?.nics.indexOf(nic) ?? 0);
  emit(
    'release',
    ip('link', 'set', 'dev', nic, 'nomaster'),
    [ip('link', 'set', 'dev', nic, 'down'), ip('link', 'set', 'dev', nic, 'master', bond)],
    { rank },
  );
}

export function deleteBond(c: Change, name: string, emit: Emit): void {
  if (!exists(c, name)) return;
  emit('bonds-del', ip('link', 'del', 'dev', name), recreateBond(c, name, c.fromDevices.bonds.get(name)!));
}

/**
 * A NIC the handler lets go of: MAC, MTU, up/down state, addresses, routes and sysctls as they
 * were before it took it. (Releasing a slave closes it; removing a bridge or VLAN leaves the NIC
 * as it was.)
 */
export function restoreNic(c: Change, nic: string, emit: Emit): void {
  if (!exists(c, nic)) return;
  const o = originOf(c, nic);
  const l = link(c, nic)!;
  const wasSlave = c.released.has(nic);
  const curMac = (wasSlave ? (l.permHwaddr ?? l.hwaddr) : l.hwaddr).toLowerCase();
  if (o.hwaddr && curMac !== o.hwaddr)
    emit('nics-restore', ip('link', 'set', 'dev', nic, 'address', o.hwaddr), [
      ip('link', 'set', 'dev', nic, 'address', curMac),
    ]);
  if (l.mtu !== o.mtu)
    emit('nics-restore', ip('link', 'set', 'dev', nic, 'mtu', o.mtu), [ip('link', 'set', 'dev', nic, 'mtu', l.mtu)]);
  const upNow = wasSlave ? false : l.up;
  if (o.up !== upNow)
    emit('nics-restore', ip('link', 'set', 'dev', nic, o.up ? 'up' : 'down'), [
      ip('link', 'set', 'dev', nic, upNow ? 'up' : 'down'),
    ]);
  // The removed network's own addresses on the NIC go (addrs-del), even where one equals an
  // address the NIC had before: that one is put back, or a management NIC loses its address.
  const removed = new Set(c.fromDevices.tops.has(nic) ? topAddresses(c.fromDevices.tops.get(nic)) : []);
  const has = new Set(l.addresses.map((a) => `${a.local}/${a.prefixlen}`).filter((a) => !removed.has(a)));
  for (const addr of o.addresses ?? []) {
    if (!has.has(addr)) emit('addrs-add', ip('addr', 'add', addr, 'dev', nic), [ip('addr', 'del', addr, 'dev', nic)]);
  }
  // Best effort, like a displaced default route given back: a gateway no longer on-link must
  // not fail the release of everything else.
  for (const r of originRoutesGiven(c, o.routes ?? []))
    emit('routes-add', originRouteOp('replace', nic, r), [originRouteOp('del', nic, r)], { bestEffort: true });
  // From what the kernel has now, not from what the last config meant: a NIC that went from
  // carrying a network to being a bridge port kept the values of the network it carried.
  const cur = c.host.sysctls[nic] ?? c.fromDevices.tops.get(nic)?.sysctls;
  if (cur && o.sysctls) for (const op of changeSysctls(c, nic, cur, o.sysctls)) emit('files', op, 'previous');
}
