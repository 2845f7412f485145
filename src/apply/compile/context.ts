// The merged value of one change (nmstate's MergedNetworkState, for a config pair): both
// configs laid out as devices, the host as read before the transaction, the origins, and the
// plan, plus the few facts every step's lowering shares (which devices the change creates and
// deletes, which step takes or lets go of each NIC). Computed once; every lowering reads it and
// nothing writes it.
import type { RunningConfig } from '../../api/config.js';
import { DEFAULT_MTU } from '../../api/constants.js';
import type { Route } from '../../model/host-state.js';
import type { Plan, Step } from '../../plan/plan.js';
import { layoutOf, PORT_ONLY_SYSCTLS, type Layout, type Sysctls, type TopDev } from '../../model/layout.js';
import { portDeviceOf, topDeviceOf } from '../../model/device-names.js';
import type { CompileFacts, LinkFact } from './facts.js';
import { bondOptionChange, type BondOptionChange } from '../../model/bond-options.js';
import type { Handover, NicOrigin, OriginRoute, Origins } from './types.js';
import { adoptedTable, allocateRouteTables, kernelTableIds, setOwn, sourceRouted } from './tables.js';

/** The protocol the handler's own routes carry (a NIC's routes of other protocols are its own). */
export const HANDLER_PROTO = 'static';

export interface Change {
  from: RunningConfig;
  to: RunningConfig;
  /** The devices the running config implies (model/layout.ts). */
  fromDevices: Layout;
  /** The devices the desired config implies. */
  toDevices: Layout;
  host: CompileFacts;
  /** Origins with the NICs this change takes for the first time recorded. */
  origins: Origins;
  plan: Plan;
  resolvConf: string;
  /** Networks whose devices are replaced (removeNetwork + addNetwork of one name). */
  rebuilt: Set<string>;
  /** Devices the change deletes (a rebuilt network's are deleted, then created again). */
  deleted: Set<string>;
  created: Set<string>;
  /** NICs a bond lets go of (released, or their bond deleted). */
  released: Set<string>;
  /** How each bond on both sides changes its options. */
  bondChanges: Map<string, BondOptionChange>;
  /**
   * The step that takes a NIC the running config does not use, and the one that lets go of a NIC the desired config
   * does not use.
   */
  nicTaker: Map<string, number>;
  nicReleaser: Map<string, number>;
  /** The step that brings up a NIC southbound that is down (the first network added on it). */
  nicUp: Map<string, number>;
  /** Step index by `${kind}/${network or bond or device}`, first of each. */
  stepIndex: Map<string, number>;
  /**
   * The route table of each source-routed network (tables.ts sourceRouted) on each side: `from`
   * as recorded (or, for a state of the previous version, adopted from the kernel), `to`
   * allocated (tables.ts). What `to` holds is what origins.json records at the commit.
   */
  tables: Sides<Record<string, number>>;
  /** Source-routing rules of each side (by address and table), for what stays. */
  rules: Sides<Set<string>>;
  /** Which step removes or gives back the host's foreign default route, and which routes. */
  handover: Handover;
}

/** One value for each side of a change: the running config's and the desired config's. */
export interface Sides<V> {
  from: V;
  to: V;
}

/** What changeOf knows before the plan's sync steps and the addressing facts are added (index.ts). */
export type ChangeBase = Omit<Change, 'rules' | 'handover'>;

function stepKey(s: Step): string {
  switch (s.kind) {
    case 'addBond':
    case 'removeBond':
    case 'setBondOptions':
    case 'setBondHwaddr':
      return `${s.kind}/${s.bond}`;
    case 'enslave':
    case 'release':
      return `${s.kind}/${s.bond}/${s.nic}`;
    case 'setMtu':
    case 'syncLink':
      return `${s.kind}/${s.device}`;
    case 'syncResolvers':
      return s.kind;
    case 'setNicFeatures':
      return `${s.kind}/${s.nic}`;
    case 'setNicParams':
      return `${s.kind}/${s.nic}/${s.group}`;
    default:
      return `${s.kind}/${s.network}`;
  }
}

export function indexSteps(plan: readonly Step[]): Map<string, number> {
  const out = new Map<string, number>();
  plan.forEach((s, i) => {
    const k = stepKey(s);
    if (!out.has(k)) out.set(k, i);
  });
  return out;
}

/** The NICs a step takes or lets go of (a network's NIC, a bond's slaves). */
function stepNics(s: Step): string[] {
  switch (s.kind) {
    case 'addNetwork':
    case 'removeNetwork':
      return s.config.nic !== undefined ? [s.config.nic] : [];
    case 'addBond':
    case 'removeBond':
      return s.config.nics;
    case 'enslave':
    case 'release':
      return [s.nic];
    default:
      return [];
  }
}

/**
 * The routes of the main table through a NIC that are configuration, neither the kernel's nor
 * the handler's: its default route too, so that a NIC given back (or a rollback) leaves the host
 * routed as before. Not what router advertisements installed: the kernel learns those again, and
 * one put back by hand would stand in for the router's own (SLAAC then does not recover).
 */
export function originRoutes(routes: readonly Route[], nic: string): OriginRoute[] {
  const learned = new Set(['kernel', 'ra', 'redirect', HANDLER_PROTO]);
  return routes
    .filter((r) => r.dev === nic && r.table === 'main' && r.type === 'unicast' && !learned.has(r.protocol ?? ''))
    .map((r) => ({
      family: r.family,
      dst: r.dst,
      ...(r.gateway ? { gateway: r.gateway } : {}),
      ...(r.metric ? { metric: r.metric } : {}),
      ...(r.protocol ? { protocol: r.protocol } : {}),
    }));
}

/** A NIC as it is now: what the handler gives back when it lets it go. */
function originFromLink(l: LinkFact, host: CompileFacts): NicOrigin {
  const o: NicOrigin = { mtu: l.mtu, hwaddr: (l.permHwaddr ?? l.hwaddr).toLowerCase(), up: l.up };
  const s = host.sysctls[l.name];
  if (s) o.sysctls = { ...s };
  const statics = l.addresses
    .filter((a) => !a.dynamic && (a.scope === 'global' || a.scope === 'site'))
    .map((a) => `${a.local}/${a.prefixlen}`);
  if (statics.length) o.addresses = statics;
  const routes = originRoutes(host.routes, l.name);
  if (routes.length) o.routes = routes;
  return o;
}

/** Networks whose devices are replaced: the plan removes and adds them again (drift, a changed kind). */
function rebuiltNetworks(plan: Plan, stepIndex: ReadonlyMap<string, number>): Set<string> {
  return new Set(
    plan
      .filter((s) => s.kind === 'addNetwork' && stepIndex.has(`removeNetwork/${s.network}`))
      .map((s) => (s as { network: string }).network),
  );
}

/** Which devices of both sides the change keeps as they are (neither deleted nor created). */
interface Kept {
  bridge(name: string): boolean;
  vlan(dev: string): boolean;
  bond(name: string): boolean;
}

function keptDevices(
  from: Layout,
  to: Layout,
  rebuilt: ReadonlySet<string>,
  stepIndex: ReadonlyMap<string, number>,
): Kept {
  return {
    bridge: (name) => from.bridges.has(name) && to.bridges.has(name) && !rebuilt.has(name),
    vlan: (dev) => {
      const f = from.vlans.get(dev);
      const t = to.vlans.get(dev);
      return !!f && !!t && f.link === t.link && f.id === t.id && f.network === t.network && !rebuilt.has(f.network);
    },
    // A bond replaced (its device missing from the kernel) is deleted and created like one the configs disagree on.
    bond: (name) => from.bonds.has(name) && to.bonds.has(name) && !stepIndex.has(`addBond/${name}`),
  };
}

/** The devices of one side that the change does not keep: deleted (running side) or created (desired side). */
function notKept(l: Layout, kept: Kept): Set<string> {
  return new Set<string>([
    ...[...l.bridges.keys()].filter((b) => !kept.bridge(b)),
    ...[...l.vlans.keys()].filter((v) => !kept.vlan(v)),
    ...[...l.bonds.keys()].filter((b) => !kept.bond(b)),
  ]);
}

/** NICs a bond lets go of: released from it, or their bond removed. */
function releasedNics(plan: Plan): Set<string> {
  const released = new Set<string>();
  for (const s of plan) {
    if (s.kind === 'release') released.add(s.nic);
    if (s.kind === 'removeBond') for (const n of s.config.nics) released.add(n);
  }
  return released;
}

/** How each bond kept on both sides changes its options. */
function bondChangesOf(from: Layout, to: Layout, kept: Kept): Map<string, BondOptionChange> {
  const out = new Map<string, BondOptionChange>();
  for (const [name, b] of from.bonds) {
    const t = to.bonds.get(name);
    if (t && kept.bond(name)) out.set(name, bondOptionChange(b.options, t.options));
  }
  return out;
}

/**
 * The first step that takes each NIC the running config does not use, and that lets go of each the desired one does
 * not.
 */
function nicTakersAndReleasers(plan: Plan, from: Layout, to: Layout): Pick<Change, 'nicTaker' | 'nicReleaser'> {
  const nicTaker = new Map<string, number>();
  const nicReleaser = new Map<string, number>();
  plan.forEach((s, i) => {
    for (const nic of stepNics(s)) {
      const taking = s.kind === 'addNetwork' || s.kind === 'addBond' || s.kind === 'enslave';
      if (taking && to.nics.has(nic) && !from.nics.has(nic) && !nicTaker.has(nic)) nicTaker.set(nic, i);
      if (!taking && from.nics.has(nic) && !to.nics.has(nic) && !nicReleaser.has(nic)) nicReleaser.set(nic, i);
    }
  });
  return { nicTaker, nicReleaser };
}

/** The step that brings up each NIC southbound that is down: the first network added on it. */
function nicUpSteps(plan: Plan, to: Layout, host: CompileFacts, released: ReadonlySet<string>): Map<string, number> {
  const nicUp = new Map<string, number>();
  plan.forEach((s, i) => {
    const nic = s.kind === 'addNetwork' ? s.config.nic : undefined;
    if (nic === undefined || nicUp.has(nic) || to.nics.get(nic)?.slaveOf !== undefined) return;
    if (nicNeedsUp(host, released, nic)) nicUp.set(nic, i);
  });
  return nicUp;
}

/** The origins with each NIC's state recorded the first time the handler takes it. */
function originsTaking(recorded: Origins, nicTaker: ReadonlyMap<string, number>, host: CompileFacts): Origins {
  const origins: Origins = structuredClone(recorded);
  for (const nic of nicTaker.keys()) {
    const l = host.links[nic];
    if (l && !origins.nics[nic]) origins.nics[nic] = originFromLink(l, host);
  }
  return origins;
}

export function changeOf(input: {
  from: RunningConfig;
  to: RunningConfig;
  host: CompileFacts;
  origins: Origins;
  resolvConf: string;
  plan: Plan;
}): ChangeBase {
  const { from, to, host, plan } = input;
  const fromDevices = layoutOf(from);
  const toDevices = layoutOf(to);
  const stepIndex = indexSteps(plan);
  const rebuilt = rebuiltNetworks(plan, stepIndex);
  const kept = keptDevices(fromDevices, toDevices, rebuilt, stepIndex);
  const released = releasedNics(plan);
  const { nicTaker, nicReleaser } = nicTakersAndReleasers(plan, fromDevices, toDevices);
  const origins = originsTaking(input.origins, nicTaker, host);
  return {
    from,
    to,
    fromDevices,
    toDevices,
    host,
    origins,
    plan,
    resolvConf: input.resolvConf,
    rebuilt,
    deleted: notKept(fromDevices, kept),
    created: notKept(toDevices, kept),
    released,
    bondChanges: bondChangesOf(fromDevices, toDevices, kept),
    nicTaker,
    nicReleaser,
    nicUp: nicUpSteps(plan, toDevices, host, released),
    stepIndex,
    tables: routeTables(fromDevices, toDevices, host, origins),
  };
}

/** The networks of a layout that route by source, by top device. */
function sourceRoutedTops(l: Layout): [string, string][] {
  return [...l.tops].filter(([, t]) => sourceRouted(t)).map(([dev, t]) => [t.network, dev]);
}

/**
 * The tables of both sides. `from`: what origins recorded for the network; a network of the
 * running config with none recorded (a state of the previous version) adopts what the kernel
 * shows. `to`: allocated, an existing network keeping its `from` table; fresh ids avoid every
 * table the kernel shows and every `from` table (a table freed now is reused only by a later
 * transaction, so an undo never finds another network's routes in it).
 */
function routeTables(fromDevices: Layout, toDevices: Layout, host: CompileFacts, origins: Origins): Change['tables'] {
  const recorded = origins.routeTables ?? {};
  const f: Record<string, number> = {};
  for (const [network, dev] of sourceRoutedTops(fromDevices)) {
    setOwn(
      f,
      network,
      Object.hasOwn(recorded, network) ? recorded[network]! : adoptedTable(network, dev, host.routes, HANDLER_PROTO),
    );
  }
  const inUse = kernelTableIds(host.routes, host.rules);
  for (const id of Object.values(f)) inUse.add(id);
  const t = allocateRouteTables({ networks: sourceRoutedTops(toDevices).map(([n]) => n), recorded: f, inUse });
  return { from: f, to: t };
}

// ---- questions every lowering asks of the change ----

/** Whether a NIC is down now (or will be, released from a bond): a NIC given to a network must carry traffic. */
export function nicNeedsUp(host: CompileFacts, released: ReadonlySet<string>, nic: string): boolean {
  const l = host.links[nic];
  return !(l && l.up && !released.has(nic));
}

export function stepOf(c: Pick<Change, 'stepIndex'>, key: string): number | undefined {
  return c.stepIndex.get(key);
}

export function exists(c: Pick<Change, 'host'>, dev: string): boolean {
  return c.host.links[dev] !== undefined;
}

export function link(c: Pick<Change, 'host'>, dev: string): LinkFact | undefined {
  return c.host.links[dev];
}

export function keptBridge(c: Change, name: string): boolean {
  return c.fromDevices.bridges.has(name) && c.toDevices.bridges.has(name) && !c.created.has(name);
}

export function keptVlan(c: Change, dev: string): boolean {
  return c.fromDevices.vlans.has(dev) && c.toDevices.vlans.has(dev) && !c.created.has(dev);
}

/** A network's devices on one side: top (addresses), VLAN device, bridge. */
export function networkDevices(
  l: Layout,
  name: string,
  cfg: Parameters<typeof topDeviceOf>[1],
): { top: string; t?: TopDev; port?: string } {
  const top = topDeviceOf(name, cfg);
  const port = portDeviceOf(cfg);
  return {
    top,
    ...(l.tops.has(top) && l.tops.get(top)!.network === name ? { t: l.tops.get(top)! } : {}),
    ...(port !== undefined ? { port } : {}),
  };
}

export function originOf(c: Change, nic: string): NicOrigin {
  const o = c.origins.nics[nic];
  if (o) return o;
  // Taken before any origin was recorded (state dir lost): give back a plain, up NIC.
  const l = c.host.links[nic];
  return { mtu: DEFAULT_MTU, hwaddr: (l?.permHwaddr ?? l?.hwaddr ?? '').toLowerCase(), up: true };
}

/** The IPv6 sysctls a device has before the change: the kernel's, else what the running config put there. */
export function sysctlsBefore(c: Change, dev: string): Sysctls | undefined {
  return (
    c.host.sysctls[dev] ??
    c.fromDevices.tops.get(dev)?.sysctls ??
    (c.fromDevices.bonds.has(dev) || c.fromDevices.vlans.has(dev) ? PORT_ONLY_SYSCTLS : undefined)
  );
}

/** The IPv6 sysctls a device of the desired config must have (undefined: not the handler's to set). */
export function sysctlsWanted(c: Change, dev: string): Sysctls | undefined {
  return (
    c.toDevices.tops.get(dev)?.sysctls ??
    (c.toDevices.bonds.has(dev) || c.toDevices.vlans.has(dev) ? PORT_ONLY_SYSCTLS : undefined)
  );
}
