// What the agent shows about its node: the status it wants shown (desired: observations, the
// conditions and setupStatus of each apply) against the status the API server shows (reported),
// written as patches of the top-level fields that differ; statistics only at their interval, and
// then only the interfaces whose statistics changed since the map the API server stores
// (statistics-delta.ts: a delta based on the object's resourceVersion, the whole map after any
// statistics write that failed).
// The object stays within its byte budget (status-budget.ts): a status that would not fit, or
// that the API server refuses for its size or content, leaves detail out in the defined order
// and says so (condition StatusTruncated, an Event, one log line per state), so the result of
// every apply still gets through. Also the Events of applies and the metrics hooks.
import type { Logger } from 'pino';
import { isDeepStrictEqual } from 'node:util';
import {
  describeApiError,
  httpStatus,
  refusalOf,
  type OnnClient,
  type OnnObject,
  type StatusEdit,
} from '../k8s/client.js';
import type { ApiError } from '../k8s/http.js';
import { coalesced } from '../util/coalesce.js';
import type { Observation, SetupResult } from './results.js';
import {
  conditionsFor,
  failed,
  shortMessage,
  statusPatch,
  success,
  type Condition,
  type Phase,
} from './status-shapes.js';
import { isEmptyEdit, sameStatistics, statisticsDelta, STATISTICS_TIME } from './statistics-delta.js';
import {
  baseBytes,
  fitStatus,
  leftOut,
  MAX_LEVEL,
  OBJECT_BUDGET_BYTES,
  objectBytes,
  truncate,
  truncationCondition,
  TRUNCATED_CONDITION,
  withTruncationCondition,
  type StatusFields,
  type TruncationCause,
} from './status-budget.js';

/** A status write that has not answered by then is given up (and retried with the next tick). */
const STATUS_WRITE_TIMEOUT_MS = 10_000;
const STATS_SLACK_MS = 1000;
const REPORTED_KEYS = [
  'capabilities',
  'kernelConfig',
  'lldp',
  'infoStatus',
  'setupStatus',
  'conditions',
  'observedGeneration',
] as const;
/** After every level of TRUNCATION_ORDER, the deepest one once more without the StatusTruncated condition. */
const LAST_STEP = MAX_LEVEL + 1;
/**
 * How long a refusal is remembered: until then the status is not offered at that size (or step)
 * again; then the full status is tried once more, in case the API server's limits changed.
 */
const REFUSAL_MEMORY_MS = 10 * 60_000;

/** What the reporter tells the metrics (the agent's AgentMetrics implements it). */
export interface StatusMetrics {
  readonly apiWrites: { inc(): void };
  recordObservation(obs: Observation): void;
  recordSetup(r: SetupResult): void;
  recordStatusWrite(level: number, bytes: number): void;
  /** A status patch failed; `httpCode`: the API server's answer, undefined when there was none. */
  recordStatusWriteFailure(httpCode: number | undefined): void;
}

export interface StatusReporterOptions {
  /** The object's name (the node's). */
  name: string;
  client: Pick<OnnClient, 'patchStatus' | 'event'>;
  log: Logger;
  metrics?: StatusMetrics;
  /** How often statistics are written (default 30 s). */
  statisticsIntervalMs?: number;
  /** Writes only while this holds (the watcher has listed the object and watches it). */
  connected: () => boolean;
  /** The object's budget in bytes (default OBJECT_BUDGET_BYTES, 1 MiB). */
  budgetBytes?: number;
  /** How long a refused size or step is not offered again (default 10 min). */
  refusalMemoryMs?: number;
}

/** The condition reason (and Event reason) of a state file the agent could not use. */
export const PERSISTED_STATE_INVALID = 'PersistedStateInvalid';

export class StatusReporter {
  /** The object as the API server last showed it; undefined while there is none. */
  private obj: OnnObject | undefined;
  /** The status as the API server last showed it (or as we last wrote it). */
  private reported: Record<string, unknown> = {};
  /**
   * The resourceVersion of the object whose status `reported` is; undefined when `reported` did not come from the API
   * server.
   */
  private reportedVersion: string | undefined;
  /**
   * A statistics write failed (lost, refused, in conflict): what the API server stores is not
   * known exactly, so the next statistics write is the whole map.
   */
  private statisticsUnknown = false;
  /** The status we want the API server to show. */
  private desired: Record<string, unknown> = {};
  private statistics: { map: Record<string, unknown>; time: number } | undefined;
  private statsWrittenAt = 0;
  /** The API server refused an object of this size: smaller ones only, until `until`. */
  private sizeLimit: { bytes: number; code: number; until: number } | undefined;
  /**
   * The API server refused the step before this one (for its content, or the smallest for its size): this step or
   * later, until `until`.
   */
  private floor: { step: number; cause: TruncationCause; until: number } | undefined;
  /** How much the shown status leaves out ('complete', or level and cause); undefined before the first write. */
  private shownState: string | undefined;
  /** Log lines written in this truncation episode (each once; cleared when the status is complete). */
  private readonly logged = new Set<string>();
  private base: { metadata: unknown; spec: unknown; bytes: number } | undefined;
  private readonly sizes = new WeakMap<object, number>();

  constructor(private readonly o: StatusReporterOptions) {}

  /** The object as a list or a watch event shows it. */
  seen(obj: OnnObject): void {
    this.obj = obj;
    if (this.pendingEvents.length)
      for (const [reason, message] of this.pendingEvents.splice(0)) void this.event(obj, 'Warning', reason, message);
    if (obj.status) this.reported = { ...obj.status };
    this.reportedVersion = obj.status ? obj.metadata.resourceVersion : undefined;
  }

  /** The object was just created: it shows no status. */
  created(): void {
    this.reported = {};
    this.reportedVersion = undefined;
  }

  /** The object was deleted: nothing is shown and nothing wanted until it is back. */
  deleted(): void {
    this.obj = undefined;
    this.reported = {};
    this.reportedVersion = undefined;
    this.desired = {};
  }

  observed(obs: Observation): void {
    this.statistics = { map: obs.statistics, time: obs.statisticsTime };
    this.desired.capabilities = obs.capabilities;
    this.desired.kernelConfig = obs.kernelConfig;
    // Written when it differs from what is shown, like every field: a switch's unchanged
    // announcements cost no write (the parser keeps no age or counter that would tick).
    if (obs.lldp !== undefined) this.desired.lldp = obs.lldp;
    this.desired.infoStatus = success();
    this.o.metrics?.recordObservation(obs);
  }

  /** Warning Events raised before the object was known (at start), sent when it is. */
  private readonly pendingEvents: [string, string][] = [];

  /**
   * A state file could not be used at start (persist/schemas.ts): the conditions say so (Degraded,
   * reason PersistedStateInvalid, the file and field in the message) and a Warning Event names
   * it. The agent left the kernel and the file as they were.
   */
  persistedStateInvalid(message: string): void {
    const m = `${message}; the kernel and the file were left as they are: repair or move the file aside`;
    this.desired.setupStatus = failed(PERSISTED_STATE_INVALID, m);
    this.setPhase({ kind: 'failed', generation: 0, reason: PERSISTED_STATE_INVALID, message: m, rolledBack: false });
    if (this.obj) void this.event(this.obj, 'Warning', PERSISTED_STATE_INVALID, m);
    else this.pendingEvents.push([PERSISTED_STATE_INVALID, m]);
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
    const message =
      `the kernel differs from generation ${generation}: ` +
      `${drifted.join('; ')}${healing ? ' (applying it again)' : ''}`;
    this.setPhase({ kind: 'drifted', generation, message, healing });
    void this.event(obj, 'Warning', 'Drifted', message);
  }

  /**
   * The kernel no longer has the running config while generation (which failed) is the spec:
   * only a Warning Event — the conditions keep saying why the spec is not in effect.
   */
  driftedFromRunning(obj: OnnObject, generation: number, drifted: readonly string[], healing: boolean): void {
    const message =
      `the kernel differs from the running config (generation ${generation} is not applied): ` +
      `${drifted.join('; ')}${healing ? ' (restoring the running config)' : ''}`;
    void this.event(obj, 'Warning', 'Drifted', message);
  }

  /** The kernel has what generation applied again (a drift went away by itself). */
  inEffect(generation: number): void {
    this.setPhase({
      kind: 'available',
      generation,
      message: `generation ${generation} applied; the kernel has it again`,
    });
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
      if (result.changed)
        void this.event(
          obj,
          'Normal',
          'Applied',
          `generation ${generation}: ${result.summary} in ${result.durationMs} ms`,
        );
    } else {
      this.desired.setupStatus = failed(result.reason, result.message);
      this.setPhase({
        kind: 'failed',
        generation,
        reason: result.reason,
        message: result.message,
        rolledBack: result.rolledBack,
      });
      void this.event(
        obj,
        'Warning',
        result.reason,
        `generation ${generation}: ${result.message}${result.rolledBack ? ' (rolled back)' : ''}`,
      );
    }
    this.desired.observedGeneration = generation;
  }

  /**
   * Writes what changed; statistics only when their interval has passed. Failures retry next tick.
   * Callers overlap (the observe timer, watch events, applies): one write at a time, and a call
   * made during a write runs once after it, so nothing is written twice from the same state.
   */
  readonly flush = coalesced(() => this.write());

  /** Whether everything wanted is shown, as far as the budget lets it be (nothing left to write but statistics). */
  isDeepEqualReported(): boolean {
    const target = this.obj ? this.plan(this.obj, Date.now()).status : this.desired;
    return REPORTED_KEYS.every((k) => !(k in target) || isDeepStrictEqual(target[k], this.reported[k]));
  }

  private setPhase(phase: Phase): void {
    this.desired.conditions = conditionsFor(
      phase,
      (this.desired.conditions ?? this.reported.conditions) as Condition[] | undefined,
    );
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
    // Checked on the observe ticks, timed from when the last statistics write was sent (not
    // answered), with a second's slack: a slow write (a large status) must not push the next one
    // to the following tick.
    const sentAt = Date.now();
    const statsDue = sentAt - this.statsWrittenAt >= (this.o.statisticsIntervalMs ?? 30_000) - STATS_SLACK_MS;
    // At most one attempt per step: each refusal moves the next attempt to a later step.
    for (let attempt = 0; attempt <= LAST_STEP + 1; attempt++) {
      const plan = this.plan(obj, sentAt);
      const write = this.writeFor(plan.status, statsDue);
      if (!write) return this.shown(obj, plan);
      const statistics = 'statistics' in write.fields || write.edit !== undefined;
      try {
        // A request sent while the node was cut off (during an apply that is then rolled back) can
        // sit on a connection in TCP backoff for a minute; writes are one at a time, so the deadline
        // (which ends the request for good) keeps it from holding back the report of the rollback.
        const updated = await this.o.client.patchStatus(
          this.o.name,
          write.fields,
          write.statusExists,
          STATUS_WRITE_TIMEOUT_MS,
          write.edit,
        );
        this.o.metrics?.apiWrites.inc();
        if (statistics) this.statsWrittenAt = sentAt;
        if ('statistics' in write.fields) this.statisticsUnknown = false;
        this.reported = { ...(updated.status ?? {}) };
        this.reportedVersion = updated.metadata?.resourceVersion;
        // The object may have been deleted (or seen anew) while the write was under way.
        if (this.obj === obj) this.obj = { ...obj, status: updated.status };
        return this.shown(obj, plan);
      } catch (e) {
        this.o.metrics?.recordStatusWriteFailure(httpStatus(e));
        // Lost or refused, it may or may not have landed: the next statistics are the whole map.
        if (statistics) this.statisticsUnknown = true;
        // A delta the API server did not take (the object changed since it was computed, or a
        // path it names is not there): at once again, with the whole map, before anything else.
        if (write.edit && (httpStatus(e) === 409 || refusalOf(e) === 'content')) {
          this.o.log.debug({ err: describeApiError(e) }, 'statistics delta not taken; writing them whole');
          continue;
        }
        const kind = refusalOf(e);
        if (!kind) {
          this.o.log.warn({ err: describeApiError(e) }, 'status update failed; will retry');
          return;
        }
        this.refused(kind, e as ApiError, plan, sentAt);
        if (plan.step === LAST_STEP) return;
      }
    }
  }

  /** The status to write now: the first step that fits the budget and what the API server refused lately. */
  private plan(obj: OnnObject, now: number): Plan {
    const sizeLimit = this.sizeLimit && this.sizeLimit.until > now ? this.sizeLimit : undefined;
    const floor = this.floor && this.floor.until > now ? this.floor : undefined;
    const budget = Math.min(this.o.budgetBytes ?? OBJECT_BUDGET_BYTES, sizeLimit ? sizeLimit.bytes - 1 : Infinity);
    const cause: TruncationCause =
      floor?.cause ??
      (sizeLimit ? { kind: 'refused', what: 'size', code: sizeLimit.code } : { kind: 'budget', budget });
    // Everything the object would show once all is written: what it shows, what is wanted over it.
    const full: StatusFields = { ...this.reported, ...this.desired };
    if (this.statistics) {
      full.statistics = this.statistics.map;
      full[STATISTICS_TIME] = this.statistics.time;
    }
    const first = Math.min(floor?.step ?? 0, LAST_STEP);
    const previous = (this.reported.conditions as Condition[] | undefined)?.find((c) => c.type === TRUNCATED_CONDITION);
    const generation = (full.observedGeneration ?? obj.metadata.generation ?? 0) as number;
    const finish = (truncated: StatusFields, step: number) =>
      withTruncationCondition(truncated, Math.min(step, MAX_LEVEL), cause, {
        generation,
        previous,
        omit: step === LAST_STEP,
      });
    const base = this.baseBytes(obj);
    const statusBytes = (st: StatusFields) => this.statusBytes(st);
    if (first === LAST_STEP) {
      const status = finish(truncate(full, MAX_LEVEL), LAST_STEP);
      return {
        step: LAST_STEP,
        level: MAX_LEVEL,
        status,
        cause,
        bytes: objectBytes(base, status, statusBytes(status)),
      };
    }
    const f = fitStatus(full, { base, budget, from: first, finish, statusBytes });
    return { step: f.level, level: f.level, status: f.status, cause, bytes: f.bytes };
  }

  /**
   * The patch that brings the shown status to `target`: the fields that differ, and statistics
   * when due — whole when what the API server stores is not known exactly (none yet, a failed
   * statistics write), else as a delta of the interfaces that changed, with the sample's time,
   * based on the object's resourceVersion. When a field must go (a deeper level than shown), the
   * whole status replaced at once.
   */
  private writeFor(
    target: StatusFields,
    statsDue: boolean,
  ): { fields: StatusFields; statusExists: boolean; edit?: StatusEdit } | undefined {
    const exists = this.obj?.status !== undefined || Object.keys(this.reported).length > 0;
    if (exists && Object.keys(this.reported).some((k) => !(k in target)))
      return { fields: target, statusExists: false };
    const patch = statusPatch(this.reported, target, REPORTED_KEYS) ?? {};
    // Also off the interval when interfaces came or went (an apply made or removed devices) or
    // went up or down: a device's state would otherwise be unknown, or stale (a new bridge is down
    // until its port's carrier shows), to readers of the status for a whole interval.
    const due = statsDue || !sameInterfaceStates(target.statistics, this.reported.statistics);
    const next = target.statistics as Record<string, unknown> | undefined;
    const shown = this.reported.statistics;
    let edit: StatusEdit | undefined;
    if (due && next !== undefined) {
      const time = target[STATISTICS_TIME];
      const version = this.reportedVersion;
      if (this.statisticsUnknown || !isRecord(shown) || version === undefined || !exists) {
        patch.statistics = next;
        patch[STATISTICS_TIME] = time;
      } else if (time !== this.reported[STATISTICS_TIME] || !sameStatistics(shown, next)) {
        const delta = statisticsDelta(shown, next);
        patch[STATISTICS_TIME] = time;
        edit = { maps: isEmptyEdit(delta) ? {} : { statistics: delta }, resourceVersion: version };
      }
    }
    return Object.keys(patch).length || edit
      ? { fields: patch, statusExists: exists, ...(edit ? { edit } : {}) }
      : undefined;
  }

  /**
   * The API server refused the write of `plan`: the next one leaves out more. For its size, a
   * smaller object (and past the deepest level, the last step); for its content, the next step.
   */
  private refused(kind: 'size' | 'content', e: ApiError, plan: Plan, now: number): void {
    const until = now + (this.o.refusalMemoryMs ?? REFUSAL_MEMORY_MS);
    const cause: TruncationCause = { kind: 'refused', what: kind, code: e.code };
    if (kind === 'size') {
      const limit = this.sizeLimit && this.sizeLimit.until > now ? this.sizeLimit.bytes : Infinity;
      this.sizeLimit = { bytes: Math.min(plan.bytes, limit), code: e.code, until };
    }
    if (kind === 'content' || plan.step >= MAX_LEVEL)
      this.floor = { step: Math.min(plan.step + 1, LAST_STEP), cause, until };
    const last = plan.step === LAST_STEP;
    this.logOnce(`refused:${plan.step}:${e.code}`, () =>
      this.o.log[last ? 'error' : 'warn'](
        { err: shortMessage(describeApiError(e)), step: plan.step, bytes: plan.bytes },
        last
          ? 'the API server refused even the essential status; will retry'
          : 'the API server refused the status; leaving out more',
      ),
    );
  }

  /** The status of `plan` is what the object shows: log and an Event when how much it leaves out changed. */
  private shown(obj: OnnObject, plan: Plan): void {
    this.o.metrics?.recordStatusWrite(plan.level, plan.bytes);
    const state = plan.level === 0 ? 'complete' : `${plan.level}:${JSON.stringify(plan.cause)}`;
    if (state === this.shownState) return;
    const wasTruncated = this.shownState !== undefined && this.shownState !== 'complete';
    this.shownState = state;
    if (plan.level === 0) {
      this.logged.clear();
      if (!wasTruncated) return;
      this.o.log.info({ bytes: plan.bytes }, 'the status is complete again');
      void this.event(obj, 'Normal', 'StatusComplete', 'the status fits again: nothing is left out');
      return;
    }
    const message = truncationCondition(plan.level, plan.cause, 0, undefined).message;
    this.o.log.warn({ level: plan.level, bytes: plan.bytes, leftOut: leftOut(plan.level) }, 'status truncated to fit');
    void this.event(obj, 'Warning', TRUNCATED_CONDITION, message);
  }

  private logOnce(key: string, log: () => void): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    log();
  }

  /** The object's bytes without its status (metadata and spec change only with the object). */
  private baseBytes(obj: OnnObject): number {
    if (this.base?.metadata !== obj.metadata || this.base.spec !== obj.spec)
      this.base = { metadata: obj.metadata, spec: obj.spec, bytes: baseBytes(obj) };
    return this.base.bytes;
  }

  /**
   * JSON bytes of a status, its fields measured once per value (an observation's capabilities are measured once, not
   * per step).
   */
  private statusBytes(status: StatusFields): number {
    const entries = Object.entries(status).filter(([, v]) => v !== undefined);
    let n = 2 + Math.max(0, entries.length - 1);
    for (const [k, v] of entries) {
      let b = typeof v === 'object' && v !== null ? this.sizes.get(v) : undefined;
      if (b === undefined) {
        b = Buffer.byteLength(JSON.stringify(v));
        if (typeof v === 'object' && v !== null) this.sizes.set(v, b);
      }
      n += Buffer.byteLength(JSON.stringify(k)) + 1 + b;
    }
    return n;
  }
}

/** One status write: its step and level of TRUNCATION_ORDER, why, and the object's size with it. */
interface Plan {
  step: number;
  level: number;
  status: StatusFields;
  cause: TruncationCause;
  bytes: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether two statistics maps name the same interfaces, each in the same state (up/down). */
function sameInterfaceStates(a: unknown, b: unknown): boolean {
  const states = (x: unknown) =>
    isRecord(x)
      ? Object.keys(x)
          .sort()
          .map((k) => `${k}\t${isRecord(x[k]) ? String(x[k].state) : ''}`)
          .join('\n')
      : '';
  return states(a) === states(b);
}
