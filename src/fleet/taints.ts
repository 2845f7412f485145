// Required networks (spec.required, oVirt's Non-Operational hosts): which matched nodes lack a
// policy's networks, and the Node taint ovirt.org/network-unavailable=<policy>:NoSchedule that
// says so. The controller owns that one key on every Node and decides it from the objects alone:
// a taint of a policy that is gone, deleting or no longer required is dropped, so the finalizer
// path and an orphaned taint need no memory. Kubernetes keeps one taint per key and effect, so a
// node lacking the networks of several required policies carries one taint, valued with the
// first of their names (the next one takes over when that one is satisfied).
import { NETWORK_UNAVAILABLE_TAINT } from '../api/constants.js';
import type { PatchOp } from '../k8s/client.js';
import { hasOwnKey } from './own-properties.js';
import type { NodeRow, NodeState } from './rollout.js';
import type { Fragment, NodeTaint, NodeView, OnnView } from './types.js';

export const TAINT_EFFECT = 'NoSchedule';

/** The node's agent reports drift it does not heal (driftPolicy Report): Degraded Drifted, not Progressing. */
function driftReported(onn: OnnView | undefined): boolean {
  const conds = onn?.status?.conditions ?? [];
  const at = (t: string) => conds.find((c) => c.type === t && c.observedGeneration === onn!.generation);
  return (
    at('Degraded')?.status === 'True' && at('Degraded')?.reason === 'Drifted' && at('Progressing')?.status !== 'True'
  );
}

/** The node's reported kernelConfig has every network and bond of the fragment, by name (in some version). */
function hasNames(f: Fragment, onn: OnnView | undefined): boolean {
  const kc = onn?.status?.kernelConfig;
  return (
    Object.keys(f.networks).every((n) => hasOwnKey(kc?.networks, n)) &&
    Object.keys(f.bondings).every((b) => hasOwnKey(kc?.bondings, b))
  );
}

/**
 * Why a matched node does not have the policy's networks Available, or undefined when it has
 * them. A node whose kernel holds the networks of an older generation while a new one rolls out
 * still has them (an edit does not taint the whole fleet); one that never had them does not.
 */
export function lackReason(row: NodeRow, state: NodeState): string | undefined {
  if (!row.wants) return undefined;
  if (state.kind === 'refused') return state.problem.reason;
  if (state.kind === 'waiting') return 'NoNodeObject';
  if (state.kind !== 'updated' && state.kind !== 'pending') return undefined;
  if (state.kind === 'updated' && state.agent.kind === 'available') return undefined;
  if (state.kind === 'updated' && state.agent.kind === 'failed') return state.agent.reason;
  if (driftReported(row.onn)) return 'Drifted';
  return row.desired && hasNames(row.desired, row.onn) ? undefined : 'NotApplied';
}

/** What the taint stage knows of one live policy. */
export interface TaintSource {
  policy: string;
  /**
   * decided: required, live and not paused, with the reason per node it lacks the networks on;
   * frozen: paused, or its spec invalid or undecidable: its taints stay as they are, none added.
   */
  mode: { kind: 'decided'; lacking: ReadonlyMap<string, string> } | { kind: 'frozen' };
}

/** One Node's write: a JSON patch of spec.taints at the version the view was read at. */
export interface TaintWrite {
  node: string;
  /** The policy named by the taint after the write (undefined: no taint). */
  value: string | undefined;
  patch: PatchOp[];
}

/** The node's taint of this key (NoSchedule), if any. */
export function currentTaint(node: NodeView): NodeTaint | undefined {
  return node.taints?.find((t) => t.key === NETWORK_UNAVAILABLE_TAINT && t.effect === TAINT_EFFECT);
}

/** The policy the node's taint should name: the first by name that lacks there (or keeps a frozen taint). */
export function wantedTaint(node: NodeView, sources: readonly TaintSource[]): string | undefined {
  const now = currentTaint(node)?.value;
  const candidates = sources
    .filter((s) => (s.mode.kind === 'decided' ? s.mode.lacking.has(node.name) : now === s.policy))
    .map((s) => s.policy)
    .sort();
  return candidates[0];
}

/** The writes that bring every Node's taint of the key to what the policies want. */
export function taintWrites(nodes: readonly NodeView[], sources: readonly TaintSource[]): TaintWrite[] {
  const out: TaintWrite[] = [];
  for (const node of [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const want = wantedTaint(node, sources);
    const ours = (node.taints ?? []).filter((t) => t.key === NETWORK_UNAVAILABLE_TAINT);
    const mine = ours.length === 1 && ours[0]!.effect === TAINT_EFFECT ? ours[0]!.value : undefined;
    if (want === mine && (want !== undefined || ours.length === 0)) continue;
    if (!node.resourceVersion) continue;
    const others = (node.taints ?? []).filter((t) => t.key !== NETWORK_UNAVAILABLE_TAINT);
    const taints =
      want === undefined ? others : [...others, { key: NETWORK_UNAVAILABLE_TAINT, value: want, effect: TAINT_EFFECT }];
    out.push({
      node: node.name,
      value: want,
      // The version first: a Node changed since it was read (another taint, a label) refuses the
      // write (409), and the next pass decides it again from the new one.
      patch: [
        { op: 'replace', path: '/metadata/resourceVersion', value: node.resourceVersion },
        { op: 'add', path: '/spec/taints', value: taints },
      ],
    });
  }
  return out;
}

/** Whether any Node still carries a taint naming the policy (its finalizer waits for none). */
export function taintedFor(nodes: readonly NodeView[], policy: string): boolean {
  return nodes.some((n) => (n.taints ?? []).some((t) => t.key === NETWORK_UNAVAILABLE_TAINT && t.value === policy));
}
