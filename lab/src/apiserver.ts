// The lab's control plane: etcd, the real kube-apiserver (both on 127.0.0.1 only), and the
// controllers a DaemonSet needs: kube-controller-manager (DaemonSet controller, garbage
// collector, node lifecycle, the kube-root-ca.crt every projected token volume mounts) and
// kube-scheduler (which binds DaemonSet pods to their nodes).
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GROUP, PLURAL } from '../../src/api/constants.js';
import { run, waitFor } from '../../src/util/exec.js';
import { CONTROLLER_SA, HANDLER_NAMESPACE } from './agents.js';
import { NET } from './config.js';
import { startDaemon } from './daemon.js';
import type { Pki } from './pki.js';
import type { Progress } from './progress.js';
import type { StateRecorder } from './state.js';
import type { BinaryName } from './build.js';

// Record writes only: enough to count what an agent writes, and with the request body for our
// own objects so the benchmarks can count bytes (bench/at-rest.ts); small enough to leave on.
// The policy controller's reads too (get, list, watch: a few a minute), so that its requests per
// node can be counted by verb (bench/fleet-rollout.ts).
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Request
  verbs: [create, update, patch, delete, deletecollection]
  resources:
  - group: ${GROUP}
    resources: [${PLURAL}, ${PLURAL}/status]
- level: Metadata
  users: ['system:serviceaccount:${HANDLER_NAMESPACE}:${CONTROLLER_SA}']
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
`;

/**
 * kubelets live in the nodes' network namespaces, which the API server on this machine's
 * loopback cannot route to: its "cluster" egress (logs, exec, port-forward) goes through an HTTP
 * CONNECT proxy on a unix socket that runs in the switch namespace (lab/src/egress-proxy.ts).
 */
export function egressSelectorConfig(socket: string): string {
  return `apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: ${socket}
`;
}

export function egressSocketPath(dir: string): string {
  return join(dir, 'egress.sock');
}

export interface ControlPlane {
  server: string;
  kubeconfig: string;
  auditLog: string;
}

export async function startControlPlane(
  dir: string,
  bins: Record<BinaryName, string>,
  pki: Pki,
  kubeconfig: string,
  rec: StateRecorder,
  progress: Progress,
): Promise<ControlPlane> {
  const etcdUrl = await startEtcd(dir, bins, rec, progress);
  const auditLog = join(dir, 'audit.log');
  const server = `https://127.0.0.1:${NET.apiPort}`;
  const files = { auditPolicy: join(dir, 'audit-policy.yaml'), auditLog, egress: join(dir, 'egress-selector.yaml') };
  await writeFile(files.auditPolicy, AUDIT_POLICY);
  await writeFile(files.egress, egressSelectorConfig(egressSocketPath(dir)));
  await progress.step(
    'start-apiserver',
    'starting kube-apiserver',
    15_000,
    async () => {
      await startDaemon(rec, {
        name: 'kube-apiserver',
        argv: apiServerArgv(bins['kube-apiserver'], etcdUrl, pki, files),
        logPath: join(dir, 'kube-apiserver.log'),
        match: `--secure-port=${NET.apiPort}`,
      });
      await writeFile(join(dir, '.server'), server);
      await waitFor(
        'kube-apiserver /readyz',
        async () => {
          const r = await run(['kubectl', '--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], {
            allowFailure: true,
            timeoutMs: 10_000,
          });
          return r.code === 0 && r.stdout.trim() === 'ok';
        },
        120_000,
        500,
      );
    },
    join(dir, 'kube-apiserver.log'),
  );
  return { server, kubeconfig, auditLog };
}

/** etcd on 127.0.0.1, until healthy; returns its client URL. */
async function startEtcd(
  dir: string,
  bins: Record<BinaryName, string>,
  rec: StateRecorder,
  progress: Progress,
): Promise<string> {
  const data = join(dir, 'etcd');
  await mkdir(data, { recursive: true, mode: 0o700 });
  const etcdUrl = `http://127.0.0.1:${NET.etcdClientPort}`;
  const peerUrl = `http://127.0.0.1:${NET.etcdPeerPort}`;
  const argv = [
    bins.etcd,
    ...['--name', 'ovnh-lab', '--data-dir', data],
    ...['--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl],
    ...['--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl],
    ...['--initial-cluster', `ovnh-lab=${peerUrl}`],
    // The lab's datastore is disposable: skip fsync so the 2-core machine spends its time on the test.
    '--unsafe-no-fsync',
    ...['--log-level', 'warn'],
  ];
  await progress.step(
    'start-etcd',
    'starting etcd',
    3000,
    async () => {
      await startDaemon(rec, { name: 'etcd', argv, logPath: join(dir, 'etcd.log'), match: data });
      const healthy = async () => (await fetch(`${etcdUrl}/health`).catch(() => undefined))?.ok;
      await waitFor('etcd health', healthy, 30_000);
    },
    join(dir, 'etcd.log'),
  );
  return etcdUrl;
}

function apiServerArgv(
  binary: string,
  etcdUrl: string,
  pki: Pki,
  files: { auditPolicy: string; auditLog: string; egress: string },
): string[] {
  return [
    binary,
    '--bind-address=127.0.0.1',
    `--secure-port=${NET.apiPort}`,
    `--advertise-address=${NET.mgmtGateway}`,
    `--etcd-servers=${etcdUrl}`,
    `--client-ca-file=${pki.caCert}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--service-account-issuer=https://kubernetes.default.svc`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    `--service-cluster-ip-range=${NET.serviceCidr}`,
    '--authorization-mode=Node,RBAC',
    // The defaults of 1.33 already include ValidatingAdmissionPolicy, ServiceAccount,
    // NodeRestriction is added as on a kubeadm cluster.
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    `--audit-policy-file=${files.auditPolicy}`,
    `--audit-log-path=${files.auditLog}`,
    '--audit-log-maxbackup=1',
    '--audit-log-maxsize=200',
    '--profiling=false',
    // The kubernetes Service's endpoint (advertise address) is what kube-proxy on every node
    // translates the ClusterIP to: the in-cluster address the DaemonSet's agents dial.
    '--endpoint-reconciler-type=lease',
    `--kubelet-client-certificate=${pki.kubeletClientCert}`,
    `--kubelet-client-key=${pki.kubeletClientKey}`,
    `--kubelet-certificate-authority=${pki.caCert}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    `--egress-selector-config-file=${files.egress}`,
    '--v=1',
  ];
}

/** kube-controller-manager and kube-scheduler, with the admin identity (the lab's, not the product's). */
export async function startControllers(
  dir: string,
  bins: Record<BinaryName, string>,
  pki: Pki,
  kubeconfig: string,
  rec: StateRecorder,
  progress: Progress,
): Promise<void> {
  const common = [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--secure-port=0',
    '--v=1',
  ];
  await progress.step('start-controllers', 'starting kube-controller-manager and kube-scheduler', 2000, async () => {
    await startDaemon(rec, {
      name: 'kube-controller-manager',
      argv: [
        bins['kube-controller-manager'],
        ...common,
        `--root-ca-file=${pki.caCert}`,
        `--service-account-private-key-file=${pki.saKey}`,
        '--use-service-account-credentials=false',
      ],
      logPath: join(dir, 'kube-controller-manager.log'),
      match: 'kube-controller-manager',
    });
    await startDaemon(rec, {
      name: 'kube-scheduler',
      argv: [bins['kube-scheduler'], ...common],
      logPath: join(dir, 'kube-scheduler.log'),
      match: 'kube-scheduler',
    });
  });
}
