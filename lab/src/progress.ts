// Long lab steps report what they do, how long they have run and roughly how long is left,
// using the duration this machine measured last time (kept in the cache), else a default.
import { join } from 'node:path';
import { readJsonIfExists, writeFileAtomic } from '../../src/util/fs.js';

export type Log = (line: string) => void;

export const stderrLog: Log = (line) => process.stderr.write(`[lab] ${line}\n`);

export class StepError extends Error {
  constructor(
    readonly step: string,
    readonly logPath: string | undefined,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`lab step "${step}" failed: ${why}${logPath ? `\n  its log: ${logPath}` : ''}`);
    this.name = 'StepError';
  }
}

function fmt(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export class Progress {
  private timings: Record<string, number> | undefined;

  constructor(
    private readonly cacheDir: string,
    private readonly log: Log = stderrLog,
    private readonly tickMs = 15_000,
  ) {}

  private get file(): string {
    return join(this.cacheDir, 'timings.json');
  }

  note(line: string): void {
    this.log(line);
  }

  async step<T>(
    key: string,
    title: string,
    defaultEstimateMs: number,
    fn: () => Promise<T>,
    logPath?: string,
  ): Promise<T> {
    this.timings ??= (await readJsonIfExists<Record<string, number>>(this.file)) ?? {};
    const estimate = this.timings[key] ?? defaultEstimateMs;
    const measured = key in this.timings;
    const start = Date.now();
    if (estimate >= 10_000) {
      this.log(
        `${title}: starting, usually takes ~${fmt(estimate)} here` +
          `${measured ? '' : ' (first run: a rough guess)'}${logPath ? `; log: ${logPath}` : ''}`,
      );
    } else {
      this.log(`${title} ...`);
    }
    const timer = setInterval(() => {
      const elapsed = Date.now() - start;
      const left = estimate - elapsed;
      this.log(
        `${title}: ${fmt(elapsed)} elapsed, ${left > 0 ? `about ${fmt(left)} left` : 'taking longer than last time'}`,
      );
    }, this.tickMs);
    timer.unref();
    try {
      const result = await fn();
      const took = Date.now() - start;
      this.log(`${title}: done in ${fmt(took)}`);
      this.timings[key] = took;
      await writeFileAtomic(this.file, JSON.stringify(this.timings, null, 2) + '\n').catch(() => undefined);
      return result;
    } catch (e) {
      if (e instanceof StepError) throw e;
      throw new StepError(title, logPath, e);
    } finally {
      clearInterval(timer);
    }
  }
}
