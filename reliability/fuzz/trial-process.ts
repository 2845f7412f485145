// The parent's side of the trial process: started inside the namespace on the first request,
// started again on the next one after it died or was killed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CHILD_FLAG, parseMessage, requestLine, type Request, type TrialResult } from './protocol.js';

/** The experiment's entry point, which the trial process runs with CHILD_FLAG. */
const SELF = fileURLToPath(new URL('./index.js', import.meta.url));
/** A trial that takes longer has hung (a static apply takes ~100 ms). */
const TRIAL_TIMEOUT_MS = 60_000;

export class TrialProcess {
  private proc: ChildProcessWithoutNullStreams | undefined;
  /** The one request in flight (or the start, until the process is ready). */
  private pending: { resolve: (r: TrialResult) => void; reject: (e: Error) => void } | undefined;
  private ready: Promise<void> | undefined;
  private stderr = '';
  restarts = -1;

  constructor(private readonly ns: string, private readonly workDir: string) {}

  /** The last lines of the process's stderr, for the error that reports its end. */
  private stderrTail(): string {
    return this.stderr.trim().split('\n').slice(-8).join(' | ');
  }

  private start(): Promise<void> {
    this.restarts++;
    this.stderr = '';
    const proc = spawn('ip', ['netns', 'exec', this.ns, process.execPath, SELF, CHILD_FLAG, this.workDir, this.ns], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    let onReady: (() => void) | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      this.pending = { resolve: () => resolve(), reject };
    });
    proc.stderr.on('data', (b: Buffer) => void (this.stderr = (this.stderr + b.toString()).slice(-4000)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const msg = parseMessage(line);
      if (!msg) return;
      if ('ready' in msg) return void onReady?.();
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(msg);
    });
    proc.on('close', (code, signal) => {
      if (this.proc === proc) this.proc = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new Error(`the process running the trials exited (${signal ?? code}): ${this.stderrTail()}`));
    });
    proc.stdin.on('error', () => undefined);
    return ready;
  }

  async send(req: Request, timeoutMs = TRIAL_TIMEOUT_MS): Promise<TrialResult> {
    if (!this.proc) this.ready = this.start();
    await this.ready;
    const proc = this.proc;
    if (!proc) throw new Error(`the process running the trials exited: ${this.stderrTail()}`);
    return new Promise<TrialResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      proc.stdin.write(requestLine(req));
    });
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    proc.stdin.end();
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await closed;
    clearTimeout(t);
  }

  kill(): void {
    this.proc?.kill('SIGKILL');
  }

  /** Gone, whether it ends by itself or has to be killed. */
  shutdown(): Promise<void> {
    return this.stop().catch(() => this.kill());
  }
}
