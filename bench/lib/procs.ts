// Background processes a benchmark starts as its baselines; killed (by the PID it got) at the end.
import { spawn } from 'node:child_process';

export function spawnDaemonless(argv: readonly string[]): { pid: number; kill(): void } {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
  return {
    pid: child.pid,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
