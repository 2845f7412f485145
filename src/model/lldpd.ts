// The handler's LLDP daemon (Debian's lldpd) as its files in the state directory show it: where
// its control socket, pid and spec are, the command line it runs with, and whether it still
// runs. Read-only but for nothing: apply/lldpd.ts, the only writer, starts and stops it in these
// same files; observe reads what it heard through its socket (observe/host.ts readLldp).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HANDLER_NAME } from '../api/constants.js';
import { isDeviceName } from '../api/names.js';
import { fnv1a32 } from '../util/hash.js';
import { isLiveProcess, readPidFile } from '../util/proc.js';

/** How the daemon runs: on which NICs, and whether it announces this node too. */
export interface LldpdSpec {
  /** NICs it listens on (sorted, names isDeviceName accepts: no lldpd pattern characters). */
  nics: string[];
  /** Send LLDP frames too (lldpd without -r); receive-only by default. */
  transmit: boolean;
}

export interface LldpdPaths {
  dir: string;
  runDir: string;
  socket: string;
  pid: string;
  spec: string;
  log: string;
}

/**
 * Where the control sockets are. Not in the state directory: Debian's lldpcli is setuid _lldpd
 * and drops root even when root runs it, so every directory above the socket must let _lldpd
 * through (the state directory is root's alone), and a socket path holds at most 107 bytes
 * (a state directory can be longer). lldpd makes the socket itself root's and _lldpd's only (0770).
 */
export const LLDP_RUN_DIR = `/run/${HANDLER_NAME}`;

export function lldpdPaths(stateDir: string, runDir: string = LLDP_RUN_DIR): LldpdPaths {
  // Absolute: lldpd and lldpcli are given these paths, whatever their working directory.
  const abs = resolve(stateDir);
  const dir = join(abs, 'lldp');
  // One daemon per state directory (the lab runs several nodes on one machine).
  const key = fnv1a32(abs).toString(16).padStart(8, '0');
  return {
    dir,
    runDir,
    socket: join(runDir, `lldpd-${key}.socket`),
    pid: join(dir, 'lldpd.pid'),
    spec: join(dir, 'lldpd.json'),
    log: join(dir, 'lldpd.log'),
  };
}

/**
 * The NICs lldpd may be pointed at: lldpd's -I takes a comma-separated list of fnmatch patterns
 * with "!" for exclusion, so only names without pattern characters can be listed exactly; the
 * API's device name rule (letters, digits, "_", "-") guarantees that. Sorted, without repeats.
 */
export function lldpNics(nics: readonly string[]): string[] {
  return [...new Set(nics.filter(isDeviceName))].sort();
}

/**
 * lldpd in the foreground (-d, a second -d logs to stderr, our log file, not syslog), its
 * control socket in the agent's private directory (-u), no configuration read through lldpcli at
 * start (-L ''): the host's /etc/lldpd.d is not the handler's. -r unless it transmits. Every
 * value is its own argv element; nothing goes through a shell.
 */
export function lldpdArgs(s: LldpdSpec, p: LldpdPaths): string[] {
  if (s.nics.length === 0) throw new Error('lldpd needs at least one NIC');
  for (const n of s.nics)
    if (!isDeviceName(n)) throw new Error(`NIC name ${JSON.stringify(n)} cannot be an lldpd pattern`);
  return [
    'lldpd',
    '-d',
    '-d',
    ...(s.transmit ? [] : ['-r']),
    '-u',
    p.socket,
    '-p',
    join(p.dir, 'lldpd.daemon.pid'),
    '-L',
    '',
    '-I',
    s.nics.join(','),
  ];
}

/** lldpcli's read of the neighbors, json0 (its stable JSON shape). */
export function lldpcliNeighborsArgv(p: LldpdPaths): string[] {
  return ['lldpcli', '-u', p.socket, '-f', 'json0', 'show', 'neighbors', 'details'];
}

/** A live (not zombie) process that is the wrapper or lldpd (its monitor renames itself "lldpd"). */
export function isLldpd(pid: number): Promise<boolean> {
  return isLiveProcess(pid, ['lldpd', 'sh']);
}

export function lldpdPid(p: LldpdPaths): Promise<number | undefined> {
  return readPidFile(p.pid);
}

export interface LldpdStatus {
  spec: LldpdSpec;
  pid?: number;
  running: boolean;
}

/** The daemon as its files show it; undefined when none was started. */
export async function lldpdStatus(stateDir: string): Promise<LldpdStatus | undefined> {
  const p = lldpdPaths(stateDir);
  let spec: LldpdSpec;
  try {
    const raw = JSON.parse(await readFile(p.spec, 'utf8')) as unknown;
    if (!isSpec(raw)) return undefined;
    spec = raw;
  } catch {
    return undefined;
  }
  const pid = await lldpdPid(p);
  return { spec, pid, running: pid !== undefined && (await isLldpd(pid)) };
}

/** The spec file is ours but lives on disk: checked before its names become arguments. */
function isSpec(v: unknown): v is LldpdSpec {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.transmit === 'boolean' &&
    Array.isArray(o.nics) &&
    o.nics.every((n) => typeof n === 'string' && isDeviceName(n))
  );
}
