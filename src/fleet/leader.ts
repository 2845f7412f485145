// Leader election over a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews
// renewTime every renew period; anyone may take a lease whose renewTime is older than its
// leaseDurationSeconds. Every write carries the lease's resourceVersion, so of two replicas
// racing for it one gets a 409 and stays a follower. A leader that could not renew within the
// lease's duration (less a margin) stops leading by itself, before anyone can take over.
import type { Logger } from 'pino';
import type { ControllerClient, Lease } from '../k8s/resources.js';

export interface LeaseSettings {
  namespace: string;
  name: string;
  identity: string;
  durationSeconds: number;
  renewSeconds: number;
}

export type LeaseStep =
  { kind: 'create' } | { kind: 'renew' } | { kind: 'takeover' } | { kind: 'follow'; holder: string };

/** What to do about the lease as read at `now`. */
export function leaseStep(lease: Lease | undefined, identity: string, now: Date): LeaseStep {
  if (!lease) return { kind: 'create' };
  const holder = lease.spec?.holderIdentity ?? '';
  if (holder === identity) return { kind: 'renew' };
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
  const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
  if (holder === '' || !Number.isFinite(renewed) || now.getTime() > renewed + duration) return { kind: 'takeover' };
  return { kind: 'follow', holder };
}

/** The lease after a step (create, renew, takeover) by `identity`. */
export function leaseAfter(step: LeaseStep, lease: Lease | undefined, s: LeaseSettings, now: Date): Lease {
  const time = now.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  const spec = lease?.spec ?? {};
  return {
    metadata: {
      name: s.name,
      namespace: s.namespace,
      ...(lease?.metadata.resourceVersion ? { resourceVersion: lease.metadata.resourceVersion } : {}),
    } as Lease['metadata'],
    spec: {
      holderIdentity: s.identity,
      leaseDurationSeconds: s.durationSeconds,
      acquireTime: step.kind === 'renew' ? (spec.acquireTime ?? time) : time,
      renewTime: time,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (step.kind === 'takeover' ? 1 : 0),
    },
  };
}

export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private renewedAt = 0;
  private stopped = false;
  private wasLeader = false;

  constructor(
    private readonly client: ControllerClient,
    private readonly s: LeaseSettings,
    private readonly log: Logger,
    private readonly onChange: (leader: boolean) => void,
  ) {}

  /** Leading: the last renewal is recent enough that no one else can have taken the lease. */
  get leader(): boolean {
    return Date.now() - this.renewedAt < (this.s.durationSeconds - this.s.renewSeconds) * 1000;
  }

  start(): void {
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const lease = await this.client.getLease(this.s.namespace, this.s.name);
      const step = leaseStep(lease, this.s.identity, new Date());
      if (step.kind === 'follow') {
        if (this.wasLeader) this.log.warn({ holder: step.holder }, 'lost the lease');
      } else {
        const next = leaseAfter(step, lease, this.s, new Date());
        await (step.kind === 'create'
          ? this.client.createLease(this.s.namespace, next)
          : this.client.updateLease(this.s.namespace, next));
        this.renewedAt = Date.now();
        if (step.kind !== 'renew')
          this.log.info({ lease: `${this.s.namespace}/${this.s.name}` }, 'acquired the lease: leading');
      }
    } catch (e) {
      // A 409 is another replica's write first; anything else is the API server away. Either way
      // leadership lapses by itself once the lease duration is up.
      this.log.debug({ err: (e as Error).message }, 'lease attempt failed');
    }
    this.notify();
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.s.renewSeconds * 1000);
  }

  private notify(): void {
    const now = this.leader;
    if (now !== this.wasLeader) {
      this.wasLeader = now;
      this.onChange(now);
    }
  }

  /** Stops renewing and gives the lease up (holder cleared) so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leader) return;
    try {
      const lease = await this.client.getLease(this.s.namespace, this.s.name);
      if (lease?.spec?.holderIdentity === this.s.identity) {
        await this.client.updateLease(this.s.namespace, { ...lease, spec: { ...lease.spec, holderIdentity: '' } });
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not release the lease');
    }
    this.renewedAt = 0;
    this.notify();
  }
}
