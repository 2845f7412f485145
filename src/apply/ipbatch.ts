// Runs many `ip` commands in one process (`ip -batch -`). iproute2 stops at the first failing
// line and reports it as "Command failed -:N" after the kernel's message, which tells exactly
// which operations took effect.
import { existsSync } from 'node:fs';
import { run } from '../util/exec.js';
import { batchLine } from './ops.js';

export interface BatchFailure {
  /** 0-based index of the failing line; -1 when ip died without saying (any line may have run). */
  index: number;
  /** The kernel's (or iproute2's) message for that line. */
  message: string;
}

export interface BatchResult {
  ok: boolean;
  failure?: BatchFailure;
  stderr: string;
}

/**
 * Parses `ip -batch` stderr. Each failure is reported as one or more message lines followed by
 * "Command failed -:N" (1-based). Returns the first failure, or undefined.
 */
export function parseBatchErrors(stderr: string): BatchFailure[] {
  const lines = stderr.split('\n');
  const failures: BatchFailure[] = [];
  let pending: string[] = [];
  for (const line of lines) {
    const m = /^Command failed (?:-|[^:]*):(\d+)\s*$/.exec(line);
    if (m) {
      failures.push({ index: Number(m[1]) - 1, message: pending.join(' ').trim() || 'failed' });
      pending = [];
    } else if (line.trim()) {
      pending.push(line.trim().replace(/^Error: /, ''));
    }
  }
  return failures;
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * The batch dies with the agent (SIGKILL on parent death): an `ip -batch` outliving a killed
 * agent would go on changing devices while the restarted agent rolls the interrupted apply back,
 * racing the undo. Without setpriv (util-linux) the command runs bare, without that guarantee.
 */
export function batchArgv(setpriv: string | undefined, opts: { force?: boolean; family?: 6 } = {}): string[] {
  const argv = ['ip', ...(opts.family ? ['-6'] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...argv] : argv;
}

/**
 * Runs `ip -batch`. Whether setpriv is installed is looked up once, at the first batch — not at
 * import, so importing this module for its parser (the CLI's plan, unit tests) touches no file.
 */
export class IpBatch {
  private resolved: { setpriv: string | undefined } | undefined;

  constructor(private readonly setprivPath = SETPRIV) {}

  /**
   * Runs the lines; `force` keeps going past failures (used when undoing after a crash, where
   * some undo lines may refer to things that never happened).
   */
  async run(lines: readonly (readonly string[])[], opts: { force?: boolean; family?: 6 } = {}): Promise<BatchResult & { failures: BatchFailure[] }> {
    if (lines.length === 0) return { ok: true, stderr: '', failures: [] };
    this.resolved ??= { setpriv: existsSync(this.setprivPath) ? this.setprivPath : undefined };
    const input = lines.map(batchLine).join('\n') + '\n';
    const r = await run(batchArgv(this.resolved.setpriv, opts), { input, allowFailure: true });
    const failures = parseBatchErrors(r.stderr);
    if (r.code === 0) return { ok: true, stderr: r.stderr, failures };
    const failure = failures[0] ?? { index: -1, message: r.stderr.trim() || `ip -batch exited ${r.code}` };
    return { ok: false, failure, stderr: r.stderr, failures };
  }
}
