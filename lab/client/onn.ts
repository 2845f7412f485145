// OvirtNodeNetwork objects of the lab, as tests, benchmarks and reliability experiments drive
// them: spec changes through the API (timed from the moment the request is sent), status read
// back by polling the API with the admin's credentials. kubectl is used where a user would use
// it; timing needs the client.
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import type { Condition as ApiCondition, Status } from '../../src/api/status.js';
import { sleep } from '../../src/util/exec.js';

/** A condition as read back: the API's shape, with the fields a test may see unset left optional. */
export type Condition = Pick<ApiCondition, 'type' | 'status'> & Partial<Omit<ApiCondition, 'type' | 'status'>>;

export interface OnnMetadata {
  name: string;
  generation: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid?: string }[];
}

/**
 * A spec as read back or written: left open (tests and fuzzers write specs the API refuses or the
 * agent rejects), with the networks and bonds by name to look into.
 */
export interface OnnSpec {
  networks?: Record<string, Record<string, unknown>>;
  bondings?: Record<string, Record<string, unknown>>;
  [field: string]: unknown;
}

/** The object as the API server returns it. The status is the agent's (src/api/status.ts). */
export interface Onn {
  metadata: OnnMetadata;
  spec: OnnSpec;
  status?: Omit<Status, 'conditions'> & { conditions?: Condition[] };
}

/** A poll's defaults: an apply in the VM (TCG) takes tens of seconds; timing wants short polls. */
export const WAIT_TIMEOUT_MS = 300_000;
export const WAIT_INTERVAL_MS = 50;

/** The custom-objects API with the credentials of a kubeconfig file (the lab's admin, usually). */
export function customObjectsApi(kubeconfig: string): CustomObjectsApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(CustomObjectsApi);
}

export class OnnDriver {
  private readonly api: CustomObjectsApi;

  constructor(kubeconfig: string) {
    this.api = customObjectsApi(kubeconfig);
  }

  async get(node: string): Promise<Onn> {
    return (await this.api.getClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      name: node,
    })) as Onn;
  }

  /** Waits for the node's agent to have created its object (after lab up, or a restart). */
  async exists(node: string, timeoutMs = 180_000): Promise<Onn> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const o = await this.get(node).catch(() => undefined);
      if (o?.status?.conditions?.length) return o;
      if (Date.now() > deadline) throw new Error(`${node}: no OvirtNodeNetwork reported within ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }

  /** Replaces the spec with one JSON patch; returns the new generation. */
  async setSpec(node: string, spec: unknown): Promise<number> {
    const o = (await this.api.patchClusterCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        name: node,
        body: [{ op: 'replace', path: '/spec', value: spec }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    )) as Onn;
    return o.metadata.generation;
  }

  /**
   * Polls until the agent has finished with generation `gen` (isSettled), or with the object's
   * generation at each poll when none is given; returns the object. API errors (the server
   * restarting, overloaded, the object being recreated) are stepped over until the deadline,
   * whose error names the node, the generation, the last status seen and the last error.
   */
  async waitForGeneration(
    node: string,
    gen?: number,
    timeoutMs = WAIT_TIMEOUT_MS,
    intervalMs = WAIT_INTERVAL_MS,
  ): Promise<Onn> {
    const deadline = Date.now() + timeoutMs;
    let last: Onn | undefined;
    let lastError: unknown;
    for (;;) {
      try {
        last = await this.get(node);
        lastError = undefined;
        if (isSettled(last, gen ?? last.metadata.generation)) return last;
      } catch (e) {
        lastError = e;
      }
      if (Date.now() > deadline) throw new Error(notSettledMessage(node, gen, timeoutMs, last, lastError));
      await sleep(intervalMs);
    }
  }

  /** waitForGeneration, then Available=True or an error with the setup status. */
  async available(node: string, gen?: number, timeoutMs?: number): Promise<Onn> {
    const o = await this.waitForGeneration(node, gen, timeoutMs);
    if (!isAvailable(o)) throw new Error(`${node}: not Available: ${JSON.stringify(o.status?.setupStatus)}`);
    return o;
  }

  /**
   * A JSON merge patch of the spec (a network added by name, or removed with null), leaving the
   * rest of it — a policy's networks, other fields — as it is; returns the new generation.
   */
  async mergeSpec(node: string, patch: Record<string, unknown>): Promise<number> {
    const o = (await this.api.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, name: node, body: { spec: patch } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Onn;
    return o.metadata.generation;
  }

  async list(): Promise<Onn[]> {
    const r = (await this.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as {
      items: Onn[];
    };
    return r.items;
  }

  /**
   * waitForGeneration for many nodes at once, by one list a second rather than a poll per node
   * (50 nodes polled every 50 ms would load the API server being measured); returns when each
   * node was first seen settled (ms epoch) and its object.
   */
  async settledAll(
    gens: ReadonlyMap<string, number>,
    timeoutMs = 600_000,
    intervalMs = 1000,
  ): Promise<Map<string, { at: number; onn: Onn }>> {
    const deadline = Date.now() + timeoutMs;
    const done = new Map<string, { at: number; onn: Onn }>();
    for (;;) {
      const items = await this.list().catch(() => [] as Onn[]);
      const now = Date.now();
      for (const o of items) {
        const gen = gens.get(o.metadata.name);
        if (gen !== undefined && !done.has(o.metadata.name) && isSettled(o, gen))
          done.set(o.metadata.name, { at: now, onn: o });
      }
      if (done.size === gens.size) return done;
      if (Date.now() > deadline) {
        const pending = [...gens.keys()].filter((n) => !done.has(n));
        throw new Error(`not settled within ${timeoutMs / 1000} s: ${pending.join(', ')}`);
      }
      await sleep(intervalMs);
    }
  }

  /** Sets the spec and waits for the result; throws unless Available=True. */
  async apply(node: string, spec: unknown, timeoutMs?: number): Promise<Onn> {
    await this.exists(node);
    return this.available(node, await this.setSpec(node, spec), timeoutMs);
  }
}

/**
 * The agent has acted on generation gen: observed, Available's observedGeneration reached, not
 * Progressing. ApiUnreachable is not an outcome: the agent holds the spec until the API server
 * answers its pre-apply check (an overloaded API server, seen with 50 nodes changing at once)
 * and then applies it.
 */
export function isSettled(o: Onn, gen: number): boolean {
  const avail = condition(o, 'Available');
  const waiting = Object.values(o.status?.setupStatus ?? {}).some((x) => x?.reason === 'ApiUnreachable');
  return (
    (o.status?.observedGeneration ?? 0) >= gen &&
    (avail?.observedGeneration ?? 0) >= gen &&
    avail?.reason !== 'Progressing' &&
    !waiting
  );
}

export function condition(o: Onn, type: Condition['type']): Condition | undefined {
  return o.status?.conditions?.find((c) => c.type === type);
}

export function isAvailable(o: Onn): boolean {
  return condition(o, 'Available')?.status === 'True';
}

export function failedReason(o: Onn): string | undefined {
  return o.status?.setupStatus?.Failed?.reason;
}

function notSettledMessage(node: string, gen: number | undefined, ms: number, last?: Onn, error?: unknown): string {
  const wanted = gen ?? last?.metadata.generation;
  const conditions = last?.status?.conditions?.map((c) => [c.type, c.status, c.observedGeneration, c.reason]);
  const seen = last
    ? `observedGeneration ${last.status?.observedGeneration ?? '-'}, ` +
      `setupStatus ${JSON.stringify(last.status?.setupStatus)}, conditions ${JSON.stringify(conditions)}`
    : 'no object read';
  const err = error ? `; last API error: ${error instanceof Error ? error.message : String(error)}` : '';
  return `${node}: generation ${wanted ?? '?'} not reconciled within ${ms / 1000} s (last seen: ${seen}${err})`;
}
