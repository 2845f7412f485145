// A node:test reporter that prints where a run's time went, one line per test file, slowest
// first: CI (.ci/run) adds it beside the spec reporter so a slow file shows up in every log.
// Files run one after another (--test-concurrency=1), so a file's time is the wall time from the
// previous file's last event to its own last one: hooks, setup and the file's process included.
import type { TestEvent } from 'node:test/reporters';
import { relative } from 'node:path';

interface FileTime {
  file: string;
  ms: number;
  tests: number;
  failed: number;
}

/** Wall time per file from the arrival time of each event, in the order the files ran. */
export function fileTimes(
  events: { file: string; at: number; failed: boolean; test: boolean }[],
  start: number,
): FileTime[] {
  const byFile = new Map<string, FileTime & { last: number }>();
  let previous = start;
  for (const e of events) {
    let f = byFile.get(e.file);
    if (!f) {
      f = { file: e.file, ms: 0, tests: 0, failed: 0, last: previous };
      byFile.set(e.file, f);
    }
    f.ms += e.at - f.last;
    f.last = e.at;
    previous = e.at;
    if (e.test) f.tests++;
    if (e.failed) f.failed++;
  }
  return [...byFile.values()].map(({ file, ms, tests, failed }) => ({ file, ms, tests, failed }));
}

export function fileTimesTable(rows: FileTime[]): string {
  const total = rows.reduce((n, r) => n + r.ms, 0);
  const sorted = [...rows].sort((a, b) => b.ms - a.ms);
  const w = Math.max(4, ...sorted.map((r) => r.file.length));
  const line = (r: FileTime) =>
    `${r.file.padEnd(w)}  ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${String(r.tests).padStart(4)} tests` +
    (r.failed ? `  ${r.failed} failed` : '');
  return [`time per test file (${(total / 1000).toFixed(0)} s in all, slowest first):`, ...sorted.map(line), ''].join(
    '\n',
  );
}

export default async function* fileTimesReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const start = Date.now();
  const events: { file: string; at: number; failed: boolean; test: boolean }[] = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const file = event.data.file;
    if (!file) continue;
    // Suites are not counted as tests; every event moves the file's clock.
    const test = event.data.details.type !== 'suite';
    events.push({
      file: relative(process.cwd(), file),
      at: Date.now(),
      failed: event.type === 'test:fail' && test,
      test,
    });
  }
  yield fileTimesTable(fileTimes(events, start));
}
