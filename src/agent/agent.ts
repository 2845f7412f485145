// The agent: one per node. Composes an ObjectWatcher on its own OvirtNodeNetwork (by name), a
// GenerationQueue that applies spec generations one at a time through the node backend (latest
// wins), and a StatusReporter that patches the status subresource — capabilities/kernelConfig
// when they change, statistics at an interval. Observing the host and supervising its DHCP
// clients run on timers of their own. API outages are waited out with backoff; the host is never
// touched because the API is away. What the kernel loses of an applied generation by hand is
// reported within one observe interval and, under driftPolicy Heal, applied again (drift.ts).
import type { Logger } from 'pino';
import { API_VERSION, KIND } from '../api/constants.js';
import type { CrdManifest, OnnClient, OnnObject } from '../k8s/client.js';
import { coalesced } from '../util/coalesce.js';
import type { NodeBackend } from './backend.js';
import type { AgentMetrics } from './metrics.js';
import { GenerationQueue, type ApplyOutcome } from './queue.js';
import { DriftWatch } from '../report/drift-news.js';
import { StatusReporter } from '../report/reporter.js';
import type { SetupResult } from '../report/results.js';
import { DriftPolicySchema } from '../api/spec.js';
import type { BackoffSettings } from '../k8s/item-backoff.js';
import { ObjectWatcher } from '../k8s/watcher.js';
import type { ConnectivityVerifier } from '../verify/connectivity.js';
import { StateFileError } from '../util/fs.js';

export interface AgentOptions {
  nodeName: string;
  client: OnnClient;
  backend: NodeBackend;
  log: Logger;
  metrics?: AgentMetrics;
  /** How often the node is observed (capabilities/kernelConfig patched only when changed). */
  observeIntervalMs?: number;
  /** How often DHCP clients that died are started again (default 10 s). */
  dhcpSuperviseIntervalMs?: number;
  /** How often statistics are written. */
  statisticsIntervalMs?: number;
  /** The server ends each watch after this many seconds (jittered ±10 %); the agent then re-watches. */
  watchSeconds?: number;
  /**
   * A spec whose apply failed for a reason outside it (the API server away) is tried again after
   * baseMs, doubled per consecutive failure of its generation up to maxMs (queue.ts; default
   * DEFAULT_APPLY_RETRY).
   */
  retryBackoff?: BackoffSettings;
  /** Install this CRD at start if it is missing (needs the permission; off by default). */
  crd?: CrdManifest;
  /** Builds the connectivity check for a spec (undefined = no check). */
  verifierFor?: (spec: Record<string, unknown>) => ConnectivityVerifier | undefined;
}

/**
 * The apply retry's backoff: the first retry after 1 s catches a blip (an API server restarting
 * behind its load balancer) while an attempt — a status write, the preflight probes, an Event —
 * costs more than client-go's 5 ms base assumes of a reconcile; 5 min caps the pause (reached
 * after 10 failures in a row, 8½ min into an outage) rather than client-go's 1000 s, as a
 * relist (retryNow) already ends it once the agent's own watch sees the API server again.
 */
export const DEFAULT_APPLY_RETRY: BackoffSettings = { baseMs: 1000, maxMs: 5 * 60_000 };

export class Agent {
  private readonly watcher: ObjectWatcher;
  private readonly queue: GenerationQueue<OnnObject>;
  private readonly reporter: StatusReporter;
  private readonly timers: NodeJS.Timeout[] = [];
  private observedAt = Date.now();
  private readonly drift = new DriftWatch();
  /** What the last observation found the kernel lacks of the running config. */
  private drifted: string[] = [];
  /** The generation whose apply succeeded last (what a heal applies again); undefined after a failed one. */
  private inEffect: { obj: OnnObject; generation: number } | undefined;
  /**
   * The generation whose apply failed last, when it is the one the node settled on: the kernel
   * stays on the running config then, and a drift from it is healed by restoring that config
   * (re-applying the failed spec would only fail again).
   */
  private failedLast: { obj: OnnObject; generation: number } | undefined;
  /** Applies running now: the kernel is mid-change, and what it lacks is no drift. */
  private applying = 0;
  /** The newest generation the object has shown: a heal never applies an older one over it. */
  private latestGeneration = 0;

  constructor(private readonly o: AgentOptions) {
    const { client, crd, log } = o;
    this.reporter = new StatusReporter({
      name: o.nodeName,
      client,
      log,
      metrics: o.metrics,
      statisticsIntervalMs: o.statisticsIntervalMs,
      connected: () => this.watcher.ready,
    });
    this.queue = new GenerationQueue<OnnObject>({
      apply: (obj, generation) => this.applyGeneration(obj, generation),
      retry: o.retryBackoff ?? DEFAULT_APPLY_RETRY,
      onError: (e) => log.error({ err: (e as Error).message }, 'reconcile failed'),
      onRetry: (generation, retryInMs, failures) =>
        log.info({ generation, retryInMs, failures }, 'the apply is tried again after a pause'),
    });
    this.watcher = new ObjectWatcher({
      log,
      watchSeconds: o.watchSeconds,
      source: {
        list: () => this.ensureObject(),
        watch: (rv, wo, onEvent, done) => client.watch(o.nodeName, rv, wo, onEvent, done),
      },
      handlers: {
        onList: (obj) => this.onListed(obj),
        onObject: (obj) => this.onObject(obj),
        onDeleted: () => this.onDeleted(),
      },
      ...(crd
        ? {
            prepare: async () => {
              const r = await client.ensureCrd(crd);
              log.info(`CRD ${crd.metadata.name} ${r}`);
            },
          }
        : {}),
    });
  }

  /** The agent has its object and a watch (/readyz). */
  get ready(): boolean {
    return this.watcher.ready;
  }

  /** When the agent's loops last made progress: a watch event or an observation (/healthz). */
  get lastLoopAt(): number {
    return Math.max(this.watcher.lastEventAt, this.observedAt);
  }

  async start(): Promise<void> {
    try {
      const restored = await this.o.backend.restoreAtBoot();
      if (restored) this.o.log.info({ restored }, 'restored the persisted network configuration');
    } catch (e) {
      // A state file that is corrupt or hostile: nothing is restored from it (the load refuses it
      // before any kernel work), it is neither deleted nor rewritten (an apply loads it first, so
      // none succeeds while it is bad), and the agent starts to say so in its status.
      if (!(e instanceof StateFileError)) throw e;
      this.o.log.error(
        { path: e.path, field: e.field, err: e.message },
        'a persisted state file is invalid; the kernel is left as it is',
      );
      this.reporter.persistedStateInvalid(e.message);
    }
    await this.superviseDhcp();
    await this.observe();
    await this.superviseLldp();
    this.timers.push(
      setInterval(
        () =>
          void this.observe()
            .then(() => this.onDrift())
            .then(() => this.reporter.flush()),
        this.o.observeIntervalMs ?? 10_000,
      ),
    );
    // Its own timer, apart from observing: supervision takes the apply lock (and skips while an
    // apply holds it); observing only reads the host.
    this.timers.push(
      setInterval(
        () => void this.superviseDhcp().then(() => this.superviseLldp()),
        this.o.dhcpSuperviseIntervalMs ?? 10_000,
      ),
    );
    this.watcher.start();
  }

  /**
   * Resolves once the running apply has ended; a request of the watcher's is not waited for (it ends by its deadline).
   */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    void this.watcher.stop();
    await this.queue.stop();
  }

  /** Gets this node's object, creating an empty one (owned by the Node) when missing. */
  private async ensureObject(): Promise<OnnObject> {
    const { client, nodeName: name, log } = this.o;
    const existing = await client.get(name);
    if (existing) return existing;
    const node = await client.getNode(name);
    if (!node) log.warn(`Node ${name} not found; creating the object without an owner reference`);
    const created = await client.create({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name,
        ...(node?.metadata?.uid
          ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }] }
          : {}),
      },
      spec: {},
    });
    log.info("created this node's OvirtNodeNetwork");
    this.reporter.created();
    return created;
  }

  /**
   * The object as listed. A list while the watcher is not ready follows a failure to reach the
   * API server: the outage that made an apply retryable may be over, so a generation waiting out
   * its backoff is tried now rather than when the pause ends.
   */
  private onListed(obj: OnnObject): void {
    const afterOutage = !this.watcher.ready;
    this.onObject(obj);
    if (afterOutage) this.queue.retryNow();
  }

  private onObject(obj: OnnObject): void {
    this.reporter.seen(obj);
    this.latestGeneration = Math.max(this.latestGeneration, obj.metadata.generation ?? 0);
    if (obj.metadata.deletionTimestamp) return;
    if (!this.queue.offer(obj.metadata.generation ?? 0, obj)) void this.reporter.flush();
  }

  /** The object was deleted: remove what the handler owns; the watcher then re-creates an empty object. */
  private onDeleted(): void {
    this.o.log.info('OvirtNodeNetwork deleted: removing the networks and bonds the handler owns');
    this.reporter.deleted();
    this.queue.forget();
    this.queue.exclusive(async () => {
      const r = await this.o.backend.setup({}, undefined);
      if (!r.ok) this.o.log.error({ reason: r.reason, message: r.message }, 'removing owned networks failed');
      await this.observe();
    });
  }

  /**
   * One generation: Progressing, the backend's setup (validate → apply → verify → persist), the
   * host read back, then the outcome. A retryable failure (nothing said about the spec) leaves the
   * generation pending: the queue tries it again later, or at the next (re)list.
   */
  private async applyGeneration(obj: OnnObject, generation: number): Promise<ApplyOutcome> {
    const spec = obj.spec ?? {};
    const log = this.o.log.child({ generation });
    this.reporter.progressing(generation);
    await this.reporter.flush();
    log.info('applying');
    const verifier = this.o.verifierFor?.(spec);
    let result: SetupResult;
    this.applying++;
    try {
      result = await this.o.backend.setup(spec, verifier);
    } catch (e) {
      result = { ok: false, reason: 'SetupFailed', message: (e as Error).message, rolledBack: false, durationMs: 0 };
    } finally {
      this.applying--;
    }
    // Read the host back before the status claims the generation: otherwise a write in between
    // (a watch event's flush) could report Available for it with the pre-apply kernelConfig.
    await this.observe();
    if (result.ok) {
      log.info({ steps: result.steps, ms: result.durationMs }, result.changed ? 'applied' : 'already in place');
    } else {
      log.warn({ reason: result.reason, message: result.message, rolledBack: result.rolledBack }, 'apply failed');
      // The watch's connection lived through the cut and may sit in TCP backoff for a minute:
      // open a new one rather than miss the next spec change for that long.
      if (result.reason === 'ConnectivityLost') this.watcher.renew();
    }
    this.reporter.applied(obj, generation, result);
    await this.reporter.flush();
    this.inEffect = result.ok ? { obj, generation } : undefined;
    this.failedLast = result.ok || result.retry === true ? undefined : { obj, generation };
    this.drift.reset();
    return !result.ok && result.retry === true ? 'retry' : 'done';
  }

  /**
   * An observation found the kernel no longer has what the generation in effect applied: reported
   * (conditions, a Warning Event) when the difference is news, and under driftPolicy Heal applied
   * again through the queue, like any generation (transaction, connectivity check, rollback).
   */
  private async onDrift(): Promise<void> {
    // Only a settled node drifts: not while an apply changes the kernel (the observation may have
    // read it midway), and only from the newest generation (a newer one is on its way otherwise).
    const settledOn = () => this.inEffect ?? this.failedLast;
    const current = () => this.applying === 0 && settledOn()?.generation === this.latestGeneration;
    if (!current()) {
      this.drift.reset();
      return;
    }
    const news = this.drift.next(this.drifted);
    const settled = settledOn();
    if (!settled || (news !== 'new' && news !== 'cleared')) return;
    if (news === 'cleared') {
      // A failed generation's conditions stay as they are: the spec still is not in effect.
      if (settled === this.inEffect) this.reporter.inEffect(settled.generation);
      return;
    }
    const confirmed = await this.o.backend.confirmDrift().catch(() => this.drifted);
    if (!confirmed.length || settledOn() !== settled || !current()) {
      // Not there on a fresh read (the pass caught the host mid-change), or an apply came between.
      this.drift.reset();
      return;
    }
    this.drifted = confirmed;
    const policy = DriftPolicySchema.safeParse(settled.obj.spec?.driftPolicy ?? 'Heal');
    const heal = !policy.success || policy.data === 'Heal';
    const failed = settled === this.failedLast;
    this.o.log.warn(
      { drifted: this.drifted, heal, failedGeneration: failed ? settled.generation : undefined },
      'the kernel differs from the running config',
    );
    if (failed) this.reporter.driftedFromRunning(settled.obj, settled.generation, this.drifted, heal);
    else this.reporter.drifted(settled.obj, settled.generation, this.drifted, heal);
    if (!heal) return;
    this.queue.exclusive(async () => {
      // Checked again when its turn comes: a generation that arrived meanwhile supersedes the heal.
      if (settledOn() !== settled || settled.generation !== this.latestGeneration) return;
      if (!failed) {
        await this.applyGeneration(settled.obj, settled.generation);
        return;
      }
      // The running config is the last good one: bring the kernel back to it, as at boot.
      this.applying++;
      try {
        const restored = await this.o.backend.restoreAtBoot();
        if (restored) this.o.log.info({ restored }, 'restored the running config');
      } catch (e) {
        this.o.log.error({ err: (e as Error).message }, 'restoring the running config failed');
      } finally {
        this.applying--;
      }
      // drift is not reset: a restore that could not make the difference go is not tried again
      // until it changes.
      await this.observe();
      await this.reporter.flush();
    });
  }

  /**
   * Observes the host into the desired status. One observation at a time: the timer's and an
   * apply's overlapped, and two passes sharing the observer's device cache could fail or leave
   * the status with the kernelConfig from before an apply. A call during a pass gets a pass that
   * starts after it (after the apply, for the apply's).
   */
  private readonly observe = coalesced(async () => {
    try {
      const obs = await this.o.backend.observe();
      this.reporter.observed(obs);
      this.drifted = obs.drifted;
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'observing the host failed');
      this.reporter.observationFailed(e as Error);
    }
    this.observedAt = Date.now();
  });

  private async superviseLldp(): Promise<void> {
    try {
      await this.o.backend.superviseLldp?.();
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'LLDP supervision failed');
    }
  }

  private async superviseDhcp(): Promise<void> {
    try {
      await this.o.backend.superviseDhcp();
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'DHCP supervision failed');
    }
  }
}
