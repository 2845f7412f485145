// Host snapshots: what `ip` shows of links, addresses, routes and rules, plus the IPv6 sysctls
// and resolv.conf, without what changes by itself (counters, timers, carrier, operstate, DAD
// state, kernel-made link-local addresses and the local table derived from the addresses).
import type { Obj } from './json.js';

export interface IpLink {
  ifname: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_data?: Obj; info_slave_data?: Obj };
  addr_info?: (Obj & { family: string; local: string; prefixlen: number; scope?: string })[];
  [k: string]: unknown;
}

export interface Dumps {
  links: IpLink[];
  addrs: IpLink[];
  routes: Obj[];
  rules: Obj[];
  sysctl: Record<string, Record<string, string>>;
  resolv: string;
}

export interface LinkView {
  [k: string]: unknown;
  addrs: string[];
  routes: string[];
  sysctl?: Record<string, string>;
}

export interface HostView {
  links: Record<string, LinkView>;
  rules: string[];
  sysctl: Record<string, Record<string, string>>;
  resolv: string;
}

const VOLATILE_LINK = new Set(['ifindex', 'operstate', 'linkmode', 'qdisc', 'stats64', 'stats', 'addr_info', 'linkinfo', 'flags']);
const VOLATILE_FLAGS = new Set(['LOWER_UP', 'NO-CARRIER', 'M-DOWN', 'DORMANT']);
const VOLATILE_BRIDGE = /timer$|^topology_change|^root_port$|^root_path_cost$/;
const VOLATILE_PORT = /timer$|^state$|^topology_change_ack$|^config_pending$|^designated_/;
/** What a bridge re-created by a rollback may get anew: its MAC (when portless) and what derives from it, port numbers. */
const LOOSE_BRIDGE = /^(bridge_id|root_id)$/;
const LOOSE_PORT = /^(bridge_id|root_id|id|no)$/;
const ADDR_FLAGS = ['secondary', 'noprefixroute', 'nodad', 'home', 'mngtmpaddr'];

function sortedJson(o: Obj): string {
  return JSON.stringify(Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]])));
}

function filterKeys(o: Obj | undefined, drop: (k: string) => boolean): Obj | undefined {
  if (!o) return undefined;
  return Object.fromEntries(Object.keys(o).filter((k) => !drop(k)).sort().map((k) => [k, o[k]]));
}

/** The comparable view of a snapshot; `loose` leaves out what a re-created bridge legitimately gets anew. */
export function hostView(d: Dumps, loose = false): HostView {
  const links: Record<string, LinkView> = {};
  const hasPorts = new Set(d.links.map((l) => l.master).filter((m): m is string => typeof m === 'string'));
  const addrsOf = new Map(d.addrs.map((l) => [l.ifname, l.addr_info ?? []]));
  for (const l of d.links) {
    const v: LinkView = { addrs: [], routes: [] };
    for (const k of Object.keys(l).sort()) if (!VOLATILE_LINK.has(k)) v[k] = l[k];
    v.flags = (l.flags ?? []).filter((f) => !VOLATILE_FLAGS.has(f)).sort();
    const li = l.linkinfo;
    v.kind = li?.info_kind;
    v.slaveKind = li?.info_slave_kind;
    const portlessBridge = li?.info_kind === 'bridge' && !hasPorts.has(l.ifname);
    if (loose && portlessBridge) delete v.address;
    v.data = filterKeys(li?.info_data, (k) => VOLATILE_BRIDGE.test(k) || (loose && LOOSE_BRIDGE.test(k)));
    v.slaveData = filterKeys(li?.info_slave_data, (k) => VOLATILE_PORT.test(k) || (loose && LOOSE_PORT.test(k)));
    v.addrs = (addrsOf.get(l.ifname) ?? [])
      .filter((a) => !(a.family === 'inet6' && a.scope === 'link'))
      .map((a) => {
        const forever = a.valid_life_time === undefined || a.valid_life_time === 4294967295;
        const flags = ADDR_FLAGS.filter((f) => a[f] === true);
        return `${a.family} ${a.local}/${a.prefixlen} ${a.scope ?? ''}${forever ? '' : ' dynamic'}${flags.map((f) => ` ${f}`).join('')}${a.label && a.label !== l.ifname ? ` label ${String(a.label)}` : ''}`;
      })
      .sort();
    const sys = d.sysctl[l.ifname];
    if (sys) v.sysctl = sys;
    links[l.ifname] = v;
  }
  for (const r of d.routes) {
    if (r.table === 'local' || r.type === 'multicast' || (r.dst === 'fe80::/64' && r.protocol === 'kernel')) continue;
    const { flags: _f, expires: _e, ...rest } = r;
    const dev = typeof r.dev === 'string' && links[r.dev] ? r.dev : undefined;
    if (dev) links[dev]!.routes.push(sortedJson(rest));
    else (links['-'] ??= { addrs: [], routes: [] }).routes.push(sortedJson(rest));
  }
  for (const v of Object.values(links)) v.routes.sort();
  const sysctl = Object.fromEntries(['all', 'default'].filter((k) => d.sysctl[k]).map((k) => [k, d.sysctl[k]!]));
  return { links, rules: d.rules.map(sortedJson).sort(), sysctl, resolv: d.resolv };
}
