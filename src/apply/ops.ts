// Kernel operations: the executor's instruction set. Most are single `ip -batch` lines so that a
// whole plan's link/address/route work runs in few processes; the rest are file writes (sysfs,
// procfs sysctls, resolv.conf) and DHCP client starts/stops. Every planned operation carries its
// undo, so a transaction can be reversed after a failure or a crash.

export type Family = 4 | 6;

/** How a DHCP client is started for a network's top device. */
export interface DhcpClientSpec {
  network: string;
  dev: string;
  family: Family;
  /** Install the default route learned from the server (the network holds the host's default route). */
  defaultRoute: boolean;
}

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

/** Renders an `ip` line for `ip -batch`: arguments with spaces or quotes are double-quoted. */
export function batchLine(args: readonly string[]): string {
  return args
    .map((a) => {
      if (a === '' || /[\s"'\\#]/.test(a)) return `"${a.replace(/(["\\])/g, '\\$1')}"`;
      return a;
    })
    .join(' ');
}

/** A one-line human description of an operation, for errors and progress output. */
export function describeOp(op: KernelOp): string {
  switch (op.kind) {
    case 'ip':
      return `ip ${op.family === 6 ? '-6 ' : ''}${op.args.join(' ')}`;
    case 'write':
      return `write ${op.value} > ${op.path}`;
    case 'file':
      return op.content === null ? `remove ${op.path}` : `replace ${op.path}`;
    case 'dhcp-start':
      return `start DHCPv${op.client.family === 4 ? '4' : '6'} client on ${op.client.dev}`;
    case 'dhcp-stop':
      return `stop DHCPv${op.family === 4 ? '4' : '6'} client on ${op.dev}`;
  }
}

/** Consecutive operations that run as one unit: one `ip -batch` process, or one other kind. */
export interface OpGroup {
  kind: 'ip' | 'files' | 'dhcp';
  ops: PlannedOp[];
}

/**
 * Splits a plan's operations into groups: runs of `ip` lines become one batch, runs of file
 * writes one group, DHCP operations one group each (they wait on processes). `cutAfter` forces a
 * group boundary after that many operations (the crash-test hook needs a clean cut there).
 */
export function groupOps<T extends { op: KernelOp }>(ops: readonly T[], cutAfter?: number): { kind: OpGroup['kind']; ops: T[] }[] {
  const groups: { kind: OpGroup['kind']; ops: T[] }[] = [];
  let cur: { kind: OpGroup['kind']; ops: T[] } | undefined;
  ops.forEach((p, i) => {
    const kind: OpGroup['kind'] = p.op.kind === 'ip' ? 'ip' : p.op.kind === 'write' || p.op.kind === 'file' ? 'files' : 'dhcp';
    if (!cur || cur.kind !== kind || kind === 'dhcp' || i === cutAfter) {
      cur = { kind, ops: [] };
      groups.push(cur);
    }
    cur.ops.push(p);
  });
  return groups;
}
