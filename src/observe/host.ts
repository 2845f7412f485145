// The one host reader: the only code that asks the kernel for the network state (`ip -json`
// links/addresses/routes, sysfs, procfs, resolv.conf) — for status, validation and the compiler
// alike; each takes its projection of the HostState it returns. Four processes started at once,
// one per kind of dump, whatever the number of interfaces (links with their addresses, IPv4
// routes, IPv6 routes, and one shell script that dumps the sysfs/procfs files needed).
// Everything else is the pure code of parse.ts.
import { resolve } from 'node:path';
import type { RunningConfig } from '../api/config.js';
import { devicesOf } from '../apply/layout.js';
import { run, type RunResult } from '../util/exec.js';
import { DEFAULT_RESOLV_CONF } from '../api/constants.js';
import { DhcpSupervisor } from '../apply/dhcp.js';
import { buildHostState, parseLinkDump, parseRouteDump, parseSysDump, type Dumps, type RawLink, type SysDump } from './parse.js';
import type { HostState } from './types.js';

/**
 * The part of every sysfs dump: which devices have no hardware (/sys/devices/virtual/net lists
 * every device without a /sys/class/net/X/device link: one readdir instead of a stat per
 * device), whether IPv6 is on, resolv.conf, and the bonds (named in bonding_masters, so no glob
 * over every device) with their options and /proc/net/bonding (permanent addresses, aggregator
 * ids). `grep -H` prefixes each line with its file; -s hides unreadable files. The resolv.conf
 * to read is the script's $1 (kept before `set --` reuses the positional parameters).
 *
 * Run through `ip netns exec`, the script sees the namespace's own sysfs (ip remounts /sys),
 * /proc/sys/net and /proc/net, and its /etc/netns/<ns>/resolv.conf if there is one.
 */
const SYSFS_BASE = [
  'resolv=$1',
  'cd /sys/class/net || exit 0',
  'if [ -d /sys/devices/virtual/net ]; then echo @virtual-listed; for d in /sys/devices/virtual/net/*; do echo "@virtual ${d##*/}"; done; fi',
  'if [ -e /proc/net/if_inet6 ]; then v=0; read v < /proc/sys/net/ipv6/conf/all/disable_ipv6; [ "$v" = 1 ] || echo @ipv6; fi 2>/dev/null',
  'bonds=; [ -r bonding_masters ] && read -r bonds < bonding_masters',
  'set --; for b in $bonds; do set -- "$@" "$b"/bonding/* /proc/net/bonding/"$b"; done',
];

/**
 * Everything, by globs (no process per interface): the base, every device's speed, every
 * bridge's options, and the three IPv6 sysctls per device that decide autoconf. The sysctls are
 * the largest share of the reads; a second grep dumps them at the same time, to stderr so the
 * two outputs never interleave.
 */
export const SYSFS_SCRIPT = [
  "grep -s -a -H '^' /proc/sys/net/ipv6/conf/*/disable_ipv6 /proc/sys/net/ipv6/conf/*/autoconf /proc/sys/net/ipv6/conf/*/accept_ra >&2 &",
  ...SYSFS_BASE,
  "grep -s -a -H '^' */speed */bridge/* \"$@\" \"$resolv\"",
  'wait',
  'exit 0',
].join('\n');

/**
 * The base, plus exactly the files and folders listed on stdin (one path a line; folders read
 * whole). Used once the observer knows the devices, to read only what it needs.
 */
export const SYSFS_TARGETED_SCRIPT = [
  ...SYSFS_BASE,
  "grep -s -a -H '^' \"$@\" \"$resolv\"",
  "xargs -r -d '\\n' grep -s -a -H -r '^' --",
  'exit 0',
].join('\n');

export interface ExecOptions {
  input?: string;
}

/** Runs argv somewhere (this host by default; a lab VM in tests) and returns its result. */
export type Executor = (argv: readonly string[], opts?: ExecOptions) => Promise<RunResult>;

/** Which routes a read dumps: status needs the default routes only; the compiler all of them. */
export type RouteScope = 'default' | 'all';

export interface ObserveOptions {
  /** A named network namespace (`ip netns`); default: the caller's own. */
  netns?: string;
  /** Where to run the commands; default: local processes. */
  exec?: Executor;
  /**
   * 'default' (the default): only default routes, of any table — all that status uses, instead
   * of every local and link route of every device. 'all': every route of every table, for the
   * compiler (a NIC's own routes are recorded when the handler takes it).
   */
  routes?: RouteScope;
  /** The resolv.conf to read (default /etc/resolv.conf; in a namespace, as `ip netns exec` shows it). */
  resolvConf?: string;
  /** The handler's state directory: its running DHCP clients become HostState.dhcpClients. */
  stateDir?: string;
}

/** The file names of a saved set of dumps (test/fixtures/observe/capture.ts, `plan --host-dumps`). */
export const DUMP_FILES: Record<keyof Dumps, string> = { links: 'links.json', routes4: 'routes4.json', routes6: 'routes6.json', sys: 'sys.txt' };

/**
 * The argv of each dump, for a namespace (exported for the benchmark and tests). `ip addr` with
 * -details -statistics prints each link exactly as `ip link` does, followed by its addresses:
 * one dump for both.
 */
export function dumpCommands(netns?: string, script: string = SYSFS_SCRIPT, o: Pick<ObserveOptions, 'routes' | 'resolvConf'> = {}): Record<keyof Dumps, string[]> {
  const ip = (...args: string[]) => (netns ? ['ip', '-n', netns, ...args] : ['ip', ...args]);
  const sh = ['sh', '-c', script, 'sh', o.resolvConf ?? DEFAULT_RESOLV_CONF];
  const routes = (family: '-4' | '-6') => ip(family, '-json', 'route', 'show', 'table', 'all', ...(o.routes === 'all' ? [] : ['default']));
  return {
    links: ip('-json', '-details', '-statistics', 'addr', 'show'),
    routes4: routes('-4'),
    routes6: routes('-6'),
    sys: netns ? ['ip', 'netns', 'exec', netns, ...sh] : sh,
  };
}

const localExec: Executor = (argv, opts) => run(argv, opts?.input !== undefined ? { input: opts.input } : {});

/** Per-device facts read from sysfs/procfs that the link dump does not carry. */
interface DeviceFacts {
  /** The link as it was when the facts were read: a change of any of these re-reads them. */
  stateKey: string;
  speed?: number;
  ipv6conf?: Record<string, string>;
  /** Epoch ms after which the facts are read again even if the link did not change. */
  expiresAt: number;
}

const stateKey = (l: RawLink): string => `${l.index}|${l.operstate}|${l.flags.join(',')}|${l.mtu}|${l.master ?? ''}`;

/** The IPv6 sysctl files of a /proc/sys/net/ipv6/conf directory (a device, or `default`). */
function ipv6confPaths(dir: string): string[] {
  const conf = `/proc/sys/net/ipv6/conf/${dir}`;
  return [`${conf}/disable_ipv6`, `${conf}/autoconf`, `${conf}/accept_ra`];
}

/** The files holding a device's facts (speed, the IPv6 sysctls). */
function factPaths(dev: string): string[] {
  return [`/sys/class/net/${dev}/speed`, ...ipv6confPaths(dev)];
}

export interface HostObserverOptions extends ObserveOptions {
  /**
   * How long per-device facts (speed, IPv6 sysctls) of devices the handler does not own may be
   * reused when their link did not change (default 60 s). Owned devices are read every pass.
   */
  maxAgeMs?: number;
}

/**
 * Observes the host repeatedly, as the agent does. The first pass reads everything. Later
 * passes re-read every link, address, route, bond and bridge, but the per-device sysfs/procfs
 * facts (speed and the IPv6 sysctls, four files per device, most of the cost on a host with
 * thousands of interfaces) only for:
 *   - the devices of the handler's running config (so kernelConfig is always exact),
 *   - devices that are new or whose link changed (ifindex, operstate, flags, MTU, master),
 *   - devices whose facts are older than maxAgeMs (spread out so they do not expire together).
 * A speed changes with the link (renegotiation brings it down and up); the IPv6 sysctls of an
 * unowned device can thus lag by at most maxAgeMs.
 */
export class HostObserver {
  private facts = new Map<string, DeviceFacts>();
  private bridges = new Set<string>();
  private readonly exec: Executor;
  private readonly maxAgeMs: number;
  private readonly dumpOpts: { routes: RouteScope; resolvConf: string };

  constructor(private readonly opts: HostObserverOptions = {}) {
    this.exec = opts.exec ?? localExec;
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    // Absolute: the script reads it after `cd /sys/class/net`. No ':': parseSysDump splits
    // `grep -H` lines at the first one.
    const resolvConf = resolve(opts.resolvConf ?? DEFAULT_RESOLV_CONF);
    if (resolvConf.includes(':')) throw new Error(`resolv.conf path ${resolvConf}: a ':' in it is not supported`);
    this.dumpOpts = { routes: opts.routes ?? 'default', resolvConf };
  }

  /** One pass. `running`: the handler's config, whose devices are always read afresh. */
  async observe(running?: RunningConfig): Promise<HostState> {
    const cold = this.facts.size === 0;
    const now = Date.now();
    const owned = running ? devicesOf(running) : new Set<string>();
    // What to read now, known before the dump: owned and expired devices, known bridges.
    const want = new Set<string>();
    if (!cold) {
      for (const dev of owned) want.add(dev);
      for (const [dev, f] of this.facts) if (f.expiresAt <= now) want.add(dev);
    }
    // conf/default every pass: three small files, and HostState.ipv6conf.default stays exact.
    const paths = [...[...want].flatMap(factPaths), ...ipv6confPaths('default')];
    if (!cold) for (const br of this.bridges) paths.push(`/sys/class/net/${br}/bridge`);
    const cmds = dumpCommands(this.opts.netns, cold ? SYSFS_SCRIPT : SYSFS_TARGETED_SCRIPT, this.dumpOpts);

    const started = Date.now();
    let linksDone = started;
    const [linksText, routes4, routes6, sysText] = await Promise.all([
      this.exec(cmds.links).then((r) => { linksDone = Date.now(); return r.stdout; }),
      this.exec(cmds.routes4).then((r) => r.stdout),
      this.exec(cmds.routes6).then((r) => r.stdout),
      // The full script sends the IPv6 sysctls to stderr (see SYSFS_SCRIPT).
      this.exec(cmds.sys, cold ? {} : { input: paths.join('\n') + '\n' }).then((r) => `${r.stdout}\n${r.stderr}`),
    ]);
    // The counters were read somewhere between the spawn and the link dump's end.
    const sampleTime = (started + linksDone) / 2000;
    const raw = parseLinkDump(linksText);
    const sys = parseSysDump(sysText, this.dumpOpts.resolvConf);
    const read = cold ? new Set(raw.map((l) => l.name)) : want;

    // Devices the dump shows that this pass did not cover: new ones, changed ones, new bridges.
    const missing = raw.filter((l) => !read.has(l.name) && this.facts.get(l.name)?.stateKey !== stateKey(l)).map((l) => l.name);
    const newBridges = raw.filter((l) => l.kind === 'bridge' && !(l.name in sys.bridge) && (cold || !this.bridges.has(l.name))).map((l) => l.name);
    if (missing.length || newBridges.length) {
      const more = [...missing.flatMap(factPaths), ...newBridges.map((b) => `/sys/class/net/${b}/bridge`)];
      const extra = dumpCommands(this.opts.netns, SYSFS_TARGETED_SCRIPT, this.dumpOpts).sys;
      merge(sys, parseSysDump((await this.exec(extra, { input: more.join('\n') + '\n' })).stdout, this.dumpOpts.resolvConf));
      for (const m of missing) read.add(m);
    }

    // Remember what was read; fill in what was not from what was remembered.
    const next = new Map<string, DeviceFacts>();
    for (const l of raw) {
      if (read.has(l.name)) {
        const f: DeviceFacts = { stateKey: stateKey(l), expiresAt: now + this.maxAgeMs * (0.5 + Math.random() / 2) };
        if (l.name in sys.speed) f.speed = sys.speed[l.name]!;
        if (l.name in sys.ipv6conf) f.ipv6conf = sys.ipv6conf[l.name]!;
        next.set(l.name, f);
      } else {
        const f = this.facts.get(l.name)!;
        if (f.speed !== undefined) sys.speed[l.name] = f.speed;
        if (f.ipv6conf) sys.ipv6conf[l.name] = f.ipv6conf;
        next.set(l.name, f);
      }
    }
    this.facts = next;
    this.bridges = new Set(raw.filter((l) => l.kind === 'bridge').map((l) => l.name));
    const routes = [...parseRouteDump(routes4, 4), ...parseRouteDump(routes6, 6)];
    const host = buildHostState(raw, routes, sys, sampleTime);
    if (this.opts.stateDir !== undefined) host.dhcpClients = await new DhcpSupervisor(this.opts.stateDir).running();
    return host;
  }
}

/** Adds b's per-device findings to a (a later, targeted read). */
function merge(a: SysDump, b: SysDump): void {
  Object.assign(a.speed, b.speed);
  Object.assign(a.bridge, b.bridge);
  Object.assign(a.ipv6conf, b.ipv6conf);
}

/**
 * Reads the host's (or namespace's) network state in one pass, everything read afresh: what a
 * validation or a transaction must see. (The agent's status loop keeps a HostObserver instead.)
 */
export async function observeHost(opts: ObserveOptions = {}): Promise<HostState> {
  return new HostObserver(opts).observe();
}
