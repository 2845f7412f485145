// A real Kubernetes node inside a lab node: containerd (Debian's), the kubelet and kube-proxy
// (built from the pinned k8s.io/kubernetes module), all in the node's network namespace and in a
// mount namespace of its own. So a `hostNetwork: true` container sees exactly that node's
// interfaces, and the DaemonSet's hostPath volumes (/run, /var/lib/ovirt-node-network-handler,
// /etc/resolv.conf, /lib/modules) are that node's, not this machine's.
//
// The mount namespace is held by a pause process (the "anchor") started through
// `ip netns exec`, which already gives it a private mount namespace with the netns's own /sys;
// the anchor's script mounts the cgroup hierarchies back under that /sys and binds the node's
// directories over the host paths. containerd, kubelet and kube-proxy join it with nsenter.
// Nothing is mounted in this machine's own mount namespace: when the last process of a node
// exits, its mounts (container root file systems included) vanish with it.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, readlink, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_RESOLV_CONF, DEFAULT_STATE_DIR } from '../../src/api/constants.js';
import { run, sleep, waitFor } from '../../src/util/exec.js';
import type { BinaryName } from './build.js';
import { NET, PAUSE_IMAGE } from './config.js';
import { startDaemon, stopRecorded } from './daemon.js';
import { CLIENT_EXT, serverExt, signedCert, type Pki } from './pki.js';
import { processMatches, type NodeRuntimeRecord, type RecordedProcess, type StateRecorder } from './state.js';

export interface NodeRuntimeInput {
  node: string;
  netns: string;
  /** eth0's address: the kubelet's node IP and serving address. */
  nodeIp: string;
  nodesDir: string;
  pki: Pki;
  bins: Record<BinaryName, string>;
  pauseBinary: string;
  labels: Record<string, string>;
}

export function runtimePaths(nodesDir: string, node: string) {
  const dir = join(nodesDir, 'nodes', node);
  return {
    dir,
    anchor: join(dir, 'anchor'),
    anchorScript: join(dir, 'anchor.sh'),
    /** Becomes /run inside the node. */
    run: join(dir, 'run'),
    /** Becomes /var/lib/ovirt-node-network-handler inside the node: the agent's state. */
    state: join(dir, 'state'),
    resolvConf: join(dir, 'resolv.conf'),
    modules: join(dir, 'modules'),
    cniConf: join(dir, 'cni'),
    pki: join(dir, 'pki'),
    containerdRoot: join(dir, 'containerd'),
    containerdConfig: join(dir, 'containerd.toml'),
    kubeletRoot: join(dir, 'kubelet'),
    kubeletConfig: join(dir, 'kubelet.yaml'),
    kubeletKubeconfig: join(dir, 'kubelet.kubeconfig'),
    podLogs: join(dir, 'pod-logs'),
    proxyConfig: join(dir, 'kube-proxy.yaml'),
    proxyKubeconfig: join(dir, 'kube-proxy.kubeconfig'),
    /** containerd's socket as this machine sees it (inside the node: /run/containerd/containerd.sock). */
    hostSocket: join(dir, 'run', 'containerd', 'containerd.sock'),
    logs: join(dir, 'logs'),
  };
}
type RuntimePaths = ReturnType<typeof runtimePaths>;

const NODE_SOCKET = '/run/containerd/containerd.sock';

/** Host paths that are per node inside it (the DaemonSet's hostPath volumes); /run last, it hides the rest of /run. */
export function nodeBinds(p: RuntimePaths): { source: string; target: string; file?: boolean }[] {
  return [
    { source: p.state, target: DEFAULT_STATE_DIR },
    { source: p.resolvConf, target: DEFAULT_RESOLV_CONF, file: true },
    { source: p.modules, target: '/lib/modules' },
    { source: p.run, target: '/run' },
  ];
}

/**
 * Bind targets this machine lacks (no /lib/modules on a kernel without modules) are created as
 * empty mount points; returns the ones created, for `lab down` to remove.
 */
export async function ensureMountpoints(binds: ReturnType<typeof nodeBinds>): Promise<string[]> {
  const created: string[] = [];
  for (const b of binds) {
    if (existsSync(b.target)) continue;
    if (b.file) await writeFile(b.target, '');
    else await mkdir(b.target, { recursive: true });
    created.push(b.target);
  }
  return created;
}

export interface CgroupMount {
  path: string;
  fstype: 'cgroup' | 'cgroup2';
  /** Super-block options: for v1 they name the controllers (e.g. "rw,cpu" or "rw,name=systemd"). */
  options: string;
}

/** The cgroup hierarchies of this machine, from /proc/self/mountinfo (pure). */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const f = pre.split(' ');
    const [fstype, , superOpts] = post.split(' ');
    const root = f[3];
    const path = f[4];
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || root !== '/' || !path?.startsWith('/sys/fs/cgroup')) continue;
    out.push({ path, fstype, options: superOpts ?? 'rw' });
  }
  return out;
}

const sq = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * A cgroup v1 hierarchy's mount options: a named-only hierarchy (name=systemd, no controller)
 * is mounted as "none,name=..." (the kernel's cgroup-v1 documentation).
 */
function v1MountOptions(opts: string[]): string[] {
  const namedOnly = opts.some((o) => o.startsWith('name=')) && !opts.some((o) => !o.startsWith('name='));
  return namedOnly ? ['none', ...opts] : opts;
}

/** The anchor's shell script: cgroups back under the netns's /sys, the node's binds, then exec pause. */
export function anchorScript(cgroups: CgroupMount[], binds: ReturnType<typeof nodeBinds>, anchor: string): string {
  const lines = ['#!/bin/sh', '# Generated by the lab (lab/src/node-runtime.ts); runs under ip netns exec.', 'set -eu'];
  const unified = cgroups.find((c) => c.path === '/sys/fs/cgroup' && c.fstype === 'cgroup2');
  if (unified) {
    lines.push('mount -t cgroup2 cgroup2 /sys/fs/cgroup');
  } else {
    lines.push('mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup');
    for (const c of cgroups) {
      if (c.path === '/sys/fs/cgroup') continue;
      const opts = c.options.split(',').filter((o) => o !== 'rw' && o !== 'ro');
      lines.push(`mkdir -p ${sq(c.path)}`);
      lines.push(
        c.fstype === 'cgroup2'
          ? `mount -t cgroup2 cgroup2 ${sq(c.path)}`
          : `mount -t cgroup -o ${sq(v1MountOptions(opts).join(','))} cgroup ${sq(c.path)}`,
      );
    }
  }
  for (const b of binds) lines.push(`mount --bind ${sq(b.source)} ${sq(b.target)}`);
  lines.push('mkdir -p /run/containerd', `exec ${sq(anchor)}`);
  return lines.join('\n') + '\n';
}

export function containerdConfig(p: RuntimePaths): string {
  // restrict_oom_score_adj: this machine's root lacks CAP_SYS_RESOURCE, so a negative
  // oom_score_adj (pause asks for -998) is refused; containerd then clamps it to its own.
  return `version = 2
root = ${JSON.stringify(p.containerdRoot)}
state = "/run/containerd"
[grpc]
  address = ${JSON.stringify(NODE_SOCKET)}
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${JSON.stringify(PAUSE_IMAGE)}
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${JSON.stringify(p.cniConf)}
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
`;
}

/**
 * Pod networking of the lab: loopback only. The lab's pods are the agent's, all with
 * `hostNetwork: true`; a conf is still needed for the runtime to report NetworkReady.
 */
export const CNI_CONFLIST = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'lab-loopback',
  plugins: [{ type: 'loopback' }],
});

export function kubeletConfig(p: RuntimePaths, nodeIp: string, cgroupRoot: string): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: nodeIp,
    port: NET.kubeletPort,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: join(p.pki, 'ca.crt') },
    },
    authorization: { mode: 'Webhook' },
    tlsCertFile: join(p.pki, 'kubelet.crt'),
    tlsPrivateKeyFile: join(p.pki, 'kubelet.key'),
    containerRuntimeEndpoint: `unix://${NODE_SOCKET}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot,
    failSwapOn: false,
    resolvConf: p.resolvConf,
    podLogsDir: p.podLogs,
    maxPods: 20,
    // Every kubelet of the lab sees this whole machine: no eviction or image GC on its account.
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'imagefs.available': '1%',
      'nodefs.inodesFree': '1%',
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // The kill experiments kill the agent dozens of times: restarts after 1 s, not a 5 min back-off.
    featureGates: { KubeletCrashLoopBackOffMax: true },
    crashLoopBackOff: { maxContainerRestartPeriod: '1s' },
  });
}

export function kubeProxyConfig(p: RuntimePaths, node: string, nodeIp: string): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: p.proxyKubeconfig },
    hostnameOverride: node,
    mode: 'iptables',
    bindAddress: nodeIp,
    metricsBindAddress: '127.0.0.1:10249',
    healthzBindAddress: '127.0.0.1:10256',
    nodePortAddresses: ['primary'],
    iptables: { localhostNodePorts: false },
    // The conntrack table size is this machine's, not a namespace's: leave every sysctl alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  });
}

/**
 * A self-contained kubeconfig (certificates embedded: /run, where the lab's PKI lives, is the node's
 * own inside it).
 */
async function nodeKubeconfig(path: string, pki: Pki, cert: string, key: string, user: string): Promise<void> {
  const b64 = async (f: string) => (await readFile(f)).toString('base64');
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'ovnh-lab',
          cluster: {
            server: `https://${NET.mgmtGateway}:${NET.apiPort}`,
            'certificate-authority-data': await b64(pki.caCert),
          },
        },
      ],
      users: [{ name: user, user: { 'client-certificate-data': await b64(cert), 'client-key-data': await b64(key) } }],
      contexts: [{ name: 'ovnh-lab', context: { cluster: 'ovnh-lab', user } }],
      'current-context': 'ovnh-lab',
    }),
    { mode: 0o600 },
  );
}

/** The v1 hierarchies (or the v2 tree) where the node's cgroup root must exist before the kubelet starts. */
function cgroupDirs(cgroups: CgroupMount[], root: string): string[] {
  return cgroups.filter((c) => c.path !== '/sys/fs/cgroup' || c.fstype === 'cgroup2').map((c) => join(c.path, root));
}

async function createCgroupRoot(cgroups: CgroupMount[], root: string): Promise<void> {
  for (const d of cgroupDirs(cgroups, root)) {
    await mkdir(d, { recursive: true });
    // A new v1 cpuset has no CPUs or memory nodes until given its parent's.
    if (existsSync(join(d, 'cpuset.cpus'))) {
      const parent = join(d, '..');
      for (const f of ['cpuset.cpus', 'cpuset.mems'])
        await writeFile(join(d, f), await readFile(join(parent, f), 'utf8'));
    }
  }
}

/** Hierarchies whose controllers this kubelet cannot run without, with what to install. */
export function missingCgroupControllers(cgroups: CgroupMount[]): string[] {
  if (cgroups.some((c) => c.fstype === 'cgroup2' && c.path === '/sys/fs/cgroup')) return [];
  const have = new Set(cgroups.flatMap((c) => c.options.split(',')));
  return ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids'].filter((c) => !have.has(c));
}

export async function hostCgroups(): Promise<CgroupMount[]> {
  return cgroupMounts(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Starts a node's runtime and returns once its containerd answers; the kubelet registers the Node by itself. */
export async function startNodeRuntime(
  i: NodeRuntimeInput,
  images: string[],
  rec: StateRecorder,
): Promise<NodeRuntimeRecord> {
  const p = runtimePaths(i.nodesDir, i.node);
  await rm(p.dir, { recursive: true, force: true });
  for (const d of [p.run, p.state, p.modules, p.cniConf, p.pki, p.containerdRoot, p.kubeletRoot, p.podLogs, p.logs])
    await mkdir(d, { recursive: true, mode: 0o700 });
  await writeFile(p.resolvConf, '');
  await writeFile(join(p.cniConf, '10-lab.conflist'), CNI_CONFLIST);
  await writeNodeCredentials(i, p);
  const cgroupRoot = `/${i.netns}`;
  const cgroups = await hostCgroups();
  await createCgroupRoot(cgroups, cgroupRoot);
  await writeFile(p.containerdConfig, containerdConfig(p));
  await writeFile(p.kubeletConfig, kubeletConfig(p, i.nodeIp, cgroupRoot));
  await writeFile(p.proxyConfig, kubeProxyConfig(p, i.node, i.nodeIp));
  await symlink(i.pauseBinary, p.anchor);
  await writeFile(p.anchorScript, anchorScript(cgroups, nodeBinds(p), p.anchor), { mode: 0o755 });

  const anchorPid = await startDaemon(rec, {
    name: `anchor-${i.node}`,
    argv: ['ip', 'netns', 'exec', i.netns, 'sh', p.anchorScript],
    logPath: join(p.logs, 'anchor.log'),
    match: p.anchor,
  });
  const record: NodeRuntimeRecord = { node: i.node, dir: p.dir, anchorPid, cgroupRoot };
  rec.state.nodeRuntimes = [...(rec.state.nodeRuntimes ?? []), record];
  await rec.save();
  await waitAnchor(i, p, anchorPid);
  await startNodeDaemons(i, p, anchorPid, images, rec);
  return record;
}

/** The node's certificates (kubelet client and serving, kube-proxy) and its two kubeconfigs. */
async function writeNodeCredentials(i: NodeRuntimeInput, p: RuntimePaths): Promise<void> {
  await copyFile(i.pki.caCert, join(p.pki, 'ca.crt'));
  const key = (name: string) => join(p.pki, `${name}.key`);
  const crt = (name: string) => join(p.pki, `${name}.crt`);
  // The Node authorizer and NodeRestriction know a kubelet by this identity.
  const nodeSubject = `/O=system:nodes/CN=system:node:${i.node}`;
  await signedCert(i.pki, key('kubelet-client'), crt('kubelet-client'), nodeSubject, CLIENT_EXT);
  await signedCert(i.pki, key('kubelet'), crt('kubelet'), nodeSubject, serverExt([`DNS:${i.node}`, `IP:${i.nodeIp}`]));
  // Bound by the bootstrap policy to system:node-proxier.
  await signedCert(i.pki, key('kube-proxy'), crt('kube-proxy'), '/CN=system:kube-proxy', CLIENT_EXT);
  await nodeKubeconfig(
    p.kubeletKubeconfig,
    i.pki,
    crt('kubelet-client'),
    key('kubelet-client'),
    `system:node:${i.node}`,
  );
  await nodeKubeconfig(p.proxyKubeconfig, i.pki, crt('kube-proxy'), key('kube-proxy'), 'system:kube-proxy');
}

/** Waits until the anchor, the process that holds the node's mount namespace (its binds), runs. */
async function waitAnchor(i: NodeRuntimeInput, p: RuntimePaths, anchorPid: number): Promise<void> {
  await waitFor(
    `${i.node}'s mount namespace`,
    async () => (await readlink(`/proc/${anchorPid}/exe`).catch(() => '')).includes('pause'),
    10_000,
    50,
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}; ${(await readFile(join(p.logs, 'anchor.log'), 'utf8').catch(() => '')).trim()}`);
  });
}

/** containerd (with the images imported), the kubelet and kube-proxy in the anchor's namespaces. */
async function startNodeDaemons(
  i: NodeRuntimeInput,
  p: RuntimePaths,
  anchorPid: number,
  images: string[],
  rec: StateRecorder,
): Promise<void> {
  const inNode = (argv: string[]) => ['nsenter', `--target=${anchorPid}`, '--mount', '--net', ...argv];
  await startDaemon(rec, {
    name: `containerd-${i.node}`,
    argv: inNode(['containerd', '--config', p.containerdConfig]),
    logPath: join(p.logs, 'containerd.log'),
    match: p.containerdConfig,
  });
  await waitFor(
    `${i.node}'s containerd`,
    async () => (await run(['ctr', '-a', p.hostSocket, 'version'], { allowFailure: true, timeoutMs: 5000 })).code === 0,
    30_000,
    100,
  );
  // Before the kubelet: a pod's sandbox image that is missing would be pulled, and the lab never pulls.
  for (const img of images) await run(['ctr', '-a', p.hostSocket, '-n', 'k8s.io', 'images', 'import', img]);
  const labels = Object.entries(i.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  await startDaemon(rec, {
    name: `kubelet-${i.node}`,
    argv: inNode([
      i.bins.kubelet,
      ...['--config', p.kubeletConfig, '--kubeconfig', p.kubeletKubeconfig, '--root-dir', p.kubeletRoot],
      ...['--hostname-override', i.node, '--node-ip', i.nodeIp, '--node-labels', labels, '--v=1'],
    ]),
    logPath: join(p.logs, 'kubelet.log'),
    match: p.kubeletConfig,
  });
  await startDaemon(rec, {
    name: `kube-proxy-${i.node}`,
    argv: inNode([i.bins['kube-proxy'], '--config', p.proxyConfig, '--v=1']),
    logPath: join(p.logs, 'kube-proxy.log'),
    match: p.proxyConfig,
  });
}

async function pidsIn(dir: string): Promise<number[]> {
  const out: number[] = [];
  const walk = async (d: string) => {
    const procs = await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '');
    out.push(...procs.split('\n').filter(Boolean).map(Number));
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => []))
      if (e.isDirectory()) await walk(join(d, e.name));
  };
  await walk(dir);
  return out;
}

async function removeTree(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => []))
    if (e.isDirectory()) await removeTree(join(dir, e.name));
  await rmdir(dir).catch(() => undefined);
}

async function mountNs(pid: number): Promise<string | undefined> {
  return readlink(`/proc/${pid}/ns/mnt`).catch(() => undefined);
}

const kill = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
};

/**
 * Takes a node runtime apart: kubelet and kube-proxy, then every container (by the node's
 * cgroups), containerd, the shims left in the node's mount namespace, the anchor; then the
 * cgroups and the node's directory. Returns what it stopped.
 */
export async function stopNodeRuntime(r: NodeRuntimeRecord, processes: RecordedProcess[]): Promise<string[]> {
  const stopped: string[] = [];
  const byName = (n: string) => processes.filter((x) => x.name === `${n}-${r.node}`);
  for (const n of ['kubelet', 'kube-proxy'])
    for (const p of byName(n)) if (await stopRecorded(p)) stopped.push(`${p.name} (pid ${p.pid})`);
  const anchor = processes.find((x) => x.name === `anchor-${r.node}` && x.pid === r.anchorPid);
  const ns = anchor && processMatches(anchor) ? await mountNs(r.anchorPid) : undefined;
  const cgroups = cgroupDirs(await hostCgroups(), r.cgroupRoot);
  const pidsDir = cgroups.find((d) => d.includes('/pids/')) ?? cgroups[0];
  for (let round = 0; round < 50 && pidsDir; round++) {
    const pids = await pidsIn(pidsDir);
    if (pids.length === 0) break;
    if (round === 0) stopped.push(`${pids.length} container processes of ${r.node}`);
    for (const pid of pids) kill(pid, 'SIGKILL');
    await sleep(100);
  }
  for (const p of byName('containerd')) if (await stopRecorded(p)) stopped.push(`${p.name} (pid ${p.pid})`);
  if (ns) {
    // The shims (containerd-shim-runc-v2), detached from containerd by design.
    for (const e of await readdir('/proc')) {
      const pid = Number(e);
      if (!pid || pid === r.anchorPid) continue;
      if ((await mountNs(pid)) === ns) {
        kill(pid, 'SIGKILL');
        stopped.push(`pid ${pid} in ${r.node}'s mount namespace`);
      }
    }
  }
  if (anchor && (await stopRecorded(anchor))) stopped.push(`${anchor.name} (pid ${anchor.pid})`);
  for (const d of cgroups) {
    await waitFor(
      `${d} to empty`,
      async () => {
        await removeTree(d);
        return !existsSync(d);
      },
      10_000,
      100,
    ).catch(() => undefined);
  }
  if (existsSync(r.dir) && (await stat(r.dir)).isDirectory()) await rm(r.dir, { recursive: true, force: true });
  return stopped;
}
