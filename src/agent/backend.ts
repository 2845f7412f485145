// What the agent needs from the node side, so the Kubernetes loop (agent.ts) stays free of
// host details and the host side (kernel-backend.ts) free of API details.
import type { Observation, SetupResult } from '../report/results.js';
import type { ConnectivityVerifier } from '../verify/connectivity.js';

export interface NodeBackend {
  /** At start, before the API server is reachable: bring the kernel back to the persisted config. */
  restoreAtBoot(): Promise<string | undefined>;
  /** Reads the host back; changes nothing on it. */
  observe(): Promise<Observation>;
  /**
   * What the kernel lacks of the running config, read afresh (no cache): an observation's drift is
   * confirmed this way before anything is reported or applied, so a pass that caught the host
   * mid-change (or read a stale cache) does not count.
   */
  confirmDrift(): Promise<string[]>;
  /** Starts the DHCP clients of the running config that are not running; returns which (for logs). */
  superviseDhcp(): Promise<string[]>;
  /**
   * Keeps the LLDP daemon running on the NICs the last observation found (started, restarted for
   * new NICs, stopped when LLDP is off); absent: the backend has no LLDP.
   */
  superviseLldp?(): Promise<void>;
  /** validate → plan → apply → verify (→ rollback) → persist. */
  setup(spec: unknown, verifier: ConnectivityVerifier | undefined): Promise<SetupResult>;
}
