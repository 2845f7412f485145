// A small in-memory cluster for the fleet core's tests: node objects with server-side apply's
// bookkeeping (one managedFields entry per field manager, entries removed when their last owner
// drops them, generation bumped on a spec change), and agents that report a generation
// Available — or failed, for the nodes told to fail. Not the API server: just enough of its
// field management for the core's decisions to be carried out and read back.
import { isDeepStrictEqual } from 'node:util';
import { fieldSet, type ManagedFieldsEntry } from '../../src/k8s/managed-fields.js';
import { decideWorld, type ApplyAction, type PolicyDecision } from '../../src/fleet/reconcile.js';
import type { TaintWrite } from '../../src/fleet/taints.js';
import type { NodeTaint, NodeView, OnnCondition, OnnView, PolicyView } from '../../src/fleet/types.js';
import { POLICY_FINALIZER } from '../../src/api/constants.js';

type Section = 'networks' | 'bondings';

export class Cluster {
  nodes = new Map<string, NodeView>();
  onns = new Map<string, OnnView>();
  policies = new Map<string, PolicyView>();
  /** Nodes whose agent fails every generation, with this reason. */
  failing = new Map<string, string>();
  /** Agents also report status.kernelConfig (the spec's networks and bonds, as applied) on success. */
  reportsKernel = false;
  private clock = 0;
  private revision = 0;

  /** Stores a node object under a new resourceVersion, as every write to the API server does. */
  private put(onn: OnnView): void {
    this.onns.set(onn.name, { ...onn, resourceVersion: String(++this.revision) });
  }

  addNode(name: string, labels: Record<string, string> = {}, withObject = true, annotations: Record<string, string> = {}): void {
    this.nodes.set(name, { name, labels: new Map(Object.entries(labels)), annotations: new Map(Object.entries(annotations)), taints: [], resourceVersion: String(++this.revision) });
    if (withObject) this.put({ name, generation: 1, annotations: {}, spec: {}, managedFields: [], status: { observedGeneration: 1, conditions: conds(1, 'available') } });
  }

  label(name: string, labels: Record<string, string>, annotations?: Record<string, string>): void {
    const old = this.nodes.get(name);
    this.nodes.set(name, { name, labels: new Map(Object.entries(labels)), annotations: annotations ? new Map(Object.entries(annotations)) : old?.annotations ?? new Map(), taints: old?.taints ?? [], resourceVersion: String(++this.revision) });
  }

  putPolicy(name: string, spec: unknown): void {
    const old = this.policies.get(name);
    const changed = !old || !isDeepStrictEqual(old.spec, spec);
    this.policies.set(name, {
      name,
      generation: (old?.generation ?? 0) + (changed ? 1 : 0),
      creationTimestamp: old?.creationTimestamp ?? `2026-01-01T00:00:${String(this.clock++).padStart(2, '0')}Z`,
      deleting: old?.deleting ?? false,
      finalizers: old?.finalizers ?? [],
      spec,
      ...(old?.status ? { status: old.status } : {}),
    });
  }

  deletePolicy(name: string): void {
    const p = this.policies.get(name)!;
    if (p.finalizers.length === 0) this.policies.delete(name);
    else this.policies.set(name, { ...p, deleting: true });
  }

  /** The policy is gone at once, whatever its finalizer (kubectl patch removing it, then delete). */
  forceDelete(name: string): void {
    this.policies.delete(name);
  }

  /** A hand edit (kubectl patch/edit: an Update by its own manager) of one entry. */
  handEdit(node: string, section: Section, name: string, value: unknown, manager = 'kubectl-edit'): void {
    const onn = this.onns.get(node)!;
    const spec = { ...onn.spec, [section]: { ...(onn.spec[section] ?? {}), [name]: value } };
    const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion: 'ovirt.org/v1alpha1', time: 't', fieldsType: 'FieldsV1', fieldsV1: fieldSet({ spec: { [section]: { [name]: value } } }) };
    const others = onn.managedFields.filter((e) => e.manager !== manager);
    this.put({ ...onn, spec, generation: onn.generation + 1, managedFields: [...others, entry] });
  }

  world() {
    return { policies: [...this.policies.values()], nodes: [...this.nodes.values()], onns: [...this.onns.values()] };
  }

  /** One controller pass: decide, then carry out what was decided (finalizer first, as the controller does). */
  step(now = new Date('2026-01-02T00:00:00Z')): PolicyDecision[] {
    const decided = decideWorld(this.world(), now);
    const decisions = decided.policies.map((p) => p.decision);
    for (const d of decisions) {
      if (d.orphan) {
        // No such policy: only its node writes (the controller confirms it is gone first).
        for (const a of d.applies) this.apply(a);
        continue;
      }
      let p = this.policies.get(d.policy)!;
      if (d.finalizer === 'add') p = { ...p, finalizers: [...p.finalizers, POLICY_FINALIZER] };
      for (const a of d.applies) this.apply(a);
      p = { ...p, status: d.status };
      if (d.finalizer === 'remove') {
        this.policies.delete(d.policy);
        continue;
      }
      this.policies.set(d.policy, p);
    }
    for (const t of decided.taints) this.taint(t);
    return decisions;
  }

  /** A taint write (the JSON patch the controller sends): refused when the Node moved since it was read. */
  taint(t: TaintWrite): boolean {
    const node = this.nodes.get(t.node)!;
    const [rv, set] = t.patch;
    if (rv?.path !== '/metadata/resourceVersion' || set?.path !== '/spec/taints') throw new Error('the sim takes the taint patch only');
    if (rv.value !== node.resourceVersion) return false;
    this.nodes.set(t.node, { ...node, taints: structuredClone(set.value as NodeTaint[]), resourceVersion: String(++this.revision) });
    return true;
  }

  /** A Node's taints by hand (kubectl taint). */
  setTaints(name: string, taints: NodeTaint[]): void {
    this.nodes.set(name, { ...this.nodes.get(name)!, taints, resourceVersion: String(++this.revision) });
  }

  /** The value of the Node's ovirt.org/network-unavailable taint. */
  taintOf(name: string): string | undefined {
    return this.nodes.get(name)!.taints?.find((t) => t.key === 'ovirt.org/network-unavailable')?.value;
  }

  /** The node's agent reports drift it does not heal (driftPolicy Report). */
  drift(name: string): void {
    const onn = this.onns.get(name)!;
    const g = onn.generation;
    this.put({ ...onn, status: { ...onn.status, observedGeneration: g, conditions: [
      { type: 'Available', status: 'False', reason: 'Drifted', observedGeneration: g },
      { type: 'Progressing', status: 'False', reason: 'Drifted', observedGeneration: g },
      { type: 'Degraded', status: 'True', reason: 'Drifted', message: 'fstore: mtu 1400 by hand', observedGeneration: g },
    ] } });
  }

  /** Server-side apply of `a.body` by `a.manager` (no conflicts: the core refuses those first). */
  apply(a: ApplyAction): void {
    if (a.remove && !this.patch(a.node, a.remove)) return;
    const onn = this.onns.get(a.node)!;
    const body = a.body as { metadata: { annotations?: Record<string, string> }; spec?: Partial<Record<Section, Record<string, unknown>>> };
    const mine = onn.managedFields.find((e) => e.manager === a.manager);
    const others = onn.managedFields.filter((e) => e.manager !== a.manager);
    const ownedByOthers = (section: Section, n: string) => others.some((e) => e.fieldsV1['f:spec']?.[`f:${section}`]?.[`f:${n}`]);
    const spec: OnnView['spec'] = { networks: { ...(onn.spec.networks ?? {}) }, bondings: { ...(onn.spec.bondings ?? {}) } };
    for (const section of ['networks', 'bondings'] as const) {
      const before = Object.keys(mine?.fieldsV1['f:spec']?.[`f:${section}`] ?? {}).map((k) => k.slice(2));
      const now = body.spec?.[section] ?? {};
      for (const n of before) if (!(n in now) && !ownedByOthers(section, n)) delete spec[section]![n];
      Object.assign(spec[section]!, structuredClone(now));
    }
    const annotations = { ...onn.annotations };
    for (const k of Object.keys(mine?.fieldsV1['f:metadata']?.['f:annotations'] ?? {}).map((x) => x.slice(2))) {
      if (!(k in (body.metadata.annotations ?? {}))) delete annotations[k];
    }
    Object.assign(annotations, body.metadata.annotations ?? {});
    const fields = fieldSet({ ...(body.metadata.annotations ? { metadata: { annotations: body.metadata.annotations } } : {}), ...(body.spec ? { spec: body.spec } : {}) });
    const entries = Object.keys(fields).length ? [...others, { manager: a.manager, operation: 'Apply' as const, apiVersion: 'ovirt.org/v1alpha1', time: 't', fieldsType: 'FieldsV1' as const, fieldsV1: fields }] : others;
    const changed = !isDeepStrictEqual(strip(spec), strip(onn.spec));
    this.put({ ...onn, spec, annotations, managedFields: entries, generation: onn.generation + (changed ? 1 : 0) });
  }

  /**
   * A JSON patch of the kinds a removal sends: the resourceVersion precondition (false: refused,
   * as the API server's 409), then removes of spec entries, whose fields leave every manager's entry.
   */
  patch(node: string, ops: NonNullable<ApplyAction['remove']>): boolean {
    let onn = this.onns.get(node)!;
    const spec: OnnView['spec'] = { networks: { ...(onn.spec.networks ?? {}) }, bondings: { ...(onn.spec.bondings ?? {}) } };
    let managedFields = onn.managedFields;
    for (const op of ops) {
      if (op.path === '/metadata/resourceVersion') {
        if (op.value !== onn.resourceVersion) return false;
        continue;
      }
      const m = /^\/spec\/(networks|bondings)\/(.+)$/.exec(op.path);
      if (op.op !== 'remove' || !m) throw new Error(`the sim does not take ${op.op} ${op.path}`);
      const [section, name] = [m[1] as Section, m[2]!.replace(/~1/g, '/').replace(/~0/g, '~')];
      if (spec[section]![name] === undefined) throw new Error(`remove of a missing ${op.path}`);
      delete spec[section]![name];
      managedFields = managedFields.map((e) => {
        const sec = e.fieldsV1['f:spec']?.[`f:${section}`];
        if (!sec?.[`f:${name}`]) return e;
        const rest = Object.fromEntries(Object.entries(sec).filter(([k]) => k !== `f:${name}`));
        return { ...e, fieldsV1: { ...e.fieldsV1, 'f:spec': { ...e.fieldsV1['f:spec'], [`f:${section}`]: rest } } };
      });
    }
    onn = { ...onn, spec, managedFields, generation: onn.generation + 1 };
    this.put(onn);
    return true;
  }

  /** Every agent acts on its object's generation (available, or failed when told to fail). */
  agents(only?: (node: string) => boolean): void {
    for (const [n, onn] of this.onns) {
      if (only && !only(n)) continue;
      if (onn.status?.observedGeneration === onn.generation) continue;
      const reason = this.failing.get(n);
      const kernel = this.reportsKernel && !reason ? { kernelConfig: structuredClone({ networks: onn.spec.networks ?? {}, bondings: onn.spec.bondings ?? {} }) } : {};
      this.put({ ...onn, status: { ...onn.status, ...kernel, observedGeneration: onn.generation, conditions: conds(onn.generation, reason ?? 'available') } });
    }
  }

  /** Nodes whose object's current generation the agent has not reported yet: the ones changing. */
  changing(): string[] {
    return [...this.onns.values()].filter((o) => o.status?.observedGeneration !== o.generation).map((o) => o.name);
  }

  policy(name: string): PolicyView | undefined {
    return this.policies.get(name);
  }
}

function strip(spec: OnnView['spec']): unknown {
  return { networks: spec.networks ?? {}, bondings: spec.bondings ?? {} };
}

export function conds(g: number, outcome: 'available' | string): OnnCondition[] {
  return outcome === 'available'
    ? [{ type: 'Available', status: 'True', reason: 'SuccessfullyConfigured', observedGeneration: g }, { type: 'Degraded', status: 'False', reason: 'SuccessfullyConfigured', observedGeneration: g }]
    : [{ type: 'Available', status: 'False', reason: outcome, observedGeneration: g }, { type: 'Degraded', status: 'True', reason: outcome, message: `${outcome} on this node`, observedGeneration: g }];
}

export function condition(p: PolicyView | undefined, type: string) {
  return p?.status?.conditions?.find((c) => c.type === type);
}
