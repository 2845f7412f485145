// A lab node's host state as the clients compare it: its links, addresses and routes for
// "nothing changed" assertions, and its agent's persisted running config.
import type { RunningConfig } from '../../src/api/config.js';
import { loadRunningConfig } from '../../src/persist/running-config.js';
import { agentStateDir, labExec, type Lab } from '../src/index.js';

interface IpLink {
  ifname: string;
  master?: string;
  mtu: number;
  operstate: string;
  address: string;
}
interface IpAddr {
  ifname: string;
  addr_info: { local: string; prefixlen: number; scope: string }[];
}

/** The node's links, addresses and routes (counters, timers and link-local addresses left out). */
export async function hostSnapshot(node: string): Promise<string> {
  const links = JSON.parse((await labExec(node, ['ip', '-json', '-details', 'link', 'show'])).stdout) as IpLink[];
  const addrs = JSON.parse((await labExec(node, ['ip', '-json', 'addr', 'show'])).stdout) as IpAddr[];
  const routes = (await labExec(node, ['ip', 'route', 'show'])).stdout;
  const global = (a: IpAddr) =>
    a.addr_info
      .filter((x) => x.scope !== 'link')
      .map((x) => `${x.local}/${x.prefixlen}`)
      .sort();
  return JSON.stringify({
    links: links.map((l) => [l.ifname, l.master, l.mtu, l.operstate, l.address]).sort(),
    addrs: addrs.map((a) => [a.ifname, global(a)]).sort(),
    routes,
  });
}

/** The persisted running config of a namespace node's agent. */
export async function persistedConfig(lab: Lab, node: string): Promise<RunningConfig> {
  return loadRunningConfig(agentStateDir(lab, node));
}

/** What differs between two host snapshots, briefly (for a loss's note). */
export function snapshotDiff(a: string, b: string): string {
  const pa = JSON.parse(a) as { links: unknown[]; addrs: unknown[]; routes: string };
  const pb = JSON.parse(b) as typeof pa;
  const lines = (x: typeof pa) => [
    ...x.links.map((l) => `link ${JSON.stringify(l)}`),
    ...x.addrs.map((l) => `addr ${JSON.stringify(l)}`),
    ...x.routes
      .split('\n')
      .filter(Boolean)
      .map((r) => `route ${r}`),
  ];
  const la = new Set(lines(pa));
  const lb = new Set(lines(pb));
  const gone = [...la].filter((l) => !lb.has(l)).map((l) => `-${l}`);
  const added = [...lb].filter((l) => !la.has(l)).map((l) => `+${l}`);
  return [...gone, ...added].slice(0, 6).join('; ');
}
