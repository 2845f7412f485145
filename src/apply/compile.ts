// The kernel work of a transaction from one RunningConfig to another (pure). Both configs are
// laid out as devices (layout.ts) and compared device by device; the differences become ordered
// operations, each with its undo, in phases the kernel requires:
//
//   teardown (upper first)  DHCP clients stop, routes and addresses go, bridges lose ports or go,
//                           VLAN devices go, bond slaves are released (NIC MAC/MTU/state given
//                           back), bonds go
//   MTU                     decreases upper→lower, then increases lower→upper, so a lower device
//                           is never smaller than its uppers
//   build (lower first)     bonds (mode at creation, options, MAC), slaves (down, then enslaved),
//                           VLAN devices, bridges, then sysctls and bridge options (one group of
//                           file writes), ports attached, devices up
//   addressing              addresses, routes (default, per-network source routing), DHCP
//                           clients, resolv.conf
//
// The undo of an operation is computed from the configs and the host facts read before the
// transaction, so it holds across a crash (it is journalled before the operation runs).
import type { NetworkConfig, RunningConfig } from '../api/config.js';
import { BOND_DEFAULTS } from '../observe/bond-options.js';
import { BOND_OPTIONS, IFDOWN_OPTIONS, NO_SLAVES_OPTIONS } from '../plan/bond-options.js';
import type { Route } from '../observe/types.js';
import { layoutOf, PORT_ONLY_SYSCTLS, type BondDev, type BridgeDev, type Sysctls, type TopDev, type VlanDev } from './layout.js';
import { DEFAULT_MTU, IFNAME_MAX } from '../api/constants.js';
import { fnv1a32 } from '../util/hash.js';
import { resolvContent, resolvNameservers } from '../util/resolv.js';
import { ip, type DhcpClientSpec, type KernelOp, type PlannedOp } from './ops.js';
import { sysctlPath, SYSCTL_KEYS, type HostFacts } from './snapshot.js';
import { describeStep, plan as planSteps, type Plan, type Step, type StepKind } from '../plan/plan.js';

export interface RouteSpec {
  family: 4 | 6;
  gateway?: string;
  dev: string;
  metric?: number;
  protocol?: string;
  table?: string;
}

/** A NIC's state before the handler first took it, given back when the handler lets it go. */
export interface NicOrigin {
  mtu: number;
  hwaddr: string;
  up: boolean;
  sysctls?: Sysctls;
  /** Static global addresses ("addr/prefix") it carried: a NIC given to a network carries only that network's configuration (as in VDSM), and gets them back when released. */
  addresses?: string[];
  /**
   * Routes of the main table through it that are not the kernel's own (a service range via the
   * management gateway, say): the kernel drops them with the NIC's last address, so they come
   * back with the addresses, on release and on rollback.
   */
  routes?: OriginRoute[];
}

export interface OriginRoute {
  family: 4 | 6;
  dst: string;
  gateway?: string;
  metric?: number;
  protocol?: string;
}

function originRoutes(routes: readonly Route[], nic: string): OriginRoute[] {
  return routes
    .filter((r) => r.dev === nic && r.table === 'main' && r.type === 'unicast' && r.dst !== 'default' && r.protocol !== 'kernel' && r.protocol !== HANDLER_PROTO)
    .map((r) => ({ family: r.family, dst: r.dst, ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.metric ? { metric: r.metric } : {}), ...(r.protocol ? { protocol: r.protocol } : {}) }));
}

function originRouteOp(verb: 'replace' | 'del', nic: string, r: OriginRoute): KernelOp {
  // (`ip -batch` takes no -4/-6 per line; the destination's family decides.)
  return ip('route', verb, r.dst, ...(r.gateway ? ['via', r.gateway] : []), 'dev', nic,
    ...(r.metric ? ['metric', r.metric] : []), ...(verb === 'replace' && r.protocol ? ['proto', r.protocol] : []));
}

export interface Origins {
  nics: Record<string, NicOrigin>;
  /** Default routes (not the handler's) removed when a network took the default route. */
  displacedDefault: RouteSpec[];
}

export function emptyOrigins(): Origins {
  return { nics: {}, displacedDefault: [] };
}

export interface CompileInput {
  from: RunningConfig;
  to: RunningConfig;
  /** The plan from `from` to `to` (computed when not given). */
  plan?: Plan;
  host: HostFacts;
  origins: Origins;
  resolvConf: string;
}

export interface Compiled {
  ops: PlannedOp[];
  /** Step descriptions: the plan's steps, then any work no plan step names. PlannedOp.step indexes this list. */
  units: string[];
  /** The plan the operations carry out. */
  plan: Plan;
  /** Origins to persist with the new running config (NICs still used, routes still displaced). */
  originsAfter: Origins;
  /** Clients started by the transaction (the caller may wait for their leases). */
  dhcpStarted: DhcpClientSpec[];
}

/** Bonding option names `ip link ... type bond` knows, by sysfs name. */
const IP_BOND_OPTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'mode', 'active_slave', 'miimon', 'updelay', 'downdelay', 'use_carrier', 'arp_interval', 'arp_validate',
    'arp_all_targets', 'arp_ip_target', 'primary', 'primary_reselect', 'fail_over_mac', 'xmit_hash_policy', 'resend_igmp',
    'num_grat_arp', 'num_unsol_na', 'all_slaves_active', 'min_links', 'lp_interval', 'packets_per_slave', 'tlb_dynamic_lb',
    'lacp_rate', 'lacp_active', 'ad_select', 'ad_user_port_key', 'ad_actor_sys_prio', 'ad_actor_system', 'arp_missed_max',
  ].map((k) => [k, k]).concat([['peer_notif_delay', 'peer_notify_delay']]),
);

export interface BondOptionChange {
  /** Set in the old mode first: options the new mode refuses, back to their defaults. */
  pre: { set: Record<string, string>; old: Record<string, string> };
  /** The new mode (first) and every option that differs in it. */
  main: { set: Record<string, string>; old: Record<string, string> };
  /** On the way back, set before the old mode: options the old mode refuses, to their defaults. */
  undoPre: Record<string, string>;
  /** A changed option is only accepted while the bond is down (BOND_OPTFLAG_IFDOWN). */
  needsDown: boolean;
  /** A changed option is only accepted without slaves (mode, fail_over_mac). */
  needsRelease: boolean;
}

/** Whether the kernel accepts an option in a bonding mode (bond_options.c unsupported-mode masks). */
function supportedIn(key: string, mode: string): boolean {
  const modes = BOND_OPTIONS[key]?.modes;
  return !modes || modes.includes(Number(mode));
}

/**
 * How a bond's options go from `f` to `t` (numeric maps with mode). Options the new config drops
 * are reset to the new mode's default; a mode change also moves the options whose default
 * differs between the modes (miimon). Pure.
 */
export function bondOptionChange(f: Record<string, string>, t: Record<string, string>): BondOptionChange {
  const oldMode = f.mode ?? '0';
  const mode = t.mode ?? '0';
  const out: BondOptionChange = { pre: { set: {}, old: {} }, main: { set: {}, old: {} }, undoPre: {}, needsDown: false, needsRelease: false };
  const keys = new Set([...Object.keys(f), ...Object.keys(t), ...(oldMode !== mode ? Object.keys(BOND_DEFAULTS[mode] ?? {}) : [])]);
  for (const k of keys) {
    const want = t[k] ?? bondDefault(mode, k);
    const had = f[k] ?? bondDefault(oldMode, k);
    if (want === undefined || want === had) continue;
    if (IFDOWN_OPTIONS.has(k)) out.needsDown = true;
    if (NO_SLAVES_OPTIONS.has(k)) out.needsRelease = true;
    if (!supportedIn(k, mode)) {
      // Only reachable when dropping an option of the old mode: its default, set before the switch.
      out.pre.set[k] = want;
      out.pre.old[k] = had ?? '';
      continue;
    }
    out.main.set[k] = want;
    if (supportedIn(k, oldMode)) out.main.old[k] = had ?? '';
    else out.undoPre[k] = bondDefault(mode, k) ?? '';
  }
  return out;
}

/** Kernel defaults of the bridge options VDSM users set (sysfs names), to reset removed ones. */
export const BRIDGE_DEFAULTS: Readonly<Record<string, string>> = {
  ageing_time: '30000', forward_delay: '1500', hello_time: '200', max_age: '2000', priority: '32768',
  group_fwd_mask: '0x0', multicast_snooping: '1', multicast_router: '1', multicast_querier: '0',
  multicast_query_use_ifaddr: '0', multicast_last_member_count: '2', multicast_startup_query_count: '2',
  multicast_last_member_interval: '100', multicast_membership_interval: '26000', multicast_querier_interval: '25500',
  multicast_query_interval: '12500', multicast_query_response_interval: '1000', multicast_startup_query_interval: '3125',
  hash_elasticity: '16', hash_max: '4096', nf_call_iptables: '0', nf_call_ip6tables: '0', nf_call_arptables: '0',
  vlan_filtering: '0', default_pvid: '1', multicast_stats_enabled: '0', multicast_igmp_version: '2', multicast_mld_version: '1',
};

/** Where per-network gateways live (VDSM's source routing): a table per network, chosen from its name. */
export function routeTableOf(network: string): number {
  const h = fnv1a32(network);
  // Above the reserved ids (0, 253-255) and out of the way of small hand-made tables.
  return 0x10000000 + (h % 0x6fffffff);
}

/** Priority of the source-routing rules (before main, which is 32766). */
export const RULE_PRIORITY = 32000;

const HANDLER_PROTO = 'static';
/** IPv6 default routes get a metric of their own so that replacing ours never replaces a router's (1024). */
const V6_DEFAULT_METRIC = 1;

export function routeArgs(verb: 'add' | 'replace' | 'del', r: RouteSpec): string[] {
  const args = ['route', verb, r.family === 4 ? '0.0.0.0/0' : '::/0'];
  if (r.gateway) args.push('via', r.gateway);
  args.push('dev', r.dev);
  if (r.metric !== undefined) args.push('metric', String(r.metric));
  if (r.table && r.table !== 'main') args.push('table', r.table);
  if (r.protocol) args.push('proto', r.protocol);
  return args;
}

function ruleOp(verb: 'add' | 'del', addr: string, table: number): KernelOp {
  const op: KernelOp = { kind: 'ip', args: ['rule', verb, 'from', addr, 'table', String(table), 'priority', String(RULE_PRIORITY)] };
  if (addr.includes(':')) op.family = 6;
  if (verb === 'add') op.okIfExists = true;
  return op;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The numeric default of a bond option for a mode ('' = unset). */
function bondDefault(mode: string, key: string): string | undefined {
  return (BOND_DEFAULTS[mode] ?? BOND_DEFAULTS['0']!)[key];
}

/** `ip link set B type bond ...` arguments for the given numeric options (sysfs-only ones left out). */
function bondIpArgs(opts: Record<string, string>): string[] {
  const out: string[] = [];
  // mode first: the kernel resets some options (miimon) when the mode changes.
  const keys = Object.keys(opts).sort((a, b) => (a === 'mode' ? -1 : b === 'mode' ? 1 : a < b ? -1 : 1));
  for (const k of keys) {
    const ipName = IP_BOND_OPTIONS[k];
    if (!ipName) continue;
    const v = opts[k]!;
    if (k === 'primary' && v === '') continue; // cleared through sysfs
    out.push(ipName, v);
  }
  return out;
}

function bondSysfsOnly(opts: Record<string, string>): [string, string][] {
  return Object.entries(opts).filter(([k, v]) => !IP_BOND_OPTIONS[k] || (k === 'primary' && v === ''));
}

function bondOptionPath(bond: string, key: string): string {
  return `/sys/class/net/${bond}/bonding/${key}`;
}

function bridgeOptionPath(bridge: string, key: string): string {
  return `/sys/class/net/${bridge}/bridge/${key}`;
}

function writeOp(path: string, value: string): KernelOp {
  return { kind: 'write', path, value };
}

function sysctlOps(dev: string, s: Sysctls): KernelOp[] {
  return SYSCTL_KEYS.filter((k) => s[k] !== undefined).map((k) => writeOp(sysctlPath(dev, k), s[k]!));
}

/**
 * IPv6 sysctls as they will read: "off" completed with the defaults of new devices (`dflt`,
 * conf/default); undefined when the kernel has no IPv6 (nothing to write).
 */
function resolveSysctls(s: Sysctls, dflt: Sysctls | undefined): Sysctls | undefined {
  if (!dflt) return undefined;
  if (s.disable_ipv6 === '1') return { accept_ra: dflt.accept_ra!, autoconf: dflt.autoconf!, disable_ipv6: '1' };
  return s;
}

/** The sysctl writes that take a device from `cur` to `want` (all of want when cur is unknown). */
function sysctlDelta(cur: Sysctls | undefined, want: Sysctls): Sysctls {
  if (!cur) return want;
  const out: Sysctls = {};
  for (const k of SYSCTL_KEYS) if (want[k] !== undefined && want[k] !== cur[k]) out[k] = want[k]!;
  return out;
}

function dhcpSpecs(dev: string, t: TopDev | undefined): DhcpClientSpec[] {
  if (!t) return [];
  const out: DhcpClientSpec[] = [];
  if (t.dhcp4) out.push({ network: t.network, dev, family: 4, defaultRoute: t.defaultRoute });
  if (t.dhcp6) out.push({ network: t.network, dev, family: 6, defaultRoute: t.defaultRoute });
  return out;
}

/** The routes a top device carries (static networks only; a DHCP client installs its own). */
function topRoutes(dev: string, t: TopDev): { routes: RouteSpec[]; rules: { addr: string; table: number }[] } {
  const routes: RouteSpec[] = [];
  const rules: { addr: string; table: number }[] = [];
  const table = routeTableOf(t.network);
  if (!t.dhcp4 && (t.gateway || t.defaultRoute)) {
    if (t.defaultRoute) routes.push({ family: 4, dev, ...(t.gateway ? { gateway: t.gateway } : {}), protocol: HANDLER_PROTO });
    else if (t.gateway && t.ipv4) {
      routes.push({ family: 4, dev, gateway: t.gateway, table: String(table), protocol: HANDLER_PROTO });
      rules.push({ addr: `${t.ipv4.split('/')[0]!}/32`, table });
    }
  }
  if (!t.dhcp6 && t.ipv6gateway) {
    if (t.defaultRoute) routes.push({ family: 6, dev, gateway: t.ipv6gateway, metric: V6_DEFAULT_METRIC, protocol: HANDLER_PROTO });
    else if (t.ipv6) {
      routes.push({ family: 6, dev, gateway: t.ipv6gateway, table: String(table), protocol: HANDLER_PROTO });
      rules.push({ addr: `${t.ipv6.split('/')[0]!}/128`, table });
    }
  }
  return { routes, rules };
}

function topAddresses(t: TopDev | undefined): string[] {
  if (!t) return [];
  return [t.ipv4, t.ipv6].filter((a): a is string => a !== undefined);
}

/** A default route of the main table that a handler network's default route would replace. */
function isMainDefault(r: Route, family: 4 | 6): boolean {
  return r.family === family && r.dst === 'default' && r.table === 'main' && r.type === 'unicast' && (r.metric ?? 0) === 0 && r.dev !== undefined;
}

function routeFromKernel(r: Route): RouteSpec {
  const s: RouteSpec = { family: r.family, dev: r.dev! };
  if (r.gateway) s.gateway = r.gateway;
  if (r.metric) s.metric = r.metric;
  if (r.protocol && ['boot', 'static', 'dhcp', 'kernel'].includes(r.protocol)) s.protocol = r.protocol;
  return s;
}

interface Emitted {
  key: string;
  op: KernelOp;
  undo: PlannedOp['undo'];
  bestEffort?: boolean;
}

/** Network layout identity: a change of any of these rebuilds the network's devices. */
function shape(n: NetworkConfig): string {
  return JSON.stringify([n.bridged, n.nic, n.bonding, n.vlan]);
}

export function compile(input: CompileInput): Compiled {
  const { from, to, host } = input;
  const F = layoutOf(from);
  const T = layoutOf(to);
  const links = host.links;
  const exists = (dev: string) => links[dev] !== undefined;
  const D = host.sysctls.default;
  /** Writes for a device created now (it starts with the defaults). */
  const newDeviceSysctls = (dev: string, want: Sysctls): KernelOp[] => {
    const r = resolveSysctls(want, D);
    return r ? sysctlOps(dev, sysctlDelta(D, r)) : [];
  };
  /** Writes that take an existing device from one setting to another. */
  const changeSysctls = (cur: Sysctls | undefined, want: Sysctls): Sysctls => {
    const w = resolveSysctls(want, D);
    if (!w) return {};
    return sysctlDelta(cur && (resolveSysctls(cur, D) ?? cur), w);
  };
  for (const dev of [...T.bridges.keys(), ...T.vlans.keys(), ...T.bonds.keys()]) {
    if (dev.length > IFNAME_MAX) throw new Error(`device name ${dev} is longer than ${IFNAME_MAX} characters`);
  }

  // Which unit (plan step) a device belongs to, for error messages and progress.
  const netKey = (n: string) => `network/${n}`;
  const ownerKey = (dev: string): string => {
    const b = T.bridges.get(dev) ?? F.bridges.get(dev);
    if (b) return netKey(b.network);
    const v = T.vlans.get(dev) ?? F.vlans.get(dev);
    if (v) return netKey(v.network);
    const t = T.tops.get(dev) ?? F.tops.get(dev);
    if (t) return netKey(t.network);
    if (T.bonds.has(dev) || F.bonds.has(dev)) return `bond/${dev}`;
    return `nic/${dev}`;
  };

  // ---- origins: a NIC's state is recorded the first time the handler takes it ----
  const originsBefore: Origins = structuredClone(input.origins);
  for (const nic of T.nics.keys()) {
    if (originsBefore.nics[nic] || F.nics.has(nic)) continue;
    const l = links[nic];
    if (!l) continue; // a missing NIC fails at its first operation
    const o: NicOrigin = { mtu: l.mtu, hwaddr: (l.permHwaddr ?? l.hwaddr).toLowerCase(), up: l.up };
    const s = host.sysctls[nic];
    if (s) o.sysctls = { ...s };
    const statics = l.addresses.filter((a) => !a.dynamic && (a.scope === 'global' || a.scope === 'site')).map((a) => `${a.local}/${a.prefixlen}`);
    if (statics.length) o.addresses = statics;
    const routes = originRoutes(host.routes, nic);
    if (routes.length) o.routes = routes;
    originsBefore.nics[nic] = o;
  }
  const originOf = (nic: string): NicOrigin => {
    const o = originsBefore.nics[nic];
    if (o) return o;
    // Taken before any origin was recorded (state dir lost): give back a plain, up NIC.
    const l = links[nic];
    return { mtu: DEFAULT_MTU, hwaddr: (l?.permHwaddr ?? l?.hwaddr ?? '').toLowerCase(), up: true };
  };

  const P: Record<string, Emitted[]> = {};
  const phase = (name: string) => (P[name] ??= []);
  const emit = (ph: string, key: string, op: KernelOp, undo: PlannedOp['undo'], bestEffort = false) =>
    phase(ph).push({ key, op, undo, ...(bestEffort ? { bestEffort } : {}) });

  // A NIC the handler takes now sheds the addresses it had; they come back when it is released.
  // The NIC's routes go with its addresses (the kernel's doing); the undo of the first address
  // removal, which runs last, puts them back once every address is there again.
  for (const nic of T.nics.keys()) {
    if (F.nics.has(nic) || !exists(nic)) continue;
    const l = links[nic]!;
    const routes = originsBefore.nics[nic]?.routes ?? [];
    let routesBack = routes.map((r) => originRouteOp('replace', nic, r));
    for (const a of l.addresses) {
      const addr = `${a.local}/${a.prefixlen}`;
      if (!originsBefore.nics[nic]?.addresses?.includes(addr)) continue;
      emit('addrs-del', `nic/${nic}`, ip('addr', 'del', addr, 'dev', nic), [ip('addr', 'add', addr, 'dev', nic), ...routesBack]);
      routesBack = [];
    }
    // The routes follow the NIC onto the device of the network it now carries directly (itself,
    // or the bridge it is the port of), so that handing the management NIC to a network with its
    // own address keeps the host's routes. Best effort: a gateway that is no longer on-link there
    // is simply not routed. (routes-add runs after the network's addresses: phase order below.)
    const top = T.tops.has(nic) ? nic : [...T.bridges].find(([name, b]) => b.port === nic && T.tops.has(name))?.[0];
    if (!top) continue;
    for (const r of routes) emit('routes-add', netKey(T.tops.get(top)!.network), originRouteOp('replace', top, r), [originRouteOp('del', top, r)], true);
  }

  // Networks whose devices are rebuilt (layout changed): their bridge/VLAN go and come back.
  const rebuilt = new Set(Object.keys(to.networks).filter((n) => from.networks[n] && shape(from.networks[n]!) !== shape(to.networks[n]!)));
  const keptBridge = (name: string) => F.bridges.has(name) && T.bridges.has(name) && !rebuilt.has(name);
  const keptVlan = (dev: string) => {
    const f = F.vlans.get(dev);
    const t = T.vlans.get(dev);
    return !!f && !!t && f.link === t.link && f.id === t.id && !rebuilt.has(f.network) && !rebuilt.has(t.network) && f.network === t.network;
  };
  /** Devices deleted by the transaction (a rebuilt network's are deleted, then created again). */
  const deletedDevs = new Set<string>([
    ...[...F.bridges.keys()].filter((b) => !keptBridge(b)),
    ...[...F.vlans.keys()].filter((v) => !keptVlan(v)),
    ...[...F.bonds.keys()].filter((b) => !T.bonds.has(b)),
  ]);
  const createdDevs = new Set<string>([
    ...[...T.bridges.keys()].filter((b) => !keptBridge(b)),
    ...[...T.vlans.keys()].filter((v) => !keptVlan(v)),
    ...[...T.bonds.keys()].filter((b) => !F.bonds.has(b)),
  ]);

  // ---- recreating a device of the "from" side (undo of a deletion) ----
  const recreateBridge = (name: string, b: BridgeDev): KernelOp[] => {
    const l = links[name];
    const out: KernelOp[] = [ip('link', 'add', 'name', name, 'mtu', l?.mtu ?? b.mtu, 'type', 'bridge', 'stp_state', b.stp ? 1 : 0)];
    // A bridge without ports comes back with a new random MAC: setting the old one would leave
    // it without carrier (the kernel keeps a portless bridge with a user-set address down).
    for (const [k, v] of Object.entries(b.opts)) out.push(writeOp(bridgeOptionPath(name, k), v));
    out.push(...newDeviceSysctls(name, F.tops.get(name)?.sysctls ?? PORT_ONLY_SYSCTLS));
    if (b.port) out.push(ip('link', 'set', 'dev', b.port, 'master', name));
    if (l?.up ?? true) out.push(ip('link', 'set', 'dev', name, 'up'));
    return out;
  };
  const recreateVlan = (dev: string, v: VlanDev): KernelOp[] => {
    const l = links[dev];
    const out: KernelOp[] = [ip('link', 'add', 'link', v.link, 'name', dev, 'mtu', l?.mtu ?? v.mtu, 'type', 'vlan', 'id', v.id)];
    out.push(...newDeviceSysctls(dev, F.tops.get(dev)?.sysctls ?? PORT_ONLY_SYSCTLS));
    if (l?.up ?? true) out.push(ip('link', 'set', 'dev', dev, 'up'));
    return out;
  };
  const recreateBond = (name: string, b: BondDev): KernelOp[] => {
    const l = links[name];
    const opts = { ...b.options };
    const out: KernelOp[] = [ip('link', 'add', 'name', name, 'mtu', l?.mtu ?? b.mtu, 'type', 'bond', ...bondIpArgs(opts))];
    for (const [k, v] of bondSysfsOnly(opts)) out.push(writeOp(bondOptionPath(name, k), v === '' ? '\n' : v));
    if (b.hwaddr) out.push(ip('link', 'set', 'dev', name, 'address', b.hwaddr));
    out.push(...newDeviceSysctls(name, F.tops.get(name)?.sysctls ?? PORT_ONLY_SYSCTLS));
    for (const nic of b.nics) out.push(ip('link', 'set', 'dev', nic, 'down'), ip('link', 'set', 'dev', nic, 'master', name));
    if (l?.up ?? true) out.push(ip('link', 'set', 'dev', name, 'up'));
    return out;
  };

  // ---- teardown: DHCP clients, routes, addresses of tops that change ----
  const fromDhcp = new Map<string, DhcpClientSpec>();
  for (const [dev, t] of F.tops) for (const c of dhcpSpecs(dev, t)) fromDhcp.set(`${dev}/${c.family}`, c);
  const toDhcp = new Map<string, DhcpClientSpec>();
  for (const [dev, t] of T.tops) for (const c of dhcpSpecs(dev, t)) toDhcp.set(`${dev}/${c.family}`, c);
  const dhcpStarted: DhcpClientSpec[] = [];
  for (const [k, c] of fromDhcp) {
    const keep = toDhcp.get(k);
    if (keep && sameJson(keep, c) && !deletedDevs.has(c.dev)) continue;
    emit('dhcp-stop', netKey(c.network), { kind: 'dhcp-stop', dev: c.dev, family: c.family }, [{ kind: 'dhcp-start', client: c }]);
  }
  for (const [k, c] of toDhcp) {
    const had = fromDhcp.get(k);
    if (had && sameJson(had, c) && !deletedDevs.has(c.dev)) continue;
    emit('dhcp-start', netKey(c.network), { kind: 'dhcp-start', client: c }, [{ kind: 'dhcp-stop', dev: c.dev, family: c.family }]);
    dhcpStarted.push(c);
  }

  const routeKey = (r: RouteSpec) => JSON.stringify(routeArgs('add', r));
  const ruleKey = (r: { addr: string; table: number }) => `${r.addr}@${r.table}`;
  const fromRoutes = new Map<string, { r: RouteSpec; key: string }>();
  const fromRules = new Map<string, { r: { addr: string; table: number }; key: string }>();
  for (const [dev, t] of F.tops) {
    const { routes, rules } = topRoutes(dev, t);
    for (const r of routes) fromRoutes.set(routeKey(r), { r, key: netKey(t.network) });
    for (const r of rules) fromRules.set(ruleKey(r), { r, key: netKey(t.network) });
  }
  const toRoutes = new Map<string, { r: RouteSpec; key: string }>();
  const toRules = new Map<string, { r: { addr: string; table: number }; key: string }>();
  for (const [dev, t] of T.tops) {
    const { routes, rules } = topRoutes(dev, t);
    for (const r of routes) toRoutes.set(routeKey(r), { r, key: netKey(t.network) });
    for (const r of rules) toRules.set(ruleKey(r), { r, key: netKey(t.network) });
  }
  // Removing a device's address makes the kernel drop the routes through it: a route stays only
  // when its device and that device's address of the route's family stay.
  const addrStays = (dev: string, family: 4 | 6) => {
    const f = F.tops.get(dev);
    const t = T.tops.get(dev);
    return family === 4 ? f?.ipv4 === t?.ipv4 : f?.ipv6 === t?.ipv6;
  };
  const routeStays = (k: string, r: RouteSpec) => toRoutes.has(k) && fromRoutes.has(k) && !deletedDevs.has(r.dev) && addrStays(r.dev, r.family);
  for (const [k, { r, key }] of fromRules) {
    if (toRules.has(k)) continue;
    // Removals are best effort: what is already gone (the kernel drops routes with their
    // address or device) is where the transaction wants it.
    emit('routes-del', key, ruleOp('del', r.addr, r.table), [ruleOp('add', r.addr, r.table)], true);
  }
  for (const [k, { r, key }] of fromRoutes) {
    if (routeStays(k, r)) continue;
    emit('routes-del', key, ip(...routeArgs('del', r)), [ip(...routeArgs('replace', r))], true);
  }

  // Default route hand-over: routes that are not the handler's are removed when a network takes
  // the default route and given back when no network holds it any more.
  const fromTops = new Set(F.tops.keys());
  const hadDefault = F.defaultRouteNetwork !== undefined;
  const wantsDefault = T.defaultRouteNetwork !== undefined;
  const originsAfterDisplaced: RouteSpec[] = [...originsBefore.displacedDefault];
  if (wantsDefault && !hadDefault) {
    const foreign = host.routes.filter((r) => isMainDefault(r, 4) && !fromTops.has(r.dev!)).map(routeFromKernel);
    for (const r of foreign) emit('routes-del', 'route/default', ip(...routeArgs('del', r)), [ip(...routeArgs('add', r))]);
    originsAfterDisplaced.splice(0, originsAfterDisplaced.length, ...foreign);
  } else if (!wantsDefault && hadDefault) {
    for (const r of originsBefore.displacedDefault) {
      // Its device may be gone (or be about to be): only give back routes whose device stays.
      if (!exists(r.dev) || deletedDevs.has(r.dev)) continue;
      // Its gateway may no longer be reachable: giving it back must not fail the transaction.
      emit('routes-add', 'route/default', ip(...routeArgs('replace', r)), [ip(...routeArgs('del', r))], true);
    }
    originsAfterDisplaced.splice(0);
  }

  // Addresses.
  for (const [dev, t] of F.tops) {
    const keepAddrs = new Set(deletedDevs.has(dev) ? [] : topAddresses(T.tops.get(dev)));
    for (const a of topAddresses(t)) {
      if (keepAddrs.has(a)) continue;
      emit('addrs-del', netKey(t.network), ip('addr', 'del', a, 'dev', dev), [ip('addr', 'add', a, 'dev', dev)], true);
    }
  }

  // ---- teardown: bridges, VLANs, bond slaves, bonds ----
  for (const [name, b] of F.bridges) {
    if (keptBridge(name)) {
      const t = T.bridges.get(name)!;
      if (b.port && b.port !== t.port && !deletedDevs.has(b.port)) {
        emit('detach', netKey(name), ip('link', 'set', 'dev', b.port, 'nomaster'), [ip('link', 'set', 'dev', b.port, 'master', name)]);
      }
      continue;
    }
    emit('bridges-del', netKey(b.network), ip('link', 'del', 'dev', name), recreateBridge(name, b));
  }
  for (const [dev, v] of F.vlans) {
    if (keptVlan(dev)) continue;
    emit('vlans-del', netKey(v.network), ip('link', 'del', 'dev', dev), recreateVlan(dev, v));
  }
  // How each kept bond's options change: some only while it is down, some (mode) only without
  // slaves, so all of them are released and enslaved again.
  const bondChanges = new Map<string, BondOptionChange>();
  for (const [name, b] of F.bonds) {
    const t = T.bonds.get(name);
    if (t) bondChanges.set(name, bondOptionChange(b.options, t.options));
  }
  const released = new Set<string>(); // NICs released from a bond by this transaction
  for (const [name, b] of F.bonds) {
    const t = T.bonds.get(name);
    if (!t) continue;
    const ch = bondChanges.get(name)!;
    const cycling = ch.needsRelease;
    // Options the new mode does not support go back to their defaults while the old mode still does.
    const preIp = bondIpArgs(ch.pre.set);
    if (preIp.length) emit('bonds-down', `bond/${name}`, ip('link', 'set', 'dev', name, 'type', 'bond', ...preIp), [ip('link', 'set', 'dev', name, 'type', 'bond', ...bondIpArgs(ch.pre.old))]);
    for (const [k, v] of bondSysfsOnly(ch.pre.set)) emit('bonds-down', `bond/${name}`, writeOp(bondOptionPath(name, k), v === '' ? '\n' : v), 'previous');
    if (ch.needsDown || ch.needsRelease) {
      emit('bonds-down', `bond/${name}`, ip('link', 'set', 'dev', name, 'down'), [ip('link', 'set', 'dev', name, 'up')]);
    }
    for (const nic of b.nics) {
      if (!cycling && t.nics.includes(nic)) continue;
      emit('release', `bond/${name}`, ip('link', 'set', 'dev', nic, 'nomaster'), [ip('link', 'set', 'dev', nic, 'down'), ip('link', 'set', 'dev', nic, 'master', name)]);
      released.add(nic);
    }
  }
  for (const [name, b] of F.bonds) {
    if (T.bonds.has(name)) continue;
    emit('bonds-del', `bond/${name}`, ip('link', 'del', 'dev', name), recreateBond(name, b));
    for (const nic of b.nics) released.add(nic);
  }

  // NICs the handler lets go: MAC, MTU and up/down state as they were before it took them.
  // (Releasing a slave closes it; removing a bridge or VLAN leaves the NIC as it was.)
  for (const nic of F.nics.keys()) {
    if (T.nics.has(nic) || !exists(nic)) continue;
    const o = originOf(nic);
    const l = links[nic]!;
    const key = `nic/${nic}`;
    const wasSlave = released.has(nic);
    const curMac = (wasSlave ? l.permHwaddr ?? l.hwaddr : l.hwaddr).toLowerCase();
    if (o.hwaddr && curMac !== o.hwaddr) emit('nics-restore', key, ip('link', 'set', 'dev', nic, 'address', o.hwaddr), [ip('link', 'set', 'dev', nic, 'address', curMac)]);
    if (l.mtu !== o.mtu) emit('nics-restore', key, ip('link', 'set', 'dev', nic, 'mtu', o.mtu), [ip('link', 'set', 'dev', nic, 'mtu', l.mtu)]);
    const upNow = wasSlave ? false : l.up;
    if (o.up !== upNow) emit('nics-restore', key, ip('link', 'set', 'dev', nic, o.up ? 'up' : 'down'), [ip('link', 'set', 'dev', nic, upNow ? 'up' : 'down')]);
    // The removed network's own addresses on the NIC go (addrs-del above), even where one equals
    // an address the NIC had before: that one is put back, or a management NIC loses its address.
    const removed = new Set(F.tops.has(nic) ? topAddresses(F.tops.get(nic)) : []);
    const has = new Set(l.addresses.map((a) => `${a.local}/${a.prefixlen}`).filter((a) => !removed.has(a)));
    for (const addr of o.addresses ?? []) {
      if (!has.has(addr)) emit('addrs-add', key, ip('addr', 'add', addr, 'dev', nic), [ip('addr', 'del', addr, 'dev', nic)]);
    }
    // Best effort, like a displaced default route given back: a gateway no longer on-link must
    // not fail the release of everything else.
    for (const r of o.routes ?? []) emit('routes-add', key, originRouteOp('replace', nic, r), [originRouteOp('del', nic, r)], true);
    // From what the kernel has now, not from what the last config meant: a NIC that went from
    // carrying a network to being a bridge port kept the values of the network it carried.
    const curSysctls = host.sysctls[nic] ?? F.tops.get(nic)?.sysctls;
    if (curSysctls && o.sysctls) {
      for (const [k, v] of Object.entries(changeSysctls(curSysctls, o.sysctls))) emit('files', key, writeOp(sysctlPath(nic, k), v), 'previous');
    }
  }

  // ---- MTU of devices that stay: decreases upper first, increases lower first ----
  const layerOf = (dev: string) => (T.bridges.has(dev) ? 3 : T.vlans.has(dev) ? 2 : T.bonds.has(dev) ? 1 : 0);
  const mtuTargets: { dev: string; mtu: number }[] = [];
  for (const [dev, b] of T.bridges) if (!createdDevs.has(dev)) mtuTargets.push({ dev, mtu: b.mtu });
  for (const [dev, v] of T.vlans) if (!createdDevs.has(dev)) mtuTargets.push({ dev, mtu: v.mtu });
  for (const [dev, b] of T.bonds) if (!createdDevs.has(dev)) mtuTargets.push({ dev, mtu: b.mtu });
  for (const [dev, n] of T.nics) if (n.mtu !== undefined) mtuTargets.push({ dev, mtu: n.mtu });
  const mtuNow = (dev: string): number | undefined => {
    const l = links[dev];
    if (!l) return undefined;
    // A NIC released from a bond keeps the bond's MTU; a NIC just given back has its origin's.
    return l.mtu;
  };
  const decreases = mtuTargets.filter((m) => (mtuNow(m.dev) ?? m.mtu) > m.mtu).sort((a, b) => layerOf(b.dev) - layerOf(a.dev));
  const increases = mtuTargets.filter((m) => (mtuNow(m.dev) ?? m.mtu) < m.mtu).sort((a, b) => layerOf(a.dev) - layerOf(b.dev));
  // A southbound's MTU is the plan's setMtu step; a bridge's or VLAN's its network's.
  const mtuKey = (dev: string) => (T.bonds.has(dev) ? `bond/${dev}` : T.nics.has(dev) ? `nic/${dev}` : ownerKey(dev));
  for (const m of decreases) emit('mtu-down', mtuKey(m.dev), ip('link', 'set', 'dev', m.dev, 'mtu', m.mtu), [ip('link', 'set', 'dev', m.dev, 'mtu', mtuNow(m.dev)!)]);
  for (const m of increases) {
    const undo = mtuNow(m.dev) === undefined ? [] : [ip('link', 'set', 'dev', m.dev, 'mtu', mtuNow(m.dev)!)];
    emit('mtu-up', mtuKey(m.dev), ip('link', 'set', 'dev', m.dev, 'mtu', m.mtu), undo);
  }

  // ---- build: bonds ----
  for (const [name, t] of T.bonds) {
    const key = `bond/${name}`;
    if (!F.bonds.has(name)) {
      emit('bonds-add', key, ip('link', 'add', 'name', name, 'mtu', t.mtu, 'type', 'bond', ...bondIpArgs(t.options)), [ip('link', 'del', 'dev', name)]);
      for (const [k, v] of bondSysfsOnly(t.options)) emit('files', key, writeOp(bondOptionPath(name, k), v === '' ? '\n' : v), []);
      if (t.hwaddr) emit('bonds-add', key, ip('link', 'set', 'dev', name, 'address', t.hwaddr), []);
      continue;
    }
    const ch = bondChanges.get(name)!;
    if (Object.keys(ch.main.set).length) {
      const ipSet = bondIpArgs(ch.main.set);
      // Back: first what the old mode would refuse, then the old mode and values.
      const undo: KernelOp[] = [];
      if (Object.keys(ch.undoPre).length) undo.push(ip('link', 'set', 'dev', name, 'type', 'bond', ...bondIpArgs(ch.undoPre)));
      const ipOld = bondIpArgs(ch.main.old);
      if (ipOld.length) undo.push(ip('link', 'set', 'dev', name, 'type', 'bond', ...ipOld));
      if (ipSet.length) emit('bonds-add', key, ip('link', 'set', 'dev', name, 'type', 'bond', ...ipSet), undo);
      for (const [k, v] of bondSysfsOnly(ch.main.set)) emit('files', key, writeOp(bondOptionPath(name, k), v === '' ? '\n' : v), 'previous');
    }
    const curMac = links[name]?.hwaddr.toLowerCase();
    if (t.hwaddr && t.hwaddr !== curMac) emit('bonds-add', key, ip('link', 'set', 'dev', name, 'address', t.hwaddr), curMac ? [ip('link', 'set', 'dev', name, 'address', curMac)] : []);
  }
  // Slaves: down, then enslaved (the bond gives them its MTU and MAC).
  for (const [name, t] of T.bonds) {
    const f = F.bonds.get(name);
    const ch = bondChanges.get(name);
    const cycling = ch?.needsRelease ?? false;
    for (const nic of t.nics) {
      if (f && f.nics.includes(nic) && !cycling) continue;
      const l = links[nic];
      const undoDown = l?.up && !released.has(nic) ? [ip('link', 'set', 'dev', nic, 'up')] : [];
      emit('enslave', `bond/${name}`, ip('link', 'set', 'dev', nic, 'down'), undoDown);
      const undoMaster: KernelOp[] = [ip('link', 'set', 'dev', nic, 'nomaster')];
      if (l) {
        undoMaster.push(ip('link', 'set', 'dev', nic, 'mtu', l.mtu));
        const mac = (l.permHwaddr ?? l.hwaddr).toLowerCase();
        if (mac) undoMaster.push(ip('link', 'set', 'dev', nic, 'address', mac));
      }
      emit('enslave', `bond/${name}`, ip('link', 'set', 'dev', nic, 'master', name), undoMaster);
    }
    if (!f) emit('enslave', `bond/${name}`, ip('link', 'set', 'dev', name, 'up'), []);
    else if (ch?.needsDown || ch?.needsRelease || !(links[name]?.up ?? true)) emit('enslave', `bond/${name}`, ip('link', 'set', 'dev', name, 'up'), [ip('link', 'set', 'dev', name, 'down')]);
  }
  // NIC southbounds come up (a NIC given to a network must carry traffic).
  for (const [nic, n] of T.nics) {
    if (n.slaveOf !== undefined) continue;
    const l = links[nic];
    if (l && l.up && !released.has(nic)) continue;
    emit('enslave', `nic/${nic}`, ip('link', 'set', 'dev', nic, 'up'), l && !l.up ? [ip('link', 'set', 'dev', nic, 'down')] : []);
  }

  // ---- build: VLAN devices, bridges ----
  for (const [dev, v] of T.vlans) {
    if (keptVlan(dev)) continue;
    emit('vlans-add', netKey(v.network), ip('link', 'add', 'link', v.link, 'name', dev, 'mtu', v.mtu, 'type', 'vlan', 'id', v.id), [ip('link', 'del', 'dev', dev)]);
  }
  for (const [name, b] of T.bridges) {
    const key = netKey(name);
    if (!keptBridge(name)) {
      emit('bridges-add', key, ip('link', 'add', 'name', name, 'mtu', b.mtu, 'type', 'bridge', 'stp_state', b.stp ? 1 : 0), [ip('link', 'del', 'dev', name)]);
      for (const [k, v] of Object.entries(b.opts)) emit('files', key, writeOp(bridgeOptionPath(name, k), v), []);
      continue;
    }
    const f = F.bridges.get(name)!;
    if (f.stp !== b.stp) {
      // Turning STP off leaves a port that is still listening/learning blocked until its
      // forward-delay timers run out (up to 30 s): it is put to forwarding right away.
      const forward = (port: string | undefined): KernelOp[] => (port ? [ip('link', 'set', 'dev', port, 'type', 'bridge_slave', 'state', 3)] : []);
      const port = f.port === b.port && !deletedDevs.has(b.port ?? '') ? b.port : undefined;
      emit('bridges-add', key, ip('link', 'set', 'dev', name, 'type', 'bridge', 'stp_state', b.stp ? 1 : 0), [
        ip('link', 'set', 'dev', name, 'type', 'bridge', 'stp_state', f.stp ? 1 : 0),
        ...(f.stp ? [] : forward(port)),
      ]);
      if (!b.stp) for (const op of forward(port)) emit('bridges-add', key, op, []);
    }
    for (const k of new Set([...Object.keys(f.opts), ...Object.keys(b.opts)])) {
      const want = b.opts[k] ?? BRIDGE_DEFAULTS[k];
      if (want === undefined || want === f.opts[k]) continue;
      emit('files', key, writeOp(bridgeOptionPath(name, k), want), 'previous');
    }
  }

  // ---- sysctls: tops as their networks ask, handler-made ports with IPv6 off ----
  const sysctlTargets = new Map<string, Sysctls>();
  for (const dev of [...T.bonds.keys(), ...T.vlans.keys()]) sysctlTargets.set(dev, PORT_ONLY_SYSCTLS);
  for (const [dev, t] of T.tops) sysctlTargets.set(dev, t.sysctls);
  for (const [dev, want] of sysctlTargets) {
    const key = ownerKey(dev);
    if (createdDevs.has(dev)) {
      for (const op of newDeviceSysctls(dev, want)) emit('files', key, op, []);
      continue;
    }
    // An existing device: from what the previous config put there (or the NIC's own values).
    const cur = F.tops.get(dev)?.sysctls ?? (F.bonds.has(dev) || F.vlans.has(dev) ? PORT_ONLY_SYSCTLS : host.sysctls[dev]);
    for (const [k, v] of Object.entries(changeSysctls(cur, want))) emit('files', key, writeOp(sysctlPath(dev, k), v), 'previous');
  }
  // ---- build: ports attached, devices up ----
  for (const [name, b] of T.bridges) {
    const key = netKey(name);
    const f = keptBridge(name) ? F.bridges.get(name) : undefined;
    if (b.port && (!f || f.port !== b.port || deletedDevs.has(b.port))) {
      emit('attach', key, ip('link', 'set', 'dev', b.port, 'master', name), [ip('link', 'set', 'dev', b.port, 'nomaster')]);
      // A bridge follows its ports' MTU until one is set on it (the MTU given at creation does
      // not count): set it, so a bond carrying a bigger VLAN MTU does not enlarge this network.
      emit('attach', key, ip('link', 'set', 'dev', name, 'mtu', b.mtu), []);
    }
  }
  for (const [dev, v] of T.vlans) {
    if (keptVlan(dev)) continue;
    emit('up', netKey(v.network), ip('link', 'set', 'dev', dev, 'up'), []);
  }
  for (const [name] of T.bridges) {
    if (keptBridge(name) && (links[name]?.up ?? true)) continue;
    emit('up', netKey(name), ip('link', 'set', 'dev', name, 'up'), createdDevs.has(name) ? [] : [ip('link', 'set', 'dev', name, 'down')]);
  }

  // ---- addressing ----
  for (const [dev, t] of T.tops) {
    const had = new Set(deletedDevs.has(dev) || createdDevs.has(dev) ? [] : topAddresses(F.tops.get(dev)));
    for (const a of topAddresses(t)) {
      if (had.has(a)) continue;
      emit('addrs-add', netKey(t.network), ip('addr', 'add', a, 'dev', dev), [ip('addr', 'del', a, 'dev', dev)]);
    }
  }
  for (const [k, { r, key }] of toRoutes) {
    if (routeStays(k, r)) continue;
    emit('routes-add', key, ip(...routeArgs('replace', r)), [ip(...routeArgs('del', r))]);
  }
  for (const [k, { r, key }] of toRules) {
    if (fromRules.has(k)) continue;
    emit('routes-add', key, ruleOp('add', r.addr, r.table), [ruleOp('del', r.addr, r.table)]);
  }

  // ---- resolv.conf: only when a network names resolvers that the file does not already list ----
  const dr = T.defaultRouteNetwork !== undefined ? to.networks[T.defaultRouteNetwork] : undefined;
  const wanted = dr && dr.nameservers.length ? dr.nameservers : undefined;
  if (wanted && !sameJson(resolvNameservers(host.resolv), wanted)) {
    emit('resolv', 'resolv', { kind: 'file', path: input.resolvConf, content: resolvContent(host.resolv, wanted) }, 'previous');
  }

  const order = [
    'dhcp-stop', 'routes-del', 'addrs-del', 'detach', 'bridges-del', 'vlans-del', 'bonds-down', 'release', 'bonds-del',
    'nics-restore', 'mtu-down', 'mtu-up', 'bonds-add', 'enslave', 'vlans-add', 'bridges-add', 'files', 'attach', 'up',
    'addrs-add', 'routes-add', 'dhcp-start', 'resolv',
  ];
  // Every operation is attributed to the plan step (src/plan/plan.ts) it carries out, so errors
  // and progress speak of the plan's steps.
  const plan = input.plan ?? planSteps(to, from);
  const units = plan.map(describeStep);
  const index = indexPlan(plan);
  const extra = new Map<string, number>();
  const ops: PlannedOp[] = [];
  for (const ph of order) {
    for (const e of P[ph] ?? []) {
      let idx = stepFor(index, e.key, ph);
      if (idx === undefined) {
        idx = extra.get(e.key);
        if (idx === undefined) {
          idx = units.length;
          extra.set(e.key, idx);
          units.push(describeUnit(e.key, from, to));
        }
      }
      ops.push({ op: e.op, undo: e.undo, step: idx, ...(e.bestEffort ? { bestEffort: true } : {}) });
    }
  }

  const originsAfter: Origins = { nics: {}, displacedDefault: originsAfterDisplaced };
  for (const nic of T.nics.keys()) if (originsBefore.nics[nic]) originsAfter.nics[nic] = originsBefore.nics[nic]!;
  return { ops, units, plan, originsAfter, dhcpStarted };
}

function describeUnit(key: string, from: RunningConfig, to: RunningConfig): string {
  const [kind, name] = key.split('/', 2) as [string, string | undefined];
  if (kind === 'network' && name) {
    const verb = !from.networks[name] ? 'add' : !to.networks[name] ? 'remove' : 'update';
    return `${verb} network ${name}`;
  }
  if (kind === 'bond' && name) {
    const verb = !from.bondings[name] ? 'add' : !to.bondings[name] ? 'remove' : 'update';
    return `${verb} bond ${name}`;
  }
  if (kind === 'nic' && name) return `NIC ${name}`;
  if (kind === 'route') return 'default route';
  return 'resolv.conf';
}

/** Which plan step kinds an operation of a compile phase belongs to, most specific first. */
const PHASE_KINDS: Readonly<Record<string, readonly StepKind[]>> = {
  'dhcp-stop': ['removeNetwork', 'setIpv4', 'setIpv6', 'setDefaultRoute'],
  'routes-del': ['removeNetwork', 'setDefaultRoute', 'setIpv4', 'setIpv6'],
  'addrs-del': ['removeNetwork', 'setIpv4', 'setIpv6'],
  detach: ['removeNetwork', 'addNetwork'],
  'bridges-del': ['removeNetwork'],
  'vlans-del': ['removeNetwork'],
  'bonds-down': ['setBondOptions'],
  release: ['release', 'removeBond'],
  'bonds-del': ['removeBond'],
  'nics-restore': ['release', 'removeBond', 'removeNetwork', 'setMtu'],
  'mtu-down': ['setNetworkMtu', 'setMtu'],
  'mtu-up': ['setMtu', 'setNetworkMtu'],
  'bonds-add': ['addBond', 'setBondOptions', 'setBondHwaddr'],
  enslave: ['enslave', 'addBond', 'setBondOptions', 'addNetwork'],
  'vlans-add': ['addNetwork'],
  'bridges-add': ['addNetwork', 'setBridge'],
  files: ['addNetwork', 'setBridge', 'setIpv6', 'addBond', 'setBondOptions', 'removeNetwork'],
  attach: ['addNetwork'],
  up: ['addNetwork', 'setBridge'],
  'addrs-add': ['addNetwork', 'setIpv4', 'setIpv6'],
  'routes-add': ['setDefaultRoute', 'addNetwork', 'setIpv4', 'setIpv6', 'removeNetwork'],
  'dhcp-start': ['addNetwork', 'setIpv4', 'setIpv6', 'setDefaultRoute'],
  resolv: ['setNameservers', 'addNetwork'],
};

/** The entity a step is about: network/<n>, bond/<b>, nic/<device> (setMtu, enslave/release name the NIC too). */
function stepEntities(s: Step): string[] {
  switch (s.kind) {
    case 'setMtu':
      return [`nic/${s.device}`, `bond/${s.device}`];
    case 'enslave':
    case 'release':
      return [`bond/${s.bond}`, `nic/${s.nic}`];
    case 'addBond':
    case 'removeBond':
      return [`bond/${s.bond}`, ...s.config.nics.map((n) => `nic/${n}`)];
    case 'setBondOptions':
    case 'setBondHwaddr':
      return [`bond/${s.bond}`];
    case 'addNetwork':
    case 'removeNetwork':
      return [`network/${s.network}`, ...(s.config.nic ? [`nic/${s.config.nic}`] : [])];
    case 'setNameservers':
      return [`network/${s.network}`, 'resolv'];
    case 'setDefaultRoute':
      return [`network/${s.network}`, 'route/default'];
    default:
      return [`network/${s.network}`];
  }
}

export type PlanIndex = { plan: readonly Step[]; byEntity: Map<string, { s: Step; i: number }[]> };

export function indexPlan(plan: readonly Step[]): PlanIndex {
  const byEntity = new Map<string, { s: Step; i: number }[]>();
  plan.forEach((s, i) => {
    for (const e of stepEntities(s)) {
      const list = byEntity.get(e);
      if (list) list.push({ s, i });
      else byEntity.set(e, [{ s, i }]);
    }
  });
  return { plan, byEntity };
}

/** The index of the plan step an operation (entity key, compile phase) carries out. */
export function stepFor(index: PlanIndex, key: string, phase: string): number | undefined {
  const kinds = PHASE_KINDS[phase] ?? [];
  const mine = index.byEntity.get(key) ?? [];
  for (const k of kinds) {
    const hit = mine.find(({ s }) => s.kind === k);
    if (hit) return hit.i;
  }
  if (mine.length) return mine[0]!.i;
  if (key === 'route/default' || key === 'resolv') {
    // The network that takes (or gives up) the default route / carries the resolvers.
    const hit = index.plan.findIndex((s) => s.kind === (key === 'resolv' ? 'setNameservers' : 'setDefaultRoute'));
    if (hit >= 0) return hit;
    const net = index.plan.findIndex((s) => (s.kind === 'addNetwork' || s.kind === 'removeNetwork') && s.config.defaultRoute);
    return net >= 0 ? net : undefined;
  }
  return undefined;
}
