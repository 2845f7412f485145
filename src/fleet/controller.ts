// The policy controller: the thin layer around the core. Three watchers (src/k8s/watcher.ts)
// keep caches of the policies, the Nodes and the node objects; any change schedules one pass of
// decideWorld() over the caches, run only by the leader (src/fleet/leader.ts), and its decisions
// are carried out in order per policy: the finalizer first (no apply without it), the applies
// (server-side apply, force=false), the status, the Events, the finalizer's removal; then the
// Nodes' taints of required policies (JSON patches of that one key). Nothing is
// remembered between passes but the caches, which the watchers rebuild at start: a restarted or
// newly elected controller carries on from the objects.
import type { Logger } from 'pino';
import { POLICY_FINALIZER } from '../api/constants.js';
import type { OnnObject } from '../k8s/client.js';
import { describeApiError } from '../k8s/client.js';
import {
  ControllerClient,
  isConflict,
  NODE_PATH,
  ONN_COLLECTION,
  POLICY_PATH,
  type KubeList,
  type KubeObject,
} from '../k8s/resources.js';
import type { BackoffSettings } from '../k8s/item-backoff.js';
import { ObjectWatcher } from '../k8s/watcher.js';
import { LeaderElector, type LeaseSettings } from './leader.js';
import type { ControllerMetrics, ControllerWriteKind } from './metrics.js';
import { newerOrSame, nodeView, onnView, policyView } from './objects.js';
import { statusMergePatch } from './policy-status.js';
import { decideWorld, type ApplyAction, type PolicyDecision } from './reconcile.js';
import type { TaintWrite } from './taints.js';
import { WriteRetries } from './write-retries.js';

export interface ControllerOptions {
  client: ControllerClient;
  log: Logger;
  lease: LeaseSettings;
  metrics: ControllerMetrics;
  /** A pass also runs this often without any change (agents' status the caches may have missed). */
  resyncMs: number;
  /** Changes coming close together make one pass (ms to wait after the first). */
  debounceMs: number;
  watchSeconds?: number;
  /** A node write that failed waits this out before it is sent again (write-retries.ts). */
  writeRetry: BackoffSettings;
}

/**
 * The node writes' backoff: 1 s after a first failure (a conflict with a write in flight clears
 * at once), doubling to 5 min, so a write the API server keeps refusing costs one attempt and
 * one Event per 5 min per node rather than one per pass.
 */
export const DEFAULT_WRITE_RETRY: BackoffSettings = { baseMs: 1000, maxMs: 5 * 60_000 };

type Cache<T> = Map<string, T>;

export class Controller {
  private readonly policies: Cache<KubeObject> = new Map();
  private readonly nodes: Cache<KubeObject> = new Map();
  private readonly onns: Cache<OnnObject> = new Map();
  private readonly watchers: ObjectWatcher<KubeObject, KubeList<KubeObject>>[];
  private readonly elector: LeaderElector;
  private pending: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly retries: WriteRetries;
  /** The pass that sends the writes whose backoff ends first; when it is due. */
  private retryPass: { timer: NodeJS.Timeout; at: number } | undefined;

  constructor(private readonly o: ControllerOptions) {
    this.retries = new WriteRetries(o.writeRetry);
    const watch = <T extends KubeObject>(path: string, cache: Cache<T>) =>
      new ObjectWatcher<KubeObject, KubeList<KubeObject>>({
        log: o.log.child({ watch: path }),
        collection: true,
        watchSeconds: o.watchSeconds,
        source: {
          list: () => o.client.list<KubeObject>(path),
          watch: (rv, wo, onEvent, done) => o.client.watch<KubeObject>(path, rv, wo, onEvent, done),
        },
        handlers: {
          onList: (l) => {
            cache.clear();
            for (const item of l.items) cache.set(item.metadata.name, item as T);
            this.schedule();
          },
          onObject: (obj) => {
            if (!newerOrSame(cache.get(obj.metadata.name)?.metadata.resourceVersion, obj.metadata.resourceVersion))
              return;
            cache.set(obj.metadata.name, obj as T);
            this.schedule();
          },
          onDeleted: (obj) => {
            cache.delete(obj.metadata.name);
            this.schedule();
          },
        },
      });
    this.watchers = [
      watch(POLICY_PATH, this.policies),
      watch(NODE_PATH, this.nodes),
      watch(ONN_COLLECTION, this.onns as Cache<KubeObject>),
    ];
    this.elector = new LeaderElector(o.client, o.lease, o.log, (leader) => {
      o.log.info({ leader }, leader ? 'leading: reconciling every policy' : 'not leading');
      o.metrics.leader(leader);
      if (leader) this.schedule();
    });
  }

  /** Every cache listed and watched (/readyz): a pass before that would see nodes without their objects. */
  get synced(): boolean {
    return this.watchers.every((w) => w.ready);
  }

  get leader(): boolean {
    return this.elector.leader;
  }

  start(): void {
    for (const w of this.watchers) w.start();
    this.elector.start();
    this.resync = setInterval(() => this.schedule(), this.o.resyncMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pending);
    clearTimeout(this.retryPass?.timer);
    clearInterval(this.resync);
    await Promise.all(this.watchers.map((w) => w.stop()));
    await this.running;
    await this.elector.stop();
  }

  /** One pass soon; a pass already running runs once more after it. */
  private schedule(): void {
    if (this.stopped || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      if (this.running) {
        this.again = true;
        return;
      }
      // Every rejection is caught here: a pass that fails (a bug) is logged and retried, never the
      // process's end (an unhandled rejection exits Node, and every leader after it the same way).
      this.running = this.pass()
        .catch((e: unknown) => {
          this.o.log.error(
            { err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) },
            'reconcile pass failed; retried on the next pass',
          );
        })
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.schedule();
          }
        });
    }, this.o.debounceMs);
  }

  private async pass(): Promise<void> {
    if (!this.leader || !this.synced) return;
    this.o.metrics.pass();
    const world = {
      policies: [...this.policies.values()].map(policyView),
      nodes: [...this.nodes.values()].map(nodeView),
      onns: [...this.onns.values()].map(onnView),
    };
    const decided = new Set<string>();
    const { policies, taints } = decideWorld(world, new Date());
    for (const { decision: d } of policies) {
      for (const a of d.applies) decided.add(writeKey(d.policy, a));
      // (A bake's end: a pass then, whatever the watches say; the second after, so it has ended.)
      if (d.passAfterMs !== undefined) this.passAfter(d.passAfterMs + 1000);
      if (d.events.some((e) => e.reason === 'ReconcileFailed'))
        this.o.log.error(
          { policy: d.policy, message: d.status.conditions?.find((c) => c.type === 'Degraded')?.message },
          'the controller failed deciding a policy; it is Degraded (ReconcileFailed), the others go on',
        );
      // Leadership is checked before every policy's writes: a lapsed leader stops at once.
      if (!this.leader || this.stopped) return;
      await (d.orphan ? this.cleanOrphan(d) : this.carryOut(d)).catch((e: unknown) =>
        this.o.log.error(
          { policy: d.policy, err: describeApiError(e) },
          'reconcile of the policy failed; retried on the next pass',
        ),
      );
    }
    // The Nodes' taints of required policies, after every policy's own writes.
    for (const t of taints) {
      const key = WriteRetries.key('', t.node, { taint: t.value });
      decided.add(key);
      if (!this.leader || this.stopped) return;
      if (this.retries.held(key, Date.now())) continue;
      await this.writeTaint(t).then(
        () => this.retries.succeeded(key),
        (e: unknown) => {
          // A 409 is the Node changed since read (decided again from the new one, at once).
          if (isConflict(e)) return;
          this.o.log.warn({ node: t.node, err: describeApiError(e) }, 'taint write failed');
          this.passAfter(this.retries.failed(key, Date.now()));
        },
      );
    }
    this.retries.keepOnly(decided);
  }

  private async writeTaint(t: TaintWrite): Promise<void> {
    this.remember(this.nodes, await this.counted('taint', this.o.client.patchNode(t.node, t.patch)));
    this.o.log.info(
      { node: t.node, taint: t.value ?? null },
      t.value ? 'tainted: networks unavailable' : 'taint removed',
    );
  }

  /** A pass when a failed write's backoff ends (the earliest one, if several wait). */
  private passAfter(delayMs: number): void {
    const at = Date.now() + delayMs;
    if (this.stopped || (this.retryPass && this.retryPass.at <= at)) return;
    clearTimeout(this.retryPass?.timer);
    const timer = setTimeout(() => {
      this.retryPass = undefined;
      this.schedule();
    }, delayMs);
    this.retryPass = { timer, at };
  }

  /**
   * An orphaned policy's removal writes, once the API server confirms there is no such policy (a
   * cache that has not seen a new policy yet must not remove what it just wrote). No status, Event
   * or finalizer: there is no object to carry them.
   */
  private async cleanOrphan(d: PolicyDecision): Promise<void> {
    if (!d.applies.length || (await this.o.client.policyExists(d.policy))) return;
    this.o.log.info(
      { policy: d.policy, nodes: d.applies.map((a) => a.node) },
      'orphaned field manager (policy gone without its finalizer): removing what it left',
    );
    for (const a of d.applies) await this.writeNode(d.policy, undefined, a);
  }

  private async carryOut(d: PolicyDecision): Promise<void> {
    const { client, log } = this.o;
    let policy = this.policies.get(d.policy);
    if (!policy) return;
    if (d.finalizer === 'add') {
      policy = await this.counted(
        'finalizer',
        client.setFinalizers(
          d.policy,
          [...(policy.metadata.finalizers ?? []), POLICY_FINALIZER],
          policy.metadata.resourceVersion,
        ),
      );
      this.remember(this.policies, policy);
    }
    for (const a of d.applies) await this.writeNode(d.policy, policy, a);
    if (d.statusChanged)
      this.remember(
        this.policies,
        await this.counted('status', client.patchPolicyStatus(d.policy, statusMergePatch(policy.status, d.status))),
      );
    for (const ev of d.events) {
      await this.counted(
        'event',
        client.policyEvent(policy, ev.type, ev.reason, ev.message, this.o.lease.identity),
      ).catch((e: unknown) => log.warn({ err: describeApiError(e) }, 'event not recorded'));
    }
    if (d.finalizer === 'remove') {
      const current = this.policies.get(d.policy) ?? policy;
      await this.counted(
        'finalizer',
        client.setFinalizers(
          d.policy,
          (current.metadata.finalizers ?? []).filter((f) => f !== POLICY_FINALIZER),
          current.metadata.resourceVersion,
        ),
      );
      log.info({ policy: d.policy }, 'removed from every node; finalizer dropped');
    }
  }

  /**
   * One node's write: the removal patch, then the apply. One node's refusal never holds up the
   * others, the status or the Events: the next pass sees the node unchanged and tries again, once
   * the write's backoff has passed (write-retries.ts).
   */
  private async writeNode(policyName: string, policy: KubeObject | undefined, a: ApplyAction): Promise<void> {
    const key = writeKey(policyName, a);
    if (this.retries.held(key, Date.now())) return;
    const sent = await this.sendWrite(policyName, policy, a);
    if (sent === 'ok') this.retries.succeeded(key);
    else if (sent === 'failed') this.passAfter(this.retries.failed(key, Date.now()));
  }

  /**
   * Sends one node's write: ok; stale when its removal met a newer object (decided again at once,
   * no backoff); failed otherwise (logged, and an Event for a refused apply).
   */
  private async sendWrite(
    policyName: string,
    policy: KubeObject | undefined,
    a: ApplyAction,
  ): Promise<'ok' | 'stale' | 'failed'> {
    const { client, log } = this.o;
    if (a.remove) {
      try {
        this.remember(this.onns, await this.counted('remove', client.patchOnn(a.node, a.manager, a.remove)));
      } catch (e) {
        // A 409 is the object changed since it was read: decided again on the next pass, from the new one.
        if (isConflict(e)) {
          log.info(
            { policy: policyName, node: a.node },
            'node object changed since read; its removal is decided again',
          );
          return 'stale';
        }
        log.warn({ policy: policyName, node: a.node, err: describeApiError(e) }, 'removal failed');
        return 'failed';
      }
    }
    try {
      const written = await this.counted('apply', client.applyOnn(a.node, a.manager, a.body));
      // Read-your-writes: the next pass must see this node as changing, whatever the watch says yet.
      this.remember(this.onns, written);
      log.info({ policy: policyName, node: a.node, kind: a.kind, generation: written.metadata.generation }, 'applied');
      return 'ok';
    } catch (e) {
      // A conflict is a field taken in between (the core refuses what it can see is taken). Never forced.
      const conflict = isConflict(e);
      log.warn(
        { policy: policyName, node: a.node, err: describeApiError(e) },
        conflict ? 'apply refused: a field is managed by another writer' : 'apply failed',
      );
      if (!policy) return 'failed';
      await this.counted(
        'event',
        client.policyEvent(
          policy,
          'Warning',
          conflict ? 'Conflict' : 'ApplyFailed',
          `node ${a.node}: ${describeApiError(e)}`,
          this.o.lease.identity,
        ),
      ).catch(() => undefined);
      return 'failed';
    }
  }

  /** A write, counted by kind and result (a 409 is a conflict). */
  private async counted<T>(kind: ControllerWriteKind, write: Promise<T>): Promise<T> {
    try {
      const r = await write;
      this.o.metrics.write(kind, 'ok');
      return r;
    } catch (e) {
      this.o.metrics.write(kind, isConflict(e) ? 'conflict' : 'error');
      throw e;
    }
  }

  private remember<T extends KubeObject>(cache: Cache<T>, obj: T): void {
    if (newerOrSame(cache.get(obj.metadata.name)?.metadata.resourceVersion, obj.metadata.resourceVersion))
      cache.set(obj.metadata.name, obj);
  }
}

/**
 * The item a node write is for its backoff: the policy, the node and what is written — not the
 * resourceVersion a removal is based on, which moves with every status write of the node.
 */
function writeKey(policy: string, a: ApplyAction): string {
  const remove = a.remove?.filter((op) => op.path !== '/metadata/resourceVersion');
  return WriteRetries.key(policy, a.node, { manager: a.manager, remove, body: a.body });
}
