// The agent's only door to the API server: its own OvirtNodeNetwork object (get, create, merge
// patch of status, watch by name), its Node (for the owner reference), Events, and the CRD.
// Never a whole-object PUT: the original handler lost users' spec edits that way.
import { request } from 'node:https';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1CustomResourceDefinition,
  type V1Node,
} from '@kubernetes/client-node';

export const GROUP = 'ovirt.org';
export const VERSION = 'v1alpha1';
export const PLURAL = 'ovirtnodenetworks';
export const KIND = 'OvirtNodeNetwork';

export interface OnnMetadata {
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
}

export interface OnnObject {
  apiVersion: string;
  kind: string;
  metadata: OnnMetadata;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** A kubeconfig file when given, else the in-cluster service account, else the default lookup. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiException && e.code === 404;
}

export function httpStatus(e: unknown): number | undefined {
  return e instanceof ApiException ? e.code : undefined;
}

/** A short, secret-free description of an API error for logs and status messages. */
export function describeApiError(e: unknown): string {
  if (e instanceof ApiException) {
    const body = typeof e.body === 'string' ? safeJson(e.body) : e.body;
    const msg = body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : '';
    return `HTTP ${e.code}${msg ? `: ${msg}` : ''}`;
  }
  return e instanceof Error ? e.message : String(e);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export class OnnClient {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly ext: ApiextensionsV1Api;

  constructor(readonly kc: KubeConfig, readonly fieldManager = 'ovirt-node-network-handler') {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.ext = kc.makeApiClient(ApiextensionsV1Api);
  }

  async get(name: string): Promise<OnnObject | undefined> {
    try {
      return (await this.custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name })) as OnnObject;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async list(): Promise<{ items: OnnObject[]; metadata: { resourceVersion?: string } }> {
    return (await this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as never;
  }

  async create(obj: OnnObject): Promise<OnnObject> {
    return (await this.custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, body: obj, fieldManager: this.fieldManager })) as OnnObject;
  }

  /**
   * Replaces the given top-level status fields (JSON patch "add" = set or replace), leaving the
   * others alone. A merge patch would keep map keys that disappeared (a removed interface).
   */
  async patchStatus(name: string, fields: Record<string, unknown>, statusExists: boolean): Promise<OnnObject> {
    const ops = statusExists
      ? Object.entries(fields).map(([k, value]) => ({ op: 'add', path: `/status/${k}`, value }))
      : [{ op: 'add', path: '/status', value: fields }];
    return (await this.custom.patchClusterCustomObjectStatus(
      { group: GROUP, version: VERSION, plural: PLURAL, name, body: ops, fieldManager: this.fieldManager },
      jsonPatch,
    )) as OnnObject;
  }

  async getNode(name: string): Promise<V1Node | undefined> {
    try {
      return await this.core.readNode({ name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Records an Event about the object (cluster-scoped objects' events live in "default"). */
  async event(obj: OnnObject, type: 'Normal' | 'Warning', reason: string, message: string, node: string): Promise<void> {
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { generateName: `${obj.metadata.name}.` },
        involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, name: obj.metadata.name, uid: obj.metadata.uid },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: 'ovirt-node-network-handler', host: node },
        reportingComponent: 'ovirt.org/node-network-handler',
        reportingInstance: node,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  async ensureCrd(crd: V1CustomResourceDefinition): Promise<'created' | 'present'> {
    try {
      await this.ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
      return 'present';
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    await this.ext.createCustomResourceDefinition({ body: crd });
    return 'created';
  }

  /**
   * Watches one object by name from resourceVersion. Resolves to an AbortController; done(err)
   * is called once when the stream ends for any reason.
   */
  watch(name: string, resourceVersion: string | undefined, onEvent: (type: string, obj: OnnObject) => void, done: (err: unknown) => void): Promise<AbortController> {
    const w = new Watch(this.kc);
    // The client aborts a watch silent for 30 s by default; the agent runs its own watchdog
    // (quiet objects are normal), so let the server's timeoutSeconds end the stream.
    (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 330_000;
    return w.watch(`/apis/${GROUP}/${VERSION}/${PLURAL}`, {
      fieldSelector: `metadata.name=${name}`,
      allowWatchBookmarks: true,
      ...(resourceVersion ? { resourceVersion } : {}),
      timeoutSeconds: 300,
    }, (type, obj) => onEvent(type, obj as OnnObject), done);
  }

  /**
   * Reads the object over a brand-new TLS connection (no pooled socket), as the connectivity
   * check must prove the node can reach the API server now, through its current network.
   */
  async probe(name: string, timeoutMs: number): Promise<void> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(`${cluster.server.replace(/\/$/, '')}/apis/${GROUP}/${VERSION}/${PLURAL}/${encodeURIComponent(name)}`);
    const opts: import('node:https').RequestOptions = {
      method: 'GET', hostname: url.hostname, port: url.port || 443, path: url.pathname, agent: false, timeout: timeoutMs,
      headers: { Accept: 'application/json' },
    };
    await this.kc.applyToHTTPSOptions(opts);
    await new Promise<void>((resolve, reject) => {
      const req = request(opts, (res) => {
        res.resume();
        if (res.statusCode && res.statusCode < 300) resolve();
        else reject(new Error(`API server answered HTTP ${res.statusCode}`));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from the API server within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}
