// What the agent shows about its node: the status it wants shown (desired: observations, the
// conditions and setupStatus of each apply) against the status the API server shows (reported),
// written as patches of the top-level fields that differ; statistics only at their interval.
// Also the Events of applies and the metrics hooks of observations, applies and writes.
import type { Logger } from 'pino';
import { isDeepStrictEqual } from 'node:util';
import { describeApiError, httpStatus, type OnnClient, type OnnObject } from '../k8s/client.js';
import { coalesced } from '../util/coalesce.js';
import type { Observation, SetupResult } from './backend.js';
import type { AgentMetrics } from './metrics.js';
import { conditionsFor, failed, statusPatch, success, type Condition, type Phase } from './status.js';

/** A status write that has not answered by then is given up (and retried with the next tick). */
const STATUS_WRITE_TIMEOUT_MS = 10_000;
const STATS_SLACK_MS = 1000;
const REPORTED_KEYS = ['capabilities', 'kernelConfig', 'infoStatus', 'setupStatus', 'conditions', 'observedGeneration'] as const;

export interface StatusReporterOptions {
  /** The object's name (the node's). */
  name: string;
  client: Pick<OnnClient, 'patchStatus' | 'event'>;
  log: Logger;
  metrics?: AgentMetrics;
  /** How often statistics are written (default 30 s). */
  statisticsIntervalMs?: number;
  /** Writes only while this holds (the watcher has listed the object and watches it). */
  connected: () => boolean;
}

export class StatusReporter {
  /** The object as the API server last showed it; undefined while there is none. */
  private obj: OnnObject | undefined;
  /** The status as the API server last showed it (or as we last wrote it). */
  private reported: Record<string, unknown> = {};
  /** The status we want the API server to show. */
  private desired: Record<string, unknown> = {};
  private statistics: Record<string, unknown> | undefined;
  private statsWrittenAt = 0;

  constructor(private readonly o: StatusReporterOptions) {}

  /** The object as a list or a watch event shows it. */
  seen(obj: OnnObject): void {
    this.obj = obj;
    if (obj.status) this.reported = { ...obj.status };
  }

  /** The object was just created: it shows no status. */
  created(): void {
    this.reported = {};
  }

  /** The object was deleted: nothing is shown and nothing wanted until it is back. */
  deleted(): void {
    this.obj = undefined;
    this.reported = {};
    this.desired = {};
  }

  observed(obs: Observation): void {
    this.statistics = obs.statistics;
    this.desired.capabilities = obs.capabilities;
    this.desired.kernelConfig = obs.kernelConfig;
    this.desired.infoStatus = success();
    this.o.metrics?.recordObservation(obs);
  }

  observationFailed(e: Error): void {
    this.desired.infoStatus = failed('GetInfoFailed', e.message);
  }

  /**
   * The kernel no longer has what generation applied (`drifted`, one line per entity): the
   * conditions say so, and a Warning Event names it (once per distinct difference: the caller
   * calls this when it changes).
   */
  drifted(obj: OnnObject, generation: number, drifted: readonly string[], healing: boolean): void {
    const message = `the kernel differs from generation ${generation}: ${drifted.join('; ')}${healing ? ' (applying it again)' : ''}`;
    this.setPhase({ kind: 'drifted', generation, message, healing });
    void this.event(obj, 'Warning', 'Drifted', message);
  }

  /**
   * The kernel no longer has the running config while generation (which failed) is the spec:
   * only a Warning Event — the conditions keep saying why the spec is not in effect.
   */
  driftedFromRunning(obj: OnnObject, generation: number, drifted: readonly string[], healing: boolean): void {
    const message = `the kernel differs from the running config (generation ${generation} is not applied): ${drifted.join('; ')}${healing ? ' (restoring the running config)' : ''}`;
    void this.event(obj, 'Warning', 'Drifted', message);
  }

  /** The kernel has what generation applied again (a drift went away by itself). */
  inEffect(generation: number): void {
    this.setPhase({ kind: 'available', generation, message: `generation ${generation} applied; the kernel has it again` });
  }

  /** An apply of generation starts. */
  progressing(generation: number): void {
    this.setPhase({ kind: 'progressing', generation });
  }

  /**
   * How the apply of generation ended: setupStatus, conditions and observedGeneration, an Event
   * (a Warning for any failure; Normal only when the host changed) and the apply metrics. Called
   * after the host was read back, so the status never claims the generation with the
   * kernelConfig from before it.
   */
  applied(obj: OnnObject, generation: number, result: SetupResult): void {
    this.o.metrics?.recordSetup(result);
    if (result.ok) {
      this.desired.setupStatus = success();
      this.setPhase({ kind: 'available', generation, message: result.summary });
      if (result.changed) void this.event(obj, 'Normal', 'Applied', `generation ${generation}: ${result.summary} in ${result.durationMs} ms`);
    } else {
      this.desired.setupStatus = failed(result.reason, result.message);
      this.setPhase({ kind: 'failed', generation, reason: result.reason, message: result.message, rolledBack: result.rolledBack });
      void this.event(obj, 'Warning', result.reason, `generation ${generation}: ${result.message}${result.rolledBack ? ' (rolled back)' : ''}`);
    }
    this.desired.observedGeneration = generation;
  }

  /**
   * Writes what changed; statistics only when their interval has passed. Failures retry next tick.
   * Callers overlap (the observe timer, watch events, applies): one write at a time, and a call
   * made during a write runs once after it, so nothing is written twice from the same state.
   */
  readonly flush = coalesced(() => this.write());

  /** Whether everything wanted is shown (nothing left to write but statistics). */
  isDeepEqualReported(): boolean {
    return REPORTED_KEYS.every((k) => !(k in this.desired) || isDeepStrictEqual(this.desired[k], this.reported[k]));
  }

  private setPhase(phase: Phase): void {
    this.desired.conditions = conditionsFor(phase, (this.desired.conditions ?? this.reported.conditions) as Condition[] | undefined);
  }

  private async event(obj: OnnObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.o.client.event(obj, type, reason, message, this.o.name);
    } catch (e) {
      this.o.log.debug({ err: describeApiError(e) }, 'could not record an event');
    }
  }

  private async write(): Promise<void> {
    const obj = this.obj;
    if (!obj || !this.o.connected()) return;
    const patch = statusPatch(this.reported, this.desired, REPORTED_KEYS) ?? {};
    // Checked on the observe ticks, timed from when the last statistics write was sent (not
    // answered), with a second's slack: a slow write (a large status) must not push the next one
    // to the following tick.
    const sentAt = Date.now();
    const statsDue = sentAt - this.statsWrittenAt >= (this.o.statisticsIntervalMs ?? 30_000) - STATS_SLACK_MS;
    if (statsDue && this.statistics) patch.statistics = this.statistics;
    if (!Object.keys(patch).length) return;
    try {
      // A request sent while the node was cut off (during an apply that is then rolled back) can
      // sit on a connection in TCP backoff for a minute; writes are one at a time, so the deadline
      // (which ends the request for good) keeps it from holding back the report of the rollback.
      const updated = await this.o.client.patchStatus(this.o.name, patch, obj.status !== undefined || Object.keys(this.reported).length > 0, STATUS_WRITE_TIMEOUT_MS);
      this.o.metrics?.apiWrites.inc();
      if ('statistics' in patch) this.statsWrittenAt = sentAt;
      this.reported = { ...(updated.status ?? {}) };
      // The object may have been deleted (or seen anew) while the write was under way.
      if (this.obj === obj) this.obj = { ...obj, status: updated.status };
    } catch (e) {
      this.o.metrics?.recordStatusWriteFailure(httpStatus(e));
      this.o.log.warn({ err: describeApiError(e) }, 'status update failed; will retry');
    }
  }
}
