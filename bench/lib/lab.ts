// The lab as the suites see it: that it runs, a namespace node's agent process, and what that
// process uses (shared by bench/ and reliability/).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { currentLab, nodeAgentPid, type Lab } from '../../lab/src/index.js';
import { processMatches } from '../../lab/src/state.js';

export async function requireLab(): Promise<Lab> {
  const lab = await currentLab();
  if (!lab) throw new Error('no lab is running: start it with `npx ovirt-node-network-handler lab up`');
  return lab;
}

/** PID of a namespace node's agent: the DaemonSet pod's process, or the lab's process agent. */
export async function agentPid(_lab: Lab, node: string): Promise<number | undefined> {
  return nodeAgentPid(node);
}

/** The namespace nodes, in the lab's order (ns-node-1, ns-node-2, ...). */
export function namespaceNodes(lab: Lab): string[] {
  return lab.state.nodes.filter((n) => n.kind === 'netns').map((n) => n.name);
}

/** The API server's audit log (lab/src/apiserver.ts). */
export function auditLogPath(lab: Lab): string {
  return join(lab.paths.dir, 'audit.log');
}

/** PID of a control-plane process the lab recorded ("kube-apiserver", "etcd"), checked against its command line. */
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
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the comm start at 3 (state); utime is 14, stime 15, cutime 16, cstime 17.
  const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(f[i]), 0);
  return { rssMb: rssKb / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024, cpuS: ticks / CLK_TCK };
}
