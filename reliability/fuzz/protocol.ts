// What the parent and the trial process exchange: one request line on the trial process's stdin,
// one message line on its stdout for each (and one when it is ready).

/** The trial process's command line after the script: this flag, then its work dir and namespace. */
export const CHILD_FLAG = '--child';

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
export type Message = TrialResult | { ready: true };

/** Marks the trial process's message lines: anything else it prints (a stray log) is not one. */
const MESSAGE_PREFIX = 'FUZZ ';

/** A trial the harness could not run or hear back from: lost, never hidden. */
export function lostResult(i: number, problem: string): TrialResult {
  return { i, outcome: 'lost', problems: [problem], ms: 0 };
}

export function requestLine(req: Request): string {
  return JSON.stringify(req) + '\n';
}

export function parseRequest(line: string): Request {
  return JSON.parse(line) as Request;
}

export function messageLine(msg: Message): string {
  return `${MESSAGE_PREFIX}${JSON.stringify(msg)}\n`;
}

/** The message of a stdout line, undefined for a line that is not one. */
export function parseMessage(line: string): Message | undefined {
  return line.startsWith(MESSAGE_PREFIX) ? (JSON.parse(line.slice(MESSAGE_PREFIX.length)) as Message) : undefined;
}
