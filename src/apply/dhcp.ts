// A supervised dhcpcd per DHCP network and family. Each client runs in a private mount namespace
// (unshare) whose /run is an empty tmpfs and whose /var/lib/dhcpcd is the agent's own lease
// folder, so it never meets the node's own dhcpcd files, and with a configuration file we write
// (the distribution's /etc/dhcpcd.conf says `persistent`, which would leave addresses behind on
// exit). Hooks are disabled (`--script /bin/true`): the agent owns resolv.conf and the MTU.
// The client outlives the process that started it (the `apply` CLI exits; the agent may
// restart); its pid is written by the wrapper itself before dhcpcd starts, so even a crash right
// after the spawn leaves a pid to stop.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import {
  DhcpClients,
  dhcpClientPid,
  dhcpPaths,
  isDhcpClient,
  leasedAddress,
  type DhcpClientSpec,
  type DhcpPaths,
  type Family,
} from '../model/dhcp-clients.js';
import { run, sleep } from '../util/exec.js';
import { writeFileAtomic } from '../util/fs.js';
import { procStat } from '../util/proc.js';

/** dhcpcd's configuration for one client (pure). */
export function dhcpcdConfig(c: DhcpClientSpec): string {
  const lines = [
    '# written by ovirt-node-network-handler; one client per device and family',
    'duid ll',
    'option rapid_commit',
    'noipv4ll',
    // The agent decides which network holds the default route.
    ...(c.defaultRoute ? ['metric 0'] : ['nogateway']),
  ];
  if (c.family === 4) {
    // No ARP probe of the offered address: it costs seconds per lease (lab-facts.md).
    lines.push('ipv4only', 'noarp', 'require dhcp_server_identifier', 'nooption interface_mtu');
  } else {
    // Only DHCPv6: router solicitation and SLAAC are the kernel's (ipv6autoconf sysctls).
    lines.push('ipv6only', 'noipv6rs', `interface ${c.dev}`, '  ia_na 1');
  }
  return lines.join('\n') + '\n';
}

/**
 * The wrapper: pid file, private lease folder and config, private /run, then exec dhcpcd (same
 * pid). Everything from the state dir is bound before the tmpfs goes over /run, which would hide
 * a state dir under /run. The config is bound over the package's /etc/dhcpcd.conf (this mount
 * namespace only), not read through a descriptor: dhcpcd reads its config again for every
 * interface it configures.
 */
export function dhcpcdArgv(c: DhcpClientSpec, p: DhcpPaths): string[] {
  const script = [
    'echo $$ > "$1.tmp" && mv "$1.tmp" "$1"',
    'mount --bind "$2" /var/lib/dhcpcd',
    'mount --bind "$3" /etc/dhcpcd.conf',
    'mount -t tmpfs -o mode=0755 ovnh-dhcp /run',
    `exec dhcpcd -f /etc/dhcpcd.conf -${c.family} --nobackground --script /bin/true --timeout 0 "$4"`,
  ].join(' && ');
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    script,
    'ovnh-dhcp',
    p.pid,
    p.leases,
    p.conf,
    c.dev,
  ];
}

/** Starts and stops the clients whose files DhcpClients reads (model/dhcp-clients.ts). */
export class DhcpSupervisor extends DhcpClients {
  /** Starts the client unless the same one already runs (a changed spec restarts it). */
  async start(c: DhcpClientSpec): Promise<void> {
    const cur = await this.status(c.dev, c.family);
    if (cur?.running && cur.defaultRoute === c.defaultRoute && cur.network === c.network) return;
    if (cur) await this.stop(c.dev, c.family);
    const p = dhcpPaths(this.stateDir, c.dev, c.family);
    await mkdir(p.leases, { recursive: true, mode: 0o700 });
    await writeFile(p.conf, dhcpcdConfig(c));
    // The spec is written before the spawn so that a crash in between leaves a trace to clean.
    await writeFileAtomic(p.spec, JSON.stringify(c) + '\n');
    const logFd = openSync(p.log, 'a');
    try {
      const child = spawn(dhcpcdArgv(c, p)[0]!, dhcpcdArgv(c, p).slice(1), {
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
      const failed = new Promise<Error>((resolve) => child.once('error', resolve));
      child.unref();
      // The wrapper writes its pid first; wait for it (or an early exit) so status() is exact.
      const deadline = Date.now() + 5000;
      for (;;) {
        const err = await Promise.race([failed, sleep(20).then(() => undefined)]);
        if (err) throw new Error(`cannot start dhcpcd on ${c.dev}: ${err.message}`);
        const pid = await dhcpClientPid(p);
        if (pid !== undefined && pid === child.pid && (await isDhcpClient(pid))) return;
        if (child.exitCode !== null) {
          const tail = (await readFile(p.log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
          throw new Error(`dhcpcd on ${c.dev} exited ${child.exitCode}${tail ? `: ${tail}` : ''}`);
        }
        if (Date.now() > deadline) throw new Error(`dhcpcd on ${c.dev} did not start within 5 s`);
      }
    } finally {
      closeSync(logFd);
    }
  }

  /**
   * Stops the client; dhcpcd removes the address and routes it installed when it exits. Anything
   * it could not remove (it was killed) is flushed from the device. Idempotent.
   */
  async stop(dev: string, family: Family): Promise<void> {
    const p = dhcpPaths(this.stateDir, dev, family);
    const pid = await dhcpClientPid(p);
    if (pid !== undefined && (await isDhcpClient(pid))) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const deadline = Date.now() + 5000;
      while ((await isDhcpClient(pid)) && Date.now() < deadline) await sleep(25);
      if (await isDhcpClient(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        while (await isDhcpClient(pid)) await sleep(25);
      }
    }
    // Its helpers (privilege-separation proxies) share its process group and can outlive a main
    // process that was killed; they go too.
    if (pid !== undefined) await killGroup(pid);
    await flushDynamic(dev, family);
    await rm(p.pid, { force: true });
    await rm(p.spec, { force: true });
    await rm(p.conf, { force: true });
  }

  /** Waits until the device holds a leased address; returns it, or undefined at the timeout. */
  async waitLease(dev: string, family: Family, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = await leasedAddress(dev, family);
      if (a) return a;
      if (Date.now() >= deadline) return undefined;
      await sleep(100);
    }
  }
}

/** SIGKILLs the dhcpcd processes of process group pgid (the wrapper made it a session leader). */
async function killGroup(pgid: number): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await procStat(Number(e));
    if (stat?.comm !== 'dhcpcd' || stat.pgrp !== pgid) continue;
    try {
      process.kill(Number(e), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Removes what a killed client left: its dynamic addresses and its routes (proto dhcp / DHCPv6 /128s). */
async function flushDynamic(dev: string, family: Family): Promise<void> {
  const exists = await run(['ip', 'link', 'show', 'dev', dev], { allowFailure: true });
  if (exists.code !== 0) return;
  const cmds: string[][] = [];
  if (family === 4) {
    cmds.push(
      ['ip', '-4', 'addr', 'flush', 'dev', dev, 'scope', 'global', 'dynamic'],
      ['ip', '-4', 'route', 'flush', 'dev', dev, 'proto', 'dhcp'],
    );
  } else {
    const leased = await leasedAddress(dev, 6);
    if (leased) cmds.push(['ip', '-6', 'addr', 'del', leased, 'dev', dev]);
  }
  for (const c of cmds) await run(c, { allowFailure: true });
}
