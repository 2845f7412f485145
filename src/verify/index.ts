// The connectivity check after an apply: probes of the API server (a verified TLS handshake over
// a fresh connection), and when the object asks the default gateway, the path MTU and DNS. A
// probe that failed before the apply is not held against it. It defines the ConnectivityVerifier
// interface the node backend calls (preflight, check, the re-check after a rollback), so the
// check depends on nothing above it.
// May import: api, model, observe, util
export { apiServerProbe, type ApiEndpoint, type ApiTls } from './api-server.js';
export {
  API_PROBE,
  Connectivity,
  dnsProbe,
  gatewayProbe,
  pathMtuProbe,
  type ConnectivityOptions,
  type ConnectivityVerifier,
  type Probe,
  type ProbePhase,
} from './connectivity.js';
export { verifierForSpec, type VerifierTarget } from './for-spec.js';
