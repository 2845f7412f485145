// The agent's only door to the API server: its own OvirtNodeNetwork object (get, create, JSON
// patch of status, watch by name), its Node (for the owner reference), Events, and the CRD.
// Never a whole-object PUT: it would overwrite the spec edits users made since the object was read.
import { ApiError, ApiHttp, type Stream } from './http.js';
import type { ApiConnection } from './connection.js';
import type { ManagedFieldsEntry } from './managed-fields.js';
import { API_VERSION, GROUP, HANDLER_NAME, KIND, PLURAL, VERSION } from '../api/constants.js';

export interface OnnMetadata {
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  managedFields?: ManagedFieldsEntry[];
}

export interface OnnObject {
  apiVersion: string;
  kind: string;
  metadata: OnnMetadata;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/**
 * The only namespace the API server accepts Events about cluster-scoped objects in (both of this
 * project's kinds): its validation refuses any other with "involvedObject.namespace: does not
 * match event.namespace". So Events cannot follow the install namespace; admission-policy.yaml
 * holds the agent's Events to its own object instead.
 */
export const EVENTS_NAMESPACE = 'default';

export function eventsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
}

/** A core/v1 Event about one object, as the agent and the policy controller record them. */
export function eventBody(
  involvedObject: { apiVersion: string; kind: string; name: string; uid?: string | undefined },
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  source: { component: string; host?: string },
  reportingComponent: string,
  reportingInstance: string,
  now = new Date().toISOString(),
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${involvedObject.name}.` },
    involvedObject,
    type,
    reason,
    message: message.slice(0, 1024),
    source,
    reportingComponent,
    reportingInstance,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.code === 404;
}

export function httpStatus(e: unknown): number | undefined {
  return e instanceof ApiError ? e.code : undefined;
}

/**
 * Why the API server refused a write for what it carries: 'size' (413; a 500 from etcd or gRPC
 * about a request too large), 'content' (400, 422: invalid, or a value too long); undefined for
 * every other failure (auth, not found, throttling, an outage), which a retry may get past.
 */
export function refusalOf(e: unknown): 'size' | 'content' | undefined {
  if (!(e instanceof ApiError)) return undefined;
  if (e.code === 413 || (e.code === 500 && /too large|larger than max/i.test(e.message))) return 'size';
  return e.code === 400 || e.code === 422 ? 'content' : undefined;
}

/** A short, secret-free description of an API error for logs and status messages. */
export function describeApiError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The few fields of a CustomResourceDefinition the agent needs to install one. */
export interface CrdManifest {
  metadata: { name: string };
  [key: string]: unknown;
}

interface NodeObject {
  metadata?: { uid?: string };
}

/** Keys of a status map to set (new or changed entries) and to remove, its other keys left as they are. */
export interface MapEdit {
  set: Record<string, unknown>;
  remove: string[];
}

/** A status write that edits inside maps rather than replacing them, based on one version of the object. */
export interface StatusEdit {
  /** By top-level status field (an object the status has). */
  maps: Record<string, MapEdit>;
  /**
   * The resourceVersion of the object the edits were computed against: the API server refuses
   * the write (409 Conflict) when the object changed since, so an edit never lands on a map
   * other than the one it was computed from.
   */
  resourceVersion: string;
}

/** One operation of a JSON patch (RFC 6902), of the kinds a status write uses. */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** A JSON pointer's token (RFC 6901). */
export const pointerToken = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The JSON patch of a status write: `fields` set whole (the whole status when it has none), and
 * each map edit as "add"/"remove" of its keys, preceded by the resourceVersion precondition
 * (a patch that sets metadata.resourceVersion is refused unless it is the object's current one).
 */
export function statusPatchOps(fields: Record<string, unknown>, statusExists: boolean, edit?: StatusEdit): PatchOp[] {
  if (!statusExists) {
    if (edit) throw new Error('a map edit needs an object with a status');
    return [{ op: 'add', path: '/status', value: fields }];
  }
  const ops: PatchOp[] = Object.entries(fields).map(([k, value]) => ({
    op: 'add',
    path: `/status/${pointerToken(k)}`,
    value,
  }));
  if (!edit) return ops;
  const edits: PatchOp[] = [{ op: 'replace', path: '/metadata/resourceVersion', value: edit.resourceVersion }];
  for (const [field, m] of Object.entries(edit.maps)) {
    const base = `/status/${pointerToken(field)}`;
    for (const [k, value] of Object.entries(m.set))
      edits.push({ op: 'add', path: `${base}/${pointerToken(k)}`, value });
    for (const k of m.remove) edits.push({ op: 'remove', path: `${base}/${pointerToken(k)}` });
  }
  return [...edits, ...ops];
}

const JSON_PATCH = 'application/json-patch+json';
const ONN_PATH = `/apis/${GROUP}/${VERSION}/${PLURAL}`;
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export interface WatchOptions {
  /** Asked of the server; it ends the stream then. */
  timeoutSeconds: number;
  /** Until the response headers. */
  connectTimeoutMs: number;
  /** Silence on an open stream for longer than this ends it (a stuck connection). */
  idleTimeoutMs: number;
}

export interface OnnClientOptions {
  /** The namespace Events are written to (the agent's install namespace); without it, event() refuses. */
  eventsNamespace?: string;
  fieldManager?: string;
}

export class OnnClient {
  readonly http: ApiHttp;
  readonly fieldManager: string;
  readonly eventsNamespace: string | undefined;

  constructor(
    readonly conn: ApiConnection,
    o: OnnClientOptions = {},
  ) {
    this.http = new ApiHttp(conn);
    this.fieldManager = o.fieldManager ?? HANDLER_NAME;
    this.eventsNamespace = o.eventsNamespace;
  }

  get server(): URL {
    return this.conn.server;
  }

  async get(name: string): Promise<OnnObject | undefined> {
    try {
      return await this.http.call<OnnObject>('GET', `${ONN_PATH}/${encodeURIComponent(name)}`);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async create(obj: OnnObject): Promise<OnnObject> {
    return this.http.call<OnnObject>('POST', `${ONN_PATH}?fieldManager=${encodeURIComponent(this.fieldManager)}`, {
      body: obj,
    });
  }

  /**
   * Replaces the given top-level status fields (JSON patch "add" = set or replace), leaving the
   * others alone, and edits keys of status maps (statusPatchOps). A merge patch would keep map
   * keys that disappeared (a removed interface).
   */
  async patchStatus(
    name: string,
    fields: Record<string, unknown>,
    statusExists: boolean,
    timeoutMs?: number,
    edit?: StatusEdit,
  ): Promise<OnnObject> {
    return this.http.call<OnnObject>(
      'PATCH',
      `${ONN_PATH}/${encodeURIComponent(name)}/status?fieldManager=${encodeURIComponent(this.fieldManager)}`,
      {
        body: statusPatchOps(fields, statusExists, edit),
        contentType: JSON_PATCH,
        ...(timeoutMs ? { timeoutMs } : {}),
      },
    );
  }

  async getNode(name: string): Promise<NodeObject | undefined> {
    try {
      return await this.http.call<NodeObject>('GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Records an Event about the object (in EVENTS_NAMESPACE, as the agent's entry point passes it). */
  async event(
    obj: OnnObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    node: string,
  ): Promise<void> {
    if (this.eventsNamespace === undefined) throw new Error('this client has no namespace for Events');
    await this.http.call('POST', eventsPath(this.eventsNamespace), {
      body: eventBody(
        { apiVersion: API_VERSION, kind: KIND, name: obj.metadata.name, uid: obj.metadata.uid },
        type,
        reason,
        message,
        { component: HANDLER_NAME, host: node },
        `${GROUP}/node-network-handler`,
        node,
      ),
    });
  }

  async ensureCrd(crd: CrdManifest): Promise<'created' | 'present'> {
    try {
      await this.http.call('GET', `${CRD_PATH}/${encodeURIComponent(crd.metadata.name)}`);
      return 'present';
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    await this.http.call('POST', CRD_PATH, { body: crd });
    return 'created';
  }

  /**
   * Watches one object by name from resourceVersion. onEvent gets each event; done is called
   * once when the stream ends by itself (err undefined: the server's timeout), never after abort().
   */
  watch(
    name: string,
    resourceVersion: string | undefined,
    o: WatchOptions,
    onEvent: (type: string, obj: OnnObject) => void,
    done: (err?: Error) => void,
  ): Promise<Stream> {
    return watchPath(
      this.http,
      ONN_PATH,
      { fieldSelector: `metadata.name=${name}` },
      resourceVersion,
      o,
      onEvent,
      done,
    );
  }
}

/**
 * A watch of a collection path from resourceVersion (query: e.g. a fieldSelector): onEvent gets
 * each event; done is called once when the stream ends by itself, never after abort().
 */
export function watchPath<T>(
  http: ApiHttp,
  path: string,
  query: Record<string, string>,
  resourceVersion: string | undefined,
  o: WatchOptions,
  onEvent: (type: string, obj: T) => void,
  done: (err?: Error) => void,
): Promise<Stream> {
  const q = new URLSearchParams({
    ...query,
    watch: 'true',
    allowWatchBookmarks: 'true',
    timeoutSeconds: String(o.timeoutSeconds),
    ...(resourceVersion ? { resourceVersion } : {}),
  });
  return http.stream(
    `${path}?${q.toString()}`,
    { headersTimeoutMs: o.connectTimeoutMs, idleTimeoutMs: o.idleTimeoutMs },
    (line) => {
      let ev: { type?: string; object?: T };
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch {
        throw new Error(`the watch sent a line that is not JSON (${line.length} bytes)`);
      }
      if (ev.type && ev.object) onEvent(ev.type, ev.object);
    },
    done,
  );
}
