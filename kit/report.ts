// Results of the benchmark and reliability suites: one row per measurement, printed as a
// table and appended to a JSON file that docs/benchmarks.md and the plots are made from.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, release } from 'node:os';
import { dirname } from 'node:path';

/** A benchmark measurement: ours against a baseline measured in the same run. */
export interface BenchRow {
  bench: string;
  /** What was measured, e.g. "500 bridged networks (netns)". */
  case: string;
  /** The size axis for scaling plots (interfaces, networks), when there is one. */
  size?: number;
  value: number;
  unit: string;
  baselineName?: string;
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
  /** e.g. "<= 1.5x" or "< 80 MB". */
  target?: string;
  met?: boolean;
  note?: string;
}

/** A reliability experiment: how many trials, how many ended well. */
export interface ReliabilityRow {
  experiment: string;
  case: string;
  tried: number;
  survived: number;
  lost: number;
  note?: string;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => pad(c, widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The same table as Markdown, for docs/benchmarks.md. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (c: string) => c.replace(/\|/g, '\\|');
  return (
    [
      `| ${header.join(' | ')} |`,
      `| ${header.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    ].join('\n') + '\n'
  );
}

export function fmtNumber(v: number | undefined, unit = ''): string {
  if (v === undefined || Number.isNaN(v)) return '';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function benchTable(
  rows: readonly BenchRow[],
  format: (h: readonly string[], r: readonly (readonly string[])[]) => string = formatTable,
): string {
  return format(
    ['bench', 'case', 'ours', 'baseline', 'ratio', 'target'],
    rows.map((r) => [
      r.bench,
      r.case,
      fmtNumber(r.value, r.unit),
      r.baseline === undefined ? '' : `${fmtNumber(r.baseline, r.unit)} (${r.baselineName ?? 'baseline'})`,
      r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
      r.target ? `${r.target} ${r.met === undefined ? '' : r.met ? 'met' : 'NOT met'}`.trim() : '',
    ]),
  );
}

export function reliabilityTable(
  rows: readonly ReliabilityRow[],
  format: (h: readonly string[], r: readonly (readonly string[])[]) => string = formatTable,
): string {
  return format(
    ['experiment', 'case', 'tried', 'survived', 'lost', 'note'],
    rows.map((r) => [r.experiment, r.case, String(r.tried), String(r.survived), String(r.lost), r.note ?? '']),
  );
}

export interface ResultsFile {
  command: string;
  /** The commit measured ("-dirty": with uncommitted changes), when the producer records it. */
  commit?: string;
  /** Another build timed in the same run (bench/apply.ts --before): where, and its commit. */
  otherBuild?: { path: string; commit: string };
  /** The machine's 1-minute load average at the start and the end, when the producer records it. */
  load?: { start: number; end?: number };
  startedAt: string;
  finishedAt?: string;
  host: { kernel: string; cpus: number; node: string };
  bench: BenchRow[];
  reliability: ReliabilityRow[];
  /** Growth verdicts of the scaling series (bench/index.ts). */
  scaling?: string[];
}

/** An empty results file for a suite run with these arguments, on this host. */
export function newResults(suite: 'bench' | 'reliability', args: readonly string[]): ResultsFile {
  return {
    command: `npm run ${suite} -- ${args.join(' ')}`.trim(),
    startedAt: new Date().toISOString(),
    host: { kernel: release(), cpus: cpus().length, node: process.version },
    bench: [],
    reliability: [],
  };
}

export async function writeResults(path: string, results: ResultsFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(results, null, 2) + '\n');
}

export async function readResults(path: string): Promise<ResultsFile> {
  return JSON.parse(await readFile(path, 'utf8')) as ResultsFile;
}
