// Background processes of the lab: started detached with their output in a log file, and
// recorded (PID + a command-line fragment) before anything else can go wrong.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { sleep } from '../../src/util/exec.js';
import { processMatches, type RecordedProcess, type StateRecorder } from './state.js';

export interface DaemonOptions {
  name: string;
  argv: string[];
  logPath: string;
  /** Substring of the command line proving the PID is still ours; defaults to argv[0]. */
  match?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export async function startDaemon(rec: StateRecorder, o: DaemonOptions): Promise<number> {
  const [cmd, ...args] = o.argv;
  if (!cmd) throw new Error(`daemon ${o.name}: empty argv`);
  const fd = openSync(o.logPath, 'a');
  try {
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: o.env ?? process.env,
      cwd: o.cwd,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    });
    child.unref();
    await rec.addProcess({ name: o.name, pid, match: o.match ?? cmd, argv: o.argv, logPath: o.logPath });
    return pid;
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a recorded process (TERM, then KILL after graceMs) if it is still the one we started. */
export async function stopRecorded(p: RecordedProcess, graceMs = 5000): Promise<boolean> {
  if (!processMatches(p)) return false;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!alive(p.pid) || !processMatches(p)) return true;
    await sleep(100);
  }
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  return true;
}
