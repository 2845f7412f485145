// The lab as its clients see it: that it runs (reused, or started for a test file), commands in
// its nodes, kubectl with the admin's kubeconfig, a namespace node's agent process and what that
// process uses.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, waitFor, type RunOptions, type RunResult } from '../../src/util/exec.js';
import { currentLab, defaultTopology, labDown, labExec, labUp, nodeAgentPid, type Lab } from '../src/index.js';
import { processMatches } from '../src/state.js';

export type { Lab } from '../src/index.js';

/**
 * The running lab (benchmarks and experiments need one; they never start it). A test file uses
 * ensureLab() instead.
 */
export async function requireLab(): Promise<Lab> {
  const lab = await currentLab();
  if (!lab) throw new Error('no lab is running: start it with `npx ovirt-node-network-handler lab up`');
  return lab;
}

/** Whether ensureLab() started the lab: state by necessity, as before() and after() pair across a file. */
const started = { here: false };

/**
 * Use in a test file's before(): `lab = await ensureLab()`, paired with `after(releaseLab)`.
 * Reuses a running lab (the normal case: .ci/run starts one, and a developer keeps one up) or
 * starts one; only a lab this process started is torn down (set OVNH_LAB_KEEP=1 to keep it).
 */
export async function ensureLab(): Promise<Lab> {
  const running = await currentLab();
  if (running) return running;
  if (process.env.OVNH_LAB_NO_START === '1') throw new Error('no lab is running and OVNH_LAB_NO_START=1');
  // Four namespace nodes: the fleet tests roll out over more nodes than maxUnavailable.
  const lab = await labUp({
    nodes: defaultTopology({ nsNodes: 4 }),
    log: (l) => process.stderr.write(`[lab] ${l}\n`),
  });
  started.here = true;
  return lab;
}

export async function releaseLab(): Promise<void> {
  if (started.here && process.env.OVNH_LAB_KEEP !== '1') await labDown({ log: () => undefined });
  started.here = false;
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

/** kubectl with the lab's admin kubeconfig; throws on a non-zero exit. */
export function kubectl(lab: Lab, ...args: string[]): Promise<RunResult> {
  return run(kubectlArgs(lab, ...args));
}

/** Waits until the API server answers /readyz again (after an outage a test made). */
export async function waitApiReady(lab: Lab, timeoutMs = 90_000): Promise<void> {
  const readyz = kubectlArgs(lab, 'get', '--raw', '/readyz');
  await waitFor('the API server', async () => (await run(readyz, { allowFailure: true })).code === 0, timeoutMs, 250);
}

/** PID of a namespace node's agent: the DaemonSet pod's process, or the lab's process agent. */
export async function agentPid(_lab: Lab, node: string): Promise<number | undefined> {
  return nodeAgentPid(node);
}

/** The namespace nodes, in the lab's order (ns-node-1, ns-node-2, ...). */
export function namespaceNodes(lab: Lab): string[] {
  return lab.state.nodes.filter((n) => n.kind === 'netns').map((n) => n.name);
}

/** The VM node, when the lab has one. */
export function vmNodeName(lab: Lab): string | undefined {
  return lab.state.nodes.find((n) => n.kind === 'vm')?.name;
}

/** The API server's audit log (lab/src/apiserver.ts). */
export function auditLogPath(lab: Lab): string {
  return join(lab.paths.dir, 'audit.log');
}

/**
 * PID of a control-plane process the lab recorded ("kube-apiserver", "etcd"), checked against its
 * command line.
 */
export function labProcessPid(lab: Lab, name: string): number {
  const p = lab.state.processes.find((x) => x.name === name && processMatches(x));
  if (!p) throw new Error(`the lab records no running ${name}`);
  return p.pid;
}

const CLK_TCK = 100;

/**
 * Resident set (MB) — also split into private anonymous memory and file pages (for node, mostly
 * its own 100 MB binary's code, shared with every other node process) — and CPU seconds (own +
 * reaped children) of a process.
 */
export async function procUsage(pid: number): Promise<{ rssMb: number; anonMb: number; fileMb: number; cpuS: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const rssKb = kb('VmRSS');
  const cpuS = statCpuSeconds(await readFile(`/proc/${pid}/stat`, 'utf8'));
  return { rssMb: rssKb / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024, cpuS };
}

/** CPU seconds, own and reaped children's, from a /proc/PID/stat line (pure). */
export function statCpuSeconds(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the comm start at 3 (state); utime is 14, stime 15, cutime 16, cstime 17.
  const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(f[i]), 0);
  return ticks / CLK_TCK;
}
