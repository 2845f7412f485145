// Results of the benchmark and reliability suites: one row per measurement, printed as a
// table and appended to a JSON file that docs/benchmarks.md and the plots are made from.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, release } from 'node:os';
import { dirname } from 'node:path';
import { run } from '../src/util/exec.js';

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
  /**
   * For a fault experiment's row: where its faults landed relative to the transaction's kernel
   * work. Only 'during' rows stand for a mid-transaction claim; 'unknown' rows are faults whose
   * landing the evidence does not tell (their verdicts still count).
   */
  landed?: Landed;
}

/** Where a fault (kill, power cut) landed relative to the transaction's kernel work. */
export type Landed = 'before' | 'during' | 'after' | 'unknown';

/** One check of a trial's outcome (e.g. "persisted = expected"), with what was seen when it failed. */
export interface TrialCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/**
 * A fault trial's raw record, as the results JSON keeps it: enough to judge it again and to draw
 * it again (seed + delay). Rows are computed from these (trialRows), never counted by hand.
 */
export interface TrialRecord {
  experiment: string;
  /** 1-based, in the order run. */
  trial: number;
  /** The run's seed (--seed): the experiment's stream of it drew the delay (kit/random.ts). */
  seed: number;
  /** The drawn delay of the fault, and what it was counted from. */
  delayMs: number;
  delayFrom: string;
  landed: Landed;
  /** The finer landing class (a row each), e.g. "after the commit, before the status". */
  where: string;
  /** What the landing was read from (journal, logs, the boot restore's own words). */
  evidence: string;
  checks: TrialCheck[];
  /** Figures of the trial's timing (e.g. the drawn cut point and where it was made), in ms. */
  measured?: Record<string, number>;
  /** The trial could not be carried out (no fault injected): excluded, counted in its own row. */
  harnessError?: string;
}

/** A trial survived when it was carried out and every check of it held. */
export function trialSurvived(t: TrialRecord): boolean {
  return t.harnessError === undefined && t.checks.length > 0 && t.checks.every((c) => c.ok);
}

/** A trial as the results JSON keeps it: the raw record and the verdict computed from its checks. */
export type RecordedTrial = TrialRecord & { survived: boolean };

export function recordedTrial(t: TrialRecord): RecordedTrial {
  return { ...t, survived: trialSurvived(t) };
}

/** Counts of trials. */
export interface Tally {
  tried: number;
  survived: number;
  lost: number;
}

/** A fault experiment's trials by where they landed; only `byLanded.during` backs a mid-transaction claim. */
export interface FaultSummary {
  experiment: string;
  byLanded: Record<Landed, Tally>;
  /** Trials whose fault was never injected (harness failures): neither survived nor lost. */
  notExercised: number;
}

/** Per experiment, in order of appearance, from the raw records (pure). */
export function faultSummaries(trials: readonly TrialRecord[]): FaultSummary[] {
  const names = [...new Set(trials.map((t) => t.experiment))];
  return names.map((experiment) => {
    const of = trials.filter((t) => t.experiment === experiment);
    const run = of.filter((t) => t.harnessError === undefined);
    const tally = (landed: Landed): Tally => {
      const at = run.filter((t) => t.landed === landed);
      const survived = at.filter(trialSurvived).length;
      return { tried: at.length, survived, lost: at.length - survived };
    };
    return {
      experiment,
      byLanded: { before: tally('before'), during: tally('during'), after: tally('after'), unknown: tally('unknown') },
      notExercised: of.length - run.length,
    };
  });
}

/** The one line a summary stands for: survivals of the faults that landed during the transaction. */
export function faultHeadline(f: FaultSummary): string {
  const d = f.byLanded.during;
  const n = (Object.keys(f.byLanded) as Landed[]).map((k) => `${k} ${f.byLanded[k].tried}`).join(', ');
  return (
    `${f.experiment}: ${d.survived} of ${d.tried} faults that landed during the transaction survived, ${d.lost} lost ` +
    `(landed ${n}; not exercised ${f.notExercised})`
  );
}

/** Failed checks of a trial, briefly, for a row's note. */
function failedChecks(t: TrialRecord): string {
  const bad = t.checks.filter((c) => !c.ok).map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`);
  return `trial ${t.trial} (${t.delayMs} ms): ${bad.join('; ') || 'no checks ran'}`;
}

/**
 * One row per landing class, in `order` (classes not listed follow in order of appearance),
 * from the raw trial records; trials that could not be carried out go into a row of their own
 * with nothing survived and nothing lost: not exercised. Pure.
 */
export function trialRows(
  experiment: string,
  caseText: string,
  trials: readonly TrialRecord[],
  order: readonly string[] = [],
): ReliabilityRow[] {
  const run = trials.filter((t) => t.harnessError === undefined);
  const seen = [...new Set(run.map((t) => t.where))];
  const classes = [...order.filter((c) => seen.includes(c)), ...seen.filter((c) => !order.includes(c))];
  const rows: ReliabilityRow[] = classes.map((where) => {
    const of = run.filter((t) => t.where === where);
    const lost = of.filter((t) => !trialSurvived(t));
    const delays = of.map((t) => t.delayMs).sort((a, b) => a - b);
    return {
      experiment,
      case: `${caseText}; landed ${where}`,
      tried: of.length,
      survived: of.length - lost.length,
      lost: lost.length,
      landed: of[0]!.landed,
      note: lost.length ? lost.slice(0, 3).map(failedChecks).join('; ') : `delays ${delays.join(', ')} ms`,
    };
  });
  const harness = trials.filter((t) => t.harnessError !== undefined);
  if (harness.length)
    rows.push({
      experiment,
      case: `${caseText}; not exercised (the harness failed before the fault)`,
      tried: harness.length,
      survived: 0,
      lost: 0,
      landed: 'unknown',
      note: harness
        .slice(0, 3)
        .map((t) => `trial ${t.trial}: ${t.harnessError}`)
        .join('; '),
    });
  return rows;
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

/**
 * A document with a generated section (from `begin` to `end`, markers included) replaced, or
 * inserted before `beforeHeading` (appended when there is none): docs/benchmarks.md's tables
 * made from raw results are rewritten so, nothing around them touched (pure).
 */
export function withGeneratedSection(
  doc: string,
  s: string,
  m: { begin: string; end: string; beforeHeading: string },
): string {
  const b = doc.indexOf(m.begin);
  const e = doc.indexOf(m.end);
  if (b >= 0 && e > b) return doc.slice(0, b) + s + doc.slice(e + m.end.length);
  const at = doc.indexOf(m.beforeHeading);
  if (at < 0) return `${doc.trimEnd()}\n\n${s}\n`;
  return `${doc.slice(0, at)}${s}\n\n${doc.slice(at)}`;
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
    ['experiment', 'case', 'landed', 'tried', 'survived', 'lost', 'note'],
    rows.map((r) => [
      r.experiment,
      r.case,
      r.landed ?? '',
      String(r.tried),
      String(r.survived),
      String(r.lost),
      r.note ?? '',
    ]),
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
  /** The raw records of the fault trials the rows were computed from (trialRows). */
  trials?: RecordedTrial[];
  /** The fault trials by where they landed (faultSummaries of `trials`). */
  faults?: FaultSummary[];
  /** How long each experiment took, in seconds. */
  seconds?: Record<string, number>;
  /** The seed every random choice of the run was drawn from (kit/random.ts), when it made any. */
  seed?: number;
  /** Growth verdicts of the scaling series (bench/index.ts). */
  scaling?: string[];
  /** A benchmark's raw records, by benchmark, where its rows are computed from them (bench/lldp.ts). */
  raw?: Record<string, unknown>;
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

/** The commit a checkout is at, "-dirty" when its tracked files differ; "unknown" outside git. */
export async function headCommit(root = '.'): Promise<string> {
  const head = await run(['git', '-C', root, 'rev-parse', 'HEAD'], { allowFailure: true });
  if (head.code !== 0) return 'unknown';
  const dirty = await run(['git', '-C', root, 'status', '--porcelain', '--untracked-files=no'], { allowFailure: true });
  return head.stdout.trim() + (dirty.stdout.trim() ? '-dirty' : '');
}
