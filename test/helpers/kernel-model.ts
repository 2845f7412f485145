// A model of the kernel state the compiler's operations act on, for property tests: links (kind,
// MTU, up, MAC, master, VLAN link), addresses, routes, rules, sysfs/procfs files, DHCP clients,
// resolv.conf. An operation the real kernel refuses throws here too, with the kernel's reason,
// for the constraints the compiler's order exists for:
//   - a VLAN is never larger than its lower device (the kernel refuses it, or shrinks the VLAN);
//   - a slave is down when enslaved, a device has one master;
//   - mode/fail_over_mac change only without slaves, IFDOWN options only while the bond is down;
//   - an IPv6 address needs IPv6 on (disable_ipv6=0); a gateway must be on-link (IPv4);
//   - adding what exists, deleting what does not, and touching a missing device fail.
// Side effects the kernel has are modelled: deleting a device takes its VLANs, addresses, routes
// and files with it and releases its slaves/ports; a device going down loses its routes and IPv6
// addresses; removing an address drops the IPv4 routes whose gateway was reachable through it;
// a released slave gets its own MAC back and goes down; a bond's MTU is its slaves'; a link
// group's members are deleted together (`ip link del group`; group 0 and an empty group refused).
// Rendered as the compiler's CompileFacts and the observer's HostState, so the real compiler plans
// from it and the real kernelConfig reads it back.
import type { KernelOp } from '../../src/apply/ops.js';
import type { DhcpClientSpec } from '../../src/model/dhcp-clients.js';
import type { CompileFacts, LinkFact } from '../../src/apply/compile/facts.js';
import { sysctlPath, SYSCTL_KEYS } from '../../src/apply/compile/facts.js';
import { bondDefault, IFDOWN_OPTIONS, NO_SLAVES_OPTIONS, BOND_OPTIONS } from '../../src/model/bond-options.js';
import type { Address, HostState, Link, Route } from '../../src/model/host-state.js';
import { resolvNameservers } from '../../src/util/resolv.js';
import { BRIDGE_DEFAULTS } from '../../src/model/bridge-options.js';

export interface MLink {
  name: string;
  kind: 'nic' | 'bond' | 'bridge' | 'vlan';
  mtu: number;
  up: boolean;
  mac: string;
  permMac: string;
  /** The MAC was set by hand (a bond keeps it when slaves come). */
  macSet: boolean;
  master?: string;
  vlan?: { link: string; id: number };
  /** "addr/len", in the order added. */
  addrs: string[];
  /** Numeric option values (bond). */
  bondOpts?: Record<string, string>;
  stp?: string;
  /** A bridge follows its ports' MTU until one is set on it. */
  mtuSet?: boolean;
  /** Link group, as `ip` names it; absent for the default group (0). */
  group?: string;
}

export interface MRoute {
  family: 4 | 6;
  dst: string;
  gateway?: string;
  dev: string;
  metric: number;
  table: string;
  protocol?: string;
}

export interface KState {
  links: Record<string, MLink>;
  routes: MRoute[];
  rules: string[];
  /** sysfs/procfs values by path. */
  files: Record<string, string>;
  dhcp: Record<string, DhcpClientSpec>;
  resolv: string | null;
}

export class KernelError extends Error {}

const fail = (msg: string): never => {
  throw new KernelError(msg);
};

export const DEFAULT_SYSCTLS: Record<string, string> = { accept_ra: '1', autoconf: '1', disable_ipv6: '0' };

function newLink(k: KState, name: string, kind: MLink['kind'], mtu: number, mac: string): MLink {
  if (k.links[name]) fail(`RTNETLINK answers: File exists (${name})`);
  const l: MLink = { name, kind, mtu, up: false, mac, permMac: mac, macSet: false, addrs: [] };
  k.links[name] = l;
  for (const key of SYSCTL_KEYS) k.files[sysctlPath(name, key)] = k.files[sysctlPath('default', key)] ?? DEFAULT_SYSCTLS[key]!;
  return l;
}

/** A MAC for a device made in the model: stable per name, so a device made again reads the same. */
function macOf(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const b = [0x02, 0xaa, (h >>> 24) & 0xff, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function dev(k: KState, name: string): MLink {
  return k.links[name] ?? fail(`Cannot find device "${name}"`);
}

const v4 = (a: string) => !a.includes(':');

function ipv4Int(a: string): number {
  return a.split('.').reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

/** Whether an IPv4 gateway is inside one of the device's IPv4 subnets. */
function onLink(l: MLink, gw: string): boolean {
  return l.addrs.some((a) => {
    if (!v4(a)) return false;
    const [addr, len] = a.split('/') as [string, string];
    const bits = Number(len);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return ((ipv4Int(addr) & mask) >>> 0) === ((ipv4Int(gw) & mask) >>> 0);
  });
}

function dropRoutes(k: KState, pred: (r: MRoute) => boolean): void {
  k.routes = k.routes.filter((r) => !pred(r));
}

/** Admin down: the kernel flushes the device's routes and (keep_addr_on_down=0) its IPv6 addresses. */
function goDown(k: KState, l: MLink): void {
  if (!l.up) return;
  l.up = false;
  dropRoutes(k, (r) => r.dev === l.name);
  l.addrs = l.addrs.filter(v4);
}

function checkVlanMtus(k: KState, lower: MLink): void {
  for (const u of Object.values(k.links)) {
    if (u.vlan?.link === lower.name && u.mtu > lower.mtu) fail(`${lower.name} mtu ${lower.mtu} below its VLAN ${u.name} (mtu ${u.mtu}): the kernel shrinks the VLAN`);
  }
}

function setMtu(k: KState, l: MLink, mtu: number): void {
  if (l.vlan && mtu > dev(k, l.vlan.link).mtu) fail(`RTNETLINK answers: Numerical result out of range (${l.name} mtu ${mtu} above ${l.vlan.link})`);
  l.mtu = mtu;
  checkVlanMtus(k, l);
  if (l.kind === 'bond') for (const s of slaves(k, l.name)) { s.mtu = mtu; checkVlanMtus(k, s); }
  if (l.kind === 'bridge') l.mtuSet = true;
}

function slaves(k: KState, master: string): MLink[] {
  return Object.values(k.links).filter((l) => l.master === master);
}

function removeLink(k: KState, name: string): void {
  const l = dev(k, name);
  for (const u of Object.values(k.links)) if (u.vlan?.link === name) removeLink(k, u.name);
  for (const s of slaves(k, name)) release(k, s);
  dropRoutes(k, (r) => r.dev === name);
  // A per-interface DHCP client exits when its interface departs.
  for (const key of Object.keys(k.dhcp)) if (key.startsWith(`${name}/`)) delete k.dhcp[key];
  for (const p of Object.keys(k.files)) if (p.startsWith(`/proc/sys/net/ipv6/conf/${name}/`) || p.startsWith(`/sys/class/net/${name}/`)) delete k.files[p];
  delete k.links[name];
  void l;
}

const isDefaultGroup = (g: string) => g === 'default' || g === '0';

/** rtnl_group_dellink: group 0 is refused, an empty group is ENODEV, else all of it goes at once. */
function removeGroup(k: KState, group: string): void {
  if (isDefaultGroup(group)) fail('RTNETLINK answers: Operation not permitted');
  const members = Object.values(k.links).filter((l) => l.group === group).map((l) => l.name);
  if (!members.length) fail('RTNETLINK answers: No such device');
  // A member may already have gone with another (a VLAN with its lower device).
  for (const name of members) if (k.links[name]) removeLink(k, name);
}

function release(k: KState, s: MLink): void {
  const m = s.master ? k.links[s.master] : undefined;
  delete s.master;
  if (m?.kind === 'bond') {
    s.mac = s.permMac;
    goDown(k, s);
    // A bond left without slaves takes a random address again (unless one was set on it).
    if (!m.macSet && slaves(k, m.name).length === 0) m.mac = macOf(m.name);
  }
}

function enslave(k: KState, s: MLink, m: MLink): void {
  if (s.master) fail(`RTNETLINK answers: Device or resource busy (${s.name} already in ${s.master})`);
  if (m.name === s.name) fail('cannot enslave a device to itself');
  if (m.kind === 'bond') {
    if (s.up) fail(`${s.name}: a device is enslaved to a bond while down`);
    if (s.kind !== 'nic') fail(`${s.name}: only NICs are bond slaves here`);
    if (!m.macSet && slaves(k, m.name).length === 0) m.mac = s.permMac;
    s.master = m.name;
    s.mac = m.mac;
    s.mtu = m.mtu;
    checkVlanMtus(k, s);
    return;
  }
  if (m.kind !== 'bridge') fail(`${m.name} is not a master`);
  s.master = m.name;
  if (!m.mtuSet) m.mtu = Math.min(...slaves(k, m.name).map((p) => p.mtu));
}

function setBondOption(k: KState, b: MLink, key: string, value: string): void {
  if (NO_SLAVES_OPTIONS.has(key) && slaves(k, b.name).length && (b.bondOpts![key] ?? bondDefault(b.bondOpts!.mode ?? '0', key)) !== value) fail(`${b.name}: ${key} cannot change while the bond has slaves`);
  if (IFDOWN_OPTIONS.has(key) && b.up && (b.bondOpts![key] ?? bondDefault(b.bondOpts!.mode ?? '0', key)) !== value) fail(`${b.name}: ${key} cannot change while the bond is up`);
  if (!BOND_OPTIONS.some((o) => o.name === key || o.ip === key)) fail(`unknown bond option ${key}`);
  const name = BOND_OPTIONS.find((o) => o.ip === key)?.name ?? key;
  b.bondOpts![name] = value;
}

function bondArgs(k: KState, b: MLink, args: string[]): void {
  // mode first (the compiler puts it there): later options are checked against the new mode.
  for (let i = 0; i + 1 < args.length; i += 2) setBondOption(k, b, args[i]!, args[i + 1]!);
}

const routeDst = (dst: string) => (dst === '0.0.0.0/0' || dst === '::/0' ? 'default' : dst);

function parseRoute(args: string[], ipFamily?: 6): MRoute {
  const dst = routeDst(args[0]!);
  const family: 4 | 6 = ipFamily === 6 || args[0]!.includes(':') ? 6 : 4;
  const r: Partial<MRoute> & { family: 4 | 6; dst: string } = { family, dst, table: 'main' };
  for (let i = 1; i < args.length; i += 2) {
    const [key, val] = [args[i]!, args[i + 1]!];
    if (key === 'via') r.gateway = val;
    else if (key === 'dev') r.dev = val;
    else if (key === 'metric') r.metric = Number(val);
    else if (key === 'table') r.table = val;
    else if (key === 'proto') r.protocol = val;
    else fail(`route: unknown argument ${key}`);
  }
  r.metric ??= family === 6 ? 1024 : 0;
  return r as MRoute;
}

const sameSlot = (a: MRoute, b: MRoute) => a.family === b.family && a.dst === b.dst && a.table === b.table && a.metric === b.metric;

function runIp(k: KState, args: readonly string[], family?: 6): void {
  const a = [...args];
  const [obj, verb] = a;
  if (obj === 'link' && verb === 'add') {
    const kv = (key: string) => a[a.indexOf(key, 2) + 1]!;
    const type = kv('type');
    const name = kv('name');
    const mtu = Number(kv('mtu'));
    if (type === 'bond') {
      const b = newLink(k, name, 'bond', mtu, macOf(name));
      b.bondOpts = {};
      bondArgs(k, b, a.slice(a.indexOf('type') + 2));
      b.bondOpts.mode ??= '0';
    } else if (type === 'bridge') {
      const b = newLink(k, name, 'bridge', mtu, macOf(name));
      b.stp = kv('stp_state');
      for (const [opt, v] of Object.entries(BRIDGE_DEFAULTS)) k.files[`/sys/class/net/${name}/bridge/${opt}`] = v;
    } else if (type === 'vlan') {
      const lower = dev(k, kv('link'));
      if (mtu > lower.mtu) fail(`RTNETLINK answers: Numerical result out of range (${name} mtu ${mtu} above ${lower.name})`);
      const v = newLink(k, name, 'vlan', mtu, lower.mac);
      v.vlan = { link: lower.name, id: Number(kv('id')) };
    } else fail(`link add: type ${type}`);
    return;
  }
  if (obj === 'link' && verb === 'del' && a[2] === 'group') return removeGroup(k, a[3]!);
  if (obj === 'link' && verb === 'del') return removeLink(k, a[3]!);
  if (obj === 'link' && verb === 'set') {
    const l = dev(k, a[3]!);
    const what = a[4];
    if (what === 'up') {
      l.up = true;
      return;
    }
    if (what === 'down') return goDown(k, l);
    if (what === 'master') return enslave(k, l, dev(k, a[5]!));
    if (what === 'nomaster') {
      if (!l.master) fail(`${l.name} has no master`);
      return release(k, l);
    }
    if (what === 'mtu') return setMtu(k, l, Number(a[5]));
    if (what === 'address') {
      l.mac = a[5]!;
      l.macSet = true;
      if (l.kind === 'bond') for (const s of slaves(k, l.name)) s.mac = l.mac;
      return;
    }
    if (what === 'type' && a[5] === 'bond') {
      if (l.kind !== 'bond') fail(`${l.name} is not a bond`);
      return bondArgs(k, l, a.slice(6));
    }
    if (what === 'type' && a[5] === 'bridge') {
      l.stp = a[7]!;
      // br_stp_start clamps the forward delay into the range STP allows.
      const fd = `/sys/class/net/${l.name}/bridge/forward_delay`;
      if (l.stp === '1') k.files[fd] = String(Math.min(3000, Math.max(200, Number(k.files[fd] ?? 1500))));
      return;
    }
    if (what === 'type' && a[5] === 'bridge_slave') return;
    if (what === 'group') {
      if (isDefaultGroup(a[5]!)) delete l.group;
      else l.group = a[5]!;
      return;
    }
    fail(`link set: ${a.join(' ')}`);
  }
  if (obj === 'addr') {
    const addr = a[2]!;
    const l = dev(k, a[4]!);
    if (verb === 'add') {
      if (l.addrs.includes(addr)) fail('RTNETLINK answers: File exists');
      if (!v4(addr) && k.files[sysctlPath(l.name, 'disable_ipv6')] === '1') fail(`RTNETLINK answers: Permission denied (IPv6 is off on ${l.name})`);
      if (!v4(addr) && !l.up) {
        // An IPv6 address added to a down device is kept (and lost at the next down).
      }
      l.addrs.push(addr);
      return;
    }
    if (!l.addrs.includes(addr)) fail('RTNETLINK answers: Cannot assign requested address');
    l.addrs = l.addrs.filter((x) => x !== addr);
    dropRoutes(k, (r) => r.dev === l.name && r.gateway !== undefined && r.family === (v4(addr) ? 4 : 6) && (r.family === 6 ? !l.addrs.some((x) => !v4(x)) : !onLink(l, r.gateway)));
    return;
  }
  if (obj === 'route') {
    const r = parseRoute(a.slice(2), family);
    if (verb === 'del') {
      const i = k.routes.findIndex((x) => sameSlot(x, r) && (r.dev === undefined || x.dev === r.dev) && (r.gateway === undefined || x.gateway === r.gateway));
      if (i < 0) fail('RTNETLINK answers: No such process');
      k.routes.splice(i, 1);
      return;
    }
    const l = dev(k, r.dev);
    if (r.family === 4 && r.gateway && !onLink(l, r.gateway)) fail(`Error: Nexthop has invalid gateway (${r.gateway} dev ${r.dev})`);
    const i = k.routes.findIndex((x) => sameSlot(x, r));
    if (i >= 0 && verb === 'add') fail('RTNETLINK answers: File exists');
    if (i >= 0) k.routes[i] = r;
    else k.routes.push(r);
    return;
  }
  if (obj === 'rule') {
    const key = `${family === 6 ? '6' : '4'} ${a.slice(2).join(' ')}`;
    if (verb === 'add') {
      if (k.rules.includes(key)) fail('RTNETLINK answers: File exists');
      k.rules.push(key);
      return;
    }
    if (!k.rules.includes(key)) fail('RTNETLINK answers: No such file or directory');
    k.rules = k.rules.filter((x) => x !== key);
    return;
  }
  fail(`ip ${a.join(' ')}: not modelled`);
}

function write(k: KState, path: string, value: string): void {
  const m = /^\/proc\/sys\/net\/ipv6\/conf\/([^/]+)\/(\w+)$/.exec(path) ?? /^\/sys\/class\/net\/([^/]+)\/(bonding|bridge)\/(\w+)$/.exec(path);
  if (!m) fail(`write ${path}: not modelled`);
  const l = dev(k, m![1]!);
  if (m![2] === 'bonding') {
    // Kept as the bond's options (the one place a bond's options live in the model).
    if (l.kind !== 'bond') fail(`${path}: No such file or directory`);
    return setBondOption(k, l, m![3]!, value === '\n' ? '' : value);
  }
  if (m![2] === 'bridge' && l.kind !== 'bridge') fail(`${path}: No such file or directory`);
  if (m![2] === 'bridge') {
    // br_set_hello_time / br_set_max_age / br_set_forward_delay (centiseconds).
    const v = Number(value);
    const range = { hello_time: [100, 1000], max_age: [600, 4000], forward_delay: l.stp === '1' ? [200, 3000] : [0, Infinity] }[m![3]!];
    if (range && (v < range[0]! || v > range[1]!)) fail(`${path}: ERANGE: result too large`);
  }
  k.files[path] = value;
  if (m![2] === 'disable_ipv6' && value === '1') {
    l.addrs = l.addrs.filter(v4);
    dropRoutes(k, (r) => r.dev === l.name && r.family === 6);
  }
}

/** Runs one operation; throws KernelError as the kernel would fail it. `okIfExists` as the executor treats it. */
export function runOp(k: KState, op: KernelOp): void {
  switch (op.kind) {
    case 'ip':
      try {
        return runIp(k, op.args, op.family);
      } catch (e) {
        if (op.okIfExists && e instanceof KernelError && /File exists/.test(e.message)) return;
        throw e;
      }
    case 'write':
      return write(k, op.path, op.value);
    case 'file':
      k.resolv = op.content;
      return;
    case 'dhcp-start':
      dev(k, op.client.dev);
      k.dhcp[`${op.client.dev}/${op.client.family}`] = structuredClone(op.client);
      return;
    case 'dhcp-stop':
      delete k.dhcp[`${op.dev}/${op.family}`];
      return;
  }
}

/** What the executor journals for an undo of 'previous': the value there now. */
export function previousOp(k: KState, op: KernelOp): KernelOp[] {
  if (op.kind === 'write') {
    const bond = /^\/sys\/class\/net\/([^/]+)\/bonding\/(\w+)$/.exec(op.path);
    let value = k.files[op.path];
    if (value === undefined && bond) {
      const b = k.links[bond[1]!];
      value = b?.bondOpts?.[bond[2]!] ?? bondDefault(b?.bondOpts?.mode ?? '0', bond[2]!) ?? '';
      if (value === '') value = '\n';
    }
    return value === undefined ? [] : [{ kind: 'write', path: op.path, value }];
  }
  if (op.kind === 'file') return [{ kind: 'file', path: op.path, content: k.resolv }];
  return [];
}

// ---- views ----

function addressOf(a: string, dynamic: boolean): Address {
  const [local, len] = a.split('/') as [string, string];
  return { family: v4(a) ? 'inet' : 'inet6', local, prefixlen: Number(len), scope: 'global', dynamic, secondary: false };
}

/** What the compiler reads before a transaction (src/apply/compile/facts.ts). */
export function hostFacts(k: KState): CompileFacts {
  const links: Record<string, LinkFact> = {};
  const sysctls: CompileFacts['sysctls'] = { default: {} };
  for (const key of SYSCTL_KEYS) sysctls.default![key] = k.files[sysctlPath('default', key)]!;
  for (const l of Object.values(k.links)) {
    const f: LinkFact = { name: l.name, kind: l.kind === 'nic' ? 'veth' : l.kind, mtu: l.mtu, hwaddr: l.mac, up: l.up, addresses: l.addrs.map((a) => addressOf(a, false)) };
    if (l.master) f.master = l.master;
    if (l.master && k.links[l.master]?.kind === 'bond') f.permHwaddr = l.permMac;
    if (l.group) f.group = l.group;
    links[l.name] = f;
    sysctls[l.name] = Object.fromEntries(SYSCTL_KEYS.map((key) => [key, k.files[sysctlPath(l.name, key)]!]));
  }
  return { links, routes: k.routes.map(routeView), sysctls, resolv: k.resolv ?? undefined };
}

function routeView(r: MRoute): Route {
  return {
    family: r.family, dst: r.dst, dev: r.dev, table: r.table, type: 'unicast', metric: r.metric,
    ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.protocol ? { protocol: r.protocol } : {}),
  };
}

/**
 * What the observer reads (src/model/host-state.ts HostState). A DHCP client is taken to hold a
 * lease: a dynamic address (and the default route when it installs one).
 */
export function observed(k: KState): HostState {
  const links: Record<string, Link> = {};
  const routes = k.routes.map(routeView);
  let index = 1;
  for (const l of Object.values(k.links)) {
    const addresses = l.addrs.map((a) => addressOf(a, false));
    const c4 = k.dhcp[`${l.name}/4`];
    const c6 = k.dhcp[`${l.name}/6`];
    if (c4) {
      addresses.push(addressOf(`198.51.100.${index}/24`, true));
      if (c4.defaultRoute) routes.push({ family: 4, dst: 'default', gateway: '198.51.100.254', dev: l.name, table: 'main', type: 'unicast', protocol: 'dhcp', metric: 0 });
    }
    if (c6) addresses.push(addressOf(`2001:db8:ffff::${index}/128`, true));
    const sysctl = (key: string) => k.files[sysctlPath(l.name, key)]!;
    const master = l.master ? k.links[l.master] : undefined;
    const view: Link = {
      name: l.name, index: index++, kind: l.kind === 'nic' ? 'veth' : l.kind, linkType: 'ether', flags: l.up ? ['UP'] : [],
      operstate: l.up ? 'up' : 'down', mtu: l.mtu, hwaddr: l.mac, hasDevice: false,
      counters: { rxBytes: 0n, txBytes: 0n, rxDropped: 0n, txDropped: 0n, rxErrors: 0n, txErrors: 0n },
      addresses,
      ipv6: { autoconf: sysctl('autoconf') === '1', acceptRa: Number(sysctl('accept_ra')), disabled: sysctl('disable_ipv6') === '1' },
    };
    if (master) {
      view.master = master.name;
      view.slaveKind = master.kind;
    }
    if (l.group) view.group = l.group;
    if (l.vlan) {
      view.parent = l.vlan.link;
      view.vlanId = l.vlan.id;
    }
    if (l.kind === 'bridge') {
      view.bridge = { stp_state: l.stp ?? '0' };
      for (const [p, v] of Object.entries(k.files)) {
        const m = new RegExp(`^/sys/class/net/${l.name}/bridge/(\\w+)$`).exec(p);
        if (m) view.bridge[m[1]!] = v;
      }
    }
    if (l.kind === 'bond') view.bonding = { ...l.bondOpts };
    links[l.name] = view;
  }
  const ipv6conf: HostState['ipv6conf'] = {};
  for (const name of ['default', ...Object.keys(k.links)]) ipv6conf[name] = Object.fromEntries(SYSCTL_KEYS.map((key) => [key, k.files[sysctlPath(name, key)]!]));
  return { links, routes, nameservers: resolvNameservers(k.resolv ?? undefined), ...(k.resolv ? { resolv: k.resolv } : {}), ipv6conf, supportsIPv6: true, sampleTime: 0 };
}

/**
 * The model state in a comparable form: orders the kernel does not promise sorted, and without
 * whether a MAC was set by hand (an undo that sets the old MAC back leaves the same address).
 */
export function normalized(k: KState): unknown {
  const links = Object.fromEntries(Object.entries(k.links).map(([n, { macSet: _, ...l }]) => {
    const out = { ...l, addrs: [...l.addrs].sort() };
    // Whether a bridge follows its ports' MTU matters only while it has ports.
    if (!slaves(k, n).length) delete out.mtuSet;
    // An option at its mode's default reads the same whether or not it was ever written.
    if (l.bondOpts) out.bondOpts = Object.fromEntries(Object.entries(l.bondOpts).filter(([key, v]) => key === 'mode' || v !== (bondDefault(l.bondOpts!.mode ?? '0', key) ?? '')));
    return [n, out];
  }));
  const routes = k.routes.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).sort()))).sort();
  return { links, routes, rules: [...k.rules].sort(), files: k.files, dhcp: k.dhcp, resolv: k.resolv };
}
