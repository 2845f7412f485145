// The policy controller's Prometheus metrics (served with its probes by serveMetrics, port
// CONTROLLER_METRICS_PORT). Every write the controller makes is counted by kind and result, so
// "how many API requests per node does a rollout cost" is read here as well as in an audit log.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const CONTROLLER_WRITE_KINDS = ['apply', 'remove', 'status', 'finalizer', 'event', 'taint'] as const;
export type ControllerWriteKind = (typeof CONTROLLER_WRITE_KINDS)[number];
export const CONTROLLER_WRITE_RESULTS = ['ok', 'conflict', 'error'] as const;
export type ControllerWriteResult = (typeof CONTROLLER_WRITE_RESULTS)[number];

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly leaderGauge: Gauge;
  private readonly passes: Counter;
  private readonly writes: Counter;

  constructor(identity: string) {
    this.registry.setDefaultLabels({ controller: identity });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.leaderGauge = new Gauge({
      name: 'ovnh_controller_leader',
      help: '1 while this replica holds the leader Lease',
      registers,
    });
    this.passes = new Counter({
      name: 'ovnh_controller_reconcile_passes_total',
      help: 'Reconcile passes over every policy (leader only)',
      registers,
    });
    this.writes = new Counter({
      name: 'ovnh_controller_writes_total',
      help:
        'API writes by kind (apply: a server-side apply to a node object; remove: a JSON patch removing a ' +
        "policy's entries from one) and result",
      labelNames: ['kind', 'result'],
      registers,
    });
    // Every series exists from the start, so a rate() of the first conflict is not lost.
    for (const kind of CONTROLLER_WRITE_KINDS)
      for (const result of CONTROLLER_WRITE_RESULTS) this.writes.inc({ kind, result }, 0);
    this.leaderGauge.set(0);
  }

  leader(is: boolean): void {
    this.leaderGauge.set(is ? 1 : 0);
  }

  pass(): void {
    this.passes.inc();
  }

  write(kind: ControllerWriteKind, result: ControllerWriteResult): void {
    this.writes.inc({ kind, result });
  }
}
