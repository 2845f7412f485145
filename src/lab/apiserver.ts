// The lab's control plane: etcd and the real kube-apiserver, both on 127.0.0.1 only.
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run, waitFor } from '../util/exec.js';
import { NET } from './config.js';
import { startDaemon } from './daemon.js';
import type { Pki } from './pki.js';
import type { Progress } from './progress.js';
import type { StateRecorder } from './state.js';

// Record writes only: enough to count what an agent writes, and with the request body for our
// own objects so the benchmarks can count bytes (bench/at-rest.ts); small enough to leave on.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Request
  verbs: [create, update, patch, delete, deletecollection]
  resources:
  - group: ovirt.org
    resources: [ovirtnodenetworks, ovirtnodenetworks/status]
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
`;

export interface ControlPlane {
  server: string;
  kubeconfig: string;
  auditLog: string;
}

export async function startControlPlane(
  dir: string,
  bins: { etcd: string; 'kube-apiserver': string },
  pki: Pki,
  kubeconfig: string,
  rec: StateRecorder,
  progress: Progress,
): Promise<ControlPlane> {
  const etcdData = join(dir, 'etcd');
  await mkdir(etcdData, { recursive: true, mode: 0o700 });
  const etcdUrl = `http://127.0.0.1:${NET.etcdClientPort}`;
  const peerUrl = `http://127.0.0.1:${NET.etcdPeerPort}`;
  await progress.step('start-etcd', 'starting etcd', 3000, async () => {
    await startDaemon(rec, {
      name: 'etcd',
      argv: [bins.etcd, '--name', 'ovnh-lab', '--data-dir', etcdData,
        '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
        '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `ovnh-lab=${peerUrl}`,
        // The lab's datastore is disposable: skip fsync so the 2-core machine spends its time on the test.
        '--unsafe-no-fsync', '--log-level', 'warn'],
      logPath: join(dir, 'etcd.log'),
      match: etcdData,
    });
    await waitFor('etcd health', async () => {
      const r = await fetch(`${etcdUrl}/health`).catch(() => undefined);
      return r?.ok;
    }, 30_000);
  }, join(dir, 'etcd.log'));

  const auditPolicy = join(dir, 'audit-policy.yaml');
  const auditLog = join(dir, 'audit.log');
  await writeFile(auditPolicy, AUDIT_POLICY);
  const server = `https://127.0.0.1:${NET.apiPort}`;
  await progress.step('start-apiserver', 'starting kube-apiserver', 15_000, async () => {
    await startDaemon(rec, {
      name: 'kube-apiserver',
      argv: [bins['kube-apiserver'],
        '--bind-address=127.0.0.1', `--secure-port=${NET.apiPort}`,
        `--advertise-address=${NET.mgmtGateway}`,
        `--etcd-servers=${etcdUrl}`,
        `--client-ca-file=${pki.caCert}`,
        `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`,
        `--service-account-issuer=https://kubernetes.default.svc`,
        `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
        `--service-cluster-ip-range=${NET.serviceCidr}`,
        '--authorization-mode=Node,RBAC',
        // The defaults of 1.33 already include ValidatingAdmissionPolicy, ServiceAccount,
        // NodeRestriction is added as on a kubeadm cluster.
        '--enable-admission-plugins=NodeRestriction',
        '--allow-privileged=true',
        `--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`,
        '--audit-log-maxbackup=1', '--audit-log-maxsize=200',
        '--profiling=false',
        // No kubelet in the lab: the API server must not wait for node-local components.
        '--endpoint-reconciler-type=none',
        '--v=1'],
      logPath: join(dir, 'kube-apiserver.log'),
      match: `--secure-port=${NET.apiPort}`,
    });
    await writeFile(join(dir, '.server'), server);
    await waitFor('kube-apiserver /readyz', async () => {
      const r = await run(['kubectl', '--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], { allowFailure: true, timeoutMs: 10_000 });
      return r.code === 0 && r.stdout.trim() === 'ok';
    }, 120_000, 500);
  }, join(dir, 'kube-apiserver.log'));
  return { server, kubeconfig, auditLog };
}
