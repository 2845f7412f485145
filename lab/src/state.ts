// What a lab started, recorded as it goes, so `lab down` (or the next `lab up` after a crash)
// removes exactly that: processes by PID (checked against their command line), namespaces and
// host links by name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonIfExists, writeFileAtomic } from '../../src/util/fs.js';
import type { NodeSpec } from './config.js';

export interface RecordedProcess {
  name: string;
  pid: number;
  /** A substring of /proc/PID/cmdline that proves the PID was not reused. */
  match: string;
  /** How it was started, so a test can stop and start it again (API server outages). */
  argv?: string[];
  logPath?: string;
}

export interface VmRecord {
  node: string;
  execPort: number;
  token: string;
  accel: 'kvm' | 'tcg';
}

/** What `lab down` needs to take a node runtime apart. */
export interface NodeRuntimeRecord {
  node: string;
  dir: string;
  anchorPid: number;
  /** The kubelet's cgroupRoot (also containerd's pods' parent), e.g. /ovnh-ns-node-1. */
  cgroupRoot: string;
}

export interface LabState {
  startedAt: string;
  nodes: NodeSpec[];
  processes: RecordedProcess[];
  netns: string[];
  vms: VmRecord[];
  /** Agents inside VMs (PIDs in the guest); namespace nodes' agents are in processes. */
  agents: { node: string; pid: number }[];
  /** Kubelet nodes: containerd + kubelet + kube-proxy in the node's namespaces. */
  nodeRuntimes?: NodeRuntimeRecord[];
  /** Empty mount points the lab created on this machine (removed by `lab down` when still empty). */
  createdPaths?: string[];
  kubeconfig?: string;
  apiServer?: string;
  ready: boolean;
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export async function loadState(dir: string): Promise<LabState | undefined> {
  return readJsonIfExists<LabState>(statePath(dir));
}

export class StateRecorder {
  constructor(
    private readonly dir: string,
    readonly state: LabState,
  ) {}

  async save(): Promise<void> {
    await writeFileAtomic(statePath(this.dir), JSON.stringify(this.state, null, 2) + '\n');
  }

  async addProcess(p: RecordedProcess): Promise<void> {
    this.state.processes.push(p);
    await this.save();
  }

  async addNetns(name: string): Promise<void> {
    if (!this.state.netns.includes(name)) this.state.netns.push(name);
    await this.save();
  }
}

/** True when pid is alive and its command line still contains match. */
export function processMatches(p: RecordedProcess): boolean {
  try {
    const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return cmdline.includes(p.match);
  } catch {
    return false;
  }
}
