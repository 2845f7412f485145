// What the reporter is told: an observation of the host and the result of an apply, as the
// node backend (src/agent/backend.ts) returns them and the status shows them (capabilities,
// kernelConfig, statistics; setupStatus and the conditions).
import type { RunningConfig } from '../api/config.js';
import type { Lldp } from '../api/status.js';

export interface Observation {
  capabilities: Record<string, unknown>;
  kernelConfig: RunningConfig;
  statistics: Record<string, unknown>;
  /** When the statistics were read (epoch seconds; status.statisticsTime). */
  statisticsTime: number;
  /**
   * What the kernel lacks of the running config, one line per network or bond (src/plan/drift.ts); empty when nothing
   * drifted.
   */
  drifted: string[];
  /**
   * What the switches announce per NIC (status.lldp); with --lldp off every NIC disabled; absent only for a backend
   * without LLDP at all (the field is then left as it is).
   */
  lldp?: Lldp;
}

/** Why an apply failed (setupStatus.Failed.reason; the metrics' result label). */
export const SETUP_FAILURE_REASONS = [
  'InvalidSpec',
  'SetupFailed',
  'ConnectivityLost',
  'RemovalFailed',
  'ApiUnreachable',
] as const;
export type SetupFailureReason = (typeof SETUP_FAILURE_REASONS)[number];

export type SetupResult =
  | { ok: true; changed: boolean; steps: number; durationMs: number; summary: string }
  | {
      ok: false;
      reason: SetupFailureReason;
      message: string;
      rolledBack: boolean;
      durationMs: number;
      /** The failure says nothing about the spec (the API server was away): apply it again later. */
      retry?: boolean;
    };
