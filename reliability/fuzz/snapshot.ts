// Reads a host snapshot (see host-view.ts) with `ip` and /proc.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import type { Obj } from './json.js';
import type { Dumps, IpLink } from './host-view.js';

/** Reads the snapshot inside the current network namespace. */
export async function readDumps(resolvConf: string): Promise<Dumps> {
  const ipJson = async (...args: string[]): Promise<Obj[]> => JSON.parse((await run(['ip', '-json', ...args])).stdout || '[]') as Obj[];
  const [links, addrs, r4, r6, rules4, rules6, resolv] = await Promise.all([
    ipJson('-details', 'link', 'show'), ipJson('addr', 'show'), ipJson('-4', 'route', 'show', 'table', 'all'),
    ipJson('-6', 'route', 'show', 'table', 'all'), ipJson('-4', 'rule', 'show'), ipJson('-6', 'rule', 'show'),
    readFile(resolvConf, 'utf8').catch(() => '<missing>'),
  ]);
  const sysctl: Record<string, Record<string, string>> = {};
  const confDir = '/proc/sys/net/ipv6/conf';
  await Promise.all((await readdir(confDir).catch(() => [] as string[])).map(async (dev) => {
    const vals: Record<string, string> = {};
    for (const k of ['accept_ra', 'autoconf', 'disable_ipv6']) vals[k] = (await readFile(join(confDir, dev, k), 'utf8').catch(() => '?')).trim();
    sysctl[dev] = vals;
  }));
  return {
    links: links as IpLink[], addrs: addrs as IpLink[], routes: [...r4, ...r6.map((r) => ({ ...r, family: 6 }))],
    rules: [...rules4, ...rules6.map((r) => ({ ...r, family: 6 }))], sysctl, resolv,
  };
}
