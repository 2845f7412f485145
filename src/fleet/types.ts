// What the fleet core reads and decides, as plain data: the controller turns API objects into
// these (src/fleet/objects.ts) and carries out the decisions; everything between is pure.
import type { BondSpec, NetworkSpec } from '../api/spec.js';
import type { ManagedFieldsEntry } from '../k8s/managed-fields.js';
import type { PolicyStatus } from '../api/policy.js';

/**
 * A v1 Node, as far as policies care. Labels and annotations are Maps: a policy names the keys,
 * and a Map has no inherited entries for a key like "constructor" to hit.
 */
export interface NodeView {
  name: string;
  labels: ReadonlyMap<string, string>;
  annotations: ReadonlyMap<string, string>;
  /** spec.taints (required policies own one key of them: taints.ts). */
  taints?: readonly NodeTaint[];
  /** The version the view was read at (a taint write's precondition). */
  resourceVersion?: string;
  /** Its Ready condition: true, false (False or Unknown), undefined when it has none (no kubelet). */
  ready?: boolean;
}

/** One of a Node's spec.taints, as the API has it. */
export interface NodeTaint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface OnnCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** A node's OvirtNodeNetwork, as far as policies care. */
export interface OnnView {
  name: string;
  generation: number;
  /** The version the view was read at (a removal's precondition). */
  resourceVersion?: string;
  annotations: Readonly<Record<string, string>>;
  spec: { networks?: Record<string, unknown>; bondings?: Record<string, unknown> };
  managedFields: readonly ManagedFieldsEntry[];
  status?: {
    observedGeneration?: number;
    conditions?: readonly OnnCondition[];
    kernelConfig?: { networks?: Record<string, unknown>; bondings?: Record<string, unknown> };
    capabilities?: { nics?: Record<string, unknown>; bondings?: Record<string, unknown>; nameservers?: string[] };
  };
}

/** An OvirtNetworkPolicy: spec as stored (validated by the core), status as last written. */
export interface PolicyView {
  name: string;
  generation: number;
  /** RFC 3339; the earlier policy wins a conflict on a node neither holds yet. */
  creationTimestamp: string;
  deleting: boolean;
  finalizers: readonly string[];
  spec: unknown;
  status?: PolicyStatus;
}

/** The networks and bonds one policy puts on one node, in node spec vocabulary. */
export interface Fragment {
  networks: Record<string, NetworkSpec>;
  bondings: Record<string, BondSpec>;
}

/** A fragment that puts nothing on the node (a new object each call: callers fill it in). */
export function emptyFragment(): Fragment {
  return { networks: {}, bondings: {} };
}

/** Why a policy is not in effect on a node (status.failedNodes). */
export interface NodeProblem {
  node: string;
  reason: string;
  message: string;
}
