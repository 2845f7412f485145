// The fleet core's one entry point: every policy, node and node object in, every decision out —
// what to apply to which node object, which finalizer to add or drop, each policy's status and
// its Events. Pure and total over the objects, so a controller restarted at any moment decides
// the same from the same objects. The stages, each a module of its own:
//   checkPolicySpec (validate.ts) → selectorMatches (selector.ts) → allocate (ipam.ts) →
//   renderForNode + fragmentErrors (render.ts) → resolveClaims (conflicts.ts) →
//   planRollout (rollout.ts) → policyStatus + statusEvents (status.ts).
import { API_VERSION, KIND, POLICY_FINALIZER, REMOVED_MARK } from '../api/constants.js';
import type { PolicySpec, PolicyStatus } from '../api/policy.js';
import { allocate, addressOf, type AllocationRequest, type Family } from './ipam.js';
import { annotationOf, managerOf, ownedFragment, ownership, type Ownership } from './ownership.js';
import { fragmentErrors, renderForNode, type NodeAddresses } from './render.js';
import { resolveClaims, type Claimant } from './conflicts.js';
import { planRollout, type NodeRow, type Write } from './rollout.js';
import { policyStatus, statusChanged, statusEvents, type PolicyEvent } from './status.js';
import { selectorMatches } from './selector.js';
import { checkPolicySpec, maxUnavailableOf, type PolicyPools } from './validate.js';
import type { Fragment, NodeProblem, NodeView, OnnView, PolicyView } from './types.js';
import { pointerToken, type PatchOp } from '../k8s/client.js';

export interface World {
  policies: readonly PolicyView[];
  nodes: readonly NodeView[];
  onns: readonly OnnView[];
}

/**
 * One policy's write to one node object (field manager `manager`): first, when the policy gives
 * up entries it holds there, a JSON patch removing them (`remove`), then a server-side apply of
 * what it holds after (`body`). Entries are never removed by the apply: an apply that empties
 * the networks or bondings map makes the API server write it (and the spec) as null, which the
 * CRD refuses. The patch carries the resourceVersion the view was read at, so it removes exactly
 * what the controller saw the policy own, or is refused (409) and decided again on fresh objects.
 */
export interface ApplyAction {
  node: string;
  manager: string;
  kind: Write['kind'];
  remove?: PatchOp[];
  /** The apply configuration: the whole of what the policy owns on the object after it. */
  body: Record<string, unknown>;
}

/** The JSON patch removing entries from a node's spec, if there are any to remove. */
export function removalPatch(onn: OnnView | undefined, drop: Fragment | { networks: string[]; bondings: string[] }): PatchOp[] | undefined {
  const names = (section: 'networks' | 'bondings') => (Array.isArray(drop[section]) ? drop[section] as string[] : Object.keys(drop[section])).sort();
  const ops: PatchOp[] = [];
  for (const section of ['networks', 'bondings'] as const) {
    for (const n of names(section)) if (onn?.spec[section]?.[n] !== undefined) ops.push({ op: 'remove', path: `/spec/${section}/${pointerToken(n)}` });
  }
  if (!ops.length || !onn?.resourceVersion) return undefined;
  return [{ op: 'replace', path: '/metadata/resourceVersion', value: onn.resourceVersion }, ...ops];
}

/** The entries a policy holds on a node that the write does not keep. */
export function dropped(holds: Fragment, w: Write): { networks: string[]; bondings: string[] } {
  const keep = w.kind === 'update' ? w.fragment : { networks: {}, bondings: {} };
  return {
    networks: Object.keys(holds.networks).filter((n) => !(n in keep.networks)),
    bondings: Object.keys(holds.bondings).filter((n) => !(n in keep.bondings)),
  };
}

export interface PolicyDecision {
  policy: string;
  /** Added before any apply; removed once nothing of the policy is left on any node. */
  finalizer?: 'add' | 'remove';
  applies: ApplyAction[];
  status: PolicyStatus;
  /** Whether status differs from what the policy shows (a write is needed). */
  statusChanged: boolean;
  events: PolicyEvent[];
}

/** The apply configuration for a write (see rollout.ts for the annotation's meaning). */
export function applyBody(policy: string, generation: number, w: Write): Record<string, unknown> {
  const key = annotationOf(policy);
  const metadata = { name: w.node, ...(w.kind === 'cleanup' ? {} : { annotations: { [key]: w.kind === 'update' ? String(generation) : REMOVED_MARK } }) };
  const body: Record<string, unknown> = { apiVersion: API_VERSION, kind: KIND, metadata };
  // Empty maps are left out: applying one would make the policy an owner of the whole map. The
  // spec itself is always in the apply: without it, a removal that leaves the spec empty makes
  // the API server drop the (non-nullable) spec as the manager's last field and refuse the object.
  const spec: Record<string, unknown> = {};
  if (w.kind === 'update') {
    if (Object.keys(w.fragment.networks).length) spec.networks = w.fragment.networks;
    if (Object.keys(w.fragment.bondings).length) spec.bondings = w.fragment.bondings;
  }
  body.spec = spec;
  return body;
}

interface Checked {
  view: PolicyView;
  spec?: PolicySpec;
  pools?: PolicyPools;
  errors?: string[];
}

const byAge = (a: PolicyView, b: PolicyView) =>
  a.creationTimestamp < b.creationTimestamp ? -1 : a.creationTimestamp > b.creationTimestamp ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Every address any node's spec or kernel has, by family: address → holders `node/network`. */
export function takenAddresses(onns: readonly OnnView[]): Record<Family, Map<bigint, string[]>> {
  const out: Record<Family, Map<bigint, string[]>> = { 4: new Map(), 6: new Map() };
  const add = (family: Family, value: unknown, holder: string) => {
    if (typeof value !== 'string') return;
    const a = addressOf(family, value);
    if (a === undefined) return;
    out[family].set(a, [...(out[family].get(a) ?? []), holder]);
  };
  for (const o of onns) {
    for (const nets of [o.spec.networks, o.status?.kernelConfig?.networks]) {
      for (const [n, net] of Object.entries(nets ?? {})) {
        const x = net as { ipaddr?: unknown; ipv6addr?: unknown };
        add(4, x.ipaddr, `${o.name}/${n}`);
        add(6, x.ipv6addr, `${o.name}/${n}`);
      }
    }
  }
  return out;
}

/** The addresses every (live, valid) policy's networks give every wanted node that has an object. */
function allocateAll(checked: readonly Checked[], wanted: (p: string, node: string) => boolean, onns: ReadonlyMap<string, OnnView>, owns: ReadonlyMap<string, Ownership>, taken: Record<Family, Map<bigint, string[]>>) {
  const requests: Record<Family, AllocationRequest[]> = { 4: [], 6: [] };
  for (const c of checked) {
    if (!c.pools || c.view.deleting) continue;
    const manager = managerOf(c.view.name);
    const nodes = [...onns.keys()].filter((n) => wanted(c.view.name, n));
    for (const family of [4, 6] as const) {
      for (const [net, pool] of family === 4 ? c.pools.v4 : c.pools.v6) {
        requests[family].push({
          // Zero-padded age rank first: older policies' networks are served first.
          key: `${String(checked.indexOf(c)).padStart(6, '0')}:${c.view.name}/${net}/v${family}`,
          network: net,
          pool,
          nodes: nodes.map((node) => {
            const held = owns.get(node)!.networks.get(net)?.has(manager) ? (onns.get(node)!.spec.networks?.[net] as Record<string, unknown> | undefined)?.[family === 4 ? 'ipaddr' : 'ipv6addr'] : undefined;
            const a = typeof held === 'string' ? addressOf(family, held) : undefined;
            return a === undefined ? { node } : { node, held: a };
          }),
        });
      }
    }
  }
  const r4 = allocate(requests[4], taken[4]);
  const r6 = allocate(requests[6], taken[6]);
  /** The addresses of one node for one policy, or the networks whose pool ran out. */
  return (c: Checked, node: string): { addresses: NodeAddresses; exhausted: string[] } => {
    const v4 = new Map<string, bigint>();
    const v6 = new Map<string, bigint>();
    const exhausted: string[] = [];
    for (const [family, r, into] of [[4, r4, v4], [6, r6, v6]] as const) {
      for (const net of (family === 4 ? c.pools?.v4 : c.pools?.v6)?.keys() ?? []) {
        const key = `${String(checked.indexOf(c)).padStart(6, '0')}:${c.view.name}/${net}/v${family}`;
        const a = r.assigned.get(key)?.get(node);
        if (a !== undefined) into.set(net, a);
        else if (r.exhausted.get(key)?.includes(node)) exhausted.push(`${net} (IPv${family})`);
      }
    }
    return { addresses: { v4, v6 }, exhausted };
  };
}

export function reconcile(world: World, now: Date): PolicyDecision[] {
  const checked: Checked[] = [...world.policies].sort(byAge).map((view) => {
    const r = checkPolicySpec(view.spec);
    return r.ok ? { view, spec: r.spec, pools: r.pools } : { view, errors: r.errors.map((e) => `${e.path}: ${e.message}`) };
  });
  const onns = new Map(world.onns.map((o) => [o.name, o]));
  const owns = new Map(world.onns.map((o) => [o.name, ownership(o)]));
  const labels = new Map(world.nodes.map((n) => [n.name, n]));
  const matches = (c: Checked, node: string) => !c.view.deleting && c.spec !== undefined && labels.has(node) && selectorMatches(c.spec.nodeSelector, labels.get(node)!.labels);
  const byName = new Map(checked.map((c) => [c.view.name, c]));
  const addressesOf = allocateAll(checked, (p, n) => matches(byName.get(p)!, n), onns, owns, takenAddresses(world.onns));

  // Per node: each policy's wish (rendered and checked), then the claims resolved among them.
  const rows = new Map<string, NodeRow[]>(checked.map((c) => [c.view.name, []]));
  const nodeNames = new Set([...labels.keys(), ...onns.keys()]);
  for (const node of [...nodeNames].sort()) {
    const onn = onns.get(node);
    const own = owns.get(node);
    const wishes = checked.map((c) => {
      const manager = managerOf(c.view.name);
      const holds: Fragment = onn && own ? ownedFragment(onn, own, manager) : { networks: {}, bondings: {} };
      const wants = matches(c, node);
      let desired: Fragment | undefined;
      let problem: NodeProblem | undefined;
      if (wants && c.spec) {
        const { addresses, exhausted } = addressesOf(c, node);
        const r = exhausted.length ? undefined : renderForNode(c.spec, labels.get(node)!, addresses);
        if (exhausted.length) problem = { node, reason: 'PoolExhausted', message: `no address left in the pool of ${exhausted.join(', ')}` };
        else if (r && !r.ok) problem = { node, reason: r.reason, message: r.message };
        else if (r && r.ok) {
          const errs = fragmentErrors(r.fragment, onn);
          if (errs.length) problem = { node, reason: 'InvalidRender', message: errs.join('; ') };
          else desired = r.fragment;
        }
      }
      const mark = onn?.annotations[annotationOf(c.view.name)];
      return { c, manager, holds, wants, desired, problem, mark };
    });
    if (onn && own) {
      const held = (w: (typeof wishes)[number]) => Object.keys(w.holds.networks).length + Object.keys(w.holds.bondings).length > 0;
      const ordered = [...wishes.filter(held), ...wishes.filter((w) => !held(w))];
      const claimants: Claimant[] = ordered.map((w) => ({ policy: w.c.view.name, manager: w.manager, desired: w.desired, holds: w.holds }));
      for (const [policy, why] of resolveClaims(onn, own, claimants)) {
        const w = wishes.find((x) => x.c.view.name === policy)!;
        w.problem = { node, reason: 'Conflict', message: why };
        w.desired = undefined;
      }
    }
    for (const w of wishes) {
      const inScope = w.wants || w.mark !== undefined || Object.keys(w.holds.networks).length + Object.keys(w.holds.bondings).length > 0;
      if (!inScope) continue;
      rows.get(w.c.view.name)!.push({ node, wants: w.wants, holds: w.holds, ...(w.desired ? { desired: w.desired } : {}), ...(w.problem ? { problem: w.problem } : {}), ...(onn ? { onn } : {}), ...(w.mark !== undefined ? { mark: w.mark } : {}) });
    }
  }
  // Orphaned field managers (a policy gone without its finalizer) are left alone: their entries
  // count as hand edits in conflicts, never removed by guesswork.
  return checked.map((c) => decide(c, rows.get(c.view.name)!, now));
}

function decide(c: Checked, rows: NodeRow[], now: Date): PolicyDecision {
  const { view } = c;
  const hasFinalizer = view.finalizers.includes(POLICY_FINALIZER);
  if (c.errors && !view.deleting) {
    // An invalid spec changes nothing anywhere: what it put on nodes stays until it is fixed or deleted.
    const status = invalidStatus(view, c.errors, now);
    return { policy: view.name, applies: [], status, statusChanged: statusChanged(view.status, status), events: statusEvents(view.status, status), ...(hasFinalizer ? {} : { finalizer: 'add' }) };
  }
  // A percent is of the matched nodes, or while deleting of the nodes it is still on.
  const base = view.deleting ? rows.length : rows.filter((r) => r.wants).length;
  const plan = planRollout(rows, view.generation, maxUnavailableOf(c.spec?.maxUnavailable ?? 1, base));
  const status = policyStatus({ generation: view.generation, deleting: view.deleting, rows, plan, previous: view.status, now });
  const manager = managerOf(view.name);
  const byNode = new Map(rows.map((r) => [r.node, r]));
  const applies = plan.writes.map((w): ApplyAction => {
    const row = byNode.get(w.node);
    const remove = row ? removalPatch(row.onn, dropped(row.holds, w)) : undefined;
    return { node: w.node, manager, kind: w.kind, ...(remove ? { remove } : {}), body: applyBody(view.name, view.generation, w) };
  });
  const done = view.deleting && rows.length === 0;
  const finalizer = view.deleting ? (done && hasFinalizer ? 'remove' as const : undefined) : hasFinalizer ? undefined : 'add' as const;
  return {
    policy: view.name,
    applies: view.deleting && !hasFinalizer ? [] : applies,
    status,
    statusChanged: statusChanged(view.status, status),
    events: statusEvents(view.status, status),
    ...(finalizer ? { finalizer } : {}),
  };
}

function invalidStatus(view: PolicyView, errors: string[], now: Date): PolicyStatus {
  const g = view.generation;
  const message = `invalid spec: ${errors.join('; ')}`.slice(0, 1000);
  const prev = view.status?.conditions;
  const keep = (type: string, status: string) => {
    const p = prev?.find((x) => x.type === type);
    return p && p.status === status ? p.lastTransitionTime : now.toISOString();
  };
  return {
    ...view.status,
    observedGeneration: g,
    conditions: [
      { type: 'Available', status: 'False', reason: 'InvalidSpec', message, observedGeneration: g, lastTransitionTime: keep('Available', 'False') },
      { type: 'Progressing', status: 'False', reason: 'InvalidSpec', message: '', observedGeneration: g, lastTransitionTime: keep('Progressing', 'False') },
      { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message, observedGeneration: g, lastTransitionTime: keep('Degraded', 'True') },
    ],
  };
}
