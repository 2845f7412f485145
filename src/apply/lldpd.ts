// The supervised LLDP daemon: one Debian lldpd per node, receive-only unless asked to transmit,
// listening on the node's NICs, with its control socket, pid and log in the agent's private
// state directory (model/lldpd.ts). Supervised as the DHCP clients are (apply/dhcp.ts): a small
// wrapper writes its own pid before it execs lldpd (same pid), so a crash right after the spawn
// still leaves a pid to stop, and the daemon outlives an agent restart, which finds it by its
// files and keeps it when its spec is unchanged.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import {
  isLldpd,
  lldpdArgs,
  lldpdPaths,
  lldpdPid,
  lldpdStatus,
  type LldpdPaths,
  type LldpdSpec,
} from '../model/lldpd.js';
import { sleep } from '../util/exec.js';
import { writeFileAtomic } from '../util/fs.js';

/** The wrapper: its pid to the pid file (atomically), then exec lldpd with the arguments as given. */
export function lldpdArgv(s: LldpdSpec, p: LldpdPaths): string[] {
  const script = 'echo $$ > "$1.tmp" && mv "$1.tmp" "$1" && shift && exec "$@"';
  return ['sh', '-c', script, 'ovnh-lldp', p.pid, ...lldpdArgs(s, p)];
}

export interface LldpSupervisorOptions {
  stateDir: string;
  /** Prefixes every command (the tests run the daemon inside a lab node: `ip netns exec NODE`). */
  wrap?: (argv: string[]) => string[];
}

const sameSpec = (a: LldpdSpec, b: LldpdSpec) => a.transmit === b.transmit && a.nics.join(',') === b.nics.join(',');

export class LldpSupervisor {
  readonly paths: LldpdPaths;

  constructor(private readonly o: LldpSupervisorOptions) {
    this.paths = lldpdPaths(o.stateDir);
  }

  /**
   * Makes the daemon run with this spec: nothing when it already does, a restart when the NICs
   * or the transmit choice changed, a stop when there is no NIC. Returns whether it (re)started.
   */
  async ensure(s: LldpdSpec): Promise<boolean> {
    const cur = await lldpdStatus(this.o.stateDir);
    if (s.nics.length === 0) {
      if (cur) await this.stop();
      return false;
    }
    if (cur?.running && sameSpec(cur.spec, s)) return false;
    if (cur || (await lldpdPid(this.paths)) !== undefined) await this.stop();
    await this.start(s);
    return true;
  }

  private async start(s: LldpdSpec): Promise<void> {
    const p = this.paths;
    await mkdir(p.dir, { recursive: true, mode: 0o700 });
    await mkdir(p.runDir, { recursive: true, mode: 0o755 });
    // A socket left by a daemon that was killed: lldpd refuses to start over its lock otherwise.
    await rm(p.socket, { force: true });
    await rm(`${p.socket}.lock`, { force: true });
    // The spec first: a crash after the spawn leaves a trace to stop.
    await writeFileAtomic(p.spec, JSON.stringify(s) + '\n');
    const argv = (this.o.wrap ?? ((a) => a))(lldpdArgv(s, p));
    const logFd = openSync(p.log, 'a');
    try {
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', logFd, logFd] });
      const failed = new Promise<Error>((resolve) => child.once('error', resolve));
      child.unref();
      const deadline = Date.now() + 5000;
      for (;;) {
        const err = await Promise.race([failed, sleep(20).then(() => undefined)]);
        if (err) throw new Error(`cannot start lldpd: ${err.message}`);
        if (child.exitCode !== null) {
          const tail = (await readFile(p.log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
          throw new Error(`lldpd exited ${child.exitCode}${tail ? `: ${tail}` : ''}`);
        }
        // Up once its control socket answers to connections (lldpcli's reads need it).
        const pid = await lldpdPid(p);
        if (pid === child.pid && (await exists(p.socket))) return;
        if (Date.now() > deadline) throw new Error('lldpd did not start within 5 s');
      }
    } finally {
      closeSync(logFd);
    }
  }

  /** Stops the daemon (TERM, then KILL after 5 s) and removes its files. Idempotent. */
  async stop(): Promise<void> {
    const p = this.paths;
    const pid = await lldpdPid(p);
    if (pid !== undefined && (await isLldpd(pid))) {
      signal(pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while ((await isLldpd(pid)) && Date.now() < deadline) await sleep(25);
      if (await isLldpd(pid)) {
        // Its privilege-separated child shares its process group (the wrapper was detached).
        signal(-pid, 'SIGKILL');
        while (await isLldpd(pid)) await sleep(25);
      }
    }
    for (const f of [p.pid, p.spec, p.socket, `${p.socket}.lock`]) await rm(f, { force: true });
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
