// The handler's DHCP clients as their files in the state directory show them: where each client's
// files are, what it was started with, whether its process still runs, and the address it leased.
// Read-only: observe reports the running clients (HostState.dhcpClients) from here, and apply's
// supervisor (apply/dhcp.ts), the only writer, starts and stops them in these same files.
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { run } from '../util/exec.js';
import { isLiveProcess, readPidFile } from '../util/proc.js';

export type Family = 4 | 6;

/** How a DHCP client is started for a network's top device. */
export interface DhcpClientSpec {
  network: string;
  dev: string;
  family: Family;
  /** Install the default route learned from the server (the network holds the host's default route). */
  defaultRoute: boolean;
}

export interface DhcpPaths {
  dir: string;
  leases: string;
  conf: string;
  pid: string;
  spec: string;
  log: string;
}

export function dhcpPaths(stateDir: string, dev: string, family: Family): DhcpPaths {
  const dir = join(stateDir, 'dhcp');
  const base = join(dir, `${dev}-${family}`);
  return {
    dir,
    leases: join(dir, 'leases'),
    conf: `${base}.conf`,
    pid: `${base}.pid`,
    spec: `${base}.json`,
    log: `${base}.log`,
  };
}

/** A live (not zombie) process that is our wrapper or dhcpcd. */
export function isDhcpClient(pid: number): Promise<boolean> {
  return isLiveProcess(pid, ['dhcpcd', 'sh', 'unshare']);
}

/** The pid the client's wrapper wrote (apply/dhcp.ts dhcpcdArgv), if any. */
export function dhcpClientPid(p: DhcpPaths): Promise<number | undefined> {
  return readPidFile(p.pid);
}

export interface DhcpClientStatus extends DhcpClientSpec {
  pid?: number;
  running: boolean;
}

/** The clients of one state directory, read from their files. */
export class DhcpClients {
  protected readonly stateDir: string;

  constructor(stateDir: string) {
    // dhcpcd changes directory: every path it is given must be absolute.
    this.stateDir = resolve(stateDir);
  }

  async status(dev: string, family: Family): Promise<DhcpClientStatus | undefined> {
    const p = dhcpPaths(this.stateDir, dev, family);
    let spec: DhcpClientSpec;
    try {
      spec = JSON.parse(await readFile(p.spec, 'utf8')) as DhcpClientSpec;
    } catch {
      return undefined;
    }
    const pid = await dhcpClientPid(p);
    return { ...spec, pid, running: pid !== undefined && (await isDhcpClient(pid)) };
  }

  /** Every client this state dir knows of. */
  async list(): Promise<DhcpClientStatus[]> {
    const dir = dhcpPaths(this.stateDir, 'x', 4).dir;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: DhcpClientStatus[] = [];
    for (const n of names) {
      const m = /^(.+)-([46])\.json$/.exec(n);
      if (!m) continue;
      const s = await this.status(m[1]!, Number(m[2]) as Family);
      if (s) out.push(s);
    }
    return out;
  }

  /** The clients that run, as `${dev}/${family}` (HostState.dhcpClients). */
  async running(): Promise<string[]> {
    return (await this.list())
      .filter((c) => c.running)
      .map((c) => `${c.dev}/${c.family}`)
      .sort();
  }
}

interface IpAddrJson {
  addr_info?: { family: string; local: string; prefixlen: number; scope: string; dynamic?: boolean }[];
}

/** The address a DHCP client leased on dev (IPv4: dynamic global; DHCPv6: dynamic global /128). */
export async function leasedAddress(dev: string, family: Family): Promise<string | undefined> {
  const r = await run(['ip', '-json', `-${family}`, 'addr', 'show', 'dev', dev], { allowFailure: true });
  if (r.code !== 0) return undefined;
  const links = JSON.parse(r.stdout || '[]') as IpAddrJson[];
  for (const a of links[0]?.addr_info ?? []) {
    if (a.scope !== 'global' || !a.dynamic) continue;
    if (family === 6 && a.prefixlen !== 128) continue;
    return `${a.local}/${a.prefixlen}`;
  }
  return undefined;
}
