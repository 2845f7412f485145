// The one place that starts host processes. Everything that touches the kernel goes through
// here so errors carry the command and the kernel's own message.
import { isUtf8 } from 'node:buffer';
import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    const msg = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    super(`${argv.join(' ')} exited ${result.code}${msg ? `: ${msg}` : ''}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Do not throw on a non-zero exit; return the result instead. */
  allowFailure?: boolean;
  timeoutMs?: number;
  /**
   * How output bytes become text. 'utf8' (the default): invalid UTF-8 becomes U+FFFD. 'bytes':
   * each byte of invalid UTF-8 becomes the lone surrogate U+DC00 + byte (Python's
   * "surrogateescape"), so text that holds arbitrary bytes (device names in `ip` output and
   * sysfs listings: the kernel takes any byte but NUL, '/', ':' and whitespace) keeps two
   * different names different. Valid UTF-8 reads the same either way.
   */
  decode?: 'utf8' | 'bytes';
}

/**
 * The length of the valid UTF-8 sequence at b[i], or 0 when none starts there (RFC 3629: no overlongs, surrogates or
 * code points above U+10FFFF).
 */
function utf8SequenceAt(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Bytes as text, each byte of invalid UTF-8 as U+DC00 + byte (RunOptions.decode 'bytes'). */
export function decodeBytes(buf: Buffer): string {
  if (isUtf8(buf)) return buf.toString('utf8');
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const n = utf8SequenceAt(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (i > start) parts.push(buf.toString('utf8', start, i));
    parts.push(String.fromCharCode(0xdc00 + buf[i]!));
    start = ++i;
  }
  if (start < buf.length) parts.push(buf.toString('utf8', start));
  return parts.join('');
}

/** Runs argv[0] with the rest as arguments (no shell) and collects its output. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env, // undefined: the parent's environment, as spawn does
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
    } satisfies SpawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const text = (chunks: Buffer[]) =>
        opts.decode === 'bytes' ? decodeBytes(Buffer.concat(chunks)) : Buffer.concat(chunks).toString('utf8');
      const result: RunResult = {
        stdout: text(out),
        stderr: text(err),
        code: code ?? (signal ? 128 : 1),
      };
      if (result.code !== 0 && !opts.allowFailure) reject(new CommandError(argv, result));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** A process kept running to be fed over stdin (an `ip -batch -` session); see start(). */
export interface PipedProcess {
  /** Writes to its stdin (a process that died has its writes dropped: `exited` says so). */
  write(text: string): void;
  /** Closes its stdin. */
  end(): void;
  /** Called with each chunk of its stdout (bytes: the caller decodes whole lines) and stderr (text). */
  onStdout(f: (chunk: Buffer) => void): void;
  onStderr(f: (text: string) => void): void;
  /** Its exit code (128 when killed by a signal, 127 when it could not start). */
  exited: Promise<number>;
  /** Whether it (and its pipes) keep this process's event loop alive (the default), or not. */
  ref?(): void;
  unref?(): void;
}

/** Starts argv with piped stdio and leaves it running; the caller ends it (end(), or its own exit). */
export function start(argv: readonly string[]): PipedProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('start: empty argv');
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] } satisfies SpawnOptions);
  child.stdin.on('error', () => undefined);
  // Decoded by the stream: a character split across two chunks stays whole.
  child.stderr.setEncoding('utf8');
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  return {
    write: (text) => void (child.stdin.writable && child.stdin.write(text)),
    end: () => child.stdin.end(),
    onStdout: (f) => child.stdout.on('data', f),
    onStderr: (f) => child.stderr.on('data', f),
    exited,
    ref: () => {
      child.ref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as { ref?: () => void }).ref?.();
    },
    unref: () => {
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void }).unref?.();
    },
  };
}

/** Wraps argv so it runs inside network namespace ns. */
export function inNetns(ns: string | undefined, argv: readonly string[]): string[] {
  return ns ? ['ip', 'netns', 'exec', ns, ...argv] : [...argv];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}
