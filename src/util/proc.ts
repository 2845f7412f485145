// A process as /proc shows it: the one parser of /proc/PID/stat and the one reader of pid files,
// for the supervisors (DHCP clients, lldpd), the apply lock and the lab's pod finder.
import { readFile } from 'node:fs/promises';

export interface ProcStat {
  /** The command name (what prctl/exec set; may hold spaces and parentheses). */
  comm: string;
  /** One letter: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks since boot. */
  startTime: number;
}

/**
 * /proc/PID/stat's fields, or undefined for a line that is not one. The command is the text
 * between the first "(" and the last ")" (it may hold both); the fields are counted after it:
 * state is the 3rd field of the line, ppid the 4th, pgrp the 5th, starttime the 22nd.
 */
export function parseProcStat(stat: string): ProcStat | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = stat.slice(close + 2).split(' ');
  if (rest.length < 20) return undefined;
  const [ppid, pgrp, startTime] = [Number(rest[1]), Number(rest[2]), Number(rest[19])];
  if (![ppid, pgrp, startTime].every(Number.isFinite)) return undefined;
  return { comm: stat.slice(open + 1, close), state: rest[0]!, ppid, pgrp, startTime };
}

/** The process's stat, or undefined when it is gone (or unreadable). */
export async function procStat(pid: number): Promise<ProcStat | undefined> {
  return parseProcStat(await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => ''));
}

/** A process that is neither gone nor a zombie, whose command is one of `comms`. */
export async function isLiveProcess(pid: number, comms: readonly string[]): Promise<boolean> {
  const s = await procStat(pid);
  return !!s && s.state !== 'Z' && comms.includes(s.comm);
}

/** The pid a pid file holds: a positive integer, else undefined (no file, or anything else in it). */
export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
