// The agent: one per node. Watches only its own OvirtNodeNetwork (by name), applies spec
// generations one at a time through the node backend, and reports status with patches of the
// status subresource — capabilities/kernelConfig when they change, statistics at an interval.
// API outages are waited out with backoff; the host is never touched because the API is away.
import type { Logger } from 'pino';
import { isDeepStrictEqual } from 'node:util';
import { API_VERSION, KIND } from '../api/constants.js';
import { describeApiError, type CrdManifest, type OnnClient, type OnnObject } from '../k8s/client.js';
import { coalesced } from '../util/coalesce.js';
import { sleep } from '../util/exec.js';
import type { ConnectivityVerifier, NodeBackend, Observation, SetupResult } from './backend.js';
import { conditionsFor, failed, statusPatch, success, type Condition, type Phase } from './status.js';
import type { AgentMetrics } from './metrics.js';

export interface AgentOptions {
  nodeName: string;
  client: OnnClient;
  backend: NodeBackend;
  log: Logger;
  metrics?: AgentMetrics;
  /** How often the node is observed (capabilities/kernelConfig patched only when changed). */
  observeIntervalMs?: number;
  /** How often statistics are written. */
  statisticsIntervalMs?: number;
  /** The server ends each watch after this many seconds (jittered ±10 %); the agent then re-watches. */
  watchSeconds?: number;
  /** A spec whose apply failed for a reason outside it is tried again after this (default 10 s). */
  retryAfterMs?: number;
  /** Install this CRD at start if it is missing (needs the permission; off by default). */
  crd?: CrdManifest;
  /** Builds the connectivity check for a spec (undefined = no check). */
  verifierFor?: (spec: Record<string, unknown>) => ConnectivityVerifier | undefined;
}

/** A spec whose apply failed for a reason outside it (the API server away) is tried again after this. */
const RETRY_AFTER_MS = 10_000;
/** A status write that has not answered by then is given up (and retried with the next tick). */
const STATUS_WRITE_TIMEOUT_MS = 10_000;
const STATS_SLACK_MS = 1000;

/** Headers of a new watch must arrive by then (a connection accepted but never served). */
const WATCH_CONNECT_TIMEOUT_MS = 15_000;
/** A watch silent this long past the end the server promised is stuck: drop it and relist. */
const WATCH_GRACE_MS = 30_000;
const REPORTED_KEYS = ['capabilities', 'kernelConfig', 'infoStatus', 'setupStatus', 'conditions', 'observedGeneration'] as const;

export class Agent {
  private stopped = false;
  private obj: OnnObject | undefined;
  /** The status as the API server last showed it (or as we last wrote it). */
  private reported: Record<string, unknown> = {};
  /** The status we want the API server to show. */
  private desired: Record<string, unknown> = {};
  private statsWrittenAt = 0;
  private appliedGeneration: number | undefined;
  private reconcileRunning: Promise<void> | undefined;
  private reconcileAgain = false;
  /** Ends the current watch (stop). */
  private watchAbort: (() => void) | undefined;
  /** Ends the current watch at once; the loop relists and watches again on a new connection. */
  private renewWatch: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private lastObservation: Observation | undefined;
  ready = false;
  lastLoopAt = Date.now();

  constructor(private readonly o: AgentOptions) {}

  private get name(): string {
    return this.o.nodeName;
  }

  async start(): Promise<void> {
    const restored = await this.o.backend.restoreAtBoot();
    if (restored) this.o.log.info({ restored }, 'restored the persisted network configuration');
    await this.observe();
    const observeEvery = this.o.observeIntervalMs ?? 10_000;
    this.timers.push(setInterval(() => void this.observe().then(() => this.flush()), observeEvery));
    void this.watchLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.watchAbort?.();
    this.wake?.();
    await this.reconcileRunning;
  }

  // ---- watching ------------------------------------------------------------------------------

  /**
   * List (GET), then watch from the listed resourceVersion; a watch the server ended on time is
   * resumed from the last resourceVersion seen (bookmarks keep it fresh), anything else —
   * errors, 410 Gone, a stuck stream, a deleted object, a cut connection — lists again first.
   */
  private async watchLoop(): Promise<void> {
    let backoff = 1000;
    let crdDone = !this.o.crd;
    let resume: string | undefined;
    while (!this.stopped) {
      try {
        if (!crdDone && this.o.crd) {
          const r = await this.o.client.ensureCrd(this.o.crd);
          this.o.log.info(`CRD ${this.o.crd.metadata.name} ${r}`);
          crdDone = true;
        }
        if (resume === undefined) {
          const obj = await this.ensureObject();
          this.onObject(obj);
          this.ready = true;
          resume = obj.metadata.resourceVersion;
        }
        backoff = 1000;
        resume = await this.watchOnce(resume);
      } catch (e) {
        resume = undefined;
        this.ready = false;
        this.o.log.warn({ err: describeApiError(e), retryInMs: backoff }, 'API server unavailable; the host is left as it is');
        await this.sleepInterruptible(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  /** Gets this node's object, creating an empty one (owned by the Node) when missing. */
  private async ensureObject(): Promise<OnnObject> {
    const existing = await this.o.client.get(this.name);
    if (existing) return existing;
    const node = await this.o.client.getNode(this.name);
    if (!node) this.o.log.warn(`Node ${this.name} not found; creating the object without an owner reference`);
    const created = await this.o.client.create({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name: this.name,
        ...(node?.metadata?.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: node.metadata.uid }] } : {}),
      },
      spec: {},
    });
    this.o.log.info('created this node\'s OvirtNodeNetwork');
    this.reported = {};
    return created;
  }

  /**
   * One watch. Resolves to the resourceVersion to resume from when the server ended it on time,
   * undefined when the next round must list again; rejects when the API server could not be used.
   */
  private watchOnce(resourceVersion: string | undefined): Promise<string | undefined> {
    const base = this.o.watchSeconds ?? 300;
    const timeoutSeconds = Math.max(1, Math.round(base * (0.9 + Math.random() * 0.2)));
    return new Promise<string | undefined>((resolve, reject) => {
      let lastVersion = resourceVersion;
      let settled = false;
      let stream: { abort(): void } | undefined;
      const finish = (result: { resume?: string; err?: Error }) => {
        if (settled) return;
        settled = true;
        stream?.abort();
        this.renewWatch = undefined;
        if (result.err && !this.stopped) reject(result.err);
        else resolve(result.resume);
      };
      this.renewWatch = () => finish({});
      this.watchAbort = () => finish({});
      this.o.client
        .watch(this.name, resourceVersion, { timeoutSeconds, connectTimeoutMs: WATCH_CONNECT_TIMEOUT_MS, idleTimeoutMs: timeoutSeconds * 1000 + WATCH_GRACE_MS }, (type, obj) => {
          this.lastLoopAt = Date.now();
          if (type === 'ERROR') return finish({}); // 410 Gone and friends: list again
          if (obj.metadata?.resourceVersion) lastVersion = obj.metadata.resourceVersion;
          if (type === 'BOOKMARK') return;
          if (type === 'DELETED') {
            this.onDeleted();
            return finish({});
          }
          this.onObject(obj);
        }, (err) => finish(err ? { err } : { resume: lastVersion }))
        .then((s) => {
          stream = s;
          if (settled) s.abort();
        }, (err: Error) => finish({ err }));
    });
  }

  private onObject(obj: OnnObject): void {
    this.obj = obj;
    if (obj.status) this.reported = { ...obj.status };
    if (obj.metadata.deletionTimestamp) return;
    if (obj.metadata.generation !== this.appliedGeneration) this.scheduleReconcile();
    else void this.flush();
  }

  /** The object was deleted: remove what the handler owns, then the loop re-creates an empty object. */
  private onDeleted(): void {
    this.o.log.info('OvirtNodeNetwork deleted: removing the networks and bonds the handler owns');
    this.obj = undefined;
    this.reported = {};
    this.appliedGeneration = undefined;
    this.desired = {};
    this.serialize(async () => {
      const r = await this.o.backend.setup({}, undefined);
      if (!r.ok) this.o.log.error({ reason: r.reason, message: r.message }, 'removing owned networks failed');
      await this.observe();
    });
  }

  // ---- reconciling -----------------------------------------------------------------------------

  private scheduleReconcile(): void {
    if (this.reconcileRunning) {
      this.reconcileAgain = true;
      return;
    }
    this.serialize(async () => {
      do {
        this.reconcileAgain = false;
        const obj = this.obj;
        if (!obj || obj.metadata.generation === this.appliedGeneration) break;
        await this.reconcile(obj);
      } while (this.reconcileAgain && !this.stopped);
    });
  }

  /**
   * Runs work after whatever host work is running, and marks the agent busy until it is done.
   * The mark is cleared by a .finally (always asynchronous), never inside the work: work that
   * finished without awaiting once cleared it before it was set, and the agent stopped applying
   * specs for good (a retry timer firing after its generation was applied, after an API restart).
   */
  private serialize(work: () => Promise<void>): void {
    const p: Promise<void> = (this.reconcileRunning ?? Promise.resolve())
      .then(work)
      .catch((e: unknown) => this.o.log.error({ err: (e as Error).message }, 'reconcile failed'))
      .finally(() => {
        if (this.reconcileRunning !== p) return;
        this.reconcileRunning = undefined;
        // A spec that arrived during other work (a deletion's cleanup) is applied now.
        if (this.reconcileAgain && !this.stopped) this.scheduleReconcile();
      });
    this.reconcileRunning = p;
  }

  private async reconcile(obj: OnnObject): Promise<void> {
    const generation = obj.metadata.generation ?? 0;
    const spec = obj.spec ?? {};
    const log = this.o.log.child({ generation });
    this.setPhase({ kind: 'progressing', generation });
    await this.flush();
    log.info('applying');
    const verifier = this.o.verifierFor?.(spec);
    let result: SetupResult;
    try {
      result = await this.o.backend.setup(spec, verifier);
    } catch (e) {
      result = { ok: false, reason: 'SetupFailed', message: (e as Error).message, rolledBack: false, durationMs: 0 };
    }
    this.o.metrics?.recordSetup(result);
    // A retryable failure leaves the generation pending: the next (re)list or the retry timer
    // applies it again. Anything else is final for this generation until the spec changes.
    const retry = !result.ok && result.retry === true;
    if (!retry) this.appliedGeneration = generation;
    else this.retryLater();
    // Read the host back before the status claims the generation: a write in between (a watch
    // event's flush) once reported Available for it with the kernelConfig from before the apply.
    await this.observe();
    if (result.ok) {
      log.info({ steps: result.steps, ms: result.durationMs }, result.changed ? 'applied' : 'already in place');
      this.desired.setupStatus = success();
      this.setPhase({ kind: 'available', generation, message: result.summary });
      if (result.changed) void this.event(obj, 'Normal', 'Applied', `generation ${generation}: ${result.summary} in ${result.durationMs} ms`);
    } else {
      log.warn({ reason: result.reason, message: result.message, rolledBack: result.rolledBack }, 'apply failed');
      // The watch's connection lived through the cut and may sit in TCP backoff for a minute:
      // open a new one rather than miss the next spec change for that long.
      if (result.reason === 'ConnectivityLost') this.renewWatch?.();
      this.desired.setupStatus = failed(result.reason, result.message);
      this.setPhase({ kind: 'failed', generation, reason: result.reason, message: result.message, rolledBack: result.rolledBack });
      void this.event(obj, 'Warning', result.reason, `generation ${generation}: ${result.message}${result.rolledBack ? ' (rolled back)' : ''}`);
    }
    this.desired.observedGeneration = generation;
    await this.flush();
  }

  private retryTimer: NodeJS.Timeout | undefined;

  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.scheduleReconcile();
    }, this.o.retryAfterMs ?? RETRY_AFTER_MS);
    this.retryTimer.unref();
  }

  private setPhase(phase: Phase): void {
    this.desired.conditions = conditionsFor(phase, (this.desired.conditions ?? this.reported.conditions) as Condition[] | undefined);
  }

  private async event(obj: OnnObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.o.client.event(obj, type, reason, message, this.name);
    } catch (e) {
      this.o.log.debug({ err: describeApiError(e) }, 'could not record an event');
    }
  }

  // ---- reporting -------------------------------------------------------------------------------

  /**
   * Observes the host into the desired status. One observation at a time: the timer's and a
   * reconcile's overlapped, and two passes sharing the observer's device cache could fail or
   * leave the status with the kernelConfig from before an apply. A call during a pass gets a
   * pass that starts after it (after the apply, for the reconcile's).
   */
  private readonly observe = coalesced(() => this.observeOnce());

  private async observeOnce(): Promise<void> {
    try {
      const obs = await this.o.backend.observe();
      this.lastObservation = obs;
      this.desired.capabilities = obs.capabilities;
      this.desired.kernelConfig = obs.kernelConfig;
      this.desired.infoStatus = success();
      this.o.metrics?.recordObservation(obs);
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'observing the host failed');
      this.desired.infoStatus = failed('GetInfoFailed', (e as Error).message);
    }
    this.lastLoopAt = Date.now();
  }

  /**
   * Writes what changed; statistics only when their interval has passed. Failures retry next tick.
   * Callers overlap (the observe timer, watch events, reconciles): one write at a time, and a call
   * made during a write runs once after it, so nothing is written twice from the same state.
   */
  readonly flush = coalesced(() => this.writeStatus());

  private async writeStatus(): Promise<void> {
    if (!this.obj || !this.ready) return;
    const patch = statusPatch(this.reported, this.desired, REPORTED_KEYS) ?? {};
    // Checked on the observe ticks, timed from when the last statistics write was sent, with a
    // second's slack: timed from its answer, a 186 KiB write (1000 interfaces) that took a second
    // pushed the next one to the following tick (17 writes in 600 s instead of 20: bench/at-rest.ts).
    const sentAt = Date.now();
    const statsDue = sentAt - this.statsWrittenAt >= (this.o.statisticsIntervalMs ?? 30_000) - STATS_SLACK_MS;
    if (statsDue && this.lastObservation) patch.statistics = this.lastObservation.statistics;
    if (!Object.keys(patch).length) return;
    try {
      // A request sent while the node was cut off (during an apply that is then rolled back) can
      // sit on a connection in TCP backoff for a minute; writes are one at a time, so the deadline
      // (which ends the request for good) keeps it from holding back the report of the rollback.
      const updated = await this.o.client.patchStatus(this.name, patch, this.obj.status !== undefined || Object.keys(this.reported).length > 0, STATUS_WRITE_TIMEOUT_MS);
      this.o.metrics?.apiWrites.inc();
      if ('statistics' in patch) this.statsWrittenAt = sentAt;
      this.reported = { ...(updated.status ?? {}) };
      this.obj = { ...this.obj, status: updated.status };
    } catch (e) {
      this.o.log.warn({ err: describeApiError(e) }, 'status update failed; will retry');
    }
  }


  private sleepInterruptible(ms: number): Promise<void> {
    return Promise.race([sleep(ms), new Promise<void>((r) => (this.wake = r))]);
  }

  /** For tests and /readyz: the status the agent wants shown. */
  desiredStatus(): Record<string, unknown> {
    return structuredClone(this.desired);
  }

  isDeepEqualReported(): boolean {
    return REPORTED_KEYS.every((k) => !(k in this.desired) || isDeepStrictEqual(this.desired[k], this.reported[k]));
  }
}
