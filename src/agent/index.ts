// The node agent, one per node (what the DaemonSet runs): it watches its node's OvirtNodeNetwork,
// applies each spec generation through the kernel backend — validate, plan, journalled
// transaction, connectivity check, rollback, persist — one at a time through a queue that
// retries a generation that failed for a reason outside its spec with a per-item exponential
// backoff, and reports what the node has through report/. The host is never touched because the
// API server is away; what the kernel loses of an applied generation is reported and, under
// driftPolicy Heal, applied again. Its metrics are its own (metrics.ts); the server that serves
// them and the watcher it follows its object with are k8s/'s.
// May import: api, apply, k8s, model, observe, persist, plan, report, util, verify
export { Agent, DEFAULT_APPLY_RETRY, type AgentOptions } from './agent.js';
export type { NodeBackend } from './backend.js';
export { KernelBackend, LLDP_MODES, type KernelBackendOptions, type LldpMode } from './kernel-backend.js';
export { AgentMetrics } from './metrics.js';
export { GenerationQueue, type ApplyOutcome, type GenerationQueueOptions } from './queue.js';
