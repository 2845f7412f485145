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
import type { NicOrigin, OriginRoute, Origins } from './types.js';
import type { Handover } from './addressing.js';
import { sourceRouted } from './addressing.js';
import { adoptedTable, allocateRouteTables, kernelTableIds, setOwn } from './tables.js';

/** The protocol the handler's own routes carry (a NIC's routes of other protocols are its own). */
export const HANDLER_PROTO = 'static';

export interface Change {
  from: RunningConfig;
  to: RunningConfig;
  F: Layout;
  T: Layout;
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
  /** The step that takes a NIC the running config does not use, and the one that lets go of a NIC the desired config does not use. */
  nicTaker: Map<string, number>;
  nicReleaser: Map<string, number>;
  /** The step that brings up a NIC southbound that is down (the first network added on it). */
  nicUp: Map<string, number>;
  /** Step index by `${kind}/${network or bond or device}`, first of each. */
  stepIndex: Map<string, number>;
  /**
   * The route table of each source-routed network (addressing.ts sourceRouted) on each side: F
   * as recorded (or, for a state of the previous version, adopted from the kernel), T allocated
   * (tables.ts). What T holds is what origins.json records at the commit.
   */
  tables: { F: Record<string, number>; T: Record<string, number> };
  /** Source-routing rules of each side (by address and table), for what stays. */
  rules: { F: Set<string>; T: Set<string> };
  /** Which step removes or gives back the host's foreign default route, and which routes. */
  handover: Handover;
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

export function changeOf(input: {
  from: RunningConfig;
  to: RunningConfig;
  host: CompileFacts;
  origins: Origins;
  resolvConf: string;
  plan: Plan;
}): ChangeBase {
  const { from, to, host, plan } = input;
  const F = layoutOf(from);
  const T = layoutOf(to);
  const stepIndex = indexSteps(plan);
  const rebuilt = new Set(
    plan
      .filter((s) => s.kind === 'addNetwork' && stepIndex.has(`removeNetwork/${s.network}`))
      .map((s) => (s as { network: string }).network),
  );
  const keptBridge = (name: string) => F.bridges.has(name) && T.bridges.has(name) && !rebuilt.has(name);
  const keptVlan = (dev: string) => {
    const f = F.vlans.get(dev);
    const t = T.vlans.get(dev);
    return !!f && !!t && f.link === t.link && f.id === t.id && f.network === t.network && !rebuilt.has(f.network);
  };
  // A bond replaced (its device missing from the kernel) is deleted and created like one the configs disagree on.
  const keptBond = (name: string) => F.bonds.has(name) && T.bonds.has(name) && !stepIndex.has(`addBond/${name}`);
  const deleted = new Set<string>([
    ...[...F.bridges.keys()].filter((b) => !keptBridge(b)),
    ...[...F.vlans.keys()].filter((v) => !keptVlan(v)),
    ...[...F.bonds.keys()].filter((b) => !keptBond(b)),
  ]);
  const created = new Set<string>([
    ...[...T.bridges.keys()].filter((b) => !keptBridge(b)),
    ...[...T.vlans.keys()].filter((v) => !keptVlan(v)),
    ...[...T.bonds.keys()].filter((b) => !keptBond(b)),
  ]);
  const released = new Set<string>();
  for (const s of plan) {
    if (s.kind === 'release') released.add(s.nic);
    if (s.kind === 'removeBond') for (const n of s.config.nics) released.add(n);
  }
  const bondChanges = new Map<string, BondOptionChange>();
  for (const [name, b] of F.bonds) {
    const t = T.bonds.get(name);
    if (t && keptBond(name)) bondChanges.set(name, bondOptionChange(b.options, t.options));
  }
  const nicTaker = new Map<string, number>();
  const nicReleaser = new Map<string, number>();
  plan.forEach((s, i) => {
    for (const nic of stepNics(s)) {
      const taking = s.kind === 'addNetwork' || s.kind === 'addBond' || s.kind === 'enslave';
      if (taking && T.nics.has(nic) && !F.nics.has(nic) && !nicTaker.has(nic)) nicTaker.set(nic, i);
      if (!taking && F.nics.has(nic) && !T.nics.has(nic) && !nicReleaser.has(nic)) nicReleaser.set(nic, i);
    }
  });
  const nicUp = new Map<string, number>();
  plan.forEach((s, i) => {
    const nic = s.kind === 'addNetwork' ? s.config.nic : undefined;
    if (
      nic !== undefined &&
      !nicUp.has(nic) &&
      T.nics.get(nic)?.slaveOf === undefined &&
      nicNeedsUp(host, released, nic)
    )
      nicUp.set(nic, i);
  });
  // A NIC's state is recorded the first time the handler takes it.
  const origins: Origins = structuredClone(input.origins);
  for (const nic of nicTaker.keys()) {
    const l = host.links[nic];
    if (l && !origins.nics[nic]) origins.nics[nic] = originFromLink(l, host);
  }
  const tables = routeTables(F, T, host, origins);
  return {
    from,
    to,
    F,
    T,
    host,
    origins,
    plan,
    resolvConf: input.resolvConf,
    rebuilt,
    deleted,
    created,
    released,
    bondChanges,
    nicTaker,
    nicReleaser,
    nicUp,
    stepIndex,
    tables,
  };
}

/** The networks of a layout that route by source, by top device. */
function sourceRoutedTops(l: Layout): [string, string][] {
  return [...l.tops].filter(([, t]) => sourceRouted(t)).map(([dev, t]) => [t.network, dev]);
}

/**
 * The tables of both sides. F: what origins recorded for the network; a network of the running
 * config with none recorded (a state of the previous version) adopts what the kernel shows.
 * T: allocated, an existing network keeping its F table; fresh ids avoid every table the kernel
 * shows and every F table (a table freed now is reused only by a later transaction, so an undo
 * never finds another network's routes in it).
 */
function routeTables(F: Layout, T: Layout, host: CompileFacts, origins: Origins): Change['tables'] {
  const recorded = origins.routeTables ?? {};
  const f: Record<string, number> = {};
  for (const [network, dev] of sourceRoutedTops(F)) {
    setOwn(
      f,
      network,
      Object.hasOwn(recorded, network) ? recorded[network]! : adoptedTable(network, dev, host.routes, HANDLER_PROTO),
    );
  }
  const inUse = kernelTableIds(host.routes, host.rules);
  for (const id of Object.values(f)) inUse.add(id);
  const t = allocateRouteTables({ networks: sourceRoutedTops(T).map(([n]) => n), recorded: f, inUse });
  return { F: f, T: t };
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
  return c.F.bridges.has(name) && c.T.bridges.has(name) && !c.created.has(name);
}

export function keptVlan(c: Change, dev: string): boolean {
  return c.F.vlans.has(dev) && c.T.vlans.has(dev) && !c.created.has(dev);
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
    c.F.tops.get(dev)?.sysctls ??
    (c.F.bonds.has(dev) || c.F.vlans.has(dev) ? PORT_ONLY_SYSCTLS : undefined)
  );
}

/** The IPv6 sysctls a device of the desired config must have (undefined: not the handler's to set). */
export function sysctlsWanted(c: Change, dev: string): Sysctls | undefined {
  return c.T.tops.get(dev)?.sysctls ?? (c.T.bonds.has(dev) || c.T.vlans.has(dev) ? PORT_ONLY_SYSCTLS : undefined);
}
