// A policy's status from its rollout plan, and the Events worth sending: those for what changed
// since the status last written (a node newly failed or refused, the rollout aborted, done), so
// a controller reconciling the same objects again sends nothing again.
import { isDeepStrictEqual } from 'node:util';
import { FAILED_NODES_MAX } from '../api/constants.js';
import type { FailedNode, PolicyCondition, PolicyStatus } from '../api/policy.js';
import { canonicalizeBond, canonicalizeNetwork } from '../plan/canonicalize.js';
import type { NodeRow, RolloutPlan } from './rollout.js';
import type { Fragment, OnnView } from './types.js';
import { own } from './own-properties.js';
import { lackReason } from './taints.js';
import type { CanaryOutcome } from './canary.js';

/** Whether the node's kernel has what the fragment asks (canonical forms compared, as the agent's drift check does). */
export function inSync(fragment: Fragment, onn: OnnView): boolean | undefined {
  const kc = onn.status?.kernelConfig;
  if (!kc) return undefined;
  const hostNameservers = onn.status?.capabilities?.nameservers;
  for (const [n, net] of Object.entries(fragment.networks)) {
    if (!isDeepStrictEqual(own(kc.networks, n), canonicalizeNetwork(net, hostNameservers ? { hostNameservers } : {})))
      return false;
  }
  for (const [b, bond] of Object.entries(fragment.bondings)) {
    if (!isDeepStrictEqual(own(kc.bondings, b), canonicalizeBond(bond))) return false;
  }
  return true;
}

export interface PolicyEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

type Want = Omit<PolicyCondition, 'lastTransitionTime'>;

/** lastTransitionTime moves only when a condition's status flips. */
function withTransitions(want: Want[], previous: readonly PolicyCondition[] | undefined, now: Date): PolicyCondition[] {
  return want.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    return {
      ...c,
      message: c.message.slice(0, 1000),
      lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString(),
    };
  });
}

export interface StatusInput {
  generation: number;
  deleting: boolean;
  /** spec.paused holds the rollout (Progressing False, reason Paused). */
  paused?: boolean;
  /** Where the canary and its gates stand (canary.ts). */
  canary?: CanaryOutcome;
  rows: readonly NodeRow[];
  plan: RolloutPlan;
  previous: PolicyStatus | undefined;
  now: Date;
}

/** Nodes the policy is not in effect on: refused (nothing written) or failed (the agent's reason). */
export function failedNodes(rows: readonly NodeRow[], plan: RolloutPlan): FailedNode[] {
  const out: FailedNode[] = [];
  for (const r of [...rows].sort((a, b) => (a.node < b.node ? -1 : 1))) {
    const s = plan.states.get(r.node)!;
    if (s.kind === 'refused')
      out.push({ node: r.node, reason: s.problem.reason, message: s.problem.message.slice(0, 1024) });
    else if (s.kind === 'updated' && s.agent.kind === 'failed')
      out.push({ node: r.node, reason: s.agent.reason, message: s.agent.message.slice(0, 1024) });
  }
  return out;
}

export function policyStatus(i: StatusInput): PolicyStatus {
  const { rows, plan, generation: g } = i;
  const wanted = rows.filter((r) => r.wants);
  const state = (r: NodeRow) => plan.states.get(r.node)!;
  const updated = wanted.filter((r) => state(r).kind === 'updated');
  const available = updated.filter((r) => {
    const s = state(r);
    return s.kind === 'updated' && s.agent.kind === 'available';
  });
  const outOfSync = wanted.filter((r) => r.desired && r.onn && inSync(r.desired, r.onn) === false);
  const failed = failedNodes(rows, plan);
  const unavailable = wanted.filter((r) => lackReason(r, state(r)) !== undefined);
  const remaining = rows.some((r) => STILL_TO_WRITE.includes(state(r).kind)) || plan.changing.length > 0;
  const conditions = [
    availableCondition(i, available.length, wanted.length),
    progressingCondition(i, remaining),
    degradedCondition(i, failed),
  ];
  return {
    observedGeneration: g,
    matchedNodes: wanted.length,
    updatedNodes: updated.length,
    availableNodes: available.length,
    outOfSyncNodes: outOfSync.length,
    unavailableNodes: unavailable.length,
    ...(i.canary?.canaryStatus ? { canary: i.canary.canaryStatus } : {}),
    ...(i.canary?.failure ? { gateFailure: i.canary.failure } : {}),
    failedNodes: failed.slice(0, FAILED_NODES_MAX),
    conditions: withTransitions(conditions, i.previous?.conditions, i.now),
  };
}

/** Node states of a rollout that has writes left to make. */
const STILL_TO_WRITE: readonly string[] = ['pending', 'waiting', 'pending-removal', 'removing', 'pending-cleanup'];

/** Available: every matched node has the generation and its agent says so (never while deleting). */
function availableCondition(i: StatusInput, available: number, wanted: number): Want {
  const g = i.generation;
  return !i.deleting && available === wanted
    ? {
        type: 'Available',
        status: 'True',
        reason: 'AllNodesAvailable',
        message: `${available} node(s)`,
        observedGeneration: g,
      }
    : {
        type: 'Available',
        status: 'False',
        reason: i.deleting ? 'Deleting' : 'NodesPending',
        message: `${available} of ${wanted} node(s) available`,
        observedGeneration: g,
      };
}

/** Progressing: writes remain or nodes are changing; stopped when the rollout aborted. */
function progressingCondition(i: StatusInput, remaining: boolean): Want {
  const { plan, generation: g } = i;
  if (i.paused) {
    const left = i.rows.filter((r) => STILL_TO_WRITE.includes(plan.states.get(r.node)!.kind)).length;
    return {
      type: 'Progressing',
      status: 'False',
      reason: 'Paused',
      message:
        `spec.paused: nothing is written; ${left} node(s) to change, ${plan.changing.length} still changing` +
        `${pausedRefusals(i)} (kubectl onn plan --policy shows each)`,
      observedGeneration: g,
    };
  }
  const stop = stopReason(i);
  if (stop)
    return {
      type: 'Progressing',
      status: 'False',
      reason: stop,
      message: `${plan.changing.length} node(s) still changing`,
      observedGeneration: g,
    };
  const c = i.canary;
  if (c && !i.deleting && (c.phase === 'canary' || c.phase === 'baking')) {
    const of =
      `${c.canaryNodes.length} canary node(s)` +
      (c.oversized
        ? ` (spec.rollout.canary.nodes is ${c.requested}, more than the ${c.canaryNodes.length} node(s) there are ` +
          'to change: every one is a canary)'
        : '');
    return {
      type: 'Progressing',
      status: 'True',
      reason: c.phase === 'canary' ? 'Canary' : 'Baking',
      message:
        c.phase === 'canary'
          ? `${of} changing first: ${c.canaryNodes.join(', ')}`
          : `${of} Available; baking until ${c.bakeEndsAt!.toISOString()} before any other node is written`,
      observedGeneration: g,
    };
  }
  return remaining
    ? {
        type: 'Progressing',
        status: 'True',
        reason: i.deleting ? 'Removing' : 'RollingOut',
        message: `${plan.changing.length} node(s) changing`,
        observedGeneration: g,
      }
    : { type: 'Progressing', status: 'False', reason: 'Complete', message: '', observedGeneration: g };
}

/** A paused policy's refusals, which unpausing would meet as they are (a conflict names what it clashes with). */
function pausedRefusals(i: StatusInput): string {
  const refused = [...i.rows]
    .sort((a, b) => (a.node < b.node ? -1 : 1))
    .map((r) => i.plan.states.get(r.node)!)
    .filter((s) => s.kind === 'refused');
  if (!refused.length) return '';
  const { node, reason, message } = refused[0]!.problem;
  return `; refused on ${refused.length} node(s), unpausing writes none of them (${node}: ${reason}: ${message})`;
}

/** Why the rollout stopped, if it did: a gate or a failed node, CanaryFailed when it was a canary. */
function stopReason(i: StatusInput): 'CanaryFailed' | 'RolloutAborted' | undefined {
  const gate = i.canary?.failure;
  if (gate) return gate.canary ? 'CanaryFailed' : 'RolloutAborted';
  if (!i.plan.aborted) return undefined;
  return i.canary?.canaryNodes.includes(i.plan.aborted.node) ? 'CanaryFailed' : 'RolloutAborted';
}

/** Degraded, by what matters most: the rollout aborted, then nodes refused, then nodes failed. */
function degradedCondition(i: StatusInput, failed: readonly FailedNode[]): Want {
  const { plan, generation: g } = i;
  const refused = failed.filter((f) => plan.states.get(f.node)?.kind === 'refused');
  const degraded = (reason: string, message: string): Want => ({
    type: 'Degraded',
    status: 'True',
    reason,
    message,
    observedGeneration: g,
  });
  const gate = i.canary?.failure;
  if (gate)
    return degraded(
      stopReason(i)!,
      `node ${gate.node} failed the ${gate.gate} gate (${gate.message}); the rollout of generation ${g} stopped ` +
        'there, a new generation resumes it',
    );
  if (plan.aborted) {
    const { node, reason, message } = plan.aborted;
    return degraded(
      stopReason(i)!,
      `node ${node} failed (${reason}: ${message}); the rollout of generation ${g} stopped there, ` +
        'a new generation resumes it',
    );
  }
  if (refused.length)
    return degraded(
      refused[0]!.reason,
      `refused on ${refused.length} node(s): ${refused[0]!.node}: ${refused[0]!.message}`,
    );
  if (failed.length)
    return degraded('NodesFailed', `${failed.length} node(s) failed: ${failed[0]!.node}: ${failed[0]!.reason}`);
  return { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '', observedGeneration: g };
}

const MAX_EVENTS = 10;

/** Events for what is new in `next` against `previous`. */
export function statusEvents(previous: PolicyStatus | undefined, next: PolicyStatus): PolicyEvent[] {
  const out: PolicyEvent[] = [];
  const before = new Set((previous?.failedNodes ?? []).map((f) => `${f.node}\u0000${f.reason}`));
  for (const f of next.failedNodes ?? []) {
    if (!before.has(`${f.node}\u0000${f.reason}`))
      out.push({ type: 'Warning', reason: f.reason, message: `node ${f.node}: ${f.message}` });
  }
  const cond = (s: PolicyStatus | undefined, t: string) => s?.conditions?.find((c) => c.type === t);
  const was = cond(previous, 'Degraded');
  const now = cond(next, 'Degraded');
  // RolloutAborted, Conflict, InvalidSpec...: once per reason and generation.
  if (
    now?.status === 'True' &&
    (was?.status !== 'True' || was.reason !== now.reason || was.observedGeneration !== now.observedGeneration)
  ) {
    out.push({ type: 'Warning', reason: now.reason, message: now.message });
  }
  const avail = cond(next, 'Available');
  const wasAvail = cond(previous, 'Available');
  if (
    avail?.status === 'True' &&
    (wasAvail?.status !== 'True' || wasAvail.observedGeneration !== avail.observedGeneration)
  ) {
    out.push({
      type: 'Normal',
      reason: 'RolloutComplete',
      message: `generation ${avail.observedGeneration} is available on ${next.availableNodes ?? 0} node(s)`,
    });
  }
  return out.slice(0, MAX_EVENTS);
}

/** Whether a status write would change anything (a reconcile of unchanged objects writes nothing). */
export function statusChanged(previous: PolicyStatus | undefined, next: PolicyStatus): boolean {
  return !isDeepStrictEqual(previous, next);
}

/**
 * The status as a merge patch over the one stored: a field the new status no longer has (a
 * gateFailure of an older generation, a canary) is written as null, which removes it; a merge
 * patch leaves absent fields as they were, and statusChanged would then see a change every pass.
 */
export function statusMergePatch(stored: unknown, next: PolicyStatus): Record<string, unknown> {
  const old = stored !== null && typeof stored === 'object' ? Object.keys(stored) : [];
  const gone = old.filter((k) => !Object.hasOwn(next, k));
  return { ...Object.fromEntries(gone.map((k) => [k, null])), ...next };
}
