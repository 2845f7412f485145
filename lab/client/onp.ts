// OvirtNetworkPolicy objects of the lab, as the fleet tests and benchmarks drive them with the
// admin's credentials: created and deleted through the API (timed from the request), status polled.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, POLICY_KIND, POLICY_PLURAL, VERSION } from '../../src/api/constants.js';
import { sleep } from '../../src/util/exec.js';
import { customObjectsApi } from './onn.js';
import type { PolicyCondition as ApiPolicyCondition, PolicyStatus } from '../../src/api/policy.js';

/** A policy's condition as read back: the API's shape, the fields past type and status optional. */
export type PolicyCondition = Pick<ApiPolicyCondition, 'type' | 'status'> &
  Partial<Omit<ApiPolicyCondition, 'type' | 'status'>>;

/** The policy as the API server returns it; its status is the controller's (src/api/policy.ts). */
export interface Onp {
  metadata: { name: string; generation: number; finalizers?: string[]; annotations?: Record<string, string> };
  status?: Omit<PolicyStatus, 'conditions'> & { conditions?: PolicyCondition[] };
}

/** The policy's status describes its generation and every one of `nodes` nodes is available. */
export function rolledOut(p: Onp, nodes: number): boolean {
  const s = p.status;
  const available = s?.conditions?.find((c) => c.type === 'Available');
  return (
    s?.observedGeneration === p.metadata.generation &&
    available?.status === 'True' &&
    s.matchedNodes === nodes &&
    s.availableNodes === nodes
  );
}

/** A reason to stop waiting: the rollout was aborted or refused somewhere. */
export function rolloutProblem(p: Onp): string | undefined {
  const degraded = p.status?.conditions?.find((c) => c.type === 'Degraded');
  if (p.status?.observedGeneration !== p.metadata.generation || degraded?.status !== 'True') return undefined;
  return `${degraded.reason}: ${degraded.message ?? ''} ${JSON.stringify(p.status?.failedNodes ?? [])}`;
}

const isNotFound = (e: unknown) => (e as { code?: number }).code === 404;

export class PolicyDriver {
  private readonly api: CustomObjectsApi;

  constructor(kubeconfig: string) {
    this.api = customObjectsApi(kubeconfig);
  }

  async create(name: string, spec: Record<string, unknown>): Promise<Onp> {
    return (await this.api.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: POLICY_PLURAL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: POLICY_KIND, metadata: { name }, spec },
    })) as Onp;
  }

  async get(name: string): Promise<Onp | undefined> {
    try {
      return (await this.api.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: POLICY_PLURAL,
        name,
      })) as Onp;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Asks for deletion (the controller's finalizer holds it until every node is clean); absent is fine. */
  async delete(name: string): Promise<void> {
    try {
      await this.api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: POLICY_PLURAL, name });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Polls until the policy is rolled out to `nodes` nodes; throws at a Degraded status or the deadline. */
  async waitRolledOut(
    name: string,
    nodes: number,
    timeoutMs: number,
    intervalMs = 250,
    onPoll?: (p: Onp) => void,
  ): Promise<Onp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.get(name).catch(() => undefined);
      if (p) {
        onPoll?.(p);
        if (rolledOut(p, nodes)) return p;
        const problem = rolloutProblem(p);
        if (problem) throw new Error(`policy ${name}: ${problem}`);
      }
      if (Date.now() > deadline)
        throw new Error(
          `policy ${name} not rolled out to ${nodes} nodes within ${timeoutMs / 1000} s: ${JSON.stringify(p?.status)}`,
        );
      await sleep(intervalMs);
    }
  }

  /** Polls until the policy is gone (its finalizer dropped); throws at the deadline. */
  async waitGone(name: string, timeoutMs: number, intervalMs = 250): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.get(name).catch(() => ({}) as Onp);
      if (p === undefined) return;
      if (Date.now() > deadline)
        throw new Error(`policy ${name} still there after ${timeoutMs / 1000} s: ${JSON.stringify(p.status)}`);
      await sleep(intervalMs);
    }
  }
}
