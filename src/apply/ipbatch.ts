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
const hasSetpriv = existsSync(SETPRIV);

/**
 * The batch dies with the agent. A kill -9 of the agent used to leave its `ip -batch` running,
 * still changing devices while the restarted agent rolled the interrupted apply back: the undo
 * found a bridge absent that the orphan created right after (kill trials lost 250–500 ms into an
 * apply; `pgrep ip` after the kill showed the survivor). Where setpriv (util-linux) is missing
 * the command runs as before.
 */
function dieWithParent(argv: string[]): string[] {
  return hasSetpriv ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : argv;
}

/**
 * Runs the lines; `force` keeps going past failures (used when undoing after a crash, where some
 * undo lines may refer to things that never happened).
 */
export async function runBatch(lines: readonly (readonly string[])[], opts: { force?: boolean; family?: 6 } = {}): Promise<BatchResult & { failures: BatchFailure[] }> {
  if (lines.length === 0) return { ok: true, stderr: '', failures: [] };
  const input = lines.map(batchLine).join('\n') + '\n';
  const r = await run(dieWithParent(['ip', ...(opts.family ? ['-6'] : []), ...(opts.force ? ['-force'] : []), '-batch', '-']), { input, allowFailure: true });
  const failures = parseBatchErrors(r.stderr);
  if (r.code === 0) return { ok: true, stderr: r.stderr, failures };
  const failure = failures[0] ?? { index: -1, message: r.stderr.trim() || `ip -batch exited ${r.code}` };
  return { ok: false, failure, stderr: r.stderr, failures };
}
