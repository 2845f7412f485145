// The LLDP benchmark's figures (bench/lldp.ts), computed from its raw records only: the bytes
// status.lldp adds to real objects of the lab, the agent's RSS with lldpd running against
// without, and the Markdown section docs/benchmarks.md shows them in. Pure.
import { objectBytes, baseBytes, OBJECT_BUDGET_BYTES, type StatusFields } from '../../src/report/status-budget.js';
import type { OnnObject } from '../../src/k8s/client.js';
import { benchTable, markdownTable, withGeneratedSection, type BenchRow, type ResultsFile } from '../../kit/report.js';
import { median } from './stats.js';

/** One lab object as read: its size as the status budget counts it, with status.lldp and without. */
export interface LldpStatusSample {
  node: string;
  kind: string;
  bytes: number;
  bytesWithoutLldp: number;
  /** NICs in status.lldp, and those of them that heard a switch. */
  nics: number;
  heard: number;
  /** JSON bytes of each NIC's entry ("ethX":{...},), those that heard a switch and those that did not. */
  heardEntryBytes: number[];
  silentEntryBytes: number[];
}

export type LldpVariant = 'receive' | 'off';

/** One phase of the RSS measurement: the agent started with this --lldp, sampled over the window. */
export interface LldpRssPhase {
  round: number;
  variant: LldpVariant;
  node: string;
  /** kB per sample: the agent's VmRSS, and the sum over lldpd's processes (monitor + privsep child). */
  agentKb: number[];
  lldpdKb: number[];
  lldpdProcesses: number;
  /** The object as this variant's agent wrote it (the budget's measure). */
  objectBytes: number;
}

export interface LldpRaw {
  status: LldpStatusSample[];
  rss: LldpRssPhase[];
}

const entryBytes = (nic: string, info: unknown) => Buffer.byteLength(`${JSON.stringify(nic)}:${JSON.stringify(info)},`);

/** Objects without a status.lldp give no sample (an agent run with --lldp off). */
export function lldpStatusSample(obj: OnnObject, kind: string): LldpStatusSample | undefined {
  const status = obj.status as StatusFields | undefined;
  const lldp = status?.lldp as Record<string, { tlvs?: unknown[] }> | undefined;
  if (!status || !lldp) return undefined;
  const { lldp: _, ...without } = status;
  const base = baseBytes(obj);
  const entries = Object.entries(lldp);
  const heard = entries.filter(([, v]) => (v.tlvs?.length ?? 0) > 0);
  return {
    node: obj.metadata.name,
    kind,
    bytes: objectBytes(base, status),
    bytesWithoutLldp: objectBytes(base, without),
    nics: entries.length,
    heard: heard.length,
    heardEntryBytes: heard.map(([k, v]) => entryBytes(k, v)),
    silentEntryBytes: entries.filter(([, v]) => !v.tlvs?.length).map(([k, v]) => entryBytes(k, v)),
  };
}

/** "agent 51234\nlldpd 3120\nlldpd 2900\n" (kB, from /proc/PID/status VmRSS) → agent kB, lldpd kB summed. */
export function parseRssSample(text: string): { agentKb: number; lldpdKb: number; lldpdProcesses: number } {
  let agentKb = Number.NaN;
  let lldpdKb = 0;
  let lldpdProcesses = 0;
  for (const line of text.split('\n')) {
    const [what, kb] = line.trim().split(/\s+/);
    const v = Number(kb);
    if (!Number.isFinite(v) || kb === undefined || kb === '') continue;
    if (what === 'agent') agentKb = v;
    if (what === 'lldpd') {
      lldpdKb += v;
      lldpdProcesses++;
    }
  }
  return { agentKb, lldpdKb, lldpdProcesses };
}

const mb = (kb: number) => kb / 1024;
const maxOf = (xs: readonly number[]) => (xs.length ? Math.max(...xs) : Number.NaN);

function statusRows(samples: readonly LldpStatusSample[]): BenchRow[] {
  const rows: BenchRow[] = samples.map((s) => {
    const added = s.bytes - s.bytesWithoutLldp;
    return {
      bench: 'lldp',
      case: `status bytes added per NIC, ${s.node} (${s.kind}; ${s.nics} NICs, ${s.heard} hear the switch)`,
      value: added / s.nics,
      unit: 'B',
      baselineName: 'object without status.lldp, per NIC',
      baseline: s.bytesWithoutLldp / s.nics,
      ratio: added / s.bytesWithoutLldp,
      target: 'object within the budget',
      met: s.bytes <= OBJECT_BUDGET_BYTES,
      note: `object ${s.bytes} B with, ${s.bytesWithoutLldp} B without (+${added} B)`,
    };
  });
  const heard = samples.flatMap((s) => s.heardEntryBytes);
  const silent = samples.flatMap((s) => s.silentEntryBytes);
  if (heard.length)
    rows.push({ bench: 'lldp', case: `one NIC's entry, hearing the switch (median of ${heard.length})`, value: median(heard), unit: 'B', note: `${Math.min(...heard)}–${Math.max(...heard)} B` });
  if (silent.length)
    rows.push({ bench: 'lldp', case: `one NIC's entry, hearing nothing (median of ${silent.length})`, value: median(silent), unit: 'B' });
  return rows;
}

function rssRows(phases: readonly LldpRssPhase[]): BenchRow[] {
  const on = phases.filter((p) => p.variant === 'receive');
  const off = phases.filter((p) => p.variant === 'off');
  if (!on.length || !off.length) return [];
  const node = phases[0]!.node;
  const rounds = `${on.length} + ${off.length} phases interleaved, median of each phase's max`;
  const agentOn = median(on.map((p) => mb(maxOf(p.agentKb))));
  const agentOff = median(off.map((p) => mb(maxOf(p.agentKb))));
  const lldpd = median(on.map((p) => mb(maxOf(p.lldpdKb))));
  const total = median(on.map((p) => mb(maxOf(p.agentKb.map((a, i) => a + (p.lldpdKb[i] ?? 0))))));
  const procs = Math.max(...on.map((p) => p.lldpdProcesses));
  const bytesOn = median(on.map((p) => p.objectBytes));
  const bytesOff = median(off.map((p) => p.objectBytes));
  const vs = { baselineName: 'agent, --lldp off', baseline: agentOff };
  return [
    { bench: 'lldp', case: `agent RSS, --lldp receive (lldpd running), ${node}`, value: agentOn, unit: 'MB', ...vs, ratio: agentOn / agentOff, note: rounds },
    { bench: 'lldp', case: `agent + lldpd RSS, --lldp receive, ${node}`, value: total, unit: 'MB', ...vs, ratio: total / agentOff, target: '< 80 MB', met: total < 80, note: rounds },
    { bench: 'lldp', case: `lldpd RSS (${procs} processes: monitor, privilege-separated child), ${node}`, value: lldpd, unit: 'MB', note: rounds },
    { bench: 'lldp', case: `object as the agent wrote it, --lldp receive, ${node}`, value: bytesOn, unit: 'B', baselineName: 'as written with --lldp off (NICs disabled)', baseline: bytesOff, ratio: bytesOn / bytesOff },
  ];
}

/** Every row, from the raw records alone. */
export function lldpRows(raw: LldpRaw): BenchRow[] {
  return [...statusRows(raw.status), ...rssRows(raw.rss)];
}

export const BEGIN = '<!-- lldp:begin (generated by bench/lldp.ts --report; do not edit) -->';
export const END = '<!-- lldp:end -->';

/** docs/benchmarks.md's section: how it was made, the rows, the phases as measured. */
export function lldpSection(f: ResultsFile): string {
  const raw = f.raw?.lldp as LldpRaw | undefined;
  if (!raw) throw new Error('the results file holds no raw LLDP records (raw.lldp): made by bench/lldp.ts?');
  const phases = raw.rss.map((p) => [
    String(p.round),
    p.variant,
    (maxOf(p.agentKb) / 1024).toFixed(1),
    p.variant === 'receive' ? (maxOf(p.lldpdKb) / 1024).toFixed(1) : '—',
    String(p.agentKb.length),
    String(p.objectBytes),
  ]);
  return [
    BEGIN,
    '',
    `Made by \`bench/lldp.ts --report\` from \`${f.command}\` at ${f.commit ?? 'an unrecorded commit'}, ${f.startedAt}` +
      (f.load ? `, load average ${f.load.start.toFixed(1)} → ${f.load.end?.toFixed(1) ?? '?'} on ${f.host.cpus} cores` : '') + '.',
    '',
    benchTable(lldpRows(raw), markdownTable),
    'The RSS phases as sampled (the VM node\'s agent restarted with each `--lldp`, in turn):',
    '',
    markdownTable(['round', '--lldp', 'agent max (MB)', 'lldpd max (MB)', 'samples', 'object (B)'], phases),
    END,
  ].join('\n');
}

/** The document with the section replaced, or inserted before `beforeHeading` (pure). */
export function withLldpSection(doc: string, s: string, beforeHeading: string): string {
  return withGeneratedSection(doc, s, { begin: BEGIN, end: END, beforeHeading });
}
