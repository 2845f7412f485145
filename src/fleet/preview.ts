// What one policy's rollout would do on each node it is involved with, for `kubectl onn plan
// --policy` and for a paused policy's reader: the same decideWorld() the controller runs (one
// selection, IPAM, rendering and conflict resolution), read out per node, with the node spec the
// policy's write would leave. Pure; paused or not, it writes nothing.
import type { PolicyStatus } from '../api/policy.js';
import { decideWorld, dropped, type World } from './reconcile.js';
import type { NodeRow, NodeState, Write } from './rollout.js';
import { lackReason } from './taints.js';
import { emptyFragment, type Fragment, type NodeProblem, type OnnView, type PolicyView } from './types.js';

export interface PreviewRow {
  node: string;
  state: NodeState;
  /** What the policy puts on the node (addresses from IPAM included); undefined when refused or leaving. */
  desired?: Fragment;
  problem?: NodeProblem;
  /** Why the node lacks the policy's networks (spec.required taints it then); undefined when it has them. */
  lack?: string;
  /** The write this pass sends to the node, unless the policy is paused (then none is sent). */
  write?: Write['kind'];
  /** The node object's whole spec once the policy's change is made; undefined when nothing changes. */
  specAfter?: OnnView['spec'];
  onn?: OnnView;
}

export interface PolicyPreview {
  policy: PolicyView;
  paused: boolean;
  /** The status the controller computes now. */
  status: PolicyStatus;
  rows: PreviewRow[];
}

/** The node spec after a policy that holds `holds` there writes `desired` (undefined: removes all it holds). */
export function specAfterWrite(onn: OnnView, holds: Fragment, desired: Fragment | undefined): OnnView['spec'] {
  const drop = dropped(
    holds,
    desired ? { node: onn.name, kind: 'update', fragment: desired } : { node: onn.name, kind: 'remove' },
  );
  const next = { ...structuredClone(onn.spec) } as OnnView['spec'] & Record<string, unknown>;
  for (const section of ['networks', 'bondings'] as const) {
    const m: Record<string, unknown> = { ...(next[section] ?? {}) };
    for (const n of drop[section]) delete m[n];
    Object.assign(m, structuredClone((desired ?? emptyFragment())[section]));
    if (Object.keys(m).length) next[section] = m;
    else delete next[section];
  }
  return next;
}

function previewRow(r: NodeRow, state: NodeState, write: Write | undefined): PreviewRow {
  const lack = lackReason(r, state);
  const changes = state.kind === 'pending' || state.kind === 'pending-removal';
  return {
    node: r.node,
    state,
    ...(r.desired ? { desired: r.desired } : {}),
    ...(r.problem ? { problem: r.problem } : {}),
    ...(lack !== undefined ? { lack } : {}),
    ...(write ? { write: write.kind } : {}),
    ...(r.onn && changes ? { specAfter: specAfterWrite(r.onn, r.holds, r.wants ? r.desired : undefined) } : {}),
    ...(r.onn ? { onn: r.onn } : {}),
  };
}

/** The named policy's rollout over the world, node by node (by name); undefined when there is no such policy. */
export function previewPolicy(world: World, name: string, now: Date): PolicyPreview | undefined {
  const decided = decideWorld(world, now).policies.find((p) => p.decision.policy === name);
  const policy = world.policies.find((p) => p.name === name);
  if (!decided || !policy) return undefined;
  const spec = policy.spec as { paused?: unknown } | undefined;
  const paused = !policy.deleting && spec?.paused === true;
  const writes = new Map((decided.plan?.writes ?? []).map((w) => [w.node, w]));
  const rows = [...decided.rows]
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
    .map((r) => previewRow(r, decided.plan?.states.get(r.node) ?? { kind: 'none' }, writes.get(r.node)));
  return { policy, paused, status: decided.decision.status, rows };
}
