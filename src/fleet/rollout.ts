// The rollout of one policy: where each node stands, read from the objects alone, and which nodes
// to write next. A node is changing from the write of its spec until its agent reports Available
// for the object's generation (which carries the change: the spec still holds it), or fails;
// at most maxUnavailable nodes change at once. A node that fails with a spec written under the
// policy's current generation (the node's annotation says which) stops the rollout: no further
// node is written until the policy has a new generation. Removals (the node stopped matching,
// the policy is deleted) move the same way; the annotation says "removed" until the agent has
// acted on the removal, and is then dropped — that last write changes no spec.
import { isDeepStrictEqual } from 'node:util';
import { REMOVED_MARK } from '../api/constants.js';
import type { Fragment, NodeProblem, OnnView } from './types.js';

/** The agent's reasons for a generation it could not apply (it rolled the node back). */
export const FAILURE_REASONS: ReadonlySet<string> = new Set(['InvalidSpec', 'SetupFailed', 'ConnectivityLost']);

/** One node, as one policy sees it. */
export interface NodeRow {
  node: string;
  /** The policy is live and its selector matches the node. */
  wants: boolean;
  /** Why it is refused there (a conflict, a label missing...): nothing is written. */
  problem?: NodeProblem;
  /** What it should have there (wanted and not refused). */
  desired?: Fragment;
  onn?: OnnView;
  /** The entries the policy holds in the node's spec now. */
  holds: Fragment;
  /** The node's annotation for this policy: the generation that wrote it, or "removed". */
  mark?: string;
}

export type AgentState =
  { kind: 'available' } | { kind: 'failed'; reason: string; message: string } | { kind: 'progressing' };

/** What the node's agent reports about the object's current generation. */
export function agentState(onn: OnnView): AgentState {
  const cond = (t: string) =>
    onn.status?.conditions?.find((c) => c.type === t && c.observedGeneration === onn.generation);
  if (cond('Available')?.status === 'True') return { kind: 'available' };
  const degraded = cond('Degraded');
  if (degraded?.status === 'True' && FAILURE_REASONS.has(degraded.reason ?? ''))
    return { kind: 'failed', reason: degraded.reason!, message: degraded.message ?? '' };
  return { kind: 'progressing' };
}

export type NodeState =
  | { kind: 'refused'; problem: NodeProblem }
  /** Wanted, but the node has no object yet (its agent creates it). */
  | { kind: 'waiting' }
  | { kind: 'pending' }
  | { kind: 'updated'; agent: AgentState }
  | { kind: 'pending-removal' }
  | { kind: 'removing'; agent: AgentState }
  | { kind: 'pending-cleanup' }
  | { kind: 'none' };

const hasEntries = (f: Fragment) => Object.keys(f.networks).length + Object.keys(f.bondings).length > 0;

/** The node's spec holds exactly what the policy wants there. */
export function specMatches(row: NodeRow): boolean {
  return row.desired !== undefined && isDeepStrictEqual(row.holds, row.desired);
}

export function nodeState(row: NodeRow): NodeState {
  if (row.wants) {
    if (row.problem) return { kind: 'refused', problem: row.problem };
    if (!row.onn) return { kind: 'waiting' };
    return specMatches(row) ? { kind: 'updated', agent: agentState(row.onn) } : { kind: 'pending' };
  }
  if (!row.onn) return { kind: 'none' };
  if (hasEntries(row.holds) || (row.mark !== undefined && row.mark !== REMOVED_MARK))
    return { kind: 'pending-removal' };
  if (row.mark === REMOVED_MARK) {
    const agent = agentState(row.onn);
    return agent.kind === 'progressing' ? { kind: 'removing', agent } : { kind: 'pending-cleanup' };
  }
  return { kind: 'none' };
}

export type Write = { node: string; kind: 'update'; fragment: Fragment } | { node: string; kind: 'remove' | 'cleanup' };

export interface RolloutPlan {
  states: Map<string, NodeState>;
  /** Nodes changing now (counted against maxUnavailable). */
  changing: string[];
  /** The node whose failure stopped this generation's rollout, with the agent's reason. */
  aborted?: { node: string; reason: string; message: string };
  writes: Write[];
}

/**
 * What to write next. `maxUnavailable` is already a count; `generation` is the policy's (a
 * failure under an older one does not stop the rollout of this one).
 */
/** What a canary (canary.ts) holds back: only `only` may get updates; `stop`: no write at all but cleanups. */
export interface RolloutHold {
  only?: ReadonlySet<string>;
  stop?: boolean;
}

export function planRollout(
  rows: readonly NodeRow[],
  generation: number,
  maxUnavailable: number,
  hold: RolloutHold = {},
): RolloutPlan {
  const sorted = [...rows].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const states = new Map(sorted.map((r) => [r.node, nodeState(r)]));
  const changing = sorted
    .filter((r) => {
      const s = states.get(r.node)!;
      return (s.kind === 'updated' || s.kind === 'removing') && s.agent.kind === 'progressing';
    })
    .map((r) => r.node);
  let aborted: RolloutPlan['aborted'];
  for (const r of sorted) {
    const s = states.get(r.node)!;
    if (s.kind === 'updated' && s.agent.kind === 'failed' && r.mark === String(generation)) {
      aborted = { node: r.node, reason: s.agent.reason, message: s.agent.message };
      break;
    }
  }
  const writes: Write[] = sorted
    .filter((r) => states.get(r.node)!.kind === 'pending-cleanup')
    .map((r) => ({ node: r.node, kind: 'cleanup' as const }));
  let budget = aborted || hold.stop ? 0 : Math.max(0, maxUnavailable - changing.length);
  for (const want of ['pending-removal', 'pending'] as const) {
    for (const r of sorted) {
      if (budget <= 0) break;
      if (states.get(r.node)!.kind !== want) continue;
      if (want === 'pending' && hold.only && !hold.only.has(r.node)) continue;
      writes.push(
        want === 'pending' ? { node: r.node, kind: 'update', fragment: r.desired! } : { node: r.node, kind: 'remove' },
      );
      budget--;
    }
  }
  return { states, changing, aborted, writes };
}
