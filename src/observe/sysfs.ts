// The sysfs/procfs part of a host read, two ways side by side: as a shell script (one `sh`
// and its greps, for a namespace entered with `ip netns exec` or an executor elsewhere, such as
// the lab VM), and read in this process (the agent's and the CLI's own host), which starts no
// process: sh and its greps cost 5–8 ms a read here, the long pole of a read at 10 interfaces.
// Both print the same `grep -H` text (PATH:LINE, one line per line of each file, and the
// @-markers), which parse.ts parseSysDump reads; each part of readSysLocal mirrors the script
// line above it. Change both or neither.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { decodeBytes } from '../util/exec.js';

/** What a read covers. */
export interface SysRead {
  /** Every device's three IPv6 sysctls that decide autoconf, by glob. */
  sysctls: boolean;
  /** Every device's speed and every bridge's options, by glob. */
  globs: boolean;
  /** The paths listed on stdin (one a line): files, or folders read whole. */
  listed: boolean;
}

/** Everything, by globs (no process per interface): the observer's first pass. */
export const FULL_READ: SysRead = { sysctls: true, globs: true, listed: false };
/** Exactly the listed files: the observer's later passes, once it knows the devices. */
export const TARGETED_READ: SysRead = { sysctls: false, globs: false, listed: true };
/** A transaction's: every device's IPv6 sysctls, and of the other per-device files only those listed. */
export const TRANSACTION_READ: SysRead = { sysctls: true, globs: false, listed: true };

/**
 * The part of every read: which devices have no hardware (/sys/devices/virtual/net lists every
 * device without a /sys/class/net/X/device link: one readdir instead of a stat per device),
 * whether IPv6 is on, resolv.conf, and the bonds (named in bonding_masters, so no glob over every
 * device) with their options and /proc/net/bonding (permanent addresses, aggregator ids).
 * `grep -H` prefixes each line with its file; -s hides unreadable files. The resolv.conf to read
 * is the script's $1 (kept before `set --` reuses the positional parameters).
 *
 * Run through `ip netns exec`, the script sees the namespace's own sysfs (ip remounts /sys),
 * /proc/sys/net and /proc/net, and its /etc/netns/<ns>/resolv.conf if there is one.
 */
const BASE = [
  'resolv=$1',
  'cd /sys/class/net || exit 0',
  'if [ -d /sys/devices/virtual/net ]; then echo @virtual-listed; for d in /sys/devices/virtual/net/*; do echo ' +
    '"@virtual ${d##*/}"; done; fi',
  'if [ -e /proc/net/if_inet6 ]; then v=0; read v < /proc/sys/net/ipv6/conf/all/disable_ipv6; [ "$v" = 1 ] || ' +
    'echo @ipv6; fi 2>/dev/null',
  'bonds=; [ -r bonding_masters ] && read -r bonds < bonding_masters',
  'set --; for b in $bonds; do set -- "$@" "$b"/bonding/* /proc/net/bonding/"$b"; done',
];

const SYSCTL_FILES = ['disable_ipv6', 'autoconf', 'accept_ra'];

/** The sysctls, run beside the rest, to stderr (so the two outputs never interleave). */
const SYSCTLS = `grep -s -a -H '^' ${SYSCTL_FILES.map((f) => `/proc/sys/net/ipv6/conf/*/${f}`).join(' ')} >&2 &`;

/** Speeds and bridge options by glob, with the bond files and resolv.conf. */
const GLOBS = ['grep -s -a -H \'^\' */speed */bridge/* "$@" "$resolv"'];

/**
 * The bond files, resolv.conf and the listed paths: one grep. Interface names hold no
 * whitespace, so the list is split by the shell, with globbing off (a name may hold '*').
 */
const LISTED = ['set -f', 'grep -s -a -H -r \'^\' -- "$@" "$resolv" $(cat)'];

/** The script of a read (argv: `sh -c SCRIPT sh RESOLV_CONF`, the listed paths on stdin). */
export function sysfsScript(r: SysRead): string {
  return [
    ...(r.sysctls ? [SYSCTLS] : []),
    ...BASE,
    ...(r.globs ? GLOBS : []),
    ...(r.listed ? LISTED : []),
    ...(r.sysctls ? ['wait'] : []),
    'exit 0',
  ].join('\n');
}

// ---- the same, in this process ----

/**
 * Directory entries as a shell's `*` sees them: sorted, no dot entries; none when unreadable.
 * Names are decoded as `ip` output is (util/exec.ts decodeBytes), so a device name that is not
 * UTF-8 matches the link dump's.
 */
function glob(dir: string): string[] {
  try {
    return readdirSync(dir, { encoding: 'buffer' })
      .map(decodeBytes)
      .filter((e) => !e.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

/**
 * `grep -s -a -H '^' path` (recursive: `-r`, which follows a symlink named on the command line
 * and none met inside a folder) into out.
 */
function grepFile(path: string, out: string[], recursive: boolean, top = true): void {
  if (recursive) {
    let st;
    try {
      st = top ? statSync(path) : lstatSync(path);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      for (const e of readdirSync(path)) grepFile(`${path}/${e}`, out, true, false);
      return;
    }
  }
  let content: string;
  try {
    // (No stat first: a folder fails with EISDIR, which grep skips as well.)
    content = readFileSync(path, 'utf8');
  } catch {
    return; // unreadable (a link's speed while it is down), missing, a folder: -s
  }
  if (content === '') return;
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const l of lines) out.push(`${path}:${l}`);
}

/** The first line of a file, as `read` gives it; undefined when unreadable. */
function firstLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}

/**
 * What sysfsScript(r) prints (stdout, then stderr), read in this process. `resolvConf`:
 * absolute. `root` prefixes every path read (tests: a copy of a kernel's files); the output
 * names them without it, as the script would.
 */
export function readSysLocal(r: SysRead, listed: readonly string[], resolvConf: string, root = ''): string {
  const out: string[] = [];
  const at = (p: string) => `${root}${p}`;
  const grep = (paths: string[], recursive: boolean) => {
    const lines: string[] = [];
    for (const p of paths) grepFile(at(p), lines, recursive);
    for (const l of lines) out.push(root ? l.slice(root.length) : l);
  };
  const net = '/sys/class/net';
  if (existsSync(at(net))) {
    if (existsSync(at('/sys/devices/virtual/net'))) {
      out.push('@virtual-listed');
      const names = glob(at('/sys/devices/virtual/net'));
      for (const d of names.length ? names : ['*']) out.push(`@virtual ${d}`);
    }
    if (existsSync(at('/proc/net/if_inet6')) && firstLine(at('/proc/sys/net/ipv6/conf/all/disable_ipv6')) !== '1')
      out.push('@ipv6');
    const bonds = (firstLine(at(`${net}/bonding_masters`)) ?? '').split(/\s+/).filter(Boolean);
    const bondFiles = bonds.flatMap((b) => [
      ...glob(at(`${net}/${b}/bonding`)).map((f) => `${net}/${b}/bonding/${f}`),
      `/proc/net/bonding/${b}`,
    ]);
    if (r.globs) {
      const devs = glob(at(net));
      grep(
        [
          ...devs.map((d) => `${net}/${d}/speed`),
          ...devs.flatMap((d) => glob(at(`${net}/${d}/bridge`)).map((f) => `${net}/${d}/bridge/${f}`)),
          ...bondFiles,
          resolvConf,
        ],
        false,
      );
    }
    if (r.listed) grep([...bondFiles, resolvConf, ...listed], true);
  }
  if (r.sysctls) {
    const conf = '/proc/sys/net/ipv6/conf';
    grep(
      SYSCTL_FILES.flatMap((f) => glob(at(conf)).map((d) => `${conf}/${d}/${f}`)),
      false,
    );
  }
  return out.join('\n');
}
