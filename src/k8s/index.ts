// The Kubernetes API machinery, with no knowledge of hosts: where the API server is and how to
// authenticate (connection.ts), HTTP over node:https (http.ts), the OvirtNodeNetwork client and
// the controller's resources (client.ts, resources.ts), managedFields, the list/watch loop with
// resourceVersion resume and backoff (watcher.ts), per-item exponential backoff
// (item-backoff.ts), and the HTTP server of /metrics and the probes with its authentication
// (metrics-server.ts, metrics-auth.ts). The agent and the policy controller both stand on it.
// May import: api, util
export {
  describeApiError,
  EVENTS_NAMESPACE,
  httpStatus,
  isNotFound,
  OnnClient,
  type CrdManifest,
  type OnnObject,
  type WatchOptions,
} from './client.js';
export { bareHostname, loadConnection, type ApiConnection } from './connection.js';
export { ApiError, ApiHttp } from './http.js';
export { backoffDelay, checkBackoffSettings, ItemBackoff, type BackoffSettings } from './item-backoff.js';
export {
  KubernetesMetricsAuth,
  parseBindAddress,
  parseMetricsAuth,
  parsePort,
  selfSignedCertificate,
  type AuthResult,
} from './metrics-auth.js';
export { serveMetrics, type HealthSource, type MetricsServerOptions } from './metrics-server.js';
export { ControllerClient, isConflict, type KubeList, type KubeObject } from './resources.js';
export { Backoff, ObjectWatcher, type WatcherOptions } from './watcher.js';
