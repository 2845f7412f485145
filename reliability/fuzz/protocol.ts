// What the parent and the trial process exchange, one JSON line each way per request.

export type Outcome = 'applied' | 'rejected' | 'failed' | 'lost';

export interface TrialResult {
  i: number;
  outcome: Outcome;
  problems: string[];
  /** SetupFailed etc.: the reason and message. */
  reason?: string;
  message?: string;
  /** The spec's canonical config needs bonding or 802.1q, which this kernel lacks. */
  needsModules?: boolean;
  /** A valid spec that asked for DHCP, applied with DHCP turned off. */
  dhcpOff?: boolean;
  /** Plan steps of an applied trial. */
  steps?: number;
  /** Resets: the devices not given back as found so far. */
  damaged?: string[];
  ms: number;
}

export type Request = { op: 'trial'; i: number; spec: unknown } | { op: 'reset'; i: number };
