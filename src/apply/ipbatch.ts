// Runs many `ip` commands in one process (`ip -batch -`). iproute2 stops at the first failing
// line and reports it as "Command failed -:N" after the kernel's message, which tells exactly
// which operations took effect. IpBatch starts one process per call; IpSession keeps one open
// over stdin for a whole transaction, fed group by group (each group only once its undo is
// journalled), and learns that a group is done from a sentinel line's output.
import { existsSync } from 'node:fs';
import { decodeBytes, run, start, type PipedProcess, type RunOptions, type RunResult } from '../util/exec.js';
import { BatchTokenError, batchLine } from './ops.js';
import { IP_DUMP_FLAGS } from '../observe/host.js';

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
export function batchArgv(
  setpriv: string | undefined,
  opts: { force?: boolean; family?: 6; json?: boolean } = {},
): string[] {
  const argv = [
    'ip',
    ...(opts.json ? IP_DUMP_FLAGS : []),
    ...(opts.family ? ['-6'] : []),
    ...(opts.force ? ['-force'] : []),
    '-batch',
    '-',
  ];
  return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...argv] : argv;
}

/** json: -json -details -statistics (a session that also reads the host: IpSession.query). */
type BatchOptions = { force?: boolean; family?: 6; json?: boolean };
type BatchOutcome = BatchResult & { failures: BatchFailure[] };

/** What runs lines of `ip -batch` (the executor's view of IpBatch and IpSession). */
export interface IpRunner {
  run(lines: readonly (readonly string[])[], opts?: BatchOptions): Promise<BatchOutcome>;
}

/**
 * Renders the lines and runs the writable ones through runText. A line the writer refuses
 * (ops.ts batchLine: a token iproute2 cannot read verbatim) fails as a line the kernel refused
 * would: without force the lines before it run and the batch stops there; with force the others
 * run. It is never written, not even in part.
 */
async function runLines(
  lines: readonly (readonly string[])[],
  opts: BatchOptions,
  runText: (texts: readonly string[], opts: BatchOptions) => Promise<BatchOutcome>,
): Promise<BatchOutcome> {
  if (lines.length === 0) return { ok: true, stderr: '', failures: [] };
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
    return runText(
      rendered.map((r) => (r as { text: string }).text),
      opts,
    );
  if (!opts.force) {
    const before = rendered.slice(0, firstRefused).map((r) => (r as { text: string }).text);
    const r = before.length ? await runText(before, opts) : { ok: true, stderr: '', failures: [] };
    if (!r.ok) return r;
    const failure = { index: firstRefused, message: (rendered[firstRefused] as { refused: string }).refused };
    return { ok: false, failure, stderr: r.stderr, failures: [...r.failures, failure] };
  }
  // force: the writable lines in one batch, their failures mapped back to the lines given.
  const writable = rendered.flatMap((r, i) => ('text' in r ? [{ i, text: r.text }] : []));
  const r = writable.length
    ? await runText(
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

/**
 * Runs `ip -batch`, one process per call. Whether setpriv is installed is looked up once, at the
 * first batch — not at import, so importing this module for its parser (the CLI's plan, unit
 * tests) touches no file.
 */
export class IpBatch implements IpRunner {
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
  async run(lines: readonly (readonly string[])[], opts: BatchOptions = {}): Promise<BatchOutcome> {
    return runLines(lines, opts, (texts, o) => this.runText(texts, o));
  }

  /** The argv of a batch, setpriv looked up once. */
  argv(opts: BatchOptions): string[] {
    this.resolved ??= { setpriv: existsSync(this.setprivPath) ? this.setprivPath : undefined };
    return batchArgv(this.resolved.setpriv, opts);
  }

  private async runText(lines: readonly string[], opts: BatchOptions): Promise<BatchOutcome> {
    const input = lines.join('\n') + '\n';
    const r = await this.runner(this.argv(opts), { input, allowFailure: true });
    const failures = parseBatchErrors(r.stderr);
    if (r.code === 0) return { ok: true, stderr: r.stderr, failures };
    const failure = failures[0] ?? { index: -1, message: r.stderr.trim() || `ip -batch exited ${r.code}` };
    return { ok: false, failure, stderr: r.stderr, failures };
  }
}

/**
 * The line a group of an IpSession ends with, and how its output is told apart: the loopback
 * device, which every network namespace has. The executor's lines print nothing on success, and
 * iproute2 flushes a command's output as it ends (print_linkinfo → fflush), so the sentinel's
 * line on stdout says that every line before it ran, and succeeded. In -json mode (a session
 * that also reads the host) `addr show` may begin the same way but always carries addr_info.
 */
export const SESSION_SENTINEL = 'link show dev lo';
const SENTINEL_TEXT = /^\d+: lo: /;
const SENTINEL_JSON = '[{"ifindex":1,"ifname":"lo",';

function isSentinel(line: string, json: boolean): boolean {
  return json ? line.startsWith(SENTINEL_JSON) && !line.includes('"addr_info"') : SENTINEL_TEXT.test(line);
}

/** One `ip -batch -` process of an IpSession. */
class SessionProcess {
  /** Sentinels written, and seen on stdout. */
  private sent = 0;
  private acked = 0;
  /** Lines written so far (sentinels included): "Command failed -:N" counts them all. */
  private lines = 0;
  /** Chunks of a line not yet ended (joined once its newline comes: a dump's line is megabytes at 1000 links). */
  private partial: Buffer[] = [];
  /** Output lines (decoded as device names are: util/exec.ts decodeBytes) since the last sentinel. */
  private output: string[] = [];
  /** Per sentinel seen, the output lines before it. */
  private readonly answers: string[][] = [];
  private stderr = '';
  private readonly waiters: (() => void)[] = [];
  private code: number | undefined;
  readonly exited: Promise<number>;

  constructor(
    private readonly p: PipedProcess,
    private readonly json: boolean,
  ) {
    p.onStdout((chunk) => {
      if (chunk.indexOf(0x0a) < 0) {
        this.partial.push(chunk);
        return;
      }
      let buf = this.partial.length ? Buffer.concat([...this.partial, chunk]) : chunk;
      for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
        const line = decodeBytes(buf.subarray(0, nl));
        buf = buf.subarray(nl + 1);
        if (!isSentinel(line, this.json)) {
          if (line.trim()) this.output.push(line);
          continue;
        }
        this.answers.push(this.output);
        this.output = [];
        this.acked++;
      }
      this.partial = buf.length ? [Buffer.from(buf)] : [];
      this.wake();
    });
    p.onStderr((t) => (this.stderr += t));
    this.exited = p.exited.then((c) => {
      this.code = c;
      this.wake();
      return c;
    });
  }

  get alive(): boolean {
    return this.code === undefined;
  }

  /** Running, and given no line yet: as a process just started (a standby session's, IpSession.fresh). */
  get fresh(): boolean {
    return this.alive && this.lines === 0;
  }

  /** Whether the process (and its pipes) keeps this one's event loop alive: not while it waits as a standby. */
  hold(on: boolean): void {
    if (on) this.p.ref?.();
    else this.p.unref?.();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Runs the lines; resolves when the sentinel after them printed (with what they printed), or
   * ip ended (a failure).
   */
  async send(texts: readonly string[]): Promise<BatchOutcome & { output?: string[] }> {
    const base = this.lines;
    this.p.write(texts.join('\n') + '\n' + SESSION_SENTINEL + '\n');
    this.lines += texts.length + 1;
    const want = ++this.sent;
    while (this.acked < want && this.alive) await new Promise<void>((r) => this.waiters.push(r));
    if (this.acked >= want) {
      const output = this.answers[want - 1] ?? [];
      this.answers[want - 1] = [];
      return { ok: true, stderr: '', failures: [], output };
    }
    // ip ended before the sentinel: without -force it stops at the first failing line. A line
    // outside this group (none named, or the sentinel itself) leaves any of the group possibly run.
    const named = parseBatchErrors(this.stderr).find((f) => f.index >= base && f.index < base + texts.length);
    const failure = named
      ? { index: named.index - base, message: named.message }
      : { index: -1, message: this.stderr.trim() || `ip -batch exited ${this.code}` };
    return { ok: false, failure, stderr: this.stderr, failures: [failure] };
  }

  async close(): Promise<void> {
    this.p.end();
    this.hold(true);
    await this.exited;
  }
}

/**
 * `ip -batch -` kept open for a transaction (one process per family, started on first use or
 * ahead by warm()), instead of one process per group of lines. Invariants the executor relies on:
 *   - a line is written only when run() is given it: the executor gives a group once its undo
 *     is in the journal (write-ahead), so nothing reaches ip ahead of its journal entry;
 *   - run() resolves ok only when every line of the group ran and succeeded (the sentinel after
 *     them printed), and otherwise names the failing line of the group as IpBatch does (or -1:
 *     any line may have run); a failed process is gone and the next run() starts another;
 *   - no -force: an undo runs in a process of its own (IpBatch), after close().
 * The process dies with the agent as IpBatch's do (setpriv --pdeathsig, in the argv given).
 */
export class IpSession implements IpRunner {
  private readonly procs = new Map<4 | 6, SessionProcess>();
  /** Exits of processes whose stdin close() closed: a later close() waits for them too. */
  private closing: Promise<unknown>[] = [];

  /**
   * `argv`: the batch's command for a family (IpBatch.argv); `json`: both processes run with
   * -json -details -statistics (IP_DUMP_FLAGS), so that query() can read the host through
   * them as the transaction's host read does (the IPv6 rules through the -6 one: a batch line
   * takes no -6, and `ip rule` dumps the process's family only). The flags change nothing of
   * the lines that configure: they print nothing on success, and errors go to stderr as text.
   */
  constructor(
    private readonly argv: (opts: BatchOptions) => string[],
    private readonly starter: (argv: readonly string[]) => PipedProcess = start,
    private readonly json = false,
  ) {}

  private proc(family?: 6): SessionProcess {
    const key = family ?? 4;
    let p = this.procs.get(key);
    if (!p?.alive) {
      const json = this.json;
      p = new SessionProcess(
        this.starter(this.argv({ ...(family ? { family } : {}), ...(json ? { json } : {}) })),
        json,
      );
      this.procs.set(key, p);
    }
    return p;
  }

  /**
   * Runs read-only lines (`addr show` …) and returns what they printed, one line each in -json
   * mode; throws when ip fails one. Only for a session made with json.
   */
  async query(texts: readonly string[], family?: 6): Promise<string[]> {
    if (!this.json) throw new Error('IpSession.query needs a -json session');
    const r = await this.proc(family).send(texts);
    if (!r.ok) throw new Error(`ip -batch: ${r.failure?.message ?? r.stderr.trim()}`);
    return r.output ?? [];
  }

  /** Starts the process ahead (its start overlaps the journal write); writes nothing to it. */
  warm(family?: 6): void {
    this.proc(family);
  }

  async run(lines: readonly (readonly string[])[], opts: BatchOptions = {}): Promise<BatchOutcome> {
    if (opts.force) throw new Error('IpSession runs no -force batch (an undo runs in a process of its own)');
    return runLines(lines, opts, (texts, o) => this.proc(o.family).send(texts));
  }

  /**
   * Whether every process started is running and has been given no line: such a session is as
   * good as one started now (no line has filled ip's device name cache or changed its state),
   * which is what lets a standby session wait between transactions (Transactions).
   */
  get fresh(): boolean {
    return this.procs.size > 0 && [...this.procs.values()].every((p) => p.fresh);
  }

  /** Whether the processes keep the event loop alive (a standby's do not: nothing waits for them). */
  hold(on: boolean): void {
    for (const p of this.procs.values()) p.hold(on);
  }

  /**
   * Closes every process's stdin without waiting (ip exits once it has run the lines it was
   * given; a later run() would start another): the caller's close() waits for the exits.
   */
  end(): void {
    for (const p of this.procs.values()) this.closing.push(p.close());
    this.procs.clear();
  }

  /** Ends every process (end()) and waits for their exits, those of an earlier end() included. */
  async close(): Promise<void> {
    this.end();
    const all = this.closing;
    this.closing = [];
    await Promise.all(all);
  }
}
