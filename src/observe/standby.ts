// The agent's steady observation without a process start on its path: each pass's `ip -batch`
// dump is written to a process started ahead, between passes (a standby), instead of one
// started by the pass. Spawning from node is most of what a small dump costs (the agent runs in
// lite mode, docs/benchmarks.md "Fixed cost of an observation").
//
// Why a standby, and not one `ip -batch` kept open across passes: iproute2 caches device names
// to indexes (ll_map) as it meets them, and a device deleted and re-created under the same name
// gets a new index that a process kept open would not see. A standby has been given no line: it
// has read nothing of the kernel yet, so it is exactly what a process started at the pass would
// be. Each process is given exactly one dump, then its stdin is closed and it exits.
// (test/integration/observe-netns.test.ts re-creates a device between two passes.)
import { decodeBytes, start, type PipedProcess } from '../util/exec.js';
import { dumpCommands } from './host.js';

/** How long after a pass the next pass's process is started (off the pass's own path). */
export const OBSERVE_STANDBY_DELAY_MS = 200;

/** A started `ip -json -details -statistics -batch -`, collecting its stdout until it exits. */
class DumpProcess {
  private readonly chunks: Buffer[] = [];
  private stderr = '';
  private code: number | undefined;
  readonly exited: Promise<number>;

  constructor(private readonly p: PipedProcess) {
    p.onStdout((c) => this.chunks.push(c));
    p.onStderr((t) => (this.stderr += t));
    this.exited = p.exited.then((c) => (this.code = c));
  }

  /** Running, and given nothing yet. */
  get fresh(): boolean {
    return this.code === undefined;
  }

  hold(on: boolean): void {
    if (on) this.p.ref?.();
    else this.p.unref?.();
  }

  /** Writes the input, closes stdin and returns all that ip printed (as `run` would: bytes decoded as names are). */
  async dump(input: string): Promise<string> {
    this.hold(true);
    this.p.write(input);
    this.p.end();
    const code = await this.exited;
    if (code !== 0 && this.chunks.length === 0) throw new Error(`ip -batch exited ${code}: ${this.stderr.trim()}`);
    return decodeBytes(Buffer.concat(this.chunks));
  }

  /** Ends a process that was never used (stdin closed: ip exits having run nothing). */
  discard(): void {
    this.p.end();
  }
}

/**
 * HostObserverOptions.ipDump for the agent: the first line of the dump (the links with their
 * addresses, ipDumpInput) and the rest (the routes) each go to a process of their own, run at
 * once on the two cores as the bare `ip link` and `ip addr` are; their outputs are joined in
 * the input's order. A pass takes the standby processes if they wait (else starts them, as
 * without), and the next pair is started OBSERVE_STANDBY_DELAY_MS after the pass. The standbys
 * hold no event loop open; they exit when the agent does (their stdin closes).
 */
export class StandbyIpDump {
  private standby: DumpProcess[] = [];
  private due: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly argv: readonly string[] = dumpCommands().ip,
    private readonly starter: (argv: readonly string[]) => PipedProcess = start,
    private readonly delayMs = OBSERVE_STANDBY_DELAY_MS,
  ) {}

  /** The dump of one pass (its input: ipDumpInput, one command a line). */
  readonly dump = async (input: string): Promise<string> => {
    clearTimeout(this.due);
    this.due = undefined;
    const lines = input.split('\n').filter((l) => l.trim() !== '');
    const groups = lines.length > 1 ? [lines.slice(0, 1), lines.slice(1)] : [lines];
    const waiting = this.standby;
    this.standby = [];
    try {
      const outs = await Promise.all(
        groups.map((g, i) => {
          const s = waiting[i];
          const p = s?.fresh ? s : new DumpProcess(this.starter(this.argv));
          return p.dump(g.join('\n') + '\n');
        }),
      );
      return outs.map((o) => o.trimEnd()).join('\n') + '\n';
    } finally {
      for (const s of waiting.slice(groups.length)) s.discard();
      this.schedule();
    }
  };

  /** Whether standby processes wait now (tests). */
  get waiting(): boolean {
    return this.standby.length > 0 && this.standby.every((s) => s.fresh);
  }

  private schedule(): void {
    if (this.closed || this.due) return;
    this.due = setTimeout(() => {
      this.due = undefined;
      if (this.closed || this.standby.length) return;
      try {
        for (let i = 0; i < 2; i++) {
          const p = new DumpProcess(this.starter(this.argv));
          p.hold(false);
          this.standby.push(p);
        }
      } catch {
        // (A fork that fails here is tried again by the next pass, on its own path.)
      }
    }, this.delayMs);
    this.due.unref();
  }

  /** Stops starting standbys and ends those waiting. */
  close(): void {
    this.closed = true;
    clearTimeout(this.due);
    for (const s of this.standby) s.discard();
    this.standby = [];
  }
}
