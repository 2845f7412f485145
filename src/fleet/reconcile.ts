// The fleet core's one entry point: every policy, node and node object in, every decision out —
// what to apply to which node object, which finalizer to add or drop, each policy's status and
// its Events. Pure and total over the objects, so a controller restarted at any moment decides
// the same from the same objects. The stages, each a module of its own:
//   checkPolicySpec (validate.ts) → selectorMatches (selector.ts) → allocate (ipam.ts) →
//   renderForNode + fragmentErrors (render.ts) → resolveClaims (conflicts.ts) →
//   planRollout (rollout.ts) → policyStatus + statusEvents (policy-status.ts).
import {
  API_VERSION,
  KIND,
  POLICY_ANNOTATION_PREFIX,
  POLICY_FINALIZER,
  POLICY_MANAGER_PREFIX,
  REMOVED_MARK,
} from '../api/constants.js';
import type { PolicySpec, PolicyStatus } from '../api/policy.js';
import { allocate, type AllocationRequest, type Family } from './ipam.js';
import { annotationOf, managerOf, ownedFragment, ownership, type Ownership } from './ownership.js';
import { fragmentErrors, renderForNode, type NodeAddresses } from './render.js';
import { resolveClaims, type Claimant } from './conflicts.js';
import {
  conflictingReports,
  controllerGiven,
  heldAddress,
  releases,
  takenAddresses,
  type PoolOwner,
  type ReportedConflict,
} from './addresses.js';
import { attempt } from './fault.js';
import { hasOwnKey, own } from './own-properties.js';
import { planRollout, type NodeRow, type RolloutPlan, type Write } from './rollout.js';
import { canaryStep, type CanaryOutcome } from './canary.js';
import { lackReason, taintedFor, taintWrites, type TaintSource, type TaintWrite } from './taints.js';
import { policyStatus, statusChanged, statusEvents, type PolicyEvent } from './policy-status.js';
import { selectorMatches } from './selector.js';
import { checkPolicySpec, maxUnavailableOf, type PolicyPools } from './validate.js';
import {
  emptyFragment,
  type Fragment,
  type NodeProblem,
  type NodeView,
  type OnnView,
  type PolicyView,
} from './types.js';
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
export function removalPatch(
  onn: OnnView | undefined,
  drop: Fragment | { networks: string[]; bondings: string[] },
): PatchOp[] | undefined {
  const names = (section: 'networks' | 'bondings') =>
    (Array.isArray(drop[section]) ? (drop[section] as string[]) : Object.keys(drop[section])).sort();
  const ops: PatchOp[] = [];
  for (const section of ['networks', 'bondings'] as const) {
    for (const n of names(section))
      if (own(onn?.spec[section], n) !== undefined)
        ops.push({ op: 'remove', path: `/spec/${section}/${pointerToken(n)}` });
  }
  if (!ops.length || !onn?.resourceVersion) return undefined;
  return [{ op: 'replace', path: '/metadata/resourceVersion', value: onn.resourceVersion }, ...ops];
}

/** The entries a policy holds on a node that the write does not keep. */
export function dropped(holds: Fragment, w: Write): { networks: string[]; bondings: string[] } {
  const keep = w.kind === 'update' ? w.fragment : emptyFragment();
  return {
    networks: Object.keys(holds.networks).filter((n) => !hasOwnKey(keep.networks, n)),
    bondings: Object.keys(holds.bondings).filter((n) => !hasOwnKey(keep.bondings, n)),
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
  /** A pass is due this soon even if nothing changes (a canary's bake ends). */
  passAfterMs?: number;
  /**
   * No such policy exists: node objects name it (its field manager, its annotation) because it went
   * without its finalizer; the applies remove what it left, as its deletion would have.
   */
  orphan?: true;
}

/** The apply configuration for a write (see rollout.ts for the annotation's meaning). */
export function applyBody(policy: string, generation: number, w: Write): Record<string, unknown> {
  const key = annotationOf(policy);
  const metadata = {
    name: w.node,
    ...(w.kind === 'cleanup'
      ? {}
      : { annotations: { [key]: w.kind === 'update' ? String(generation) : REMOVED_MARK } }),
  };
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
  /** What threw while deciding this policy (the whole policy: no write, Degraded ReconcileFailed). */
  fault?: string;
}

const byAge = (a: PolicyView, b: PolicyView) =>
  a.creationTimestamp < b.creationTimestamp
    ? -1
    : a.creationTimestamp > b.creationTimestamp
      ? 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0;

const requestKey = (rank: number, policy: string, net: string, family: Family) =>
  `${String(rank).padStart(6, '0')}:${policy}/${net}/v${family}`;

/** The addresses every (live, valid) policy's networks give every wanted node that has an object. */
function allocateAll(
  checked: readonly Checked[],
  wanted: (c: Checked, node: string) => boolean,
  onns: ReadonlyMap<string, OnnView>,
  taken: Record<Family, Map<bigint, string[]>>,
) {
  const requests: Record<Family, AllocationRequest[]> = { 4: [], 6: [] };
  checked.forEach((c, rank) => {
    if (!c.pools || c.view.deleting || c.fault) return;
    const manager = managerOf(c.view.name);
    // One policy's requests are built apart: if that throws, only it fails.
    const r = attempt(() => {
      const mine: Record<Family, AllocationRequest[]> = { 4: [], 6: [] };
      const nodes = [...onns.keys()].filter((n) => wanted(c, n));
      for (const family of [4, 6] as const) {
        for (const [net, pool] of family === 4 ? c.pools!.v4 : c.pools!.v6) {
          mine[family].push({
            // Zero-padded age rank first: older policies' networks are served first.
            key: requestKey(rank, c.view.name, net, family),
            network: net,
            pool,
            nodes: nodes.map((node) => {
              const held = heldAddress(onns.get(node)!, manager, net, family);
              return held === undefined ? { node } : { node, held };
            }),
          });
        }
      }
      return mine;
    });
    if (!r.ok) c.fault = `allocating addresses: ${r.message}`;
    else for (const family of [4, 6] as const) requests[family].push(...r.value[family]);
  });
  const r4 = allocate(requests[4], taken[4]);
  const r6 = allocate(requests[6], taken[6]);
  /** The addresses of one node for one policy, or the networks whose pool ran out. */
  return (c: Checked, node: string): { addresses: NodeAddresses; exhausted: string[] } => {
    const rank = checked.indexOf(c);
    const v4 = new Map<string, bigint>();
    const v6 = new Map<string, bigint>();
    const exhausted: string[] = [];
    for (const [family, r, into] of [
      [4, r4, v4],
      [6, r6, v6],
    ] as const) {
      for (const net of (family === 4 ? c.pools?.v4 : c.pools?.v6)?.keys() ?? []) {
        const key = requestKey(rank, c.view.name, net, family);
        const a = r.assigned.get(key)?.get(node);
        if (a !== undefined) into.set(net, a);
        else if (r.exhausted.get(key)?.includes(node)) exhausted.push(`${net} (IPv${family})`);
      }
    }
    return { addresses: { v4, v6 }, exhausted };
  };
}

const hasEntries = (f: Fragment) => Object.keys(f.networks).length + Object.keys(f.bondings).length > 0;

/** One policy as decided: its decision, and the rows and plan it was decided from (no plan: not decided). */
export interface DecidedPolicy {
  decision: PolicyDecision;
  rows: readonly NodeRow[];
  plan?: RolloutPlan;
}

/** Everything one pass decides: each policy (oldest first) and the Nodes' taint writes. */
export interface WorldDecision {
  policies: DecidedPolicy[];
  taints: TaintWrite[];
}

/** Every policy decided over the world (see decideWorld); what the controller carries out per policy. */
export function reconcile(world: World, now: Date): PolicyDecision[] {
  return decideWorld(world, now).policies.map((p) => p.decision);
}

/**
 * Every policy decided over the world, and the taints of required policies. A throw while
 * deciding one policy (or one policy on one node) is caught where it happens and fails only that:
 * the policy is refused on that node, or as a whole, with reason ReconcileFailed and the message;
 * the others are decided as usual.
 */
export function decideWorld(world: World, now: Date): WorldDecision {
  const orphans = orphanedPolicies(world);
  const checked = checkPolicies([...world.policies, ...orphans.map(orphanView)]);
  const onns = new Map(world.onns.map((o) => [o.name, o]));
  // A node object whose ownership cannot be read is decided for no policy (see nodeFault in wishOf).
  const { owns, nodeFaults } = readOwnership(world.onns);
  const nodes = new Map(world.nodes.map((n) => [n.name, n]));
  const matches = selectorMatcher(nodes);

  // Pools: allocated from the specs alone; nodes' reports only reserve what they release (addresses.ts).
  const poolOwners = poolOwnersOf(checked);
  const releasing = releases([...poolOwners.values()], world.onns);
  const addressesOf = allocateAll(checked, matches, onns, takenAddresses(world.onns, releasing));
  const conflicts = reportedConflicts(poolOwners, world.onns, releasing);

  // Per node: each policy's wish (rendered and checked), then the claims resolved among them.
  const rows = new Map<string, NodeRow[]>(checked.map((c) => [c.view.name, []]));
  const nodeNames = new Set([...nodes.keys(), ...onns.keys()]);
  for (const node of [...nodeNames].sort()) {
    const onn = onns.get(node);
    const own_ = owns.get(node);
    const wishes = checked
      .filter((c) => !c.fault)
      .map((c) => wishOf({ c, node, onn, own_, nodeFault: nodeFaults.get(node) }, nodes, matches, addressesOf));
    if (onn && own_) refuseConflicting(node, onn, own_, wishes);
    for (const w of wishes) addRow(rows, node, onn, w);
  }
  // An orphan (a policy gone without its finalizer) is decided as that policy being deleted: its
  // entries are removed and its annotation dropped the way the finalizer would have, node by node.
  const gone = new Set(orphans);
  const policies = checked.map((c): DecidedPolicy | undefined => {
    const mine = rows.get(c.view.name)!;
    if (gone.has(c.view.name)) return mine.length ? orphanDecided(c, mine, world.nodes, now) : undefined;
    if (c.fault) return { decision: faultDecision(c.view, c.fault, now), rows: mine };
    const r = attempt(() => decide(c, mine, conflicts.get(c), world.nodes, now));
    return r.ok
      ? { ...r.value, rows: mine }
      : { decision: faultDecision(c.view, `deciding the rollout: ${r.message}`, now), rows: mine };
  });
  const decidedOnes = policies.filter((p) => p !== undefined);
  return { policies: decidedOnes, taints: taintWrites(world.nodes, taintSources(checked, policies)) };
}

/**
 * The policies that node objects name (a field manager, the annotation) although no such policy
 * exists: gone without their finalizer having run (it was removed by hand, or the CRD went and
 * came back). Read from ownership.ts's naming: managerOf and annotationOf.
 */
export function orphanedPolicies(world: World): string[] {
  const live = new Set(world.policies.map((p) => p.name));
  const named = new Set<string>();
  for (const o of world.onns) {
    // A manager counts while it owns a network or bond (after a removal it may keep an empty spec).
    for (const e of Array.isArray(o.managedFields) ? o.managedFields : []) {
      const m = (e as { manager?: unknown } | null)?.manager;
      if (typeof m !== 'string' || !m.startsWith(POLICY_MANAGER_PREFIX) || e.subresource) continue;
      const spec = e.fieldsV1?.['f:spec'];
      const owns = ['f:networks', 'f:bondings'].some((k) =>
        Object.keys(spec?.[k] ?? {}).some((n) => n.startsWith('f:')),
      );
      if (owns) named.add(m.slice(POLICY_MANAGER_PREFIX.length));
    }
    for (const k of Object.keys(o.annotations ?? {}))
      if (k.startsWith(POLICY_ANNOTATION_PREFIX)) named.add(k.slice(POLICY_ANNOTATION_PREFIX.length));
  }
  return [...named].filter((n) => n !== '' && !live.has(n)).sort();
}

/** An orphan as the core decides it: a policy being deleted, with its finalizer, and no spec of its own. */
function orphanView(name: string): PolicyView {
  return { name, generation: 0, creationTimestamp: '', deleting: true, finalizers: [POLICY_FINALIZER], spec: {} };
}

/** An orphan's decision: the removal writes only (there is no policy to write a status, Events or finalizer to). */
function orphanDecided(c: Checked, rows: NodeRow[], nodes: readonly NodeView[], now: Date): DecidedPolicy {
  const r = attempt(() => decide(c, rows, undefined, nodes, now));
  const applies = r.ok ? r.value.decision.applies : [];
  const decision: PolicyDecision = {
    policy: c.view.name,
    orphan: true,
    applies,
    status: {},
    statusChanged: false,
    events: [],
  };
  return { decision, rows, ...(r.ok && r.value.plan ? { plan: r.value.plan } : {}) };
}

/** What each live policy says of the taint: decided when it is required and rolling out, frozen when undecided. */
function taintSources(checked: readonly Checked[], policies: readonly (DecidedPolicy | undefined)[]): TaintSource[] {
  const out: TaintSource[] = [];
  checked.forEach((c, i) => {
    if (c.view.deleting) return;
    const { plan, rows } = policies[i]!;
    // No plan: the spec is invalid or deciding it failed (its taints stay, as its node writes do).
    if (!c.spec || !plan || c.spec.paused) {
      out.push({ policy: c.view.name, mode: { kind: 'frozen' } });
      return;
    }
    if (!c.spec.required) return;
    const lacking = new Map<string, string>();
    for (const r of rows) {
      const why = lackReason(r, plan.states.get(r.node)!);
      if (why !== undefined) lacking.set(r.node, why);
    }
    out.push({ policy: c.view.name, mode: { kind: 'decided', lacking } });
  });
  return out;
}

/** Every policy's spec checked, oldest policy first (the age order every later stage keeps). */
function checkPolicies(policies: readonly PolicyView[]): Checked[] {
  return [...policies].sort(byAge).map((view) => {
    const r = attempt(() => checkPolicySpec(view.spec));
    if (!r.ok) return { view, fault: `checking the spec: ${r.message}` };
    return r.value.ok
      ? { view, spec: r.value.spec, pools: r.value.pools }
      : { view, errors: r.value.errors.map((e) => `${e.path}: ${e.message}`) };
  });
}

/** Who owns what on each node object, and the node objects whose managedFields could not be read. */
function readOwnership(onns: readonly OnnView[]): { owns: Map<string, Ownership>; nodeFaults: Map<string, string> } {
  const owns = new Map<string, Ownership>();
  const nodeFaults = new Map<string, string>();
  for (const o of onns) {
    const r = attempt(() => ownership(o));
    if (r.ok) owns.set(o.name, r.value);
    else nodeFaults.set(o.name, `reading the node object's managedFields: ${r.message}`);
  }
  return { owns, nodeFaults };
}

/** Whether a live, valid policy selects a node (each pair evaluated once; a selector that throws faults its policy). */
function selectorMatcher(nodes: ReadonlyMap<string, NodeView>): (c: Checked, node: string) => boolean {
  const matchCache = new Map<Checked, Map<string, boolean>>();
  return (c, node) => {
    if (c.view.deleting || c.spec === undefined || c.fault || !nodes.has(node)) return false;
    const m = matchCache.get(c) ?? new Map<string, boolean>();
    matchCache.set(c, m);
    if (!m.has(node)) {
      const r = attempt(() => selectorMatches(c.spec!.nodeSelector, nodes.get(node)!.labels));
      if (!r.ok) c.fault = `matching the node selector: ${r.message}`;
      m.set(node, r.ok && r.value);
    }
    return m.get(node)!;
  };
}

/** The pools of each policy that has any, as the address stages see them. */
function poolOwnersOf(checked: readonly Checked[]): Map<Checked, PoolOwner> {
  return new Map<Checked, PoolOwner>(
    checked
      .filter((c) => c.pools)
      .map((c) => [
        c,
        { policy: c.view.name, annotation: annotationOf(c.view.name), pools: { 4: c.pools!.v4, 6: c.pools!.v6 } },
      ]),
  );
}

/** Per live policy with pools: the addresses nodes report from its pools that the controller did not give them. */
function reportedConflicts(
  poolOwners: ReadonlyMap<Checked, PoolOwner>,
  onns: readonly OnnView[],
  releasing: ReturnType<typeof releases>,
): Map<Checked, ReportedConflict[]> {
  const given = new Map(onns.map((o) => [o, attempt(() => controllerGiven(o))]));
  const conflicts = new Map<Checked, ReportedConflict[]>();
  for (const [c, owner] of poolOwners) {
    if (c.view.deleting || c.fault) continue;
    const r = attempt(() =>
      conflictingReports(owner, onns, releasing, (o) => {
        const g = given.get(o);
        if (!g?.ok) throw new Error(g?.message ?? 'no such node object');
        return g.value;
      }),
    );
    if (r.ok) conflicts.set(c, r.value);
  }
  return conflicts;
}

/** One policy on one node: what it holds there, what it wants there, and why not when it cannot. */
interface Wish {
  c: Checked;
  manager: string;
  holds: Fragment;
  wants: boolean;
  desired: Fragment | undefined;
  problem: NodeProblem | undefined;
  mark: string | undefined;
  faulted: boolean;
}

/** The node a wish is for, with what is known of its object. */
interface WishSite {
  c: Checked;
  node: string;
  onn: OnnView | undefined;
  own_: Ownership | undefined;
  nodeFault: string | undefined;
}

/** A policy's wish on a node: rendered for it and checked (pool, render, fragment); a throw fails only this row. */
function wishOf(
  { c, node, onn, own_, nodeFault }: WishSite,
  nodes: ReadonlyMap<string, NodeView>,
  matches: (c: Checked, node: string) => boolean,
  addressesOf: ReturnType<typeof allocateAll>,
): Wish {
  const manager = managerOf(c.view.name);
  const mark = onn ? own(onn.annotations, annotationOf(c.view.name)) : undefined;
  const wants = matches(c, node);
  let holds: Fragment = emptyFragment();
  let desired: Fragment | undefined;
  let problem: NodeProblem | undefined;
  const r = attempt(() => {
    if (nodeFault) throw new Error(nodeFault);
    if (onn && own_) holds = ownedFragment(onn, own_, manager);
    if (!wants || !c.spec) return;
    const { addresses, exhausted } = addressesOf(c, node);
    if (exhausted.length) {
      problem = {
        node,
        reason: 'PoolExhausted',
        message: `no address left in the pool of ${exhausted.join(', ')}`,
      };
      return;
    }
    const rendered = renderForNode(c.spec, nodes.get(node)!, addresses);
    if (!rendered.ok) {
      problem = { node, reason: rendered.reason, message: rendered.message };
      return;
    }
    const errs = fragmentErrors(rendered.fragment, onn);
    if (errs.length) problem = { node, reason: 'InvalidRender', message: errs.join('; ') };
    else desired = rendered.fragment;
  });
  // Nothing is written for the policy on this node; it holds there what it held (unknown: nothing
  // is removed either, since a refused or unreadable row writes nothing).
  if (!r.ok) {
    problem = { node, reason: 'ReconcileFailed', message: `node ${node}: ${r.message}` };
    desired = undefined;
  }
  const faulted = !r.ok;
  return { c, manager, holds, wants, desired, problem, mark, faulted };
}

/** The claims of the wishes on one node resolved among them: a refused wish gets its problem, and no write. */
function refuseConflicting(node: string, onn: OnnView, own_: Ownership, wishes: Wish[]): void {
  // Holders first, then the others by age; a paused policy that holds nothing here goes last: a
  // preview never blocks a rollout, and shows the conflict unpausing would meet.
  const holding = (w: Wish) => hasEntries(w.holds);
  const previewing = (w: Wish) => !holding(w) && !w.c.view.deleting && w.c.spec?.paused === true;
  const ordered = [
    ...wishes.filter(holding),
    ...wishes.filter((w) => !holding(w) && !previewing(w)),
    ...wishes.filter(previewing),
  ];
  const claimants: Claimant[] = ordered.map((w) => ({
    policy: w.c.view.name,
    manager: w.manager,
    desired: w.desired,
    holds: w.holds,
  }));
  const refusals = attempt(() => resolveClaims(onn, own_, claimants));
  for (const w of wishes) {
    const why = refusals.ok
      ? refusals.value.get(w.c.view.name)
      : w.desired
        ? { reason: 'ReconcileFailed', message: `deciding conflicts on node ${node}: ${refusals.message}` }
        : undefined;
    if (!why) continue;
    w.problem = { node, reason: why.reason, message: why.message };
    w.desired = undefined;
  }
}

/** A wish as a row of its policy's rollout, when the policy is involved with the node at all. */
function addRow(rows: Map<string, NodeRow[]>, node: string, onn: OnnView | undefined, w: Wish): void {
  // A row whose computation failed stays in scope where the policy may be involved (it selects the
  // node, wrote it, or is being deleted): it holds the finalizer while the node cannot be decided.
  const inScope = w.wants || w.mark !== undefined || hasEntries(w.holds) || (w.faulted && w.c.view.deleting);
  if (!inScope) return;
  rows.get(w.c.view.name)!.push({
    node,
    wants: w.wants || w.faulted,
    holds: w.holds,
    ...(w.desired ? { desired: w.desired } : {}),
    ...(w.problem ? { problem: w.problem } : {}),
    ...(onn ? { onn } : {}),
    ...(w.mark !== undefined ? { mark: w.mark } : {}),
  });
}

/** The canary and its gates, which hold writes back (a deletion has none: it only removes). */
function canaryOf(c: Checked, rows: NodeRow[], nodes: readonly NodeView[], now: Date) {
  return canaryStep({
    rows,
    generation: c.view.generation,
    canary: c.view.deleting ? undefined : c.spec?.rollout?.canary,
    previous: c.view.status,
    nodes: new Map(nodes.map((n) => [n.name, n])),
    now,
  });
}

function decide(
  c: Checked,
  rows: NodeRow[],
  conflicts: readonly ReportedConflict[] | undefined,
  nodes: readonly NodeView[],
  now: Date,
): { decision: PolicyDecision; plan?: RolloutPlan } {
  const { view } = c;
  const hasFinalizer = view.finalizers.includes(POLICY_FINALIZER);
  if (c.errors && !view.deleting) {
    // An invalid spec changes nothing anywhere: what it put on nodes stays until it is fixed or deleted.
    const status = brokenStatus(view, 'InvalidSpec', `invalid spec: ${c.errors.join('; ')}`, now);
    const decision: PolicyDecision = {
      policy: view.name,
      applies: [],
      status,
      statusChanged: statusChanged(view.status, status),
      events: statusEvents(view.status, status),
      ...(hasFinalizer ? {} : { finalizer: 'add' }),
    };
    return { decision };
  }
  // A percent is of the matched nodes, or while deleting of the nodes it is still on.
  const base = view.deleting ? rows.length : rows.filter((r) => r.wants).length;
  const canary = canaryOf(c, rows, nodes, now);
  const plan = planRollout(rows, view.generation, maxUnavailableOf(c.spec?.maxUnavailable ?? 1, base), canary.hold);
  // Paused: everything above is computed and shown, nothing is written to any node (a deletion is
  // never paused: removing the policy's networks is what deleting it asks).
  const paused = !view.deleting && c.spec?.paused === true;
  const computed = policyStatus({
    generation: view.generation,
    deleting: view.deleting,
    paused,
    canary,
    rows,
    plan,
    previous: view.status,
    now,
  });
  const status: PolicyStatus = conflicts ? { ...computed, conflictingAddresses: conflicts.length } : computed;
  const manager = managerOf(view.name);
  const byNode = new Map(rows.map((r) => [r.node, r]));
  const applies = plan.writes.map((w): ApplyAction => {
    const row = byNode.get(w.node);
    const remove = row ? removalPatch(row.onn, dropped(row.holds, w)) : undefined;
    return {
      node: w.node,
      manager,
      kind: w.kind,
      ...(remove ? { remove } : {}),
      body: applyBody(view.name, view.generation, w),
    };
  });
  // Done once nothing of the policy is on any node object and no Node's taint names it.
  const done = view.deleting && rows.length === 0 && !taintedFor(nodes, view.name);
  const finalizer = view.deleting
    ? done && hasFinalizer
      ? ('remove' as const)
      : undefined
    : hasFinalizer
      ? undefined
      : ('add' as const);
  const decision: PolicyDecision = {
    policy: view.name,
    applies: (view.deleting && !hasFinalizer) || paused ? [] : applies,
    status,
    statusChanged: statusChanged(view.status, status),
    events: [...statusEvents(view.status, status), ...conflictEvents(view.status, conflicts)],
    ...(finalizer ? { finalizer } : {}),
    ...passAfter(canary, now),
  };
  return { decision, plan };
}

/** A pass due when the canary's bake ends or its first unknown gate times out, whichever comes first. */
function passAfter(canary: CanaryOutcome, now: Date): { passAfterMs?: number } {
  const due = [canary.bakeEndsAt, canary.timeoutAt].filter((d) => d !== undefined).map((d) => d.getTime());
  return due.length ? { passAfterMs: Math.max(0, Math.min(...due) - now.getTime()) } : {};
}

const CONFLICTS_LISTED = 5;

/** An Event when more reported addresses conflict than the status last said (none again for the same count). */
export function conflictEvents(
  previous: PolicyStatus | undefined,
  conflicts: readonly ReportedConflict[] | undefined,
): PolicyEvent[] {
  if (!conflicts || conflicts.length <= (previous?.conflictingAddresses ?? 0)) return [];
  const listed = conflicts
    .slice(0, CONFLICTS_LISTED)
    .map((x) => `node ${x.node} reports ${x.address} (on ${x.network})`)
    .join('; ');
  const more = conflicts.length > CONFLICTS_LISTED ? `; and ${conflicts.length - CONFLICTS_LISTED} more` : '';
  const message =
    `${conflicts.length} address(es) of the policy's pools reported by nodes the controller did not give them, ` +
    `not acted on: ${listed}${more}`;
  return [{ type: 'Warning', reason: 'ConflictingAddress', message: message.slice(0, 1000) }];
}

/**
 * A policy the controller failed to decide: nothing written, no finalizer change, Degraded with
 * reason ReconcileFailed and the message (an Event once per generation and message change).
 * Built from plain values only, so that it cannot fail the same way.
 */
export function faultDecision(view: PolicyView, message: string, now: Date): PolicyDecision {
  const status = brokenStatus(
    view,
    'ReconcileFailed',
    `the controller failed deciding this policy (nothing written): ${message}`,
    now,
  );
  const was = view.status?.conditions?.find?.((c) => c.type === 'Degraded');
  const announce =
    was?.reason !== 'ReconcileFailed' ||
    was.observedGeneration !== view.generation ||
    was.message !== status.conditions?.[2]?.message;
  return {
    policy: view.name,
    applies: [],
    status,
    statusChanged: statusChanged(view.status, status),
    events: announce ? [{ type: 'Warning', reason: 'ReconcileFailed', message: status.conditions![2]!.message }] : [],
  };
}

/** A status for a policy nothing is done for: the spec invalid, or the controller failed. */
function brokenStatus(
  view: PolicyView,
  reason: 'InvalidSpec' | 'ReconcileFailed',
  text: string,
  now: Date,
): PolicyStatus {
  const g = view.generation;
  const message = text.slice(0, 1000);
  const prev = Array.isArray(view.status?.conditions) ? view.status.conditions : undefined;
  const keep = (type: string, status: string) => {
    const p = prev?.find((x) => x.type === type);
    return p && p.status === status ? p.lastTransitionTime : now.toISOString();
  };
  return {
    ...view.status,
    observedGeneration: g,
    conditions: [
      {
        type: 'Available',
        status: 'False',
        reason,
        message,
        observedGeneration: g,
        lastTransitionTime: keep('Available', 'False'),
      },
      {
        type: 'Progressing',
        status: 'False',
        reason,
        message: '',
        observedGeneration: g,
        lastTransitionTime: keep('Progressing', 'False'),
      },
      {
        type: 'Degraded',
        status: 'True',
        reason,
        message,
        observedGeneration: g,
        lastTransitionTime: keep('Degraded', 'True'),
      },
    ],
  };
}
