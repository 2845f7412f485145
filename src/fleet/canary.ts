// The canary of a rollout (spec.rollout.canary) and its health gates. The first N nodes change
// alone; once all are Available the controller bakes them for bakeSeconds, then writes the rest.
// During the bake and every later batch until the generation is Available, each node this
// generation changed must pass the gates: its Node Ready, its object not Degraded nor healing,
// the southbound devices of the policy's networks up. The first failure stops the rollout for the
// generation (status.gateFailure: sticky until a new generation). The metric gate
// (maxTrafficErrors, TrafficErrors) runs during the bake only: it compares each canary's errors
// and drops with the counts recorded as the bake began. A gate whose input cannot be read (the
// agent has not reported on the generation, no statistics for a southbound device, no counts
// during the bake) passes for now, but the controller records since when in status.canary
// (unknownGates): once gateTimeoutSeconds have passed it fails, timed out, so a gate that can
// never decide stops the rollout with a reason instead of holding it forever. Everything is read from the
// objects and the policy's own status (the bake's start, written by the controller with its own
// clock): nothing a node reports moves another node's bake. Pure.
import { GATE_WAITS_MAX } from '../api/constants.js';
import type { Canary, PolicyStatus } from '../api/policy.js';
import { nodeState, type NodeRow, type NodeState, type RolloutHold } from './rollout.js';
import type { NodeView } from './types.js';

export const GATES = ['NodeReady', 'NodeNetworkHealthy', 'SouthboundUp', 'TrafficErrors'] as const;
export type Gate = (typeof GATES)[number];

type CanaryStatus = NonNullable<PolicyStatus['canary']>;
type GateFailure = NonNullable<PolicyStatus['gateFailure']>;
type GateWait = NonNullable<CanaryStatus['unknownGates']>[number];

/** The gate a changed node fails now, if any (a gate that cannot be read, e.g. no statistics, passes). */
export function gateFailure(row: NodeRow, node: NodeView | undefined): { gate: Gate; message: string } | undefined {
  if (node?.ready === false) return { gate: 'NodeReady', message: `Node ${row.node} is not Ready` };
  const onn = row.onn;
  if (!onn) return undefined;
  const at = (t: string) =>
    onn.status?.conditions?.find((c) => c.type === t && c.observedGeneration === onn.generation);
  const degraded = at('Degraded');
  if (degraded?.status === 'True')
    return { gate: 'NodeNetworkHealthy', message: `Degraded ${degraded.reason ?? ''}: ${degraded.message ?? ''}` };
  const progressing = at('Progressing');
  if (progressing?.status === 'True' && progressing.reason === 'Healing')
    return { gate: 'NodeNetworkHealthy', message: `healing drift: ${progressing.message ?? ''}` };
  const stats = (onn.status as { statistics?: Record<string, { state?: unknown } | undefined> } | undefined)
    ?.statistics;
  for (const [n, net] of Object.entries(row.desired?.networks ?? {})) {
    const dev = net.nic ?? net.bonding;
    const state = dev === undefined ? undefined : stats?.[dev]?.state;
    if (typeof state === 'string' && state !== 'up')
      return { gate: 'SouthboundUp', message: `${dev} (southbound of ${n}) is ${state}` };
  }
  return undefined;
}

/**
 * The gates that cannot decide on a changed node now, and why: its agent has not reported on the
 * object's generation (NodeNetworkHealthy), a southbound device has no state in its statistics
 * (SouthboundUp, when the agent reports statistics). A Node without a Ready condition (no kubelet)
 * is no unknown: NodeReady does not apply there.
 */
export function gateUnknowns(row: NodeRow): { gate: Gate; what: string }[] {
  const onn = row.onn;
  if (!onn) return [];
  const out: { gate: Gate; what: string }[] = [];
  const at = (t: string) =>
    onn.status?.conditions?.find((c) => c.type === t && c.observedGeneration === onn.generation);
  if (at('Available')?.status !== 'True' && at('Degraded')?.status !== 'True')
    out.push({ gate: 'NodeNetworkHealthy', what: `the agent has not reported on generation ${onn.generation}` });
  const stats = (onn.status as { statistics?: Record<string, { state?: unknown } | undefined> } | undefined)
    ?.statistics;
  // (An agent that reports no statistics at all has nothing for this gate to wait for.)
  const missing = Object.values(stats ? (row.desired?.networks ?? {}) : {})
    .map((net) => net.nic ?? net.bonding)
    .filter((dev): dev is string => dev !== undefined && typeof stats?.[dev]?.state !== 'string');
  if (missing.length)
    out.push({ gate: 'SouthboundUp', what: `no statistics for ${[...new Set(missing)].sort().join(', ')}` });
  return out;
}

type Counters = Record<string, { rxErrors?: unknown; txErrors?: unknown; rxDropped?: unknown; txDropped?: unknown }>;

/**
 * The metric gate's measure: errors and drops (rx and tx) summed over the row's southbound devices,
 * from the agent's statistics (decimal strings: 64-bit counters); undefined when none is reported.
 */
export function trafficErrors(row: NodeRow): bigint | undefined {
  const stats = (row.onn?.status as { statistics?: Counters } | undefined)?.statistics;
  let sum: bigint | undefined;
  for (const net of Object.values(row.desired?.networks ?? {})) {
    const dev = net.nic ?? net.bonding;
    const s = dev === undefined ? undefined : stats?.[dev];
    if (!s) continue;
    for (const v of [s.rxErrors, s.txErrors, s.rxDropped, s.txDropped])
      if (typeof v === 'string' && /^\d+$/.test(v)) sum = (sum ?? 0n) + BigInt(v);
  }
  return sum;
}

/** The metric gate over the canaries against the counts at the bake's start. */
function metricFailure(i: CanaryInput, baseline: Record<string, string>): GateFailure | undefined {
  const max = BigInt(i.canary!.maxTrafficErrors!);
  for (const r of [...i.rows].sort((a, b) => (a.node < b.node ? -1 : 1))) {
    const before = baseline[r.node];
    const now = trafficErrors(r);
    if (before === undefined || now === undefined || now - BigInt(before) <= max) continue;
    const message = `errors and drops on its southbound devices rose by ${now - BigInt(before)} (at most ${max})`;
    return { generation: i.generation, node: r.node, gate: 'TrafficErrors', message, canary: true };
  }
  return undefined;
}

/** The counts the metric gate compares with, taken as the bake begins. */
function baselineOf(i: CanaryInput, canaries: readonly string[]): Record<string, string> {
  const rows = new Map(i.rows.map((r) => [r.node, r]));
  const out: Record<string, string> = {};
  for (const n of canaries.slice(0, 20)) {
    const v = rows.get(n) ? trafficErrors(rows.get(n)!) : undefined;
    if (v !== undefined) out[n] = String(v);
  }
  return out;
}

export interface CanaryInput {
  rows: readonly NodeRow[];
  generation: number;
  /** spec.rollout.canary; undefined: no canary and no gates (the rollout stops at a failed node only). */
  canary: Canary | undefined;
  previous: PolicyStatus | undefined;
  nodes: ReadonlyMap<string, NodeView>;
  now: Date;
}

export interface CanaryOutcome {
  phase: 'none' | 'canary' | 'baking' | 'passed' | 'stopped';
  hold: RolloutHold;
  canaryNodes: string[];
  /** The canary asks for more nodes than there are to change. */
  oversized: boolean;
  /** spec.rollout.canary.nodes (0: no canary). */
  requested: number;
  canaryStatus?: CanaryStatus;
  failure?: GateFailure;
  /** When the bake ends (a pass is due then). */
  bakeEndsAt?: Date;
  /** When the first unknown gate times out (a pass is due then). */
  timeoutAt?: Date;
}

const available = (s: NodeState | undefined) => s?.kind === 'updated' && s.agent.kind === 'available';
const byNode = (a: NodeRow, b: NodeRow) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);

/** The rows the gates watch: the nodes this generation changed, and the canaries, in name order. */
function watchedRows(i: CanaryInput, states: Map<string, NodeState>, canaries: ReadonlySet<string>): NodeRow[] {
  return [...i.rows]
    .sort(byNode)
    .filter((r) => states.get(r.node)?.kind === 'updated' && (r.mark === String(i.generation) || canaries.has(r.node)));
}

/** The first gate failure among the watched rows. */
function firstFailure(i: CanaryInput, watched: readonly NodeRow[], canaries: ReadonlySet<string>) {
  for (const r of watched) {
    const f = gateFailure(r, i.nodes.get(r.node));
    if (f)
      return {
        generation: i.generation,
        node: r.node,
        ...f,
        message: f.message.slice(0, 1024),
        canary: canaries.has(r.node),
      };
  }
  return undefined;
}

type Unknown = { node: string; gate: Gate; what: string };

/**
 * The outcome with the gates unknown now tracked (since when, kept from the status), or stopped
 * by the first that has been unknown for gateTimeoutSeconds.
 */
function withWaits(i: CanaryInput, o: CanaryOutcome, unknown: readonly Unknown[], canaries: ReadonlySet<string>) {
  const prev = i.previous?.canary?.generation === i.generation ? (i.previous.canary.unknownGates ?? []) : [];
  const since = new Map(prev.map((w) => [`${w.node}\u0000${w.gate}`, w.since]));
  const key = (u: Unknown) => `${u.node}\u0000${u.gate}`;
  // The ones already tracked keep their place; new ones wait for a free one.
  const ordered = [...unknown.filter((u) => since.has(key(u))), ...unknown.filter((u) => !since.has(key(u)))];
  const kept = ordered.slice(0, GATE_WAITS_MAX);
  const waits: GateWait[] = kept.map((u) => ({
    node: u.node,
    gate: u.gate,
    since: since.get(key(u)) ?? i.now.toISOString(),
  }));
  const { unknownGates: _, ...cs } = o.canaryStatus ?? { generation: i.generation, nodes: [] };
  const limit = i.canary!.gateTimeoutSeconds * 1000;
  let timeoutAt: number | undefined;
  for (const [n, w] of waits.entries()) {
    const ends = Date.parse(w.since) + limit;
    if (i.now.getTime() < ends) {
      timeoutAt = Math.min(timeoutAt ?? ends, ends);
      continue;
    }
    const message = `timed out: ${kept[n]!.what} for ${i.canary!.gateTimeoutSeconds} s (unknown since ${w.since})`;
    const failure = { generation: i.generation, node: w.node, gate: w.gate, message, canary: canaries.has(w.node) };
    const { bakeEndsAt: __, ...rest } = o;
    return { ...rest, phase: 'stopped' as const, hold: { stop: true }, canaryStatus: cs, failure };
  }
  return {
    ...o,
    canaryStatus: waits.length ? { ...cs, unknownGates: waits } : cs,
    ...(timeoutAt !== undefined ? { timeoutAt: new Date(timeoutAt) } : {}),
  };
}

export function canaryStep(i: CanaryInput): CanaryOutcome {
  const g = i.generation;
  const none: CanaryOutcome = { phase: 'none', hold: {}, canaryNodes: [], oversized: false, requested: 0 };
  if (!i.canary) return none;
  const states = new Map(i.rows.map((r) => [r.node, nodeState(r)]));
  const eligible = [...i.rows]
    .filter((r) => r.wants && r.onn && states.get(r.node)!.kind !== 'refused')
    .map((r) => r.node)
    .sort();
  const canaryNodes = eligible.slice(0, i.canary.nodes);
  const canaries = new Set(canaryNodes);
  const base = { canaryNodes, oversized: i.canary.nodes > eligible.length, requested: i.canary.nodes };
  const prev = i.previous?.canary?.generation === g ? i.previous.canary : undefined;
  const listed = canaryNodes.slice(0, 20);
  const settled = i.rows.filter((r) => r.wants).every((r) => available(states.get(r.node)));
  const watched = settled ? [] : watchedRows(i, states, canaries);
  const failure =
    i.previous?.gateFailure?.generation === g ? i.previous.gateFailure : firstFailure(i, watched, canaries);
  const keep = prev ? { canaryStatus: withoutWaits(prev) } : {};
  if (failure) return { ...base, ...keep, phase: 'stopped', hold: { stop: true }, failure };
  const unknown = watched.flatMap((r) => gateUnknowns(r).map((u) => ({ node: r.node, ...u })));
  const track = (o: CanaryOutcome, more: readonly Unknown[] = []) => withWaits(i, o, [...unknown, ...more], canaries);
  if (!canaryNodes.every((n) => available(states.get(n))))
    return track({
      ...base,
      phase: 'canary',
      hold: { only: canaries },
      canaryStatus: { generation: g, nodes: listed },
    });
  if (prev?.passed) return track({ ...base, phase: 'passed', hold: {}, canaryStatus: withoutWaits(prev) });
  const bakeStartedAt = prev?.bakeStartedAt ?? i.now.toISOString();
  const metric = i.canary.maxTrafficErrors !== undefined;
  const counters = metric ? (prev?.counters ?? baselineOf(i, canaryNodes)) : undefined;
  const baking: CanaryStatus = { generation: g, nodes: listed, bakeStartedAt, ...(counters ? { counters } : {}) };
  const traffic = counters ? metricFailure(i, counters) : undefined;
  if (traffic) return { ...base, phase: 'stopped', hold: { stop: true }, canaryStatus: baking, failure: traffic };
  const ends = new Date(Date.parse(bakeStartedAt) + i.canary.bakeSeconds * 1000);
  if (i.now >= ends) return track({ ...base, phase: 'passed', hold: {}, canaryStatus: { ...baking, passed: true } });
  const uncounted = counters ? trafficUnknowns(i, counters, listed) : [];
  const o: CanaryOutcome = {
    ...base,
    phase: 'baking',
    hold: { only: canaries },
    canaryStatus: baking,
    bakeEndsAt: ends,
  };
  return track(o, uncounted);
}

/** A canary status without its unknown gates (they are tracked anew each pass). */
function withoutWaits(c: CanaryStatus): CanaryStatus {
  const { unknownGates: _, ...rest } = c;
  return rest;
}

/** The canaries the metric gate cannot compare: no counts at the bake's start, or none now. */
function trafficUnknowns(i: CanaryInput, baseline: Record<string, string>, listed: readonly string[]): Unknown[] {
  const rows = new Map(i.rows.map((r) => [r.node, r]));
  return listed
    .filter((n) => baseline[n] === undefined || !rows.get(n) || trafficErrors(rows.get(n)!) === undefined)
    .map((node) => ({ node, gate: 'TrafficErrors' as const, what: 'no error counts for its southbound devices' }));
}
