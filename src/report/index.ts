// What the agent reports about its node, and how: the status it wants shown (observations, the
// conditions and setupStatus of each apply) patched against the status the API server shows,
// statistics as a delta at their interval, the whole object kept within its byte budget by
// leaving detail out in a defined order (and saying so), the Events of applies, and when a
// drift is news. It knows nothing of the host or of how an apply is made: it is told an
// observation and a result (results.ts) and tells the metrics through an interface of its own.
// May import: api, k8s, model, observe, util
export { DriftWatch, type DriftNews } from './drift-news.js';
export { PERSISTED_STATE_INVALID, StatusReporter, type StatusMetrics, type StatusReporterOptions } from './reporter.js';
export { SETUP_FAILURE_REASONS, type Observation, type SetupFailureReason, type SetupResult } from './results.js';
export { OBJECT_BUDGET_BYTES, TRUNCATION_ORDER } from './status-budget.js';
export { conditionsFor, failed, shortMessage, success, type Phase } from './status-shapes.js';
