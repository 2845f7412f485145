// What the agent needs from the node side, so the Kubernetes loop (agent.ts) stays free of
// host details and the host side (node-backend.ts) free of API details.
import type { RunningConfig } from '../api/config.js';

export interface Observation {
  capabilities: Record<string, unknown>;
  kernelConfig: RunningConfig;
  statistics: Record<string, unknown>;
  /** When the statistics were read (epoch seconds; status.statisticsTime). */
  statisticsTime: number;
  /** What the kernel lacks of the running config, one line per network or bond (src/plan/drift.ts); empty when nothing drifted. */
  drifted: string[];
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

/** Checks run after an apply; the backend rolls back when it reports a failure. */
export interface ConnectivityVerifier {
  /**
   * Called before applying: notes which probes work now (only those are held against the apply),
   * and says whether the API server answers — if not, nothing is applied until it does.
   */
  preflight(): Promise<{ apiReachable: boolean }>;
  /** After a rollback: does the API server answer on the previous configuration (within timeoutMs)? */
  apiReachable(timeoutMs: number): Promise<boolean>;
  /** Resolves with undefined when connectivity is confirmed, else with why it is not. */
  check(): Promise<string | undefined>;
}

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
  /** validate → plan → apply → verify (→ rollback) → persist. */
  setup(spec: unknown, verifier: ConnectivityVerifier | undefined): Promise<SetupResult>;
}
