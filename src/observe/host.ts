// The one host reader: the only code that asks the kernel for the network state (`ip -json`
// links/addresses/routes, sysfs, procfs, resolv.conf) — for status, validation and the compiler
// alike; each takes its projection of the HostState it returns. Whatever the number of
// interfaces, one `ip -batch` dumps the links with their addresses, the IPv4 routes and the IPv6
// routes, and the sysfs/procfs files needed are read meanwhile: in this process for its own host,
// by one shell script in a namespace or through an executor (sysfs.ts). (A process costs ~2.5 ms
// to start from node here; with four, the dumps also queued for the 2 cores.) Everything else is
// the pure code of parse.ts.
import { resolve } from 'node:path';
import type { RunningConfig } from '../api/config.js';
import { DhcpClients } from '../model/dhcp-clients.js';
import { devicesOf } from '../model/layout.js';
import { inNetns, run, type RunResult } from '../util/exec.js';
import type { Lldp } from '../api/status.js';
import { lldpcliNeighborsArgv, lldpdPaths, lldpdStatus } from '../model/lldpd.js';
import { lldpFor, parseLldpNeighbors } from './lldp.js';
import { DEFAULT_RESOLV_CONF } from '../api/constants.js';
import {
  buildHostState,
  parseLinkDump,
  parseRouteDump,
  parseSysDump,
  splitIpDumps,
  type Dumps,
  type RawLink,
  type SysDump,
} from './parse.js';
import { FULL_READ, readSysLocal, sysfsScript, TARGETED_READ, TRANSACTION_READ, type SysRead } from './sysfs.js';
import type { HostState, PolicyRule } from '../model/host-state.js';
import { parseRuleDump, ruleDumpArgv } from './rules.js';
import { featureReadArgv, parseFeatureJson, type EthtoolRead } from '../model/ethtool.js';
import { paramsReadArgv, parseCoalesce, parseRings } from '../model/ethtool-params.js';
import { isDeviceName } from '../api/names.js';
import { parseClasses, parseFilters, parseMissingModules, parseQdiscs, qosModuleProbeArgv, treeOf } from './tc.js';
import { ROOT_HANDLE } from '../model/host-qos.js';
import { traced, type Trace } from '../util/trace.js';

/** The observer's first pass: everything, by globs (no process per interface). */
export const SYSFS_SCRIPT = sysfsScript(FULL_READ);
/** Its later passes: the base plus exactly the files and folders listed on stdin. */
export const SYSFS_TARGETED_SCRIPT = sysfsScript(TARGETED_READ);
/** A transaction's read: every device's IPv6 sysctls, and of the other per-device files only those listed. */
export const SYSFS_TRANSACTION_SCRIPT = sysfsScript(TRANSACTION_READ);

export interface ExecOptions {
  input?: string;
}

/**
 * Runs argv somewhere (a lab VM in tests; this host when none is given) and returns its result.
 * Given one, the sysfs/procfs part runs through it as the script too.
 */
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
  /**
   * Runs the `ip` dump's input (ipDumpInput) in an `ip -batch` already open with IP_DUMP_FLAGS
   * (a transaction's ip session, apply/ipbatch.ts) and returns its output; default: a process
   * of its own.
   */
  ipDump?: (input: string) => Promise<string>;
  /**
   * With ipDump: the IPv6 policy rules (`rule show` in the session's -6 process, as
   * `ip -json -6 rule show` prints them); default: `ip -json -6 rule show`, a process of its own.
   */
  ipRules6?: () => Promise<string>;
  /** Told how long each part of a pass took (OBSERVE_PARTS; the benchmark's breakdown). */
  trace?: Trace;
}

/** The parts of a pass a Trace is told of. */
export const OBSERVE_PARTS = Object.freeze({
  ip: 'ip -batch dump (start to output)',
  sys: 'sysfs/procfs read (in this process, while ip runs)',
  parse: 'parsing + HostState',
});

/** The file names of a saved set of dumps (test/fixtures/observe/capture.ts, `plan --host-dumps`). */
export const DUMP_FILES: Record<keyof Dumps, string> = {
  links: 'links.json',
  routes4: 'routes4.json',
  routes6: 'routes6.json',
  sys: 'sys.txt',
};

/**
 * The input of the one `ip -json -details -statistics -batch`: the links with their addresses
 * (`ip addr` with -details -statistics prints each link exactly as `ip link` does, followed by
 * its addresses), then the IPv4 and the IPv6 routes. A batch line takes no -4/-6: with `table
 * all` ip asks the kernel for every family and keeps the routes inside the prefix given, whose
 * family selects (`root` every route, `exact` the default ones).
 */
export function ipDumpInput(routes: RouteScope = 'default'): string {
  const sel = routes === 'all' ? 'root' : 'exact';
  return ['addr show', `route show table all ${sel} 0.0.0.0/0`, `route show table all ${sel} ::/0`].join('\n') + '\n';
}

/** The options of the `ip -batch` dump (a transaction's ip session runs with them too: apply/ipbatch.ts). */
export const IP_DUMP_FLAGS: readonly string[] = Object.freeze(['-json', '-details', '-statistics']);

/**
 * The argv of the two dumps, for a namespace (exported for the fixture capture and tests): the
 * `ip -batch` (its input: ipDumpInput) and the sysfs script.
 */
export function dumpCommands(
  netns?: string,
  script: string = SYSFS_SCRIPT,
  o: Pick<ObserveOptions, 'resolvConf'> = {},
): { ip: string[]; sys: string[] } {
  const sh = ['sh', '-c', script, 'sh', o.resolvConf ?? DEFAULT_RESOLV_CONF];
  return {
    ip: [...(netns ? ['ip', '-n', netns] : ['ip']), ...IP_DUMP_FLAGS, '-batch', '-'],
    sys: netns ? ['ip', 'netns', 'exec', netns, ...sh] : sh,
  };
}

// Device names are bytes: read so that every name comes out whole, however odd (util/exec.ts).
const localExec: Executor = (argv, opts) =>
  run(argv, { decode: 'bytes', ...(opts?.input !== undefined ? { input: opts.input } : {}) });

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
  private readonly maxAgeMs: number;
  private readonly dumpOpts: { routes: RouteScope; resolvConf: string };

  constructor(private readonly opts: HostObserverOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.dumpOpts = dumpOptions(opts);
  }

  /**
   * One pass. `running`: the handler's config, whose devices are always read afresh (and its
   * NICs' ethtool features); `moreNics`: other NICs whose ethtool features to read (a spec's);
   * `qos`: read the QoS trees even if `running` has no hostQos (a spec has).
   */
  async observe(running?: RunningConfig, moreNics: readonly string[] = [], qos = false): Promise<HostState> {
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
    const d = await readDumps(this.opts, this.dumpOpts, cold ? FULL_READ : TARGETED_READ, cold ? [] : paths);
    const t0 = performance.now();
    const raw = parseLinkDump(d.links);
    const sys = parseSysDump(d.sys, this.dumpOpts.resolvConf);
    const parsed = performance.now() - t0;
    const read = cold ? new Set(raw.map((l) => l.name)) : want;

    // Devices the dump shows that this pass did not cover: new ones, changed ones, new bridges.
    const missing = raw
      .filter((l) => !read.has(l.name) && this.facts.get(l.name)?.stateKey !== stateKey(l))
      .map((l) => l.name);
    const newBridges = raw
      .filter((l) => l.kind === 'bridge' && !(l.name in sys.bridge) && (cold || !this.bridges.has(l.name)))
      .map((l) => l.name);
    if (missing.length || newBridges.length) {
      const more = [...missing.flatMap(factPaths), ...newBridges.map((b) => `/sys/class/net/${b}/bridge`)];
      // (Only sysfs: the links and routes are those read above.)
      merge(sys, parseSysDump(await readSys(this.opts, this.dumpOpts, TARGETED_READ, more), this.dumpOpts.resolvConf));
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
    const t1 = performance.now();
    const host = hostStateOf(raw, sys, d);
    this.opts.trace?.(OBSERVE_PARTS.parse, parsed + performance.now() - t1);
    await addEthtool(host, this.opts, [...Object.keys(running?.nics ?? {}), ...moreNics]);
    await addQos(host, this.opts, qos || hasQos(running));
    return host;
  }
}

/**
 * Absolute: the script reads it after `cd /sys/class/net`. No ':': parseSysDump splits `grep -H` lines at the first
 * one.
 */
function dumpOptions(opts: ObserveOptions): { routes: RouteScope; resolvConf: string } {
  const resolvConf = resolve(opts.resolvConf ?? DEFAULT_RESOLV_CONF);
  if (resolvConf.includes(':')) throw new Error(`resolv.conf path ${resolvConf}: a ':' in it is not supported`);
  return { routes: opts.routes ?? 'default', resolvConf };
}

interface DumpTexts extends Dumps {
  /** When the counters were read (s): somewhere between the spawn and the batch's end. */
  sampleTime: number;
  dhcpClients?: string[];
}

/**
 * The sysfs/procfs text of a read: in this process for its own host, else the script (the sysctls go to its stderr).
 */
async function readSys(
  opts: ObserveOptions,
  dumpOpts: { resolvConf: string },
  read: SysRead,
  paths: readonly string[],
): Promise<string> {
  if (opts.exec === undefined && opts.netns === undefined) return readSysLocal(read, paths, dumpOpts.resolvConf);
  const argv = dumpCommands(opts.netns, sysfsScript(read), dumpOpts).sys;
  const r = await (opts.exec ?? localExec)(argv, { input: paths.length ? paths.join('\n') + '\n' : '' });
  return `${r.stdout}\n${r.stderr}`;
}

/**
 * The two dumps at once (`sysPaths`: the listed paths of the read), with the handler's DHCP
 * clients read beside them. This process's own host (no namespace, no executor) has its sysfs
 * and procfs read here, while ip runs.
 */
async function readDumps(
  opts: ObserveOptions,
  dumpOpts: { routes: RouteScope; resolvConf: string },
  read: SysRead,
  sysPaths: readonly string[] = [],
): Promise<DumpTexts> {
  const started = Date.now();
  const t0 = performance.now();
  let ipDone = started;
  // Started first: a read in this process runs while ip does.
  const input = ipDumpInput(dumpOpts.routes);
  const dumped = opts.ipDump
    ? opts.ipDump(input)
    : (opts.exec ?? localExec)(dumpCommands(opts.netns).ip, { input }).then((r) => r.stdout);
  const ipDump = dumped.then((out) => {
    ipDone = Date.now();
    opts.trace?.(OBSERVE_PARTS.ip, performance.now() - t0);
    return out;
  });
  const [ip, sys, dhcpClients] = await Promise.all([
    ipDump,
    traced(opts.trace, OBSERVE_PARTS.sys, () => readSys(opts, dumpOpts, read, sysPaths)),
    opts.stateDir !== undefined ? new DhcpClients(opts.stateDir).running() : undefined,
  ]);
  return { ...splitIpDumps(ip), sys, sampleTime: (started + ipDone) / 2000, ...(dhcpClients ? { dhcpClients } : {}) };
}

function hostStateOf(raw: RawLink[], sys: SysDump, d: DumpTexts): HostState {
  const host = buildHostState(
    raw,
    [...parseRouteDump(d.routes4, 4), ...parseRouteDump(d.routes6, 6)],
    sys,
    d.sampleTime,
  );
  if (d.dhcpClients) host.dhcpClients = d.dhcpClients;
  return host;
}

/** Adds b's per-device findings to a (a later, targeted read). */
function merge(a: SysDump, b: SysDump): void {
  Object.assign(a.speed, b.speed);
  Object.assign(a.bridge, b.bridge);
  Object.assign(a.ipv6conf, b.ipv6conf);
}

/**
 * Reads the host's (or namespace's) network state in one pass, everything read afresh (the
 * CLI's validation and read-back, drift confirmation). The agent's status loop keeps a
 * HostObserver instead; a transaction reads with observeForTransaction.
 */
export async function observeHost(
  opts: ObserveOptions = {},
  nics: readonly string[] = [],
  qos = false,
): Promise<HostState> {
  return new HostObserver(opts).observe(undefined, nics, qos);
}

/**
 * A transaction's read (validation, the compiler, kernelConfig of one config): links, routes,
 * bonds, resolv.conf, the handler's DHCP clients and every device's IPv6 sysctls read afresh,
 * and of the other per-device files only `files` (kernel-config.ts kernelConfigFiles): no speeds, no bridge
 * options but those. On a host of 800 bridges that is 800 files instead of ~36,000.
 */
export async function observeForTransaction(
  opts: ObserveOptions,
  files: readonly string[],
  ethtoolDevices: readonly string[] = [],
  qos = false,
): Promise<HostState> {
  const dumpOpts = dumpOptions(opts);
  const session = opts.ipDump;
  const host = session
    ? await observeThroughSession(opts, session, files)
    : await (async () => {
        const [d, rules] = await Promise.all([readDumps(opts, dumpOpts, TRANSACTION_READ, files), readRules(opts)]);
        const h = hostStateOf(parseLinkDump(d.links), parseSysDump(d.sys, dumpOpts.resolvConf), d);
        h.rules = rules;
        return h;
      })();
  await addEthtool(host, opts, ethtoolDevices);
  await addQos(host, opts, qos);
  return host;
}

/**
 * The ethtool features, ring sizes and coalescing of `devices` that the host has
 * (HostState.ethtool): `ethtool --json -k`, `ethtool -g` and `ethtool -c` each, all at once —
 * only NICs a config or spec gives settings, never every device. A device without the ioctl,
 * or a host without ethtool, reads as an error for validation to name (per part: a veth has
 * features but no rings).
 */
export async function readEthtool(
  opts: ObserveOptions,
  devices: readonly string[],
): Promise<Record<string, EthtoolRead>> {
  const out: Record<string, EthtoolRead> = {};
  await Promise.all(
    [...new Set(devices)].sort().map(async (dev) => {
      const [k, g, c] = await Promise.all([
        readPart(opts, featureReadArgv(dev), (t) => parseFeatureJson(dev, t)),
        readPart(opts, paramsReadArgv('rings', dev), (t) => parseRings(dev, t)),
        readPart(opts, paramsReadArgv('coalesce', dev), (t) => parseCoalesce(dev, t)),
      ]);
      out[dev] = 'error' in k ? k : { ...k, rings: g, coalesce: c };
    }),
  );
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** One ethtool read, parsed; a failure (its last lines) or an output the parser refuses as an error. */
async function readPart<T extends object>(
  opts: ObserveOptions,
  argv: string[],
  parse: (stdout: string) => T,
): Promise<T | { error: string }> {
  const exec = opts.exec ?? localExec;
  try {
    const r = await exec(opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv);
    return r.code === 0
      ? parse(r.stdout)
      : { error: (r.stderr || r.stdout).trim().split('\n').slice(-2).join('; ') || `ethtool exited ${r.code}` };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * HostState.qos and qosMissing when `wanted` (a config or spec has hostQos): one `tc qdisc show`
 * for every device; the classes and filters only of devices with the layout's HFSC root.
 * Devices with the kernel's default qdisc are left out (they read as the default).
 */
export async function addQos(host: HostState, opts: ObserveOptions, wanted: boolean): Promise<void> {
  if (!wanted) return;
  const exec = opts.exec ?? localExec;
  const inNs = (argv: string[]) => (opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv);
  const [q, probe] = await Promise.all([exec(inNs(['tc', 'qdisc', 'show'])), exec(qosModuleProbeArgv())]);
  host.qosMissing = parseMissingModules(probe.stdout);
  host.qos = {};
  if (q.code !== 0) return;
  const qdiscs = parseQdiscs(q.stdout);
  const devices = [...new Set(qdiscs.filter((d) => d.root && d.handle !== '0:').map((d) => d.dev))]
    .filter((d) => isDeviceName(d) && Object.hasOwn(host.links, d))
    .sort();
  const trees = await Promise.all(
    devices.map(async (dev) => {
      const t = treeOf(dev, qdiscs);
      if (t.kind !== 'hfsc') return t;
      const [c, f] = await Promise.all([
        exec(inNs(['tc', 'class', 'show', 'dev', dev])),
        exec(inNs(['tc', 'filter', 'show', 'dev', dev, 'parent', ROOT_HANDLE])),
      ]);
      return treeOf(dev, qdiscs, parseClasses(c.stdout), parseFilters(f.stdout));
    }),
  );
  devices.forEach((d, i) => (host.qos![d] = trees[i]!));
}

/** Whether a config has hostQos anywhere (its QoS trees are then read with the host). */
export function hasQos(config: RunningConfig | undefined): boolean {
  return Object.values(config?.networks ?? {}).some((n) => n.hostQos !== undefined);
}

/** HostState.ethtool for the devices of `devices` the host has (by the name rule: an argv word each). */
async function addEthtool(host: HostState, opts: ObserveOptions, devices: readonly string[]): Promise<void> {
  const present = devices.filter((d) => isDeviceName(d) && Object.hasOwn(host.links, d));
  if (present.length) host.ethtool = await readEthtool(opts, present);
}

/**
 * observeForTransaction through an open `ip -batch` (ObserveOptions.ipDump): the IPv4 rules come
 * through it too, as the batch's last line; the IPv6 ones need `ip -6` (a batch line takes no
 * -6, and `ip rule` dumps the process's family only, IPv4 by default): the session's -6 process
 * (ObserveOptions.ipRules6) or a process of their own, read meanwhile.
 */
async function observeThroughSession(
  opts: ObserveOptions,
  session: (input: string) => Promise<string>,
  files: readonly string[],
): Promise<HostState> {
  let rules4 = '';
  const viaSession = async (input: string) => {
    const lines = (await session(input + RULES4_LINE + '\n')).trimEnd().split('\n');
    rules4 = lines.pop() ?? '';
    return lines.join('\n') + '\n';
  };
  const exec = opts.exec ?? localExec;
  // Asked first: the -6 process answers while the main one dumps and this one reads sysfs.
  const rules6 = opts.ipRules6 ? opts.ipRules6() : exec(ruleDumpArgv(6, opts.netns)).then((r) => r.stdout);
  const [d, r6] = await Promise.all([
    readDumps({ ...opts, ipDump: viaSession }, dumpOptions(opts), TRANSACTION_READ, files),
    rules6,
  ]);
  const host = hostStateOf(parseLinkDump(d.links), parseSysDump(d.sys, dumpOptions(opts).resolvConf), d);
  host.rules = [...parseRuleDump(rules4, 4), ...parseRuleDump(r6, 6)];
  return host;
}

/** The batch line of the IPv4 rules (a batch line takes no -4/-6; `ip rule` defaults to IPv4). */
const RULES4_LINE = 'rule show';

/** The policy rules of both families (rules.ts); a kernel without IPv6 has none of its. */
export async function readRules(opts: ObserveOptions = {}): Promise<PolicyRule[]> {
  const exec = opts.exec ?? localExec;
  const [r4, r6] = await Promise.all([exec(ruleDumpArgv(4, opts.netns)), exec(ruleDumpArgv(6, opts.netns))]);
  return [...parseRuleDump(r4.stdout, 4), ...parseRuleDump(r6.stdout, 6)];
}

/**
 * What the handler's lldpd heard, as status.lldp for `nics` (observe/lldp.ts parses it): the one
 * place the agent asks lldpd, through lldpcli and the daemon's private socket. No daemon running
 * (none started, or it died): every NIC is reported with enabled false.
 */
export async function readLldp(
  stateDir: string,
  nics: readonly string[],
  opts: { netns?: string } = {},
): Promise<Lldp> {
  const status = await lldpdStatus(stateDir);
  const enabled = new Set(status?.running ? status.spec.nics : []);
  if (enabled.size === 0) return lldpFor(nics, enabled, new Map());
  const r = await run(inNetns(opts.netns, lldpcliNeighborsArgv(lldpdPaths(stateDir))), { allowFailure: true });
  if (r.code !== 0) throw new Error(`lldpcli failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
  return parseLldpNeighbors(r.stdout, nics, enabled);
}
