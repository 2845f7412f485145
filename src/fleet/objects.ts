// API objects as the core's views (types.ts): the only place that knows the objects' JSON.
import type { PolicyStatus } from '../api/policy.js';
import type { OnnObject } from '../k8s/client.js';
import type { KubeObject } from '../k8s/resources.js';
import { stringMap } from './own-properties.js';
import type { NodeTaint, NodeView, OnnView, PolicyView } from './types.js';

export function nodeView(o: KubeObject): NodeView {
  const taints = (o.spec as { taints?: unknown } | undefined)?.taints;
  const conditions = (o.status as { conditions?: unknown } | undefined)?.conditions;
  const ready = Array.isArray(conditions)
    ? (conditions as { type?: unknown; status?: unknown }[]).find((c) => c?.type === 'Ready')
    : undefined;
  return {
    ...(ready ? { ready: ready.status === 'True' } : {}),
    name: o.metadata.name,
    labels: stringMap(o.metadata.labels),
    annotations: stringMap(o.metadata.annotations),
    taints: Array.isArray(taints) ? taints.filter(isTaint) : [],
    ...(o.metadata.resourceVersion ? { resourceVersion: o.metadata.resourceVersion } : {}),
  };
}

function isTaint(t: unknown): t is NodeTaint {
  const x = t as Partial<NodeTaint> | null;
  return typeof x?.key === 'string' && typeof x.effect === 'string';
}

export function onnView(o: OnnObject): OnnView {
  const meta = o.metadata as OnnObject['metadata'] & { annotations?: Record<string, string> };
  return {
    name: meta.name,
    generation: meta.generation ?? 0,
    ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
    annotations: meta.annotations ?? {},
    spec: (o.spec ?? {}) as OnnView['spec'],
    managedFields: meta.managedFields ?? [],
    ...(o.status ? { status: o.status as OnnView['status'] } : {}),
  };
}

export function policyView(o: KubeObject): PolicyView {
  return {
    name: o.metadata.name,
    generation: o.metadata.generation ?? 0,
    creationTimestamp: o.metadata.creationTimestamp ?? '',
    deleting: o.metadata.deletionTimestamp !== undefined,
    finalizers: o.metadata.finalizers ?? [],
    spec: o.spec ?? {},
    ...(o.status ? { status: o.status as PolicyStatus } : {}),
  };
}

/**
 * Whether `incoming` may replace `known` in a cache: not older. resourceVersions are opaque, but
 * the API server's are integers (etcd revisions); only then are they compared, so a watch event
 * that trails a write's own answer does not roll the cache back.
 */
export function newerOrSame(known: string | undefined, incoming: string | undefined): boolean {
  if (!known || !incoming || !/^\d+$/.test(known) || !/^\d+$/.test(incoming)) return true;
  return BigInt(incoming) >= BigInt(known);
}
