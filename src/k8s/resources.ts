// The policy controller's door to the API server, on the same small client as the agent's
// (src/k8s/http.ts): list and watch of policies, Nodes and node objects; server-side apply of a
// policy's part of a node object (its own field manager, never forced); a policy's finalizers
// and status; Events; and the coordination Lease of leader election.
import { ApiError, ApiHttp, type Stream } from './http.js';
import type { ApiConnection } from './connection.js';
import { eventBody, eventsPath, watchPath, type OnnObject, type PatchOp, type WatchOptions } from './client.js';
import { API_VERSION, CONTROLLER_NAME, GROUP, PLURAL, POLICY_KIND, POLICY_PLURAL, VERSION } from '../api/constants.js';

export interface ObjectMeta {
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string };
  items: T[];
}

export interface Lease {
  metadata: ObjectMeta;
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export const POLICY_PATH = `/apis/${GROUP}/${VERSION}/${POLICY_PLURAL}`;
export const ONN_COLLECTION = `/apis/${GROUP}/${VERSION}/${PLURAL}`;
export const NODE_PATH = '/api/v1/nodes';

const APPLY_PATCH = 'application/apply-patch+yaml';
const MERGE_PATCH = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

/** A 409 from a server-side apply: another manager owns a field with another value. */
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409;
}

export class ControllerClient {
  readonly http: ApiHttp;

  /** eventsNamespace: where policy Events are written (EVENTS_NAMESPACE). */
  constructor(
    readonly conn: ApiConnection,
    readonly eventsNamespace: string,
  ) {
    this.http = new ApiHttp(conn, CONTROLLER_NAME);
  }

  list<T>(path: string): Promise<KubeList<T>> {
    return this.http.call<KubeList<T>>('GET', path);
  }

  watch<T>(
    path: string,
    resourceVersion: string | undefined,
    o: WatchOptions,
    onEvent: (type: string, obj: T) => void,
    done: (err?: Error) => void,
  ): Promise<Stream> {
    return watchPath(this.http, path, {}, resourceVersion, o, onEvent, done);
  }

  /**
   * Server-side apply of `body` to a node object by `fieldManager`, force=false: a field another
   * manager owns with another value makes the API server answer 409 instead of taking it.
   */
  applyOnn(name: string, fieldManager: string, body: Record<string, unknown>): Promise<OnnObject> {
    const q = new URLSearchParams({ fieldManager, force: 'false' });
    return this.http.call<OnnObject>('PATCH', `${ONN_COLLECTION}/${encodeURIComponent(name)}?${q.toString()}`, {
      body,
      contentType: APPLY_PATCH,
    });
  }

  /** A JSON patch of a node object by `fieldManager` (a policy's removal of its entries). */
  patchOnn(name: string, fieldManager: string, ops: readonly PatchOp[]): Promise<OnnObject> {
    const q = new URLSearchParams({ fieldManager });
    return this.http.call<OnnObject>('PATCH', `${ONN_COLLECTION}/${encodeURIComponent(name)}?${q.toString()}`, {
      body: ops,
      contentType: JSON_PATCH,
    });
  }

  /** A JSON patch of a Node (the policy controller's taint: src/fleet/taints.ts; RBAC and admission allow no more). */
  patchNode(name: string, ops: readonly PatchOp[]): Promise<KubeObject> {
    return this.http.call<KubeObject>(
      'PATCH',
      `${NODE_PATH}/${encodeURIComponent(name)}?fieldManager=${CONTROLLER_NAME}`,
      {
        body: ops,
        contentType: JSON_PATCH,
      },
    );
  }

  /** Whether the policy exists now, asked of the API server (not of a cache). */
  async policyExists(name: string): Promise<boolean> {
    try {
      await this.http.call<KubeObject>('GET', `${POLICY_PATH}/${encodeURIComponent(name)}`);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return false;
      throw e;
    }
  }

  /** Sets a policy's finalizers, only if the policy is still at resourceVersion (else 409). */
  setFinalizers(name: string, finalizers: readonly string[], resourceVersion: string | undefined): Promise<KubeObject> {
    return this.http.call<KubeObject>(
      'PATCH',
      `${POLICY_PATH}/${encodeURIComponent(name)}?fieldManager=${CONTROLLER_NAME}`,
      {
        body: { metadata: { finalizers, ...(resourceVersion ? { resourceVersion } : {}) } },
        contentType: MERGE_PATCH,
      },
    );
  }

  /** Replaces the policy's status (every field of it is always written). */
  patchPolicyStatus(name: string, status: unknown): Promise<KubeObject> {
    return this.http.call<KubeObject>(
      'PATCH',
      `${POLICY_PATH}/${encodeURIComponent(name)}/status?fieldManager=${CONTROLLER_NAME}`,
      { body: { status }, contentType: MERGE_PATCH },
    );
  }

  /** An Event about a policy (in EVENTS_NAMESPACE). */
  async policyEvent(
    policy: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    instance: string,
  ): Promise<void> {
    await this.http.call('POST', eventsPath(this.eventsNamespace), {
      body: eventBody(
        { apiVersion: API_VERSION, kind: POLICY_KIND, name: policy.metadata.name, uid: policy.metadata.uid },
        type,
        reason,
        message,
        { component: CONTROLLER_NAME },
        `${GROUP}/${CONTROLLER_NAME}`,
        instance,
      ),
    });
  }

  private leasePath(namespace: string, name?: string): string {
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
    return name ? `${leases}/${encodeURIComponent(name)}` : leases;
  }

  async getLease(namespace: string, name: string): Promise<Lease | undefined> {
    try {
      return await this.http.call<Lease>('GET', this.leasePath(namespace, name));
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  createLease(namespace: string, lease: Lease): Promise<Lease> {
    return this.http.call<Lease>('POST', this.leasePath(namespace), {
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease },
    });
  }

  /** A PUT with the lease's resourceVersion: a competing writer in between makes it 409. */
  updateLease(namespace: string, lease: Lease): Promise<Lease> {
    return this.http.call<Lease>('PUT', this.leasePath(namespace, lease.metadata.name), {
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease },
    });
  }

  close(): void {
    this.http.close();
  }
}
