// Runs many `ip` commands in one process (`ip -batch -`). iproute2 stops at the first failing
// line and reports it as "Command failed -:N" after the kernel's message, which tells exactly
// which operations took effect.
import { existsSync } from 'node:fs';
import { run, type RunOptions, type RunResult } from '../util/exec.js';
import { BatchTokenError, batchLine } from './ops.js';

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

  /** `runner`: what starts the process (tests give a stand-in for ip). */
  constructor(
    private readonly setprivPath = SETPRIV,
    private readonly runner: (argv: readonly string[], opts: RunOptions) => Promise<RunResult> = run,
  ) {}

  /**
   * Runs the lines; `force` keeps going past failures (used when undoing after a crash, where
   * some undo lines may refer to things that never happened).
   */
  async run(
    lines: readonly (readonly string[])[],
    opts: { force?: boolean; family?: 6 } = {},
  ): Promise<BatchResult & { failures: BatchFailure[] }> {
    if (lines.length === 0) return { ok: true, stderr: '', failures: [] };
    // A line the writer refuses (ops.ts batchLine: a token iproute2 cannot read verbatim) fails
    // as a line the kernel refused would: without force the lines before it run and the batch
    // stops there; with force the others run. It is never written, not even in part.
    const rendered = lines.map((l): { text: string } | { refused: string } => {
      try {
        return { text: batchLine(l) };
      } catch (e) {
        if (e instanceof BatchTokenError) return { refused: e.message };
        throw e;
      }
    });
    const firstRefused = rendered.findIndex((r) => 'refused' in r);
    if (firstRefused < 0)
      return this.runText(
        rendered.map((r) => (r as { text: string }).text),
        opts,
      );
    if (!opts.force) {
      const before = rendered.slice(0, firstRefused).map((r) => (r as { text: string }).text);
      const r = before.length ? await this.runText(before, opts) : { ok: true, stderr: '', failures: [] };
      if (!r.ok) return r;
      const failure = { index: firstRefused, message: (rendered[firstRefused] as { refused: string }).refused };
      return { ok: false, failure, stderr: r.stderr, failures: [...r.failures, failure] };
    }
    // force: the writable lines in one batch, their failures mapped back to the lines given.
    const writable = rendered.flatMap((r, i) => ('text' in r ? [{ i, text: r.text }] : []));
    const r = writable.length
      ? await this.runText(
          writable.map((w) => w.text),
          opts,
        )
      : { ok: true, stderr: '', failures: [] as BatchFailure[] };
    const failures: BatchFailure[] = [
      ...r.failures.map((f) => ({ ...f, index: f.index < 0 ? -1 : (writable[f.index]?.i ?? -1) })),
      ...rendered.flatMap((x, i) => ('refused' in x ? [{ index: i, message: x.refused }] : [])),
    ].sort((a, b) => a.index - b.index);
    return { ok: false, failure: failures[0]!, stderr: r.stderr, failures };
  }

  private async runText(
    lines: readonly string[],
    opts: { force?: boolean; family?: 6 },
  ): Promise<BatchResult & { failures: BatchFailure[] }> {
    this.resolved ??= { setpriv: existsSync(this.setprivPath) ? this.setprivPath : undefined };
    const input = lines.join('\n') + '\n';
    const r = await this.runner(batchArgv(this.resolved.setpriv, opts), { input, allowFailure: true });
    const failures = parseBatchErrors(r.stderr);
    if (r.code === 0) return { ok: true, stderr: r.stderr, failures };
    const failure = failures[0] ?? { index: -1, message: r.stderr.trim() || `ip -batch exited ${r.code}` };
    return { ok: false, failure, stderr: r.stderr, failures };
  }
}
