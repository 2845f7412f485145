// The lab: a real kube-apiserver (with etcd) and simulated nodes, network namespaces on this
// machine's kernel and QEMU VMs with Debian's kernel. Entry points for the CLI and the tests.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { inNetns, run, waitFor, type RunOptions, type RunResult } from '../../src/util/exec.js';
import { egressSocketPath, startControlPlane, startControllers } from './apiserver.js';
import { ensureBinaries } from './build.js';
import {
  defaultTopology,
  labPaths,
  mgmtAddress,
  NET,
  netnsOf,
  PROJECT_ROOT,
  SWITCH_NS,
  type LabPaths,
  type NodeSpec,
} from './config.js';
import { buildAgentImage, ensurePause } from './images.js';
import {
  ensureMountpoints,
  hostCgroups,
  missingCgroupControllers,
  nodeBinds,
  runtimePaths,
  startNodeRuntime,
  stopNodeRuntime,
} from './node-runtime.js';
import { startDaemon, stopRecorded } from './daemon.js';
import { createPki, pkiPaths, writeKubeconfig, type Pki } from './pki.js';
import { Progress, stderrLog, type Log } from './progress.js';
import { loadState, processMatches, statePath, StateRecorder, type LabState, type VmRecord } from './state.js';
import { createSwitch, dnsmasqArgv, wireNode, type Runner } from './topology.js';
import {
  configureSwitchLldpd,
  ensureSwitchLldp,
  setPortDescriptions,
  SWITCH_LLDP_DIR,
  switchLldpcli,
  switchLldpdArgv,
  vmSwitchPorts,
} from './switch-lldp.js';
import { bootVm, ensureKernel, startVm, vmExec, vmFiles, type Kernel, type VmBoot } from './vm.js';
import { agentPaths, applyKustomization, applyManifests, HANDLER_NAMESPACE, startAgent } from './agents.js';
import { podAgentPid } from './pod-agent.js';
import { PROMETHEUS_URL, startPrometheus } from './prometheus.js';

export { defaultTopology, labPaths, type NodeSpec } from './config.js';
export type { LabState } from './state.js';

const hostRunner: Runner = { run: (argv, opts) => run(argv, opts) };

const REQUIRED_TOOLS: Record<string, string> = {
  ip: 'iproute2',
  dnsmasq: 'dnsmasq-base',
  socat: 'socat',
  openssl: 'openssl',
  kubectl: 'kubectl',
  go: 'golang (Go toolchain)',
};
/** What a kubelet node needs on this machine (scripts/install-host-deps.sh installs them). */
const KUBELET_TOOLS: Record<string, string> = {
  containerd: 'containerd',
  'containerd-shim-runc-v2': 'containerd',
  ctr: 'containerd',
  runc: 'runc',
  iptables: 'iptables',
  nsenter: 'util-linux',
  '/usr/lib/cni/loopback': 'containernetworking-plugins',
  gcc: 'gcc (builds pause)',
  umoci: 'umoci',
  mmdebstrap: 'mmdebstrap',
};
const VM_TOOLS: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  busybox: 'busybox-static',
  cpio: 'cpio',
  depmod: 'kmod',
  'apt-get': 'apt',
};

async function checkTools(needVm: boolean, needKubelet: boolean): Promise<void> {
  const missing: string[] = [];
  for (const [tool, pkg] of Object.entries({
    ...REQUIRED_TOOLS,
    ...(needVm ? VM_TOOLS : {}),
    ...(needKubelet ? KUBELET_TOOLS : {}),
  })) {
    const r = await run(['sh', '-c', `command -v ${tool}`], { allowFailure: true });
    if (r.code !== 0) missing.push(`${tool} (package ${pkg})`);
  }
  if (missing.length)
    throw new Error(`the lab needs: ${missing.join(', ')}; scripts/install-host-deps.sh installs them (see README)`);
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, QEMU, dnsmasq)');
  if (needKubelet) {
    const cg = await hostCgroups();
    const lacking = missingCgroupControllers(cg);
    if (cg.length === 0 || lacking.length) {
      throw new Error(
        `the kubelet needs cgroup controllers ${lacking.join(', ') || '(none mounted under /sys/fs/cgroup)'}; ` +
          'mount them (a kernel with CONFIG_CGROUPS and cgroup v1 or v2 under /sys/fs/cgroup), ' +
          'or start the lab with --process-agents',
      );
    }
    if (!existsSync('/dev/kmsg'))
      throw new Error('the kubelet needs /dev/kmsg (its OOM watcher); or start the lab with --process-agents');
  }
}

export interface LabUpOptions {
  nodes?: NodeSpec[];
  log?: Log;
  /** Start the agent on every node (the lab's DaemonSet). Default true. */
  agents?: boolean;
  /** Extra arguments for every agent's `run`. */
  agentArgs?: string[];
  /**
   * Install the product (default true). false: nodes and kubelets up and the image imported,
   * nothing of the product applied and no agent started — for a demo that installs it by hand
   * (`kubectl apply -k lab/deploy`, then `lab agents` for the nodes without a kubelet).
   */
  install?: boolean;
  /** Start Prometheus, scraping every agent with the product's alert rules (lab/src/prometheus.ts). */
  prometheus?: boolean;
}

export interface Lab {
  paths: LabPaths;
  state: LabState;
  kubeconfig: string;
}

export function kubeconfigPath(dir: string): string {
  return join(dir, 'admin.kubeconfig');
}

/** The kubeconfig an agent inside a node uses (API server reached over the lab network). */
export function nodeKubeconfigPath(dir: string, kind: NodeSpec['kind']): string {
  return join(dir, `node-${kind}.kubeconfig`);
}

export async function labUp(opts: LabUpOptions = {}): Promise<Lab> {
  const log = opts.log ?? stderrLog;
  const paths = labPaths();
  const nodes = opts.nodes ?? defaultTopology();
  const needVm = nodes.some((n) => n.kind === 'vm');
  const podNodes = nodes.filter((n) => n.agent === 'pod');
  const install = opts.install ?? true;
  await checkTools(needVm, podNodes.length > 0);
  const rec = await freshState(paths, nodes, log);
  const progress = new Progress(paths.cache, log);

  const bins = await ensureBinaries(paths.cache, progress);
  const kernel = needVm ? await ensureKernel(paths.cache, progress) : undefined;

  // The pod nodes' images are built while the control plane, the switch and the VM come up: the
  // image build waits mostly on Debian's mirror and on disk, the VM boot on the CPU.
  const images = podNodes.length ? podImages(paths, progress) : undefined;
  images?.catch(() => undefined); // awaited in startPodNodes, where a failure surfaces

  const pki = await progress.step('pki', 'creating certificates', 2000, () => createPki(join(paths.dir, 'pki')));
  const kubeconfig = await writeKubeconfigs(paths.dir, pki);
  rec.state.kubeconfig = kubeconfig;

  const cp = await startControlPlane(paths.dir, bins, pki, kubeconfig, rec, progress);
  rec.state.apiServer = cp.server;
  await startControllers(paths.dir, bins, pki, kubeconfig, rec, progress);

  await progress.step('switch', 'wiring the lab switch and namespace nodes', 3000, async () => {
    await createSwitch(hostRunner, { mgmt: true });
    await rec.addNetns(SWITCH_NS);
    await startSwitchDaemons(paths.dir, rec);
    await wireNamespaceNodes(nodes, rec);
    await waitApiFromNodes(paths.dir, nodes);
  });
  await progress.step('switch-lldp', "the switch's LLDP announcements on every node port", 500, () =>
    ensureSwitchLldp(hostRunner, rec, nodes, paths.dir),
  );

  if (kernel) await startVms(nodes, kernel, paths, rec, progress);

  const handRegistered = nodes.filter((n) => n.agent === 'process');
  if (handRegistered.length)
    await progress.step('nodes', 'registering the Node objects of nodes without a kubelet', 2000, () =>
      registerNodes(kubeconfig, nodes, handRegistered),
    );
  if (podNodes.length) {
    await startPodNodes(nodes, podNodes, { paths, pki, bins, kubeconfig, install, images: images! }, rec, progress);
  } else if (install) {
    await progress.step('manifests', "applying the project's manifests (CRD, RBAC, admission policy)", 5000, () =>
      applyManifests(kubeconfig),
    );
  }
  if ((opts.agents ?? true) && install)
    await startAgentProcesses(nodes, paths.dir, kubeconfig, pki, rec, progress, opts);
  if (opts.prometheus)
    await progress.step('prometheus', 'starting Prometheus with the alert rules, scraping every agent', 3000, () =>
      startPrometheus(paths.dir, nodes, rec),
    );
  rec.state.ready = true;
  await rec.save();
  return { paths, state: rec.state, kubeconfig };
}

/** Takes a recorded (or half-started) lab apart, then records the new one, not ready yet. */
async function freshState(paths: LabPaths, nodes: NodeSpec[], log: Log): Promise<StateRecorder> {
  if (existsSync(statePath(paths.dir))) {
    log('a previous lab is recorded; removing it first');
    await labDown({ log });
  }
  await cleanupByName(nodes);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const rec = new StateRecorder(paths.dir, {
    startedAt: new Date().toISOString(),
    nodes,
    processes: [],
    netns: [],
    vms: [],
    agents: [],
    ready: false,
  });
  await rec.save();
  return rec;
}

/** The admin's kubeconfig (returned) and the nodes' (the API server as each kind of node reaches it). */
async function writeKubeconfigs(dir: string, pki: Pki): Promise<string> {
  const kubeconfig = kubeconfigPath(dir);
  await writeKubeconfig(kubeconfig, pki, `https://127.0.0.1:${NET.apiPort}`);
  await writeKubeconfig(nodeKubeconfigPath(dir, 'netns'), pki, `https://${NET.mgmtGateway}:${NET.apiPort}`);
  await writeKubeconfig(nodeKubeconfigPath(dir, 'vm'), pki, `https://${NET.vmApiAddress}:${NET.apiPort}`);
  return kubeconfig;
}

/**
 * The switch's daemons: the API server's forwarders, the data segment's DHCP server and the API
 * server's egress proxy to the kubelets.
 */
async function startSwitchDaemons(dir: string, rec: StateRecorder): Promise<void> {
  // The API server listens on 127.0.0.1 only. Nodes reach it at the mgmt bridge's address
  // through a unix socket (unix sockets cross network namespaces, TCP does not).
  const sock = join(dir, 'api.sock');
  await startDaemon(rec, {
    name: 'api-forward-host',
    argv: ['socat', `UNIX-LISTEN:${sock},fork,unlink-early,mode=600`, `TCP:127.0.0.1:${NET.apiPort}`],
    logPath: join(dir, 'forward.log'),
    match: sock,
  });
  await startDaemon(rec, {
    name: 'api-forward-mgmt',
    argv: inNetns(SWITCH_NS, [
      'socat',
      `TCP-LISTEN:${NET.apiPort},bind=${NET.mgmtGateway},fork,reuseaddr`,
      `UNIX-CONNECT:${sock}`,
    ]),
    logPath: join(dir, 'forward.log'),
    match: `UNIX-CONNECT:${sock}`,
  });
  await startDaemon(rec, {
    name: 'dnsmasq-data',
    argv: dnsmasqArgv(dir, true),
    logPath: join(dir, 'dnsmasq.log'),
    match: `${dir}/dnsmasq-data.pid`,
  });
  const egress = egressSocketPath(dir);
  await startDaemon(rec, {
    name: 'egress-proxy',
    argv: inNetns(SWITCH_NS, [
      process.execPath,
      join(PROJECT_ROOT, 'dist', 'lab', 'src', 'egress-proxy.js'),
      egress,
      `${NET.mgmtPrefix}.`,
    ]),
    logPath: join(dir, 'egress-proxy.log'),
    match: egress,
  });
}

/** Each namespace node: its namespace, wired to the switch (eth0 on mgmt, the data NICs). */
async function wireNamespaceNodes(nodes: NodeSpec[], rec: StateRecorder): Promise<void> {
  for (const [i, n] of nodes.entries()) {
    if (n.kind !== 'netns') continue;
    await wireNode(hostRunner, {
      ns: netnsOf(n.name),
      index: i + 1,
      dataNics: n.dataNics,
      mgmtAddress: mgmtAddress(i + 1),
    });
    await rec.addNetns(netnsOf(n.name));
  }
}

/** Waits until the first namespace node reaches the API server through the mgmt segment. */
async function waitApiFromNodes(dir: string, nodes: NodeSpec[]): Promise<void> {
  const first = nodes.find((n) => n.kind === 'netns');
  if (!first) return;
  const readyz = inNetns(netnsOf(first.name), [
    'kubectl',
    '--kubeconfig',
    nodeKubeconfigPath(dir, 'netns'),
    'get',
    '--raw',
    '/readyz',
  ]);
  await waitFor(
    'API server through the mgmt segment',
    async () => (await run(readyz, { allowFailure: true })).code === 0,
    20_000,
    300,
  );
}

/** The agent as a process on the nodes without a kubelet (the VM's in the guest). */
async function startAgentProcesses(
  nodes: NodeSpec[],
  dir: string,
  kubeconfig: string,
  pki: Pki,
  rec: StateRecorder,
  progress: Progress,
  opts: LabUpOptions,
): Promise<void> {
  const processNodes = nodes.filter((n) => n.agent === 'process');
  if (!processNodes.length) return;
  const names = processNodes.map((n) => n.name).join(', ');
  await progress.step('agents', `starting the agent as a process on ${names}`, 3000, async () => {
    for (const n of processNodes) {
      const vm = rec.state.vms.find((v) => v.node === n.name);
      const pid = await startAgent(dir, kubeconfig, pki, n, rec, vm, opts.agentArgs);
      if (n.kind === 'vm') rec.state.agents.push({ node: n.name, pid });
    }
    await rec.save();
  });
}

/** The VM nodes: booted (each makes its own NICs and DHCP server), the API server reachable from them. */
async function startVms(
  nodes: NodeSpec[],
  kernel: Kernel,
  paths: ReturnType<typeof labPaths>,
  rec: StateRecorder,
  progress: Progress,
): Promise<void> {
  for (const [i, n] of nodes.entries()) {
    if (n.kind !== 'vm') continue;
    const vm = await startVm(vmBoot(n, i, kernel, paths), rec, progress);
    rec.state.vms.push(vm);
    await rec.save();
    await progress.step('vm-api', `checking that ${n.name} reaches the API server`, 3000, () =>
      vmReachesApi(vm, paths.dir),
    );
  }
}

function vmBoot(n: NodeSpec, i: number, kernel: Kernel, paths: ReturnType<typeof labPaths>): VmBoot {
  return { node: n.name, index: i + 1, dataNics: n.dataNics, kernel, labDir: paths.dir, cache: paths.cache };
}

async function vmReachesApi(vm: VmRecord, labDir: string): Promise<void> {
  const api = await vmExec(
    vm,
    ['kubectl', '--kubeconfig', nodeKubeconfigPath(labDir, 'vm'), 'get', '--raw', '/readyz'],
    { allowFailure: true, timeoutMs: 30_000 },
  );
  if (api.code !== 0) throw new Error(`${vm.node} cannot reach the API server: ${api.stderr.trim()}`);
}

/**
 * Opens or closes the door between a VM node and the API server (QEMU's forward closes each
 * connection at once while it is shut), for boots that must do without the API.
 */
export async function setVmApiReachable(node: string, reachable: boolean): Promise<void> {
  const f = vmFiles(labPaths().dir, node);
  if (reachable) await rm(f.apiBlocked, { force: true });
  else await writeFile(f.apiBlocked, 'closed by a test\n');
}

/**
 * Turns a VM node off and boots it again, keeping its state disk: 'power-cut' kills QEMU
 * (what the guest had not flushed is lost), 'reboot' syncs first (the guest's `reboot`). The
 * agent is not started again (startNodeAgent); the guest's boot restore has run when this returns.
 */
export async function powerCycleVm(node: string, how: 'power-cut' | 'reboot'): Promise<VmRecord> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  const i = state?.nodes.findIndex((n) => n.name === node) ?? -1;
  const spec = state?.nodes[i];
  const old = state?.vms.find((v) => v.node === node);
  if (!state || !spec || spec.kind !== 'vm' || !old) throw new Error(`${node} is not a running lab VM`);
  const qemu = state.processes.find((p) => p.name === `qemu-${node}` && processMatches(p));
  if (!qemu) throw new Error(`${node}'s QEMU is not running`);
  // With -no-reboot a reset ends QEMU; a reboot's sync and reset come from the guest.
  if (how === 'reboot')
    await vmExec(old, ['sh', '-c', 'sync; echo b > /proc/sysrq-trigger'], { detach: true, logName: 'reboot' }).catch(
      () => undefined,
    );
  else process.kill(qemu.pid, 'SIGKILL');
  await waitFor(`${node}'s QEMU to end`, () => !processMatches(qemu), 30_000, 50);
  state.processes = state.processes.filter((p) => p !== qemu);
  state.vms = state.vms.filter((v) => v !== old);
  state.agents = state.agents.filter((a) => a.node !== node);
  const rec = new StateRecorder(paths.dir, state);
  await rec.save();
  const kernel = await ensureKernel(paths.cache, new Progress(paths.cache, () => undefined));
  const vm = await bootVm(vmBoot(spec, i, kernel, paths), rec, old.accel);
  rec.state.vms.push(vm);
  await rec.save();
  return vm;
}

/**
 * The kubelet nodes: images (pause, agent) made, containerd, kubelet and kube-proxy started in
 * each, every Node Ready; then the product installed the way a user does (kubectl apply -k).
 */
interface PodNodesInput {
  paths: ReturnType<typeof labPaths>;
  pki: Awaited<ReturnType<typeof createPki>>;
  bins: Awaited<ReturnType<typeof ensureBinaries>>;
  kubeconfig: string;
  install: boolean;
  images: ReturnType<typeof podImages>;
}

/** The pause image and the agent's image, for the kubelets' containerd to import. */
async function podImages(paths: ReturnType<typeof labPaths>, progress: Progress) {
  const pause = await ensurePause(paths.cache, progress);
  return { pause, agentImage: await buildAgentImage(paths.dir, progress) };
}

async function startPodNodes(
  nodes: NodeSpec[],
  podNodes: NodeSpec[],
  o: PodNodesInput,
  rec: StateRecorder,
  progress: Progress,
): Promise<void> {
  const { paths, pki, bins, kubeconfig } = o;
  const { pause, agentImage } = await o.images;
  const created = await ensureMountpoints(nodeBinds(runtimePaths(paths.nodesDir, 'any')));
  rec.state.createdPaths = [...(rec.state.createdPaths ?? []), ...created];
  await rec.save();
  // Every kubelet and containerd holds inotify instances of the machine's user (root): past ~15
  // nodes the default of 128 runs out ("error creating fsnotify watcher: too many open files",
  // and containerd's CRI never serves). Raised, never lowered, as kind's docs advise.
  if (podNodes.length)
    await raiseSysctl('fs/inotify/max_user_instances', INOTIFY_INSTANCES_PER_NODE * podNodes.length + 128);
  await progress.step(
    'kubelets',
    `starting containerd, kubelet and kube-proxy in ${podNodes.length} nodes (images imported)`,
    8000 * podNodes.length,
    async () => {
      for (const [i, n] of nodes.entries()) {
        if (n.agent !== 'pod') continue;
        await startNodeRuntime(
          {
            node: n.name,
            netns: netnsOf(n.name),
            nodeIp: mgmtAddress(i + 1),
            nodesDir: paths.nodesDir,
            pki,
            bins,
            pauseBinary: pause.binary,
            labels: { 'ovnh.lab/kind': n.kind, 'ovnh.lab/agent': 'pod' },
          },
          [pause.image, agentImage],
          rec,
        );
      }
      await waitNodesReady(kubeconfig, podNodes);
    },
  );
  if (o.install) {
    await progress.step(
      'install',
      "installing the product: kubectl apply -k lab/deploy (deploy/ with the lab's image), " +
        'DaemonSet and policy controller rollout',
      20_000,
      () => installProduct(kubeconfig, podNodes),
    );
  }
}

/** Registered by their kubelets: waits until each Node exists and is Ready. */
async function waitNodesReady(kubeconfig: string, podNodes: NodeSpec[]): Promise<void> {
  type NodeList = {
    items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
  };
  await waitFor(
    "every kubelet's Node to be Ready",
    async () => {
      const r = await run(['kubectl', '--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'json'], {
        allowFailure: true,
      });
      if (r.code !== 0) return false;
      const ready = new Set(
        (JSON.parse(r.stdout) as NodeList).items
          .filter((x) => x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
          .map((x) => x.metadata.name),
      );
      return podNodes.every((n) => ready.has(n.name));
    },
    120_000,
    500,
  );
}

/** kubectl apply -k lab/deploy, then the DaemonSet's and the controller's rollouts. */
async function installProduct(kubeconfig: string, podNodes: NodeSpec[]): Promise<void> {
  await applyKustomization(kubeconfig, join(PROJECT_ROOT, 'lab', 'deploy'));
  // Pods start a few at a time on two cores: 50 nodes' agents took over 3 minutes.
  const rolloutTimeout = `--timeout=${Math.max(180, 10 * podNodes.length)}s`;
  const rollout = (what: string) =>
    run(['kubectl', '--kubeconfig', kubeconfig, '-n', HANDLER_NAMESPACE, 'rollout', 'status', what, rolloutTimeout]);
  await rollout('ds/ovirt-node-network-handler');
  // The controller's pods need a kubelet: with --process-agents there is none to run them.
  if (podNodes.length) await rollout('deploy/ovirt-network-policy-controller');
  for (const n of podNodes) await waitFor(`${n.name}'s agent pod`, () => podAgentPid(n.name), 60_000, 200);
}

/**
 * The Node objects of nodes that run no kubelet (the VM; every node with --process-agents),
 * so owner references and node-bound tokens are real. Without the kubelet's own
 * `kubernetes.io/os` label, which is what the DaemonSet selects: no pod is made for them.
 */
function nodeManifest(all: NodeSpec[], these: NodeSpec[]): string {
  return these
    .map((n) =>
      stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: n.name,
          labels: { 'kubernetes.io/hostname': n.name, 'ovnh.lab/kind': n.kind, 'ovnh.lab/agent': 'process' },
        },
        spec: {},
        status: {
          addresses: [
            { type: 'InternalIP', address: n.kind === 'vm' ? '10.0.2.15' : mgmtAddress(all.indexOf(n) + 1) },
            { type: 'Hostname', address: n.name },
          ],
        },
      }),
    )
    .join('---\n');
}

async function registerNodes(kubeconfig: string, all: NodeSpec[], these: NodeSpec[]): Promise<void> {
  await run(['kubectl', '--kubeconfig', kubeconfig, 'apply', '-f', '-'], { input: nodeManifest(all, these) });
}

/** Removes namespaces that carry the lab's names, in case a crash lost the state file. */
async function cleanupByName(nodes: NodeSpec[]): Promise<void> {
  const names = [SWITCH_NS, ...nodes.filter((n) => n.kind === 'netns').map((n) => netnsOf(n.name))];
  for (const ns of names) await run(['ip', 'netns', 'del', ns], { allowFailure: true });
}

export interface LabDownResult {
  stopped: string[];
  removedNetns: string[];
}

/** inotify instances one kubelet node (containerd, kubelet, kube-proxy, the agent) may need, with room. */
const INOTIFY_INSTANCES_PER_NODE = 16;

/** Sets a /proc/sys value to at least `min`. */
async function raiseSysctl(key: string, min: number): Promise<void> {
  const path = `/proc/sys/${key}`;
  const now = Number((await readFile(path, 'utf8')).trim());
  if (now < min) await writeFile(path, `${min}\n`);
}

export async function labDown(opts: { log?: Log } = {}): Promise<LabDownResult> {
  const log = opts.log ?? stderrLog;
  const paths = labPaths();
  const state = await loadState(paths.dir);
  const result: LabDownResult = { stopped: [], removedNetns: [] };
  if (!state) {
    log('no lab is recorded; nothing to do');
    return result;
  }
  // Kubelet nodes first (their containers are nobody's recorded process), then the rest in
  // reverse order: agents and VMs before the API server they talk to.
  for (const r of [...(state.nodeRuntimes ?? [])].reverse()) {
    result.stopped.push(
      ...(await stopNodeRuntime(r, state.processes).catch((e: Error) => [`(${r.node}: ${e.message})`])),
    );
  }
  for (const p of [...state.processes].reverse()) {
    if (await stopRecorded(p)) result.stopped.push(`${p.name} (pid ${p.pid})`);
  }
  for (const ns of [...state.netns].reverse()) {
    const r = await run(['ip', 'netns', 'del', ns], { allowFailure: true });
    if (r.code === 0) result.removedNetns.push(ns);
  }
  for (const path of state.createdPaths ?? [])
    await rm(path, { recursive: false, force: true }).catch(() => run(['rmdir', path], { allowFailure: true }));
  // Empty once every node runtime is gone; a directory still holding something is left for a look.
  for (const d of [join(paths.nodesDir, 'nodes'), paths.nodesDir]) await run(['rmdir', d], { allowFailure: true });
  await rm(paths.dir, { recursive: true, force: true });
  log(`lab down: stopped ${result.stopped.length} processes, removed ${result.removedNetns.length} namespaces`);
  return result;
}

export interface LabStatus {
  recorded: boolean;
  ready: boolean;
  apiServer: string | undefined;
  apiReady: boolean;
  processes: { name: string; pid: number; alive: boolean }[];
  nodes: { name: string; kind: string; reachable: boolean }[];
}

export async function labStatus(): Promise<LabStatus> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  if (!state) return { recorded: false, ready: false, apiServer: undefined, apiReady: false, processes: [], nodes: [] };
  const api = state.kubeconfig
    ? await run(['kubectl', '--kubeconfig', state.kubeconfig, 'get', '--raw', '/readyz'], {
        allowFailure: true,
        timeoutMs: 10_000,
      })
    : undefined;
  const nodes = [];
  for (const n of state.nodes) {
    const r = await labExec(n.name, ['true'], { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
    nodes.push({ name: n.name, kind: n.kind, reachable: r?.code === 0 });
  }
  return {
    recorded: true,
    ready: state.ready,
    apiServer: state.apiServer,
    apiReady: api?.code === 0,
    processes: state.processes.map((p) => ({ name: p.name, pid: p.pid, alive: processMatches(p) })),
    nodes,
  };
}

export interface ExecOptions extends RunOptions {
  onStdout?: (b: Buffer) => void;
  onStderr?: (b: Buffer) => void;
}

/** Runs argv inside a lab node: in its namespace, or in its VM through the guest agent. */
export async function labExec(node: string, argv: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  if (!state) throw new Error('no lab is running (ovirt-node-network-handler lab up)');
  const spec = state.nodes.find((n) => n.name === node);
  if (!spec) throw new Error(`no lab node named ${node}; nodes: ${state.nodes.map((n) => n.name).join(', ')}`);
  if (spec.kind === 'vm') {
    const vm = state.vms.find((v) => v.node === node);
    if (!vm) throw new Error(`${node} has no running VM`);
    return vmExec(vm, argv, opts);
  }
  const r = await run(inNetns(netnsOf(node), argv), opts);
  opts.onStdout?.(Buffer.from(r.stdout));
  opts.onStderr?.(Buffer.from(r.stderr));
  return r;
}

export async function currentLab(): Promise<Lab | undefined> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  if (!state?.ready || !state.kubeconfig) return undefined;
  return { paths, state, kubeconfig: state.kubeconfig };
}

/**
 * Stops a recorded lab process (e.g. the API server, for outage tests) and returns a function
 * that starts it again with the same command line, recording the new PID.
 */
export async function stopLabProcess(name: string): Promise<() => Promise<number>> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  const p = state?.processes.find((x) => x.name === name && processMatches(x));
  if (!state || !p) throw new Error(`no running lab process named ${name}`);
  if (!p.argv || !p.logPath) throw new Error(`${name} was not recorded with its command line`);
  await stopRecorded(p);
  const { argv, logPath, match } = p;
  return async () => {
    const current = (await loadState(paths.dir))!;
    const rec = new StateRecorder(paths.dir, current);
    current.processes = current.processes.filter((x) => x !== p && !(x.name === name && x.pid === p.pid));
    return startDaemon(rec, { name, argv, logPath, match });
  };
}

/** Kills a node's agent with a signal (kill -9 by default), as a crash test needs. */
export async function killAgent(node: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  if (!state) throw new Error('no lab is running');
  const spec = state.nodes.find((n) => n.name === node);
  if (!spec) throw new Error(`no lab node named ${node}`);
  if (spec.agent === 'pod') {
    // The container's main process: the kubelet restarts it (restartPolicy Always).
    const pid = await podAgentPid(node);
    if (!pid) throw new Error(`${node} has no running agent pod`);
    process.kill(pid, signal);
    await waitFor(`agent of ${node} to exit`, async () => (await podAgentPid(node)) !== pid, 10_000, 50);
    return;
  }
  if (spec.kind === 'vm') {
    const a = state.agents.find((x) => x.node === node);
    const vm = state.vms.find((v) => v.node === node);
    if (!a || !vm) throw new Error(`${node} has no agent`);
    await vmExec(vm, ['kill', `-${signal.replace(/^SIG/, '')}`, String(a.pid)], { allowFailure: true });
    state.agents = state.agents.filter((x) => x !== a);
  } else {
    const p = state.processes.find((x) => x.name === `agent-${node}` && processMatches(x));
    if (!p) throw new Error(`${node} has no running agent`);
    process.kill(p.pid, signal);
    await waitFor(`agent of ${node} to exit`, () => !processMatches(p), 10_000, 50);
    state.processes = state.processes.filter((x) => x !== p);
  }
  await new StateRecorder(paths.dir, state).save();
}

/**
 * Brings a node's agent back after killAgent: on a kubelet node, waits for the kubelet to
 * restart the container; otherwise starts the process (also in a lab started with --no-agents).
 */
export async function startNodeAgent(node: string, extraArgs: string[] = []): Promise<number> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  if (!state?.kubeconfig) throw new Error('no lab is running');
  const spec = state.nodes.find((n) => n.name === node);
  if (!spec) throw new Error(`no lab node named ${node}`);
  if (spec.agent === 'pod') {
    if (extraArgs.length)
      throw new Error(
        `${node}'s agent is the DaemonSet's pod: its arguments are the DaemonSet's ` +
          `(start the lab with --process-agents to pass ${extraArgs.join(' ')})`,
      );
    return waitFor(`the kubelet to restart ${node}'s agent`, () => podAgentPid(node), 120_000, 100);
  }
  const rec = new StateRecorder(paths.dir, state);
  const vm = state.vms.find((v) => v.node === node);
  const pid = await startAgent(paths.dir, state.kubeconfig, pkiPaths(join(paths.dir, 'pki')), spec, rec, vm, extraArgs);
  if (spec.kind === 'vm') {
    (state.agents ??= []).push({ node, pid });
    await rec.save();
  }
  return pid;
}

/**
 * The switches' LLDP daemons on a running lab (`lab switch-lldp`): this machine's and each VM's
 * own, started unless they run, their ports' descriptions and settings set again; nothing else
 * is touched. Returns the PID of this machine's.
 */
export async function ensureLabSwitchLldp(): Promise<number> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  if (!state?.ready) throw new Error('no lab is running');
  const pid = await ensureSwitchLldp(hostRunner, new StateRecorder(paths.dir, state), state.nodes, paths.dir);
  for (const [i, n] of state.nodes.entries()) {
    const vm = state.vms.find((v) => v.node === n.name);
    if (n.kind === 'vm' && vm) await ensureVmSwitchLldp(vm, vmSwitchPorts(n.name, i + 1, n.dataNics));
  }
  return pid;
}

/**
 * A VM's own switch's lldpd, as its guest-boot starts it at every boot (guest-boot.ts), for a VM
 * booted before it did: started (detached in the guest, PID 1 reaps it) when its socket does not
 * answer, then set as guest-boot sets it.
 */
async function ensureVmSwitchLldp(vm: VmRecord, ports: ReturnType<typeof vmSwitchPorts>): Promise<void> {
  const guest: Runner = { run: (argv, opts) => vmExec(vm, argv, opts) };
  await setPortDescriptions(guest, ports);
  const answers = async () =>
    (await guest.run(switchLldpcli(SWITCH_LLDP_DIR, 'show', 'chassis'), { allowFailure: true })).code === 0;
  if (!(await answers())) {
    await guest.run(['mkdir', '-p', '-m', '0755', SWITCH_LLDP_DIR]);
    await vmExec(vm, switchLldpdArgv(), { detach: true, logName: 'lldpd-switch' });
    await waitFor(`${vm.node}'s switch lldpd socket`, answers, 30_000, 500);
  }
  await configureSwitchLldpd(guest);
}

/** The lab's Prometheus: started now unless it runs (a lab brought up without --prometheus); its URL. */
export async function ensurePrometheus(): Promise<string> {
  const paths = labPaths();
  const state = await loadState(paths.dir);
  if (!state?.ready) throw new Error('no lab is running');
  if (state.processes.some((p) => p.name === 'prometheus' && processMatches(p))) return PROMETHEUS_URL;
  return startPrometheus(paths.dir, state.nodes, new StateRecorder(paths.dir, state));
}

/** Starts the process agent of every node that runs no kubelet and has no agent yet; returns their names. */
export async function startProcessAgents(): Promise<string[]> {
  const state = await loadState(labPaths().dir);
  if (!state?.ready) throw new Error('no lab is running');
  const started: string[] = [];
  for (const n of state.nodes) {
    if (n.agent !== 'process') continue;
    const running =
      n.kind === 'vm'
        ? await vmAgentAlive(n.name, state.agents.find((a) => a.node === n.name)?.pid)
        : await nodeAgentPid(n.name);
    if (running) continue;
    await startNodeAgent(n.name);
    started.push(n.name);
  }
  return started;
}

/** Whether the VM's recorded agent process still runs (it may have been killed inside the VM). */
async function vmAgentAlive(node: string, pid: number | undefined): Promise<boolean> {
  if (pid === undefined) return false;
  return (await labExec(node, ['kill', '-0', String(pid)], { allowFailure: true })).code === 0;
}

/** The PID (on this machine) of a namespace node's agent, pod or process. */
export async function nodeAgentPid(node: string): Promise<number | undefined> {
  const state = await loadState(labPaths().dir);
  const spec = state?.nodes.find((n) => n.name === node);
  if (!state || !spec) return undefined;
  if (spec.agent === 'pod') return podAgentPid(node);
  return state.processes.find((x) => x.name === `agent-${node}` && processMatches(x))?.pid;
}

/** Where a namespace node's agent keeps its state (its /var/lib/ovirt-node-network-handler), seen from this machine. */
export function agentStateDir(lab: Lab, node: string): string {
  const spec = lab.state.nodes.find((n) => n.name === node);
  if (spec?.agent === 'pod') return runtimePaths(lab.paths.nodesDir, node).state;
  return agentPaths(lab.paths.dir, spec ?? { name: node, kind: 'netns', dataNics: 0, agent: 'process' }).stateDir;
}
