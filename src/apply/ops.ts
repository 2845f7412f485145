// Kernel operations: the executor's instruction set. Most are single `ip -batch` lines so that a
// whole plan's link/address/route work runs in few processes; the rest are file writes (sysfs,
// procfs sysctls, resolv.conf) and DHCP client starts/stops. Every planned operation carries its
// undo, so a transaction can be reversed after a failure or a crash.

import { printableName, quoteName } from '../api/names.js';
import type { DhcpClientSpec, Family } from '../model/dhcp-clients.js';
import { paramsSetArgv, type ParamValue } from '../model/ethtool-params.js';

export type KernelOp =
  /**
   * One `ip -batch` line (without the leading `ip`). family 6 runs it under `ip -6`: a batch
   * line cannot carry options, and `ip rule` does not infer the family from the address.
   * okIfExists: "File exists" is success (`ip rule` has no replace; the kernel config read back
   * does not show rules, so a repair re-adds ones that are there).
   */
  | { kind: 'ip'; args: string[]; family?: 6; okIfExists?: true }
  /** A sysfs/procfs attribute; undone by writing back the value read just before. */
  | { kind: 'write'; path: string; value: string }
  /** A whole file replaced atomically (resolv.conf); null removes it. Undone by restoring the previous content. */
  | { kind: 'file'; path: string; content: string | null }
  /** `ethtool -K dev NAME on|off ...` (model/ethtool.ts featureSetArgv); undone by the values read before. */
  | { kind: 'ethtool'; dev: string; features: Record<string, boolean> }
  /** `ethtool -G dev rx N ...` / `ethtool -C dev NAME N|on|off ...` (model/ethtool-params.ts); undone likewise. */
  | { kind: 'ethtool-rings' | 'ethtool-coalesce'; dev: string; values: Record<string, ParamValue> }
  /**
   * One `tc -batch` line (without the leading `tc`): the QoS layout's qdiscs, classes and filters
   * (model/host-qos.ts). okIfMissing: a delete whose object is already gone is success.
   */
  | { kind: 'tc'; args: string[]; okIfMissing?: true }
  | { kind: 'dhcp-start'; client: DhcpClientSpec }
  | { kind: 'dhcp-stop'; dev: string; family: Family };

/** An operation of a plan: what to do, how to undo it, and which plan step it belongs to. */
export interface PlannedOp {
  op: KernelOp;
  /** Operations that reverse `op`, run in order. 'previous' = restore what was there (files). */
  undo: KernelOp[] | 'previous';
  /** Index of the plan step this operation implements. */
  step: number;
  /** A failure is reported but does not fail the transaction (giving back a displaced route). */
  bestEffort?: boolean;
}

export function ip(...args: (string | number)[]): KernelOp {
  return { kind: 'ip', args: args.map(String) };
}

// ---- `ip -batch` lines ----
//
// How iproute2 reads a batch (lib/utils.c: getcmdline, then makeargs):
//   - a line is what getline(3) reads up to '\n'; it is a C string, so it ends at the first NUL;
//   - everything from the first '#' on is dropped, inside quotes too (a comment);
//   - a '\' right before the '\n' joins the next line to this one;
//   - words are separated by runs of " ", "\t", "\r", "\n";
//   - a word that *starts* with '"' or "'" runs to the next same quote, whitespace and all, with
//     no escapes (`"a\"b"` is the word `a\` and then the word `b"`); a quote elsewhere is a letter;
//     an unterminated quote ends ip ("Unterminated quoted string").
// So there is no way to escape: a token either is taken verbatim or cannot be written at all.
// The writer therefore never escapes. The one token that needs the quoted form is the empty one
// (`arp_ip_target ""` clears a bond's ARP targets), written `""`: a quoted word with nothing in
// it, so nothing to escape. Any other token is written verbatim when every character is
// printable ASCII other than '"', "'", '\' and '#' (0x21..0x7e less those four): no
// whitespace, no control character, no NUL, nothing that starts a comment, a quoted word or a
// continuation, and no non-ASCII (the kernel counts bytes, and what is not ASCII is not always
// one byte per character). Anything else is refused with the token named — a bug upstream
// (validation lets no such name through: src/api/names.ts), never something to run.
// test/unit/apply-ipbatch-tokens.test.ts checks every byte value against a port of makeargs,
// test/integration/ipbatch-tokens-netns.test.ts against the real `ip -batch`.

/** A character iproute2 reads verbatim in a batch token. */
const VERBATIM = /^[\x21\x24-\x26\x28-\x5b\x5d-\x7e]+$/;

/** Why `ip -batch` cannot take the token verbatim, or undefined when it can. */
export function batchTokenProblem(token: string): string | undefined {
  if (token === '' || VERBATIM.test(token)) return undefined;
  for (const ch of token) {
    if (VERBATIM.test(ch)) continue;
    const cp = ch.codePointAt(0)!;
    const what =
      cp === 0x23
        ? "'#' starts a comment"
        : cp === 0x22 || cp === 0x27
          ? 'a quote starts a quoted word (iproute2 has no escapes)'
          : cp === 0x5c
            ? 'a backslash before the end of a line joins the next one'
            : cp === 0x20 || (cp >= 0x09 && cp <= 0x0d)
              ? 'whitespace separates tokens'
              : cp > 0x7e && cp !== 0x7f
                ? 'only ASCII is written'
                : 'a control character';
    return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} in it: ${what}`;
  }
  return 'not writable'; // (not reached)
}

/** A token `ip -batch` cannot take verbatim; the line is never written. */
export class BatchTokenError extends Error {
  constructor(
    readonly token: string,
    readonly args: readonly string[],
    why: string,
  ) {
    super(`ip -batch cannot take the token ${quoteName(token)} (${why}), in: ${describeArgs(args)}`);
    this.name = 'BatchTokenError';
  }
}

/**
 * Renders an `ip` line for `ip -batch`: the tokens verbatim, space-separated, the empty one as
 * `""`; throws BatchTokenError for a token that cannot be written (see above).
 */
export function batchLine(args: readonly string[]): string {
  for (const a of args) {
    const why = batchTokenProblem(a);
    if (why !== undefined) throw new BatchTokenError(a, args, why);
  }
  return args.map((a) => (a === '' ? '""' : a)).join(' ');
}

/** ip arguments for a person: odd tokens quoted and escaped (never raw control characters). */
function describeArgs(args: readonly string[]): string {
  return args.map((a) => (VERBATIM.test(a) ? a : quoteName(a))).join(' ');
}

/** The ethtool option group an ethtool-rings / ethtool-coalesce operation sets. */
export function paramGroupOf(op: { kind: 'ethtool-rings' | 'ethtool-coalesce' }): 'rings' | 'coalesce' {
  return op.kind === 'ethtool-rings' ? 'rings' : 'coalesce';
}

/** A one-line human description of an operation, for errors and progress output. */
export function describeOp(op: KernelOp): string {
  switch (op.kind) {
    case 'ip':
      return `ip ${op.family === 6 ? '-6 ' : ''}${describeArgs(op.args)}`;
    case 'tc':
      return `tc ${describeArgs(op.args)}`;
    case 'write':
      return `write ${op.value} > ${op.path}`;
    case 'file':
      return op.content === null ? `remove ${op.path}` : `replace ${op.path}`;
    case 'ethtool':
      return `ethtool -K ${printableName(op.dev)} ${Object.keys(op.features)
        .sort()
        .map((f) => `${printableName(f)} ${op.features[f] ? 'on' : 'off'}`)
        .join(' ')}`;
    case 'ethtool-rings':
    case 'ethtool-coalesce':
      return paramsSetArgv(paramGroupOf(op), op.dev, op.values).map(printableName).join(' ');
    case 'dhcp-start':
      return `start DHCPv${op.client.family === 4 ? '4' : '6'} client on ${op.client.dev}`;
    case 'dhcp-stop':
      return `stop DHCPv${op.family === 4 ? '4' : '6'} client on ${op.dev}`;
  }
}

/** Consecutive operations that run as one unit: one `ip -batch` or `tc -batch` process, or one other kind. */
export interface OpGroup {
  kind: 'ip' | 'tc' | 'files' | 'dhcp';
  ops: PlannedOp[];
}

/**
 * Splits a plan's operations into groups: runs of `ip` lines become one batch, runs of file
 * writes one group, DHCP operations one group each (they wait on processes). `cutAfter` forces a
 * group boundary after that many operations (the crash-test hook needs a clean cut there).
 */
export function groupOps<T extends { op: KernelOp }>(
  ops: readonly T[],
  cutAfter?: number,
): { kind: OpGroup['kind']; ops: T[] }[] {
  const groups: { kind: OpGroup['kind']; ops: T[] }[] = [];
  let cur: { kind: OpGroup['kind']; ops: T[] } | undefined;
  ops.forEach((p, i) => {
    // An ethtool set runs with the file writes: one at a time, in this process's order.
    const kind: OpGroup['kind'] =
      p.op.kind === 'ip' || p.op.kind === 'tc'
        ? p.op.kind
        : ['write', 'file', 'ethtool', 'ethtool-rings', 'ethtool-coalesce'].includes(p.op.kind)
          ? 'files'
          : 'dhcp';
    if (!cur || cur.kind !== kind || kind === 'dhcp' || i === cutAfter) {
      cur = { kind, ops: [] };
      groups.push(cur);
    }
    cur.ops.push(p);
  });
  return groups;
}
