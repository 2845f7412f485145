// Where the lab keeps things and what it builds. One place, so tests, CLI and docs agree.
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the project checkout (this file runs as dist/lab/src/config.js). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const KUBERNETES_VERSION = 'v1.33.13';
export const ETCD_VERSION = 'v3.6.16';

export interface LabPaths {
  /** Runtime state of one lab: pids, certs, logs. Removed by `lab down`. */
  dir: string;
  /** Built binaries and the guest kernel, kept across labs (keyed by version). */
  cache: string;
  /**
   * Each kubelet node's disk: containerd's images and snapshots, the kubelet's pods, and what the
   * node's private mount namespace puts over /run, /var/lib/ovirt-node-network-handler and
   * /etc/resolv.conf. On disk, not under /run, because unpacked images are large. Removed by `lab down`.
   */
  nodesDir: string;
}

export function labPaths(): LabPaths {
  const cacheBase = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return {
    dir: process.env.OVNH_LAB_DIR ?? '/run/ovnh-lab',
    cache: process.env.OVNH_LAB_CACHE ?? join(cacheBase, 'ovirt-node-network-handler'),
    nodesDir: process.env.OVNH_LAB_NODES_DIR ?? '/var/lib/ovnh-lab',
  };
}

/** Addresses. All private ranges live only inside namespaces/VMs the lab creates. */
export const NET = {
  apiPort: 16443,
  etcdClientPort: 12379,
  etcdPeerPort: 12380,
  /** Management segment: the switch netns answers API traffic on mgmtGateway. */
  mgmtPrefix: '10.88.0',
  mgmtGateway: '10.88.0.1',
  /** Data segment served by dnsmasq (IPv4 and IPv6). */
  dataPrefix: '10.89.0',
  dataGateway: '10.89.0.1',
  dataV6Prefix: 'fd00:89::',
  /** Inside a VM, QEMU's user network forwards this guest address to the host's API server. */
  vmApiAddress: '10.0.2.100',
  serviceCidr: '10.96.0.0/24',
  serviceIp: '10.96.0.1',
  /** Every kubelet listens here inside its node's namespace (the API server reaches it through the egress proxy). */
  kubeletPort: 10250,
  /** The agents' /metrics (deploy/daemonset.yaml), inside each node. */
  metricsPort: 9187,
  /** On this machine's loopback: node i's agent metrics forwarded (Prometheus in the lab scrapes these). */
  metricsForwardBase: 19200,
  /** The lab's Prometheus (lab up --prometheus), on this machine's loopback. */
  prometheusPort: 19090,
} as const;

/**
 * The sandbox image containerd runs for every pod: pause, compiled from the pinned k8s.io/kubernetes
 * module's own source.
 */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

export const SWITCH_NS = 'ovnh-switch';
export const NS_PREFIX = 'ovnh-';

export interface NodeSpec {
  name: string;
  kind: 'netns' | 'vm';
  /**
   * How the agent runs there: 'pod' = a real kubelet + containerd in the node runs the
   * DaemonSet's pod; 'process' = the lab starts the agent as a plain process (the VM node,
   * whose kubelet would not fit the CI time budget under TCG: README, "The lab").
   */
  agent: 'pod' | 'process';
  /** Number of data NICs besides eth0 (eth1..ethN). */
  dataNics: number;
}

export function defaultTopology(
  opts: { nsNodes?: number; vmNodes?: number; dataNics?: number; processAgents?: boolean } = {},
): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  const dataNics = opts.dataNics ?? 2;
  const nsAgent = opts.processAgents ? 'process' : 'pod';
  for (let i = 1; i <= (opts.nsNodes ?? 2); i++)
    nodes.push({ name: `ns-node-${i}`, kind: 'netns', dataNics, agent: nsAgent });
  for (let i = 1; i <= (opts.vmNodes ?? 1); i++)
    nodes.push({ name: `vm-node-${i}`, kind: 'vm', dataNics, agent: 'process' });
  return nodes;
}

/** The address of a namespace node's eth0 (index counts from 1 over all nodes). */
export function mgmtAddress(index: number): string {
  return `${NET.mgmtPrefix}.${10 + index}`;
}

export function netnsOf(node: string): string {
  return `${NS_PREFIX}${node}`;
}
