// The run's work dir: the handler's state dir and the baseline snapshot of the namespace, shared
// by every trial process of one namespace and cleared with it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export function workPaths(workDir: string): { stateDir: string; baseline: string } {
  return { stateDir: join(workDir, 'state'), baseline: join(workDir, 'baseline.json') };
}

/** For a namespace built afresh: its handler state and its baseline go with the old one. */
export async function clearWorkDir(workDir: string): Promise<void> {
  const { stateDir, baseline } = workPaths(workDir);
  await rm(stateDir, { recursive: true, force: true });
  await rm(baseline, { force: true });
}
