// The lab's stand-in for the DaemonSet: the project's manifests applied to the lab cluster,
// one agent per node, running inside the node (its namespace, or its VM) with a service-account
// token bound to that node — the same least privilege a real deployment gets.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CRD_NAME, DEFAULT_RESOLV_CONF, DEFAULT_STATE_DIR } from '../../src/api/constants.js';
import { inNetns, run } from '../../src/util/exec.js';
import { NET, PROJECT_ROOT, netnsOf, type NodeSpec } from './config.js';
import { startDaemon } from './daemon.js';
import type { Pki } from './pki.js';
import type { StateRecorder, VmRecord } from './state.js';
import { vmExec } from './vm.js';

export const HANDLER_NAMESPACE = 'ovirt-node-network-handler';
export const HANDLER_SA = 'handler';
/** The policy controller's service account (deploy/controller-rbac.yaml). */
export const CONTROLLER_SA = 'network-policy-controller';
export const METRICS_PORT = NET.metricsPort;

/** The manifests every lab cluster gets, in order. */
export const DEPLOY_MANIFESTS = ['namespace.yaml', 'crd.yaml', 'rbac.yaml', 'admission-policy.yaml'];

export async function applyManifests(kubeconfig: string): Promise<void> {
  for (const f of DEPLOY_MANIFESTS) {
    await run([
      'kubectl',
      '--kubeconfig',
      kubeconfig,
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      join(PROJECT_ROOT, 'deploy', f),
    ]);
  }
  await crdEstablished(kubeconfig);
}

/** The product installed as users install it: `kubectl apply -k` of a kustomization (the lab's overlay of deploy/). */
export async function applyKustomization(kubeconfig: string, dir: string): Promise<void> {
  await run(['kubectl', '--kubeconfig', kubeconfig, 'apply', '-k', dir]);
  await crdEstablished(kubeconfig);
}

async function crdEstablished(kubeconfig: string): Promise<void> {
  await run([
    'kubectl',
    '--kubeconfig',
    kubeconfig,
    'wait',
    '--for=condition=Established',
    `crd/${CRD_NAME}`,
    '--timeout=60s',
  ]);
}

export function agentServer(kind: NodeSpec['kind']): string {
  return kind === 'vm' ? `https://${NET.vmApiAddress}:${NET.apiPort}` : `https://${NET.mgmtGateway}:${NET.apiPort}`;
}

/** A kubeconfig holding a service-account token bound to the node (its name lands in the token's claims). */
export async function writeAgentKubeconfig(
  adminKubeconfig: string,
  pki: Pki,
  node: NodeSpec,
  path: string,
): Promise<void> {
  const r = await run([
    'kubectl',
    '--kubeconfig',
    adminKubeconfig,
    'create',
    'token',
    HANDLER_SA,
    '-n',
    HANDLER_NAMESPACE,
    '--bound-object-kind',
    'Node',
    '--bound-object-name',
    node.name,
    '--duration',
    '48h',
  ]);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    // The CA is embedded: a VM node reads files through a cached 9p mount.
    clusters: [
      {
        name: 'ovnh-lab',
        cluster: {
          server: agentServer(node.kind),
          'certificate-authority-data': (await readFile(pki.caCert)).toString('base64'),
        },
      },
    ],
    users: [{ name: `handler@${node.name}`, user: { token: r.stdout.trim() } }],
    contexts: [{ name: 'ovnh-lab', context: { cluster: 'ovnh-lab', user: `handler@${node.name}` } }],
    'current-context': 'ovnh-lab',
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}

export interface AgentPaths {
  kubeconfig: string;
  stateDir: string;
  resolvConf: string;
  log: string;
}

export function agentPaths(labDir: string, node: NodeSpec): AgentPaths {
  const d = join(labDir, 'nodes', node.name);
  return {
    kubeconfig: join(d, 'agent.kubeconfig'),
    // Namespace nodes share this machine's file system: each gets its own state dir and
    // resolv.conf. The VM has its own (RAM overlay) /var/lib and /etc.
    stateDir: node.kind === 'vm' ? DEFAULT_STATE_DIR : join(d, 'state'),
    resolvConf: node.kind === 'vm' ? DEFAULT_RESOLV_CONF : join(d, 'resolv.conf'),
    log: join(d, 'agent.log'),
  };
}

export function agentArgv(node: NodeSpec, p: AgentPaths, extra: string[] = []): string[] {
  return [
    join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node'),
    join(PROJECT_ROOT, 'bin', 'ovirt-node-network-handler.js'),
    'run',
    '--node-name',
    node.name,
    '--kubeconfig',
    p.kubeconfig,
    '--state-dir',
    p.stateDir,
    '--resolv-conf',
    p.resolvConf,
    '--metrics-port',
    String(METRICS_PORT),
    ...extra,
  ];
}

/** Starts the agent of one node; returns its PID (inside the VM for a VM node). */
export async function startAgent(
  labDir: string,
  adminKubeconfig: string,
  pki: Pki,
  node: NodeSpec,
  rec: StateRecorder,
  vm: VmRecord | undefined,
  extra: string[] = [],
): Promise<number> {
  const p = agentPaths(labDir, node);
  await mkdir(join(labDir, 'nodes', node.name), { recursive: true, mode: 0o700 });
  await writeAgentKubeconfig(adminKubeconfig, pki, node, p.kubeconfig);
  const env = { ...process.env, NODE_NAME: node.name, NO_COLOR: '1' };
  if (node.kind === 'netns') {
    await mkdir(p.stateDir, { recursive: true });
    await writeFile(p.resolvConf, '', { flag: 'a' });
    return startDaemon(rec, {
      name: `agent-${node.name}`,
      argv: inNetns(netnsOf(node.name), agentArgv(node, p, extra)),
      logPath: p.log,
      match: `--node-name ${node.name}`,
      env,
    });
  }
  if (!vm) throw new Error(`${node.name} has no VM`);
  const r = await vmExec(vm, agentArgv(node, p, extra), {
    detach: true,
    logName: 'agent',
    env: { NODE_NAME: node.name, NO_COLOR: '1' },
  });
  return r.pid!;
}
