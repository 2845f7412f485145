// The policy controller as the fleet benchmarks use it: the product's Deployment when the lab
// runs kubelets (its leading replica's process is the one measured), else a process on this
// machine with its own service account's token (deploy/controller-rbac.yaml), so that RBAC and
// the controller's admission policy apply and the audit log names its requests either way.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CONTROLLER_NAME } from '../../src/api/constants.js';
import { CONTROLLER_SA, HANDLER_NAMESPACE } from '../../lab/src/agents.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';
import type { Lab } from '../../lab/src/index.js';
import { pkiPaths } from '../../lab/src/pki.js';
import { podProcessPid } from '../../lab/src/pod-agent.js';
import { run, sleep, waitFor } from '../../src/util/exec.js';
import { serviceAccountUser } from './audit.js';

export const CONTROLLER_USER = serviceAccountUser(HANDLER_NAMESPACE, CONTROLLER_SA);

/** A kubeconfig with nothing but the server, its CA and a bearer token. */
export function tokenKubeconfig(o: { server: string; caData: string; token: string; user: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'ovnh-lab', cluster: { server: o.server, 'certificate-authority-data': o.caData } }],
    users: [{ name: o.user, user: { token: o.token } }],
    contexts: [{ name: 'ovnh-lab', context: { cluster: 'ovnh-lab', user: o.user } }],
    'current-context': 'ovnh-lab',
  });
}

/** A kubeconfig for the controller's service account (a token from `kubectl create token`), written to dir. */
export async function writeControllerKubeconfig(lab: Lab, dir: string): Promise<string> {
  const token = (await run(['kubectl', '--kubeconfig', lab.kubeconfig, 'create', 'token', CONTROLLER_SA, '-n', HANDLER_NAMESPACE, '--duration', '4h'])).stdout.trim();
  const caData = (await readFile(pkiPaths(join(lab.paths.dir, 'pki')).caCert)).toString('base64');
  const path = join(dir, 'controller.kubeconfig');
  await writeFile(path, tokenKubeconfig({ server: lab.state.apiServer ?? 'https://127.0.0.1:16443', caData, token, user: CONTROLLER_SA }), { mode: 0o600 });
  return path;
}

export interface ControllerProcess {
  pid: number;
  log: string;
  /** SIGTERM (it gives up its Lease), SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** `ovirt-node-network-handler controller` with the Deployment's lease settings (deploy/controller.yaml); its output to log. */
export function startController(kubeconfig: string, identity: string, log: string): ControllerProcess {
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'ovirt-node-network-handler.js'), 'controller', '--kubeconfig', kubeconfig,
    '--namespace', HANDLER_NAMESPACE, '--identity', identity, '--lease-duration', '15', '--renew-interval', '5'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error('could not start the controller');
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid,
    log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
      if (killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Waits until identity holds the controller's Lease (a previous holder's lease runs out first). */
export async function waitLeader(lab: Lab, identity: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${identity} to hold the Lease ${CONTROLLER_NAME}`, async () => {
    const r = await run(['kubectl', '--kubeconfig', lab.kubeconfig, 'get', 'lease', '-n', HANDLER_NAMESPACE, CONTROLLER_NAME, '-o', 'jsonpath={.spec.holderIdentity}'], { allowFailure: true });
    return r.code === 0 && r.stdout.trim() === identity;
  }, timeoutMs, 500);
}

/** The Lease's holder, if any. */
async function leaseHolder(lab: Lab): Promise<string | undefined> {
  const r = await run(['kubectl', '--kubeconfig', lab.kubeconfig, 'get', 'lease', '-n', HANDLER_NAMESPACE, CONTROLLER_NAME, '-o', 'jsonpath={.spec.holderIdentity}'], { allowFailure: true });
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * The leading controller: the Deployment's leader pod's process on a lab with kubelets (stop()
 * leaves it running), else a process started here for the run (stop() ends it).
 */
export async function useController(lab: Lab, dir: string): Promise<ControllerProcess> {
  if (lab.state.nodes.some((n) => n.agent === 'pod')) {
    const found = await waitFor('a leading controller replica', async () => {
      const holder = await leaseHolder(lab);
      if (!holder) return undefined;
      const r = await run(['kubectl', '--kubeconfig', lab.kubeconfig, 'get', 'pod', '-n', HANDLER_NAMESPACE, holder, '-o', 'jsonpath={.spec.nodeName}'], { allowFailure: true });
      const pid = r.code === 0 && r.stdout.trim() ? await podProcessPid(r.stdout.trim(), 'controller') : undefined;
      return pid === undefined ? undefined : { pid, pod: holder };
    }, 180_000, 500);
    return { pid: found.pid, log: `kubectl logs -n ${HANDLER_NAMESPACE} ${found.pod}`, stop: async () => undefined };
  }
  const identity = `bench-controller-${process.pid}`;
  const c = startController(await writeControllerKubeconfig(lab, dir), identity, join(dir, 'controller.log'));
  await waitLeader(lab, identity);
  return c;
}
