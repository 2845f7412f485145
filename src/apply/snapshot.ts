// What the compiler needs to know about the host before a transaction: links (MTU, MAC, up,
// master), routes, the IPv6 sysctls of NICs that may carry a network, and resolv.conf. Read with
// three `ip -json` dumps in parallel (`addr -details` prints each link as `link` does, followed
// by its addresses) plus a few small files; the observer's pure parsers decode them.
// (The observer's full pass also dumps every bridge/bond sysfs file, which a plan does not need.)
import { readFile } from 'node:fs/promises';
import { parseAddrDump, parseLinkDump, parseRouteDump } from '../observe/parse.js';
import type { Address, Route } from '../observe/types.js';
import { run } from '../util/exec.js';
import type { Sysctls } from './layout.js';

export interface LinkFact {
  name: string;
  kind: string;
  mtu: number;
  hwaddr: string;
  up: boolean;
  master?: string;
  /** A bond slave's own address (the kernel gives it back when the slave is released). */
  permHwaddr?: string;
  addresses: Address[];
}

export interface HostFacts {
  links: Record<string, LinkFact>;
  routes: Route[];
  /** IPv6 sysctls by device (only the devices asked for), and `default` (what new devices get). */
  sysctls: Record<string, Sysctls>;
  /** resolv.conf content (undefined: no such file). */
  resolv: string | undefined;
}

export const SYSCTL_KEYS = ['accept_ra', 'autoconf', 'disable_ipv6'] as const;

export function sysctlPath(dev: string, key: string): string {
  return `/proc/sys/net/ipv6/conf/${dev}/${key}`;
}

export async function readSysctls(dev: string): Promise<Sysctls | undefined> {
  const out: Sysctls = {};
  for (const k of SYSCTL_KEYS) {
    try {
      out[k] = (await readFile(sysctlPath(dev, k), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }
  return out;
}

/** Pure: the dumps into HostFacts (without sysctls/resolv). */
export function factsFromDumps(links: string, routes4: string, routes6: string): Pick<HostFacts, 'links' | 'routes'> {
  const byName = parseAddrDump(links);
  const out: Record<string, LinkFact> = {};
  for (const l of parseLinkDump(links)) {
    const f: LinkFact = { name: l.name, kind: l.kind, mtu: l.mtu, hwaddr: l.hwaddr, up: l.flags.includes('UP'), addresses: byName[l.name] ?? [] };
    if (l.master) f.master = l.master;
    if (l.slaveData?.permHwaddr) f.permHwaddr = l.slaveData.permHwaddr;
    out[l.name] = f;
  }
  return { links: out, routes: [...parseRouteDump(routes4, 4), ...parseRouteDump(routes6, 6)] };
}

export async function readHostFacts(opts: { sysctlDevices?: Iterable<string>; resolvConf: string }): Promise<HostFacts> {
  const [links, r4, r6] = await Promise.all([
    run(['ip', '-json', '-details', 'addr', 'show']),
    run(['ip', '-4', '-json', 'route', 'show', 'table', 'all']),
    run(['ip', '-6', '-json', 'route', 'show', 'table', 'all']),
  ]);
  const base = factsFromDumps(links.stdout, r4.stdout, r6.stdout);
  const sysctls: Record<string, Sysctls> = {};
  // What a new device starts with (absent when the kernel has no IPv6).
  const defaults = await readSysctls('default');
  if (defaults) sysctls.default = defaults;
  for (const dev of new Set(opts.sysctlDevices ?? [])) {
    if (!base.links[dev]) continue;
    const s = await readSysctls(dev);
    if (s) sysctls[dev] = s;
  }
  let resolv: string | undefined;
  try {
    resolv = await readFile(opts.resolvConf, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return { ...base, sysctls, resolv };
}
