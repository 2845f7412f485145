// The observer's only I/O: five processes started at once, one per kind of dump, whatever the
// number of interfaces (links, addresses, IPv4 routes, IPv6 routes, and one shell script that
// dumps every sysfs/procfs file needed). Everything else is the pure code of parse.ts.
import { run, type RunResult } from '../util/exec.js';
import { assembleHostState, type Dumps } from './parse.js';
import type { HostState } from './types.js';

/**
 * Dumps, in one process, the files the `ip` dumps do not carry: which devices have a
 * /sys/class/net/X/device link (real or virtio hardware), speeds, bonding and bridge options,
 * /proc/net/bonding (permanent addresses, aggregator ids), the IPv6 sysctls that decide
 * autoconf, resolv.conf and whether IPv6 is on. Globs expand in the shell (no per-interface
 * process); `grep -H` prefixes each line with its file; -s hides unreadable files (write-only
 * `bridge/flush`, `speed` of a link that is down, options of another bonding mode).
 *
 * Run through `ip netns exec`, the script sees the namespace's own sysfs (ip remounts /sys),
 * /proc/sys/net and /proc/net, and its /etc/netns/<ns>/resolv.conf if there is one.
 */
export const SYSFS_SCRIPT = [
  'cd /sys/class/net || exit 0',
  'for d in */device; do [ -e "$d" ] && echo "@device ${d%/device}"; done',
  'if [ -e /proc/net/if_inet6 ]; then v=0; read v < /proc/sys/net/ipv6/conf/all/disable_ipv6; [ "$v" = 1 ] || echo @ipv6; fi 2>/dev/null',
  "grep -s -a -H '^' */speed */bonding/* */bridge/* /proc/net/bonding/* " +
    '/proc/sys/net/ipv6/conf/*/autoconf /proc/sys/net/ipv6/conf/*/accept_ra /proc/sys/net/ipv6/conf/*/disable_ipv6 /etc/resolv.conf',
  'exit 0',
].join('\n');

/** Runs argv somewhere (this host by default; a lab VM in tests) and returns its result. */
export type Executor = (argv: readonly string[]) => Promise<RunResult>;

export interface ObserveOptions {
  /** A named network namespace (`ip netns`); default: the caller's own. */
  netns?: string;
  /** Where to run the commands; default: local processes. */
  exec?: Executor;
}

/** The argv of each dump, for a namespace (exported for the benchmark and tests). */
export function dumpCommands(netns?: string): Record<keyof Dumps, string[]> {
  const ip = (...args: string[]) => (netns ? ['ip', '-n', netns, ...args] : ['ip', ...args]);
  const sh = ['sh', '-c', SYSFS_SCRIPT];
  return {
    links: ip('-json', '-details', '-statistics', 'link', 'show'),
    addrs: ip('-json', 'addr', 'show'),
    routes4: ip('-4', '-json', 'route', 'show', 'table', 'all'),
    routes6: ip('-6', '-json', 'route', 'show', 'table', 'all'),
    sys: netns ? ['ip', 'netns', 'exec', netns, ...sh] : sh,
  };
}

const localExec: Executor = (argv) => run(argv);

/** Reads the host's (or namespace's) network state in one pass. */
export async function observeHost(opts: ObserveOptions = {}): Promise<HostState> {
  const exec = opts.exec ?? localExec;
  const cmds = dumpCommands(opts.netns);
  const started = Date.now();
  let linksDone = started;
  const [links, addrs, routes4, routes6, sys] = await Promise.all([
    exec(cmds.links).then((r) => { linksDone = Date.now(); return r.stdout; }),
    exec(cmds.addrs).then((r) => r.stdout),
    exec(cmds.routes4).then((r) => r.stdout),
    exec(cmds.routes6).then((r) => r.stdout),
    exec(cmds.sys).then((r) => r.stdout),
  ]);
  // The counters were read somewhere between the spawn and the link dump's end.
  const sampleTime = (started + linksDone) / 2000;
  return assembleHostState({ links, addrs, routes4, routes6, sys }, sampleTime);
}
