// The thin I/O layer under the executor: runs groups of KernelOps (runs of ip lines through an
// IpRunner: a process each, or a transaction's IpSession; direct writes for sysfs/procfs, atomic
// replacement for resolv.conf, the DHCP supervisor for clients) and reads the values that file
// writes replace (their undo).
import { writeFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { linkTarget, writeFileAtomic } from '../util/fs.js';
import type { DhcpSupervisor } from './dhcp.js';
import type { IpRunner } from './ipbatch.js';
import { batchLine, describeOp, paramGroupOf, type KernelOp } from './ops.js';
import { parseBatchErrors } from './ipbatch.js';
import { featureSetArgv } from '../model/ethtool.js';
import { paramsSetArgv } from '../model/ethtool-params.js';
import { run } from '../util/exec.js';

type IpOp = Extract<KernelOp, { kind: 'ip' }>;
type TcOp = Extract<KernelOp, { kind: 'tc' }>;

/**
 * What tc (or the kernel) says when the object a delete names is not there (seen from Debian's
 * iproute2 6.1): no such class or filter, no parent qdisc, or only the kernel's default root
 * qdisc left ("Cannot delete qdisc with handle of zero").
 */
const MISSING = new RegExp(
  [
    'No such file or directory',
    'Cannot find',
    'Failed to find',
    'Invalid handle',
    "does(?: not|n't) exists?",
    'not found',
    'Invalid argument',
    'handle of zero',
  ].join('|'),
  'i',
);

/**
 * Runs tc lines in `tc -batch -` processes: tc, like ip, stops at the first failing line and
 * names it ("Command failed -:N"), so what took effect is known. A delete marked okIfMissing
 * whose object is gone counts as done, and the batch goes on after it in a new process. With
 * `force` every line runs (an undo) and every failure but those is returned.
 */
export const TC_MISSING = MISSING;

export async function runTcBatch(ops: readonly TcOp[], force: boolean): Promise<OpFailure[]> {
  const out: OpFailure[] = [];
  let i = 0;
  while (i < ops.length) {
    const rest = ops.slice(i);
    const input = rest.map((o) => batchLine(o.args)).join('\n') + '\n';
    const r = await run(['tc', ...(force ? ['-force'] : []), '-batch', '-'], { input, allowFailure: true });
    const all = parseBatchErrors(r.stderr);
    const missing = (f: { index: number; message: string }) => rest[f.index]?.okIfMissing && MISSING.test(f.message);
    if (force) {
      out.push(...all.filter((f) => !missing(f)).map((f) => ({ index: i + f.index, message: f.message })));
      if (r.code !== 0 && !all.length)
        out.push({ index: -1, message: r.stderr.trim() || `tc -batch exited ${r.code}` });
      return out;
    }
    if (r.code === 0) return out;
    const first = all[0];
    if (!first) return [{ index: -1, message: r.stderr.trim() || `tc -batch exited ${r.code}` }];
    if (!missing(first)) return [{ index: i + first.index, message: first.message }];
    i += first.index + 1; // an ignorable miss: carry on after it
  }
  return out;
}

/** What runs kernel operations: owned by the caller (one per set of transactions). */
export interface KernelIo {
  dhcp: DhcpSupervisor;
  ip: IpRunner;
}

export interface OpFailure {
  /** Index (in the list given) of the failing operation; -1 when unknown (any may have run). */
  index: number;
  message: string;
}

/**
 * Replaces a file so readers see old or new; falls back to rewriting in place when the path is a
 * mount point (a bind-mounted resolv.conf in a container cannot be renamed over). A symlink is
 * kept: its target is replaced (atomically, in the target's own directory), as is the undo's
 * restore, which reads the content back through the same link.
 */
export async function replaceFile(link: string, content: string | null): Promise<void> {
  const path = await linkTarget(link);
  if (content === null) {
    await rm(path, { force: true });
    return;
  }
  try {
    await writeFileAtomic(path, content);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EBUSY' && code !== 'EXDEV') throw e;
    await rm(`${path}.tmp-${process.pid}`, { force: true });
    const fh = await open(path, 'r+');
    try {
      await fh.truncate(0);
      await fh.write(content, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

/** The operation that puts back what a file op is about to replace. */
export async function previousValueOp(op: KernelOp): Promise<KernelOp[]> {
  if (op.kind === 'write') {
    confinedWritePath(op.path);
    let cur: string;
    try {
      cur = (await readFile(op.path, 'utf8')).trim();
    } catch {
      return []; // unreadable (write-only attribute): nothing to restore
    }
    // sysfs bonding files show "name number" (e.g. "802.3ad 4") but accept either alone.
    if (op.path.includes('/bonding/')) {
      const last = cur.split(/\s+/).pop() ?? '';
      cur = /^\d+$/.test(last) ? last : cur;
      if (cur === '') cur = '\n';
    }
    return [{ kind: 'write', path: op.path, value: cur }];
  }
  if (op.kind === 'file') {
    try {
      return [{ kind: 'file', path: op.path, content: await readFile(op.path, 'utf8') }];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [{ kind: 'file', path: op.path, content: null }];
      throw e;
    }
  }
  return [];
}

/** A device name that stays one path segment: no '/', NUL or whitespace, not '.' or '..', at most 15 bytes. */
const PLAIN_DEVICE = /^(?!\.\.?$)[^/\0\s]{1,15}$/;
/** An option or sysctl name as sysfs and procfs spell them. */
const PLAIN_KEY = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The only files a write op may touch: an attribute in a device's own bonding/ or bridge/ sysfs
 * directory, or one of its IPv6 sysctls. Checked where the write is made, whatever built the op
 * (a compiled plan, a journal read back): a key such as "../../../../tmp/x" is refused here.
 */
export function confinedWritePath(path: string): string {
  const m =
    /^\/sys\/class\/net\/([^/]+)\/(?:bonding|bridge)\/([^/]+)$/.exec(path) ??
    /^\/proc\/sys\/net\/ipv6\/conf\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m || !PLAIN_DEVICE.test(m[1]!) || !PLAIN_KEY.test(m[2]!))
    throw new Error(
      `refusing to write ${JSON.stringify(path)}: not an option file of a device's own sysfs or IPv6 sysctl directory`,
    );
  return path;
}

async function runOne(op: KernelOp, dhcp: DhcpSupervisor): Promise<void> {
  switch (op.kind) {
    case 'write':
      confinedWritePath(op.path);
      // Synchronous: a sysctl or sysfs write takes microseconds; a thread-pool round trip each
      // would make hundreds of them cost more than the ip batches around them.
      writeFileSync(op.path, op.value);
      return;
    case 'file':
      await replaceFile(op.path, op.content);
      return;
    case 'ethtool':
      // argv, never a shell; the names are checked again where the argv is built.
      await run(featureSetArgv(op.dev, op.features));
      return;
    case 'ethtool-rings':
    case 'ethtool-coalesce':
      await run(paramsSetArgv(paramGroupOf(op), op.dev, op.values));
      return;
    case 'dhcp-start':
      await dhcp.start(op.client);
      return;
    case 'dhcp-stop':
      await dhcp.stop(op.dev, op.family);
      return;
    case 'ip':
    case 'tc':
      throw new Error(`${op.kind} operations run in batches`);
  }
}

/**
 * Runs ops of one kind. Without `force` it stops at the first failure and says which op failed
 * (everything before it took effect, nothing after it ran). With `force` it runs everything and
 * returns every failure (used for undo, where some steps may refer to things that never happened).
 */
export async function runOps(
  ops: readonly KernelOp[],
  io: KernelIo,
  opts: { force?: boolean } = {},
): Promise<OpFailure[]> {
  const failures: OpFailure[] = [];
  let i = 0;
  while (i < ops.length) {
    const first = ops[i]!;
    if (first.kind === 'ip') {
      let j = i;
      while (j < ops.length && ops[j]!.kind === 'ip' && (ops[j] as IpOp).family === first.family) j++;
      const lines = ops.slice(i, j).map((o) => (o as IpOp).args);
      const r = await io.ip.run(lines, { ...opts, ...(first.family ? { family: first.family } : {}) });
      if (opts.force) {
        for (const f of r.failures) failures.push({ index: i + f.index, message: f.message });
        if (!r.ok && r.failures.length === 0)
          failures.push({ index: -1, message: r.stderr.trim() || 'ip -batch failed' });
      } else if (!r.ok) {
        const f = r.failure!;
        const op = f.index >= 0 ? (ops[i + f.index] as IpOp) : undefined;
        if (op?.okIfExists && /File exists/.test(f.message)) {
          // Already there: carry on after it.
          i += f.index + 1;
          continue;
        }
        return [{ index: f.index < 0 ? -1 : i + f.index, message: f.message }];
      }
      i = j;
      continue;
    }
    if (first.kind === 'tc') {
      let j = i;
      while (j < ops.length && ops[j]!.kind === 'tc') j++;
      const r = await runTcBatch(ops.slice(i, j) as TcOp[], opts.force === true);
      for (const f of r) failures.push({ index: f.index < 0 ? -1 : i + f.index, message: f.message });
      if (r.length && !opts.force) return failures;
      i = j;
      continue;
    }
    try {
      await runOne(ops[i]!, io.dhcp);
    } catch (e) {
      const msg =
        (e as NodeJS.ErrnoException).code === 'ENOENT' && ops[i]!.kind === 'write'
          ? `${(ops[i] as { path: string }).path} does not exist`
          : (e as Error).message;
      failures.push({ index: i, message: msg });
      if (!opts.force) return failures;
    }
    i++;
  }
  return failures;
}

export function describeFailure(op: KernelOp, message: string): string {
  return `${describeOp(op)}: ${message}`;
}
