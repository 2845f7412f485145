// Pure parsers: `ip -json` dumps and the sysfs/procfs dump (see host.ts) into a HostState.
// No I/O here, so the unit tests feed them outputs captured from real kernels.
import { DEFAULT_RESOLV_CONF, SYS_CLASS_NET } from '../api/constants.js';
import { resolvNameservers } from '../util/resolv.js';
import type { Address, HostState, Link, Route } from '../model/host-state.js';

type Json = unknown;
type Obj = Record<string, Json>;

// JSON.parse with access to the number's source text (ES2025; V8 in Node >= 21). Not in the
// TypeScript lib yet, hence the local signature.
type SourceReviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;
const parseWithSource = JSON.parse as (text: string, reviver: SourceReviver) => unknown;

/**
 * Control characters JSON does not allow raw (U+0000..U+001F, less the whitespace between
 * tokens: tab, newline, carriage return).
 */
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/**
 * `ip -json` text made valid JSON: iproute2's JSON writer (lib/json_writer.c jsonw_puts)
 * escapes only '"', '\\', and \t \n \r \f \b in strings and prints every other byte raw, and the
 * kernel takes ESC, BEL and the rest in device names (dev_valid_name refuses only NUL, '/', ':'
 * and whitespace). So any device's name, even a foreign one made by hand, could make the whole
 * dump unparseable and blind the observer. Such a character can only be inside a string (ip
 * writes none elsewhere), where it is replaced by its \u escape: the name reads back exactly.
 */
export function escapeRawControls(text: string): string {
  RAW_CONTROL.lastIndex = 0;
  if (!RAW_CONTROL.test(text)) return text;
  return text.replace(RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A run of 16 digits: /\d{16}/, spelt out — V8's regexp interpreter (lite mode) runs the
 * counted quantifier over a megabyte dump ten times slower than the sixteen classes.
 */
const SIXTEEN_DIGITS = /\d\d\d\d\d\d\d\d\d\d\d\d\d\d\d\d/;

/**
 * JSON.parse that keeps integers above 2^53 exact (as bigint). 64-bit counters reach that on
 * busy links; plain JSON.parse would round them. The reviver costs time on large dumps, so it is
 * used only when the text has a 16+ digit run (cheap test, false positives are harmless). Raw
 * control characters in strings are escaped first (escapeRawControls).
 */
export function parseJsonExact(raw: string): Json {
  // The common case first, as cheap as V8 makes it without its regexp compiler (the agent runs
  // in lite mode, where a scan for RAW_CONTROL costs as much as the parse): a text JSON.parse
  // accepts has no raw control character (none is valid in a string, nor between tokens but
  // the whitespace RAW_CONTROL leaves), so escapeRawControls would have returned it unchanged.
  if (!SIXTEEN_DIGITS.test(raw)) {
    try {
      return JSON.parse(raw) as Json;
    } catch {
      // (Raw control characters, or not JSON: the full path below says which.)
    }
  }
  const text = escapeRawControls(raw);
  if (!SIXTEEN_DIGITS.test(text)) return JSON.parse(text) as Json;
  return parseWithSource(text, (_k, v, ctx) => {
    if (typeof v === 'number' && !Number.isSafeInteger(v) && ctx.source && /^-?\d+$/.test(ctx.source))
      return BigInt(ctx.source);
    return v;
  });
}

function isObj(v: Json): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arr(v: Json): Json[] {
  return Array.isArray(v) ? v : [];
}

function str(v: Json): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: Json): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function big(v: Json): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  return 0n;
}

function parseArray(text: string, what: string): Obj[] {
  const t = text.trim();
  if (t === '') return [];
  const v = parseJsonExact(t);
  if (!Array.isArray(v)) throw new Error(`${what}: expected a JSON array`);
  return v.filter(isObj);
}

/**
 * One entry of `ip -json -details -statistics link show`, reduced to what the observer needs: the
 * Link fields the dump itself gives (typed once, in model/host-state.ts) and two that only feed the merge.
 * `addresses` come from `addr_info` when the dump is `ip addr` (empty for an `ip link` dump).
 */
export type RawLink = Pick<
  Link,
  | 'name'
  | 'index'
  | 'kind'
  | 'slaveKind'
  | 'linkType'
  | 'flags'
  | 'operstate'
  | 'mtu'
  | 'hwaddr'
  | 'master'
  | 'group'
  | 'parent'
  | 'vlanId'
  | 'counters'
  | 'addresses'
> & {
  parentBus?: string;
  /** Bond slave data from rtnetlink: a fallback when /proc/net/bonding is not readable. */
  slaveData?: { permHwaddr?: string; aggregatorId?: string };
};

/**
 * Parses `ip -json -details -statistics addr show` (links with their addresses) or
 * `ip -json -details -statistics link show` (links only).
 */
export function parseLinkDump(text: string): RawLink[] {
  return parseArray(text, 'ip link').flatMap((o): RawLink[] => {
    const name = str(o.ifname);
    const index = num(o.ifindex);
    if (!name || index === undefined) return [];
    const info = isObj(o.linkinfo) ? o.linkinfo : {};
    const data = isObj(info.info_data) ? info.info_data : {};
    const slave = isObj(info.info_slave_data) ? info.info_slave_data : undefined;
    const stats = isObj(o.stats64) ? o.stats64 : isObj(o.stats) ? o.stats : {};
    const rx = isObj(stats.rx) ? stats.rx : {};
    const tx = isObj(stats.tx) ? stats.tx : {};
    const kind = str(info.info_kind) ?? '';
    const slaveKind = str(info.info_slave_kind);
    const link: RawLink = {
      name,
      index,
      kind,
      linkType: str(o.link_type) ?? '',
      flags: arr(o.flags).filter((f): f is string => typeof f === 'string'),
      operstate: (str(o.operstate) ?? 'unknown').toLowerCase(),
      mtu: num(o.mtu) ?? 0,
      hwaddr: str(o.address) ?? '',
      counters: {
        rxBytes: big(rx.bytes),
        txBytes: big(tx.bytes),
        rxDropped: big(rx.dropped),
        txDropped: big(tx.dropped),
        rxErrors: big(rx.errors),
        txErrors: big(tx.errors),
      },
      addresses: parseAddrInfo(o.addr_info),
    };
    if (slaveKind) link.slaveKind = slaveKind;
    const master = str(o.master);
    if (master) link.master = master;
    const group = str(o.group);
    if (group && group !== 'default' && group !== '0') link.group = group;
    // `link` is the lower device's name when it lives in this namespace; a veth peer elsewhere
    // only has link_index + link_netnsid, which names nothing here.
    const parent = str(o.link);
    if (parent) link.parent = parent;
    if (kind === 'vlan') {
      const id = num(data.id);
      if (id !== undefined) link.vlanId = id;
    }
    const bus = str(o.parentbus);
    if (bus) link.parentBus = bus;
    if (slave && slaveKind === 'bond') {
      const sd: { permHwaddr?: string; aggregatorId?: string } = {};
      const perm = str(slave.perm_hwaddr);
      if (perm) sd.permHwaddr = perm;
      const agg = num(slave.ad_aggregator_id);
      if (agg !== undefined) sd.aggregatorId = String(agg);
      link.slaveData = sd;
    }
    return [link];
  });
}

function parseAddrInfo(info: Json): Address[] {
  const list: Address[] = [];
  for (const a of arr(info)) {
    if (!isObj(a)) continue;
    const family = str(a.family);
    const local = str(a.local);
    const prefixlen = num(a.prefixlen);
    if ((family !== 'inet' && family !== 'inet6') || !local || prefixlen === undefined) continue;
    list.push({
      family,
      local,
      prefixlen,
      scope: str(a.scope) ?? 'global',
      // `ip` marks addresses with a finite valid lifetime "dynamic" (a DHCP lease, SLAAC).
      dynamic: a.dynamic === true,
      secondary: a.secondary === true,
    });
  }
  return list;
}

/** Addresses by interface name, from `ip -json addr show`. */
export function parseAddrDump(text: string): Record<string, Address[]> {
  const out: Record<string, Address[]> = {};
  for (const o of parseArray(text, 'ip addr')) {
    const name = str(o.ifname);
    if (name) out[name] = parseAddrInfo(o.addr_info);
  }
  return out;
}

export function parseRouteDump(text: string, family: 4 | 6): Route[] {
  const out: Route[] = [];
  for (const o of parseArray(text, `ip -${family} route`)) {
    const base: Route = {
      family,
      dst: str(o.dst) ?? 'default',
      table: str(o.table) ?? 'main',
      type: str(o.type) ?? 'unicast',
    };
    // `ip -details` names the default protocol, which plain `ip` leaves out: read as absent
    // either way (a route added without `proto` is boot's).
    const protocol = str(o.protocol);
    if (protocol && protocol !== 'boot') base.protocol = protocol;
    const metric = num(o.metric);
    if (metric !== undefined) base.metric = metric;
    // A multipath route lists its next hops; one Route per hop keeps consumers simple.
    const hops = Array.isArray(o.nexthops) ? o.nexthops.filter(isObj) : [o];
    for (const h of hops) {
      const r: Route = { ...base };
      const gw = str(h.gateway);
      if (gw) r.gateway = gw;
      const dev = str(h.dev);
      if (dev) r.dev = dev;
      out.push(r);
    }
  }
  return out;
}

/**
 * The dumps of one `ip -json -batch` (host.ts ipDumpInput): links, IPv4 routes, IPv6 routes.
 * ip prints each command's JSON array on one line (without -pretty it writes no newline inside
 * one, and JSON escapes those in strings).
 */
export function splitIpDumps(text: string): Pick<Dumps, 'links' | 'routes4' | 'routes6'> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 3 || !lines.every((l) => l.trimStart().startsWith('['))) {
    throw new Error(
      `ip -batch: expected 3 JSON arrays, one a line (links, IPv4 routes, IPv6 routes), got ${lines.length} line(s)`,
    );
  }
  return { links: lines[0]!, routes4: lines[1]!, routes6: lines[2]! };
}

/** What the sysfs/procfs script (host.ts SYSFS_SCRIPT) printed, by device. */
export interface SysDump {
  /** Devices without hardware (/sys/devices/virtual/net); undefined when it could not be listed. */
  virtual: Set<string> | undefined;
  speed: Record<string, number>;
  bonding: Record<string, Record<string, string>>;
  bridge: Record<string, Record<string, string>>;
  /** Per bond: per slave the permanent address and aggregator id (/proc/net/bonding). */
  procBonding: Record<string, Record<string, { permHwaddr?: string; aggregatorId?: string }>>;
  ipv6conf: Record<string, Record<string, string>>;
  nameservers: string[];
  /** Every line of the resolv.conf read, in order (nameservers are among them). */
  resolv: string[];
  supportsIPv6: boolean;
}

function emptySysDump(): SysDump {
  return {
    virtual: undefined,
    speed: {},
    bonding: {},
    bridge: {},
    procBonding: {},
    ipv6conf: {},
    nameservers: [],
    resolv: [],
    supportsIPv6: false,
  };
}

function setIn(map: Record<string, Record<string, string>>, dev: string, key: string, value: string): void {
  const m = (map[dev] ??= {});
  // Multi-line sysfs files are rare (none among bonding/bridge options); keep lines joined.
  m[key] = key in m ? `${m[key]}\n${value}` : value;
}

/** Paths of the glob dump start with it; targeted reads give absolute paths. */
const SYS_CLASS_NET_DIR = `${SYS_CLASS_NET}/`;

/**
 * Parses the script's output: `@virtual-listed`, `@virtual NAME` and `@ipv6` markers, then `grep -H` lines
 * `PATH:CONTENT`. Interface names cannot contain ':' (dev_valid_name), so the first ':' ends the path
 * (the reader refuses a resolv.conf path with one). `resolvConf`: the path the script was given.
 */
export function parseSysDump(text: string, resolvConf: string = DEFAULT_RESOLV_CONF): SysDump {
  const d = emptySysDump();
  // /proc/net/bonding is read line by line; remember the current slave section per bond.
  const currentSlave: Record<string, string | undefined> = {};
  for (const line of text.split('\n')) {
    if (line === '@virtual-listed') {
      d.virtual ??= new Set();
      continue;
    }
    if (line.startsWith('@virtual ')) {
      (d.virtual ??= new Set()).add(line.slice(9));
      continue;
    }
    if (line === '@ipv6') {
      d.supportsIPv6 = true;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    // Paths are relative to /sys/class/net (glob dump) or absolute (targeted reads).
    const path = line.startsWith(SYS_CLASS_NET_DIR)
      ? line.slice(SYS_CLASS_NET_DIR.length, colon)
      : line.slice(0, colon);
    const value = line.slice(colon + 1);
    const parts = path.split('/');
    if (path === resolvConf) {
      d.resolv.push(value);
      d.nameservers.push(...resolvNameservers(value));
    } else if (path.startsWith('/proc/net/bonding/')) {
      const bond = parts[4]!;
      const bonds = (d.procBonding[bond] ??= {});
      const kv = /^([^:]+):\s*(.*)$/.exec(value);
      if (!kv) continue;
      const [, key, val] = kv as unknown as [string, string, string];
      if (key === 'Slave Interface') {
        currentSlave[bond] = val;
        bonds[val] = {};
      } else {
        const slave = currentSlave[bond];
        if (!slave) continue; // bond-level lines (before the first slave section)
        if (key === 'Permanent HW addr') bonds[slave]!.permHwaddr = val;
        else if (key === 'Aggregator ID') bonds[slave]!.aggregatorId = val;
      }
    } else if (path.startsWith('/proc/sys/net/ipv6/conf/')) {
      setIn(d.ipv6conf, parts[6]!, parts[7]!, value);
    } else if (parts.length === 2 && parts[1] === 'speed') {
      const n = Number(value);
      if (Number.isInteger(n) && n > 0) d.speed[parts[0]!] = n;
    } else if (parts.length === 3 && parts[1] === 'bonding') {
      setIn(d.bonding, parts[0]!, parts[2]!, value);
    } else if (parts.length === 3 && parts[1] === 'bridge') {
      setIn(d.bridge, parts[0]!, parts[2]!, value);
    }
  }
  return d;
}

export interface Dumps {
  /** `ip -json -details -statistics addr show`. */
  links: string;
  routes4: string;
  routes6: string;
  sys: string;
}

/** Merges the parsed dumps into one HostState (`resolvConf`: the path the sysfs script read). */
export function assembleHostState(dumps: Dumps, sampleTime: number, resolvConf?: string): HostState {
  const routes = [...parseRouteDump(dumps.routes4, 4), ...parseRouteDump(dumps.routes6, 6)];
  return buildHostState(parseLinkDump(dumps.links), routes, parseSysDump(dumps.sys, resolvConf), sampleTime);
}

/** A HostState from parsed parts (the observer merges cached sysfs facts into `sys` first). */
export function buildHostState(raw: RawLink[], routes: Route[], sys: SysDump, sampleTime: number): HostState {
  const links: Record<string, Link> = {};
  // The devices' and `default`'s only (a cold read also finds `all`, a warm one does not).
  const ipv6conf: Record<string, Record<string, string>> = {};
  if (sys.ipv6conf.default) ipv6conf.default = sys.ipv6conf.default;
  for (const r of [...raw].sort((a, b) => a.index - b.index)) {
    const l: Link = {
      name: r.name,
      index: r.index,
      kind: r.kind,
      linkType: r.linkType,
      flags: r.flags,
      operstate: r.operstate,
      mtu: r.mtu,
      hwaddr: r.hwaddr,
      // Without a virtual listing (never seen, but cheap to allow), `ip`'s parent bus decides.
      hasDevice: sys.virtual ? !sys.virtual.has(r.name) : r.parentBus !== undefined,
      counters: r.counters,
      addresses: r.addresses,
    };
    if (r.slaveKind) l.slaveKind = r.slaveKind;
    if (r.master) l.master = r.master;
    if (r.group) l.group = r.group;
    if (r.parent) l.parent = r.parent;
    if (r.vlanId !== undefined) l.vlanId = r.vlanId;
    const speed = sys.speed[r.name];
    if (speed !== undefined) l.speed = speed;
    const bonding = sys.bonding[r.name];
    if (bonding || r.kind === 'bond') l.bonding = bonding ?? {};
    const bridge = sys.bridge[r.name];
    if (bridge || r.kind === 'bridge') l.bridge = bridge ?? {};
    if (r.slaveKind === 'bond' && r.master) {
      const proc = sys.procBonding[r.master]?.[r.name];
      l.bondSlave = { ...r.slaveData, ...proc };
    }
    const v6 = sys.ipv6conf[r.name];
    if (v6) {
      ipv6conf[r.name] = v6;
      l.ipv6 = {
        autoconf: v6.autoconf === '1',
        acceptRa: Number(v6.accept_ra ?? 0),
        disabled: v6.disable_ipv6 === '1',
      };
    }
    links[r.name] = l;
  }
  const host: HostState = {
    links,
    routes,
    nameservers: sys.nameservers,
    ipv6conf,
    supportsIPv6: sys.supportsIPv6,
    sampleTime,
  };
  if (sys.resolv.length) host.resolv = sys.resolv.join('\n') + '\n';
  return host;
}
