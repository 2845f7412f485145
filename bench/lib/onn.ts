// OvirtNodeNetwork objects of the lab, as the suites drive them: spec changes through the API
// (timed from the moment the request is sent), status read back by polling the API with the
// admin's credentials. kubectl is used where a user would use it; timing needs the client.
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import { sleep } from '../../src/util/exec.js';

export interface Condition { type: string; status: string; observedGeneration?: number; reason?: string; message?: string; lastTransitionTime?: string }
export interface Onn {
  metadata: { name: string; generation: number; resourceVersion?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    kernelConfig?: { networks: Record<string, Record<string, unknown>>; bondings: Record<string, Record<string, unknown>> };
    setupStatus?: { Success?: { reason: string; message: string }; Failed?: { reason: string; message: string } };
    conditions?: Condition[];
    observedGeneration?: number;
    capabilities?: Record<string, unknown>;
    statistics?: Record<string, unknown>;
    statisticsTime?: number;
  };
}

export class OnnDriver {
  private readonly api: CustomObjectsApi;

  constructor(kubeconfig: string) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  async get(node: string): Promise<Onn> {
    return (await this.api.getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: node })) as Onn;
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
      { group: GROUP, version: VERSION, plural: PLURAL, name: node, body: [{ op: 'replace', path: '/spec', value: spec }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    )) as Onn;
    return o.metadata.generation;
  }

  /**
   * Polls until the agent has finished with generation gen (observedGeneration and Available's
   * observedGeneration both reach it, and it is no longer Progressing); returns the object.
   */
  async settled(node: string, gen: number, timeoutMs = 300_000, intervalMs = 50): Promise<Onn> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const o = await this.get(node).catch(() => undefined);
      if (o && isSettled(o, gen)) return o;
      if (Date.now() > deadline) throw new Error(`${node}: generation ${gen} not reconciled within ${timeoutMs / 1000} s (status: ${JSON.stringify(o?.status?.conditions)})`);
      await sleep(intervalMs);
    }
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
    return ((await this.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as { items: Onn[] }).items;
  }

  /**
   * settled() for many nodes at once, by one list a second rather than a poll per node (50 nodes
   * polled every 50 ms would load the API server being measured); returns when each node was
   * first seen settled (ms epoch) and its object.
   */
  async settledAll(gens: ReadonlyMap<string, number>, timeoutMs = 600_000, intervalMs = 1000): Promise<Map<string, { at: number; onn: Onn }>> {
    const deadline = Date.now() + timeoutMs;
    const done = new Map<string, { at: number; onn: Onn }>();
    for (;;) {
      const items = await this.list().catch(() => [] as Onn[]);
      const now = Date.now();
      for (const o of items) {
        const gen = gens.get(o.metadata.name);
        if (gen !== undefined && !done.has(o.metadata.name) && isSettled(o, gen)) done.set(o.metadata.name, { at: now, onn: o });
      }
      if (done.size === gens.size) return done;
      if (Date.now() > deadline) throw new Error(`not settled within ${timeoutMs / 1000} s: ${[...gens.keys()].filter((n) => !done.has(n)).join(', ')}`);
      await sleep(intervalMs);
    }
  }

  /** Sets the spec and waits for the result; throws unless Available=True. */
  async apply(node: string, spec: unknown, timeoutMs?: number): Promise<Onn> {
    await this.exists(node);
    const gen = await this.setSpec(node, spec);
    const o = await this.settled(node, gen, timeoutMs);
    if (!isAvailable(o)) throw new Error(`${node}: ${JSON.stringify(o.status?.setupStatus)}`);
    return o;
  }
}

/** The agent has finished with generation gen: observed, Available's observedGeneration reached, not Progressing. */
/**
 * The agent has acted on generation gen: Available, or failed for good. ApiUnreachable is not
 * an outcome: the agent holds the spec until the API server answers its pre-apply check (an
 * overloaded API server, seen with 50 nodes changing at once) and then applies it.
 */
export function isSettled(o: Onn, gen: number): boolean {
  const avail = o.status?.conditions?.find((c) => c.type === 'Available');
  const waiting = Object.values(o.status?.setupStatus ?? {}).some((x) => x.reason === 'ApiUnreachable');
  return (o.status?.observedGeneration ?? 0) >= gen && (avail?.observedGeneration ?? 0) >= gen && avail?.reason !== 'Progressing' && !waiting;
}

export function isAvailable(o: Onn): boolean {
  return o.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True';
}

export function failedReason(o: Onn): string | undefined {
  return o.status?.setupStatus?.Failed?.reason;
}
