// Test helper: a lab for integration tests. Reuses a running lab (the normal case: .ci/run
// starts one, and a developer keeps one up) or starts one and tears it down at the end.
import { currentLab, labDown, labExec, labUp, defaultTopology, type Lab } from '../../lab/src/index.js';
import type { RunOptions, RunResult } from '../../src/util/exec.js';

let startedHere = false;

/**
 * Use in a file's before(): `lab = await ensureLab()`, paired with `after(releaseLab)`.
 * Only a lab this process started is torn down (set OVNH_LAB_KEEP=1 to keep it).
 */
export async function ensureLab(): Promise<Lab> {
  const running = await currentLab();
  if (running) return running;
  if (process.env.OVNH_LAB_NO_START === '1') throw new Error('no lab is running and OVNH_LAB_NO_START=1');
  // Four namespace nodes: the fleet tests roll out over more nodes than maxUnavailable.
  const lab = await labUp({ nodes: defaultTopology({ nsNodes: 4 }), log: (l) => process.stderr.write(`[lab] ${l}\n`) });
  startedHere = true;
  return lab;
}

export async function releaseLab(): Promise<void> {
  if (startedHere && process.env.OVNH_LAB_KEEP !== '1') await labDown({ log: () => undefined });
  startedHere = false;
}

/** Runs argv in a lab node; throws on a non-zero exit unless allowFailure. */
export function exec(node: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return labExec(node, argv, opts);
}

/** Runs a shell snippet in a lab node. */
export function sh(node: string, script: string, opts: RunOptions = {}): Promise<RunResult> {
  return labExec(node, ['sh', '-ec', script], opts);
}

export function kubectlArgs(lab: Lab, ...args: string[]): string[] {
  return ['kubectl', '--kubeconfig', lab.kubeconfig, ...args];
}
