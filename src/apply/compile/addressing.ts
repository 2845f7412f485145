// Addressing (last, once devices are up): addresses, routes (the host's default route, VDSM's
// per-network source routing), DHCP clients, resolv.conf; and at the start of a change, the
// removal of what goes away. A network's addressing objects live on its top device; an object
// that both sides have on the same device stays untouched.
import type { Route } from '../../model/host-state.js';
import { resolvContent, resolvNameservers } from '../../util/resolv.js';
import type { DhcpClientSpec, Family } from '../../model/dhcp-clients.js';
import { ip, type KernelOp } from '../ops.js';
import type { TopDev } from '../../model/layout.js';
import { exists, HANDLER_PROTO, link, stepOf, type Change, type ChangeBase, type Sides } from './context.js';
import { sourceRouted } from './tables.js';
import type { Emit, Handover, OriginRoute, RouteSpec } from './types.js';

/** A side's table of a network; only asked for the networks sourceRouted() says have one. */
function tableOf(tables: Readonly<Record<string, number>>, network: string): number {
  const t = Object.hasOwn(tables, network) ? tables[network] : undefined;
  if (t === undefined) throw new Error(`no route table allocated for network ${network}`);
  return t;
}

/** Priority of the source-routing rules (before main, which is 32766). */
export const RULE_PRIORITY = 32000;
/** IPv6 default routes get a metric of their own so that replacing ours never replaces a router's (1024). */
const V6_DEFAULT_METRIC = 1;

export const BOTH: readonly Family[] = [4, 6];

export function routeArgs(verb: 'add' | 'replace' | 'del', r: RouteSpec): string[] {
  const args = ['route', verb, r.family === 4 ? '0.0.0.0/0' : '::/0'];
  if (r.gateway) args.push('via', r.gateway);
  args.push('dev', r.dev);
  if (r.metric !== undefined) args.push('metric', String(r.metric));
  if (r.table && r.table !== 'main') args.push('table', r.table);
  if (r.protocol) args.push('proto', r.protocol);
  return args;
}

interface Rule {
  addr: string;
  table: number;
}
const ruleKey = (r: Rule) => `${r.addr}@${r.table}`;
const routeKey = (r: RouteSpec) => JSON.stringify(routeArgs('add', r));
const familyOfRule = (r: Rule): Family => (r.addr.includes(':') ? 6 : 4);

function ruleOp(verb: 'add' | 'del', r: Rule): KernelOp {
  const op: KernelOp = {
    kind: 'ip',
    args: ['rule', verb, 'from', r.addr, 'table', String(r.table), 'priority', String(RULE_PRIORITY)],
  };
  if (familyOfRule(r) === 6) op.family = 6;
  if (verb === 'add') op.okIfExists = true;
  return op;
}

export function originRouteOp(verb: 'replace' | 'del', nic: string, r: OriginRoute): KernelOp {
  const op = ip(
    'route',
    verb,
    r.dst,
    ...(r.gateway ? ['via', r.gateway] : []),
    'dev',
    nic,
    ...(r.metric ? ['metric', r.metric] : []),
    ...(verb === 'replace' && r.protocol ? ['proto', r.protocol] : []),
  );
  // `default` says no family, and `ip` would take it as IPv4.
  if (op.kind === 'ip' && r.family === 6) op.family = 6;
  return op;
}

/**
 * A NIC's own default route comes back (or follows it) only while no handler network holds the
 * host's: on the desired side for what the change does, on the running side for what an undo does.
 */
export function originRoutesGiven(
  c: Change,
  routes: readonly OriginRoute[],
  side: keyof Sides<unknown> = 'to',
): OriginRoute[] {
  const holder = (side === 'from' ? c.fromDevices : c.toDevices).defaultRouteNetwork;
  return routes.filter((r) => r.dst !== 'default' || holder === undefined);
}

/** The routes and rules a top device carries (static networks only; a DHCP client installs its own). */
function topRoutes(
  dev: string,
  t: TopDev | undefined,
  tables: Readonly<Record<string, number>>,
): { routes: RouteSpec[]; rules: Rule[] } {
  const routes: RouteSpec[] = [];
  const rules: Rule[] = [];
  if (!t) return { routes, rules };
  const table = sourceRouted(t) ? tableOf(tables, t.network) : 0;
  if (!t.dhcp4 && (t.gateway || t.defaultRoute)) {
    if (t.defaultRoute)
      routes.push({ family: 4, dev, ...(t.gateway ? { gateway: t.gateway } : {}), protocol: HANDLER_PROTO });
    else if (t.gateway && t.ipv4) {
      routes.push({ family: 4, dev, gateway: t.gateway, table: String(table), protocol: HANDLER_PROTO });
      rules.push({ addr: `${t.ipv4.split('/')[0]!}/32`, table });
    }
  }
  if (!t.dhcp6 && t.ipv6gateway) {
    if (t.defaultRoute)
      routes.push({ family: 6, dev, gateway: t.ipv6gateway, metric: V6_DEFAULT_METRIC, protocol: HANDLER_PROTO });
    else if (t.ipv6) {
      routes.push({ family: 6, dev, gateway: t.ipv6gateway, table: String(table), protocol: HANDLER_PROTO });
      rules.push({ addr: `${t.ipv6.split('/')[0]!}/128`, table });
    }
  }
  return { routes, rules };
}

export function topAddresses(t: TopDev | undefined): string[] {
  if (!t) return [];
  return [t.ipv4, t.ipv6].filter((a): a is string => a !== undefined);
}

const addrFamily = (a: string): Family => (a.includes(':') ? 6 : 4);

function dhcpSpecs(dev: string, t: TopDev | undefined): DhcpClientSpec[] {
  if (!t) return [];
  const out: DhcpClientSpec[] = [];
  if (t.dhcp4) out.push({ network: t.network, dev, family: 4, defaultRoute: t.defaultRoute });
  if (t.dhcp6) out.push({ network: t.network, dev, family: 6, defaultRoute: t.defaultRoute });
  return out;
}

const sameClient = (a: DhcpClientSpec | undefined, b: DhcpClientSpec | undefined) =>
  !!a && !!b && JSON.stringify(a) === JSON.stringify(b);

/** Which addressing objects of a top device a step changes. */
export interface Selection {
  families: readonly Family[];
  addresses: boolean;
  routes: boolean;
  /** 'existence': clients only one side runs; 'changed': clients both sides run, differently; 'all'. */
  clients?: 'existence' | 'changed' | 'all';
}

export const EVERYTHING: Selection = { families: BOTH, addresses: true, routes: true, clients: 'all' };

/** The two sides of one top device: `f` what the running config put there, `t` what the desired one wants. */
interface TopSides {
  dev: string;
  f: TopDev | undefined;
  t: TopDev | undefined;
}

export function topSides(c: Pick<ChangeBase, 'fromDevices' | 'toDevices'>, dev: string): TopSides {
  return { dev, f: c.fromDevices.tops.get(dev), t: c.toDevices.tops.get(dev) };
}

function clientSelected(sel: Selection, f: DhcpClientSpec | undefined, t: DhcpClientSpec | undefined): boolean {
  if (!sel.clients || sameClient(f, t)) return false;
  if (sel.clients === 'all') return true;
  return sel.clients === 'existence' ? !f || !t : !!f && !!t;
}

/** Takes away what the running config put on the device and the desired one does not keep. */
export function removeAddressing(c: Change, s: TopSides, sel: Selection, emit: Emit): void {
  const gone = c.deleted.has(s.dev);
  const toClients = new Map(dhcpSpecs(s.dev, s.t).map((x) => [x.family, x]));
  for (const cl of dhcpSpecs(s.dev, s.f)) {
    if (!sel.families.includes(cl.family)) continue;
    const keep = gone ? undefined : toClients.get(cl.family);
    // (A client on a device the kernel no longer has is gone with it: nothing to start again.)
    if (clientSelected(sel, cl, keep))
      emit(
        'dhcp-stop',
        { kind: 'dhcp-stop', dev: cl.dev, family: cl.family },
        exists(c, cl.dev) ? [{ kind: 'dhcp-start', client: cl }] : [],
      );
  }
  if (sel.routes) {
    const fr = topRoutes(s.dev, s.f, c.tables.from);
    const tr = topRoutes(s.dev, s.t, c.tables.to);
    // Removals are best effort: what is already gone (the kernel drops routes with their
    // address or device) is where the transaction wants it.
    for (const r of fr.rules) {
      if (!sel.families.includes(familyOfRule(r)) || c.rules.to.has(ruleKey(r))) continue;
      emit('routes-del', ruleOp('del', r), [ruleOp('add', r)], { bestEffort: true });
    }
    const staying = new Set(tr.routes.map(routeKey));
    for (const r of fr.routes) {
      if (!sel.families.includes(r.family) || routeStays(s, r, staying, gone)) continue;
      emit('routes-del', ip(...routeArgs('del', r)), [ip(...routeArgs('replace', r))], { bestEffort: true });
    }
  }
  if (sel.addresses) {
    const keep = new Set(gone ? [] : topAddresses(s.t));
    for (const a of topAddresses(s.f)) {
      if (!sel.families.includes(addrFamily(a)) || keep.has(a)) continue;
      emit('addrs-del', ip('addr', 'del', a, 'dev', s.dev), [ip('addr', 'add', a, 'dev', s.dev)], { bestEffort: true });
    }
  }
}

/** Puts on the device what the desired config wants and the running config did not put there. */
export function addAddressing(c: Change, s: TopSides, sel: Selection, emit: Emit, started: DhcpClientSpec[]): void {
  const fresh = c.deleted.has(s.dev) || c.created.has(s.dev);
  if (sel.addresses) {
    const had = new Set(fresh ? [] : topAddresses(s.f));
    for (const a of topAddresses(s.t)) {
      if (!sel.families.includes(addrFamily(a)) || had.has(a)) continue;
      emit('addrs-add', ip('addr', 'add', a, 'dev', s.dev), [ip('addr', 'del', a, 'dev', s.dev)]);
    }
  }
  if (sel.routes) {
    const fr = topRoutes(s.dev, s.f, c.tables.from);
    const tr = topRoutes(s.dev, s.t, c.tables.to);
    const staying = new Set(fr.routes.map(routeKey));
    for (const r of tr.routes) {
      if (!sel.families.includes(r.family) || routeStays(s, r, staying, c.deleted.has(s.dev))) continue;
      emit('routes-add', ip(...routeArgs('replace', r)), [ip(...routeArgs('del', r))]);
    }
    for (const r of tr.rules) {
      if (!sel.families.includes(familyOfRule(r)) || c.rules.from.has(ruleKey(r))) continue;
      emit('routes-add', ruleOp('add', r), [ruleOp('del', r)]);
    }
  }
  const fromClients = new Map(dhcpSpecs(s.dev, s.f).map((x) => [x.family, x]));
  for (const cl of dhcpSpecs(s.dev, s.t)) {
    if (!sel.families.includes(cl.family)) continue;
    const had = c.deleted.has(s.dev) ? undefined : fromClients.get(cl.family);
    if (!clientSelected(sel, had, cl)) continue;
    emit('dhcp-start', { kind: 'dhcp-start', client: cl }, [{ kind: 'dhcp-stop', dev: cl.dev, family: cl.family }]);
    started.push(cl);
  }
}

/**
 * Removing a device's address makes the kernel drop the routes through it: a route stays only
 * when both sides have it, its device stays, and so does the device's address of its family.
 */
function routeStays(s: TopSides, r: RouteSpec, otherSide: Set<string>, gone: boolean): boolean {
  if (gone || !otherSide.has(routeKey(r))) return false;
  return r.family === 4 ? s.f?.ipv4 === s.t?.ipv4 : s.f?.ipv6 === s.t?.ipv6;
}

/** The kernel's metric of a route added without one (IPv4 0, IPv6 1024). */
const kernelMetric = (r: RouteSpec): number => r.metric ?? (r.family === 4 ? 0 : 1024);

/** The kernel has the default route (whatever protocol it carries now: it routes the same). */
function inKernel(c: Pick<ChangeBase, 'host'>, r: RouteSpec): boolean {
  return c.host.routes.some(
    (k) =>
      k.family === r.family &&
      k.dst === 'default' &&
      k.type === 'unicast' &&
      k.dev === r.dev &&
      k.table === (r.table ?? 'main') &&
      k.gateway === r.gateway &&
      (k.metric ?? 0) === kernelMetric(r),
  );
}

/**
 * The handler's routes on a top device that the change keeps and the kernel lacks (deleted by
 * hand). Invariant: a route both sides have is emitted by no step (routeStays), so the plan would
 * only keep it if the kernel has it; one it lacks is put back by a sync step. The kernel's config
 * read back does not always show the loss, so the drift base cannot make it an edit: a network's
 * defaultRoute holds while either family's default route is there, and a gatewayless IPv4 one
 * (`0.0.0.0/0 dev NET`) has no other field that would show it gone.
 */
export function lostRoutes(c: ChangeBase, dev: string): RouteSpec[] {
  const s = topSides(c, dev);
  if (!s.f || !s.t || c.deleted.has(dev) || c.created.has(dev) || !exists(c, dev)) return [];
  const fromRoutes = new Set(topRoutes(dev, s.f, c.tables.from).routes.map(routeKey));
  return topRoutes(dev, s.t, c.tables.to).routes.filter((r) => routeStays(s, r, fromRoutes, false) && !inKernel(c, r));
}

/** A route as people read it (`ip route` arguments after the verb). */
export const routeText = (r: RouteSpec): string => routeArgs('add', r).slice(2).join(' ');

/** Puts back the routes lostRoutes finds; the undo takes them away again (the kernel lacked them). */
export function emitLostRoutes(c: Change, dev: string, emit: Emit): void {
  for (const r of lostRoutes(c, dev)) emit('routes-add', ip(...routeArgs('replace', r)), [ip(...routeArgs('del', r))]);
}

/**
 * What taking a device down takes with it (keep_addr_on_down=0): its IPv6 addresses and every
 * route through it. The operations that put back those both sides have, for a bond taken down to
 * change its options; of the routes only those the kernel has (a lost one is a sync step's, whose
 * undo takes it away again: the undo of the bond's down must not put it back).
 */
export function restoreAfterDown(c: Change, dev: string): { addrs: KernelOp[]; routes: KernelOp[] } {
  const s = topSides(c, dev);
  if (!s.f || !s.t) return { addrs: [], routes: [] };
  const toAddrs = topAddresses(s.t);
  const toRoutes = new Set(topRoutes(dev, s.t, c.tables.to).routes.map(routeKey));
  const addrs = topAddresses(s.f).filter((a) => addrFamily(a) === 6 && toAddrs.includes(a));
  const routes = topRoutes(dev, s.f, c.tables.from).routes.filter(
    (r) => routeStays(s, r, toRoutes, false) && inKernel(c, r),
  );
  return {
    addrs: addrs.map((a) => ip('addr', 'add', a, 'dev', dev)),
    routes: routes.map((r) => ip(...routeArgs('replace', r))),
  };
}

/** Source-routing rules of a side: a rule is keyed by address and table, whatever device carries it. */
export function rulesOf(l: Change['fromDevices'], tables: Readonly<Record<string, number>>): Set<string> {
  const out = new Set<string>();
  for (const [dev, t] of l.tops) for (const r of topRoutes(dev, t, tables).rules) out.add(ruleKey(r));
  return out;
}

// ---- the host's default route when no handler network held it ----

/** A default route of the main table that a handler network's default route would replace. */
function isMainDefault(r: Route, family: Family): boolean {
  return (
    r.family === family &&
    r.dst === 'default' &&
    r.table === 'main' &&
    r.type === 'unicast' &&
    (r.metric ?? 0) === 0 &&
    r.dev !== undefined
  );
}

function routeFromKernel(r: Route): RouteSpec {
  const s: RouteSpec = { family: r.family, dev: r.dev! };
  if (r.gateway) s.gateway = r.gateway;
  if (r.metric) s.metric = r.metric;
  if (r.protocol && ['boot', 'static', 'dhcp', 'kernel'].includes(r.protocol)) s.protocol = r.protocol;
  return s;
}

export function defaultRouteHandover(c: ChangeBase): Handover {
  const had = c.fromDevices.defaultRouteNetwork;
  const wants = c.toDevices.defaultRouteNetwork;
  if (wants !== undefined && had === undefined) {
    const fromTops = new Set(c.fromDevices.tops.keys());
    const take = c.host.routes.filter((r) => isMainDefault(r, 4) && !fromTops.has(r.dev!)).map(routeFromKernel);
    return { owner: stepOf(c, `setDefaultRoute/${wants}`) ?? stepOf(c, `addNetwork/${wants}`), take };
  }
  if (wants === undefined && had !== undefined) {
    // Its device may be gone (or be about to be): only give back routes whose device stays. A NIC
    // the change lets go of gets its own default route back with the rest of its origin.
    const restoredWithNic = (r: RouteSpec) =>
      c.nicReleaser.has(r.dev) &&
      !!c.origins.nics[r.dev]?.routes?.some((o) => o.dst === 'default' && o.family === r.family);
    const giveBack = c.origins.displacedDefault.filter(
      (r) => exists(c, r.dev) && !c.deleted.has(r.dev) && !restoredWithNic(r),
    );
    return { owner: stepOf(c, `setDefaultRoute/${had}`) ?? stepOf(c, `removeNetwork/${had}`), giveBack };
  }
  return {};
}

export function emitDefaultRouteHandover(c: Change, step: number, emit: Emit): void {
  const h = c.handover;
  if (h.owner !== step) return;
  // Its undo replaces: the NIC it goes through may put it back first (its origin's routes).
  for (const r of h.take ?? []) emit('routes-del', ip(...routeArgs('del', r)), [ip(...routeArgs('replace', r))]);
  // Its gateway may no longer be reachable: giving it back must not fail the transaction.
  for (const r of h.giveBack ?? [])
    emit('routes-add', ip(...routeArgs('replace', r)), [ip(...routeArgs('del', r))], { bestEffort: true });
}

// ---- resolv.conf ----

/** The resolvers resolv.conf must list (the default-route network's), when it lists others. */
export function resolversWanted(c: ChangeBase): { network: string; from: string[]; to: string[] } | undefined {
  const network = c.toDevices.defaultRouteNetwork;
  const to = network !== undefined ? c.to.networks[network]!.nameservers : [];
  const from = resolvNameservers(c.host.resolv);
  if (network === undefined || !to.length || JSON.stringify(from) === JSON.stringify(to)) return undefined;
  return { network, from, to: [...to] };
}

export function emitResolvers(c: Change, emit: Emit): void {
  const w = resolversWanted(c);
  if (w) emit('resolv', { kind: 'file', path: c.resolvConf, content: resolvContent(c.host.resolv, w.to) }, 'previous');
}

// ---- a NIC the handler takes ----

/**
 * A NIC the handler takes now sheds the addresses it had; they come back when it is released.
 * The NIC's routes go with its addresses (the kernel's doing); the undo of the first address
 * removal, which runs last, puts them back once every address is there again.
 */
export function shedNicAddresses(c: Change, nic: string, emit: Emit): void {
  const l = link(c, nic);
  if (!l) return;
  const o = c.origins.nics[nic];
  let routesBack = (o?.routes ?? []).map((r) => originRouteOp('replace', nic, r));
  for (const a of l.addresses) {
    const addr = `${a.local}/${a.prefixlen}`;
    if (!o?.addresses?.includes(addr)) continue;
    emit('addrs-del', ip('addr', 'del', addr, 'dev', nic), [ip('addr', 'add', addr, 'dev', nic), ...routesBack]);
    routesBack = [];
  }
}

/**
 * The routes follow the NIC onto the device of the network it now carries directly (itself, or
 * the bridge it is the port of), so that handing the management NIC to a network with its own
 * address keeps the host's routes. Best effort: a gateway no longer on-link there is not routed.
 */
export function followNicRoutes(c: Change, nic: string, top: string, emit: Emit): void {
  for (const r of originRoutesGiven(c, c.origins.nics[nic]?.routes ?? []))
    emit('routes-add', originRouteOp('replace', top, r), [originRouteOp('del', top, r)], { bestEffort: true });
}
