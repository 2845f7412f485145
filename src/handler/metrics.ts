// Prometheus metrics and the health endpoints the DaemonSet probes.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Observation, SetupResult } from './backend.js';

interface StatsEntry {
  rx?: string; tx?: string; rxDropped?: string; txDropped?: string; rxErrors?: string; txErrors?: string;
  rxRate?: number; txRate?: number;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly apiWrites: Counter;
  private readonly ifaceBytes: Gauge;
  private readonly ifaceRate: Gauge;
  private readonly ifaceErrors: Gauge;
  private readonly ifaceDropped: Gauge;
  private readonly applySeconds: Histogram;
  private readonly applies: Counter;
  private readonly rollbacks: Counter;
  private readonly lastApplySuccess: Gauge;
  private readonly statusLevel: Gauge;
  private readonly objectBytes: Gauge;

  constructor(node: string) {
    this.registry.setDefaultLabels({ node });
    collectDefaultMetrics({ register: this.registry });
    const reg = [this.registry];
    this.apiWrites = new Counter({ name: 'ovnh_api_writes_total', help: 'Status patches written to the API server', registers: reg });
    // Counters are exported as gauges: they come from the kernel, which may reset them.
    this.ifaceBytes = new Gauge({ name: 'ovnh_interface_bytes', help: 'Bytes moved by an interface (kernel counter)', labelNames: ['interface', 'direction'], registers: reg });
    this.ifaceRate = new Gauge({ name: 'ovnh_interface_rate_bytes_per_second', help: 'Bytes per second over the last observation interval', labelNames: ['interface', 'direction'], registers: reg });
    this.ifaceErrors = new Gauge({ name: 'ovnh_interface_errors', help: 'Interface errors (kernel counter)', labelNames: ['interface', 'direction'], registers: reg });
    this.ifaceDropped = new Gauge({ name: 'ovnh_interface_dropped', help: 'Interface drops (kernel counter)', labelNames: ['interface', 'direction'], registers: reg });
    this.applySeconds = new Histogram({ name: 'ovnh_apply_duration_seconds', help: 'Duration of applies (validate → persist, including verification)', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: reg });
    this.applies = new Counter({ name: 'ovnh_applies_total', help: 'Applies by result', labelNames: ['result'], registers: reg });
    this.rollbacks = new Counter({ name: 'ovnh_rollbacks_total', help: 'Applies rolled back after failing or losing connectivity', registers: reg });
    this.lastApplySuccess = new Gauge({ name: 'ovnh_last_apply_success', help: '1 when the last apply succeeded, 0 when it failed', registers: reg });
    this.statusLevel = new Gauge({ name: 'ovnh_status_truncation_level', help: 'How much the written status leaves out to fit the object\'s budget (0: nothing; src/handler/status-budget.ts TRUNCATION_ORDER)', registers: reg });
    this.objectBytes = new Gauge({ name: 'ovnh_status_object_bytes', help: 'Size of the object (metadata, spec, status) as of the last status write, estimated', registers: reg });
  }

  recordStatusWrite(level: number, bytes: number): void {
    this.statusLevel.set(level);
    this.objectBytes.set(bytes);
  }

  recordSetup(r: SetupResult): void {
    this.applySeconds.observe(r.durationMs / 1000);
    this.applies.inc({ result: r.ok ? 'success' : r.reason });
    if (!r.ok && r.rolledBack) this.rollbacks.inc();
    this.lastApplySuccess.set(r.ok ? 1 : 0);
  }

  recordObservation(obs: Observation): void {
    this.ifaceBytes.reset();
    this.ifaceRate.reset();
    this.ifaceErrors.reset();
    this.ifaceDropped.reset();
    for (const [iface, raw] of Object.entries(obs.statistics)) {
      const s = raw as StatsEntry;
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      const set = (g: Gauge, dir: string, v: number | undefined) => v !== undefined && Number.isFinite(v) && g.set({ interface: iface, direction: dir }, v);
      set(this.ifaceBytes, 'rx', num(s.rx));
      set(this.ifaceBytes, 'tx', num(s.tx));
      set(this.ifaceRate, 'rx', s.rxRate);
      set(this.ifaceRate, 'tx', s.txRate);
      set(this.ifaceErrors, 'rx', num(s.rxErrors));
      set(this.ifaceErrors, 'tx', num(s.txErrors));
      set(this.ifaceDropped, 'rx', num(s.rxDropped));
      set(this.ifaceDropped, 'tx', num(s.txDropped));
    }
  }
}

export interface HealthSource {
  /** The agent's loop ran recently. */
  healthy(): boolean;
  /** The agent has its object and a watch. */
  ready(): boolean;
}

export function serveMetrics(metrics: AgentMetrics, health: HealthSource, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metrics.registry.metrics().then((body) => {
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        res.end(body);
      }, (e: Error) => {
        res.writeHead(500);
        res.end(e.message);
      });
      return;
    }
    const ok = path === '/healthz' ? health.healthy() : path === '/readyz' ? health.ready() : undefined;
    if (ok === undefined) {
      res.writeHead(404);
      res.end('not found\n');
      return;
    }
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
    res.end(ok ? 'ok\n' : 'not ok\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
