// The policy controller (what the Deployment runs): OvirtNetworkPolicy objects rendered into the
// OvirtNodeNetwork specs of the nodes they select. A pure core (reconcile.ts and its stages:
// validate, select, allocate addresses, render, resolve conflicts, plan the rollout, status)
// decides from the objects alone; a thin controller (controller.ts) keeps caches with three
// watchers, runs the core as the elected leader, and carries out its decisions with server-side
// apply. Ownership is read from managedFields, so a restarted controller needs no state.
// Required policies taint the Nodes that lack their networks (taints.ts); previewPolicy
// (preview.ts) reads one policy's decision out node by node for `kubectl onn plan --policy`.
// May import: api, k8s, model, plan, util
export { Controller, DEFAULT_WRITE_RETRY, type ControllerOptions } from './controller.js';
export type { LeaseSettings } from './leader.js';
export { ControllerMetrics } from './metrics.js';
export { decideWorld, reconcile, type PolicyDecision, type World } from './reconcile.js';
export { nodeView, onnView, policyView } from './objects.js';
export { previewPolicy, specAfterWrite, type PolicyPreview, type PreviewRow } from './preview.js';
