// Lowering: each plan step kind becomes its kernel operations, with their undo, in one function.
// An operation exists because one step's function emitted it, so every operation carries the
// step it implements. Where two steps meet on one kernel object, one owns it:
//   - a network's routes and rules belong to setDefaultRoute when the network has one, else to
//     setIpv4/setIpv6 (each its family);
//   - a DHCP client that only one side runs belongs to setIpv4/setIpv6, one that both run with
//     another default-route flag to setDefaultRoute;
//   - a NIC's origin (addresses shed, given back) to the first step that takes or lets go of it;
//   - the host's foreign default route, and resolv.conf, to the step that gives the default route
//     (or its resolvers) to a network; what the kernel lacks without any config change, to a
//     sync step (syncLink, syncRoutes, syncResolvers).
import type { Step } from '../../plan/plan.js';
import type { DhcpClientSpec } from '../../model/dhcp-clients.js';
import type { ParamValue } from '../../model/ethtool-params.js';
import {
  addAddressing,
  BOTH,
  emitDefaultRouteHandover,
  emitLostRoutes,
  emitResolvers,
  EVERYTHING,
  followNicRoutes,
  removeAddressing,
  shedNicAddresses,
  topSides,
  type Selection,
} from './addressing.js';
import {
  BOND_UP_RANK,
  changeBondOptions,
  changeBridge,
  createBond,
  createBridge,
  createVlan,
  emitSysctls,
  enslave,
  NIC_UP_RANK,
  setBondHwaddr,
} from './build.js';
import { ip } from '../ops.js';
import { link, networkDevices, stepOf, type Change } from './context.js';
import { emitMtu } from './mtu.js';
import { lowerHostQos } from './qos.js';
import { deleteBond, deleteNetworkDevices, releaseSlave, restoreNic } from './teardown.js';
import type { Emit } from './types.js';

export interface LowerCtx {
  c: Change;
  /** This step's index in the plan. */
  index: number;
  emit: Emit;
  /** DHCP clients the change starts (the caller waits for their leases). */
  started: DhcpClientSpec[];
}

type Lowering<K extends Step['kind']> = (s: Extract<Step, { kind: K }>, x: LowerCtx) => void;

/** The NIC's origin: taken by this step (addresses shed) or let go of by it (all given back). */
function nicOrigin(x: LowerCtx, nic: string | undefined): void {
  if (nic === undefined) return;
  if (x.c.nicTaker.get(nic) === x.index) shedNicAddresses(x.c, nic, x.emit);
  if (x.c.nicReleaser.get(nic) === x.index) restoreNic(x.c, nic, x.emit);
}

/** A network's IP settings of one family, in place (its routes unless setDefaultRoute owns them). */
function lowerIp(family: 4 | 6, network: string, x: LowerCtx): void {
  const n = x.c.to.networks[network]!;
  const sides = topSides(x.c, networkDevices(x.c.toDevices, network, n).top);
  const sel: Selection = {
    families: [family],
    addresses: true,
    routes: stepOf(x.c, `setDefaultRoute/${network}`) === undefined,
    clients: 'existence',
  };
  removeAddressing(x.c, sides, sel, x.emit);
  addAddressing(x.c, sides, sel, x.emit, x.started);
  if (family === 6) emitSysctls(x.c, sides.dev, x.emit);
}

const LOWER: { [K in Step['kind']]: Lowering<K> } = {
  removeNetwork(s, x) {
    const { c, emit } = x;
    const { top, port } = networkDevices(c.fromDevices, s.network, s.config);
    removeAddressing(c, topSides(c, top), EVERYTHING, emit);
    emitDefaultRouteHandover(c, x.index, emit);
    deleteNetworkDevices(c, s.network, port, emit);
    // A bond that carried the network's addresses is a plain port again.
    if (!c.toDevices.tops.has(top) && c.toDevices.bonds.has(top)) emitSysctls(c, top, emit);
    nicOrigin(x, s.config.nic);
  },

  addNetwork(s, x) {
    const { c, emit } = x;
    const { top, port } = networkDevices(c.toDevices, s.network, s.config);
    const nic = s.config.nic;
    nicOrigin(x, nic);
    if (nic !== undefined && x.c.nicUp.get(nic) === x.index) nicUp(c, nic, emit);
    const v = port !== undefined ? c.toDevices.vlans.get(port) : undefined;
    if (v && v.network === s.network && c.created.has(port!)) createVlan(c, port!, v, emit);
    const b = c.toDevices.bridges.get(s.network);
    if (b && c.created.has(s.network)) createBridge(c, s.network, b, emit);
    // The top's sysctls, unless it was just made above (which wrote them).
    if (!c.created.has(top) || c.toDevices.bonds.has(top)) emitSysctls(c, top, emit);
    addAddressing(c, topSides(c, top), EVERYTHING, emit, x.started);
    // The routes a NIC had follow it onto the network that carries it directly: when the handler
    // takes the NIC, and when that network's bridge is made (again).
    if (
      nic !== undefined &&
      s.config.vlan === undefined &&
      link(c, nic) &&
      (!c.fromDevices.nics.has(nic) || c.created.has(top))
    )
      followNicRoutes(c, nic, top, emit);
    emitDefaultRouteHandover(c, x.index, emit);
    if (stepOf(c, `setNameservers/${s.network}`) === undefined && c.toDevices.defaultRouteNetwork === s.network)
      emitResolvers(c, emit);
  },

  setNetworkMtu(s, x) {
    const n = x.c.to.networks[s.network]!;
    const { port } = networkDevices(x.c.toDevices, s.network, n);
    if (port !== undefined && n.vlan !== undefined) emitMtu(x.c, port, x.emit);
    if (n.bridged) emitMtu(x.c, s.network, x.emit);
  },

  setBridge(s, x) {
    changeBridge(x.c, s.network, x.emit);
  },

  setIpv4(s, x) {
    lowerIp(4, s.network, x);
  },

  setIpv6(s, x) {
    lowerIp(6, s.network, x);
  },

  setDefaultRoute(s, x) {
    const n = x.c.to.networks[s.network]!;
    const sides = topSides(x.c, networkDevices(x.c.toDevices, s.network, n).top);
    const sel: Selection = { families: BOTH, addresses: false, routes: true, clients: 'changed' };
    removeAddressing(x.c, sides, sel, x.emit);
    addAddressing(x.c, sides, sel, x.emit, x.started);
    emitDefaultRouteHandover(x.c, x.index, x.emit);
  },

  setNameservers(s, x) {
    if (x.c.toDevices.defaultRouteNetwork === s.network) emitResolvers(x.c, x.emit);
  },

  addBond(s, x) {
    for (const nic of s.config.nics) nicOrigin(x, nic);
    createBond(x.c, s.bond, x.c.toDevices.bonds.get(s.bond)!, x.emit);
  },

  removeBond(s, x) {
    deleteBond(x.c, s.bond, x.emit);
    for (const nic of s.config.nics) nicOrigin(x, nic);
  },

  setBondOptions(s, x) {
    changeBondOptions(x.c, s.bond, x.emit);
  },

  setBondHwaddr(s, x) {
    setBondHwaddr(x.c, s.bond, x.emit);
  },

  enslave(s, x) {
    nicOrigin(x, s.nic);
    enslave(x.c, s.bond, s.nic, x.emit);
  },

  release(s, x) {
    releaseSlave(x.c, s.bond, s.nic, x.emit);
    nicOrigin(x, s.nic);
  },

  setMtu(s, x) {
    if (
      x.c.toDevices.bonds.has(s.device) ||
      x.c.toDevices.nics.get(s.device)?.mtu !== undefined ||
      x.c.toDevices.foreignSouthbounds.has(s.device)
    )
      emitMtu(x.c, s.device, x.emit);
  },

  syncLink(s, x) {
    const { c, emit } = x;
    if (s.mtu) emitMtu(c, s.device, emit);
    if (s.hwaddr) setBondHwaddr(c, s.device, emit);
    if (s.up) {
      if (c.toDevices.nics.has(s.device)) nicUp(c, s.device, emit);
      else if (c.toDevices.bonds.has(s.device))
        emit('enslave', ip('link', 'set', 'dev', s.device, 'up'), [ip('link', 'set', 'dev', s.device, 'down')], {
          rank: BOND_UP_RANK,
        });
      else emit('up', ip('link', 'set', 'dev', s.device, 'up'), [ip('link', 'set', 'dev', s.device, 'down')]);
    }
  },

  setNicFeatures(s, x) {
    // Only what the kernel does not have yet; the undo puts back exactly what it had (the
    // requested values read before the transaction, journalled before the operation runs).
    const d = kernelDelta(x.c.host.features?.[s.nic], s.to, `the features of NIC ${s.nic}`, `feature`);
    if (d)
      x.emit('nic-features', { kind: 'ethtool', dev: s.nic, features: d.set }, [
        { kind: 'ethtool', dev: s.nic, features: d.back },
      ]);
  },

  setNicParams(s, x) {
    // As setNicFeatures (and ethtool -G/-C refuse a set that changes nothing).
    const d = kernelDelta(x.c.host.params?.[s.nic]?.[s.group], s.to, `the ${s.group} of NIC ${s.nic}`, s.group);
    const kind = s.group === 'rings' ? 'ethtool-rings' : 'ethtool-coalesce';
    if (d) x.emit('nic-features', { kind, dev: s.nic, values: d.set }, [{ kind, dev: s.nic, values: d.back }]);
  },

  setHostQos(s, x) {
    lowerHostQos(s, x.c, x.index, x.emit);
  },

  syncResolvers(_s, x) {
    emitResolvers(x.c, x.emit);
  },

  syncRoutes(s, x) {
    const n = x.c.to.networks[s.network]!;
    emitLostRoutes(x.c, networkDevices(x.c.toDevices, s.network, n).top, x.emit);
  },
};

/**
 * What of `to` the kernel does not have (`set`) and what it has instead (`back`: the undo), or
 * undefined when nothing differs. Throws when the read is missing or lacks a name: validation
 * held the spec to the same read, so either means the read and the plan disagree.
 */
function kernelDelta<V extends ParamValue>(
  kernel: Readonly<Record<string, V>> | undefined,
  to: Readonly<Record<string, V>>,
  what: string,
  name: string,
): { set: Record<string, V>; back: Record<string, V> } | undefined {
  if (!kernel) {
    if (Object.keys(to).length) throw new Error(`${what} were not read`);
    return undefined;
  }
  const set: Record<string, V> = {};
  const back: Record<string, V> = {};
  for (const [k, want] of Object.entries(to)) {
    if (!Object.hasOwn(kernel, k)) throw new Error(`${what}: the kernel does not report ${name} ${k}`);
    if (kernel[k] === want) continue;
    set[k] = want;
    back[k] = kernel[k]!;
  }
  return Object.keys(set).length ? { set, back } : undefined;
}

/** A NIC given to a network must carry traffic. */
function nicUp(c: Change, nic: string, emit: Emit): void {
  const l = link(c, nic);
  emit('enslave', ip('link', 'set', 'dev', nic, 'up'), l && !l.up ? [ip('link', 'set', 'dev', nic, 'down')] : [], {
    rank: NIC_UP_RANK,
  });
}

export function lowerStep(s: Step, x: LowerCtx): void {
  (LOWER[s.kind] as Lowering<typeof s.kind>)(s as never, x);
}
