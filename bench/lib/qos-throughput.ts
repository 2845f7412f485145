// Issue 24, "Measure" (1): the pure half of bench/qos-throughput.ts — the script run inside the
// lab VM (iperf3 servers on the switch side, clients on the node, tc sampled meanwhile), the
// parsers of what it prints (iperf3's JSON, `tc -s qdisc/class show`), the verdicts and
// docs/benchmarks.md's section, all computed from the raw records alone.
import {
  benchTable,
  fmtNumber,
  markdownTable,
  withGeneratedSection,
  type BenchRow,
  type ResultsFile,
} from '../../kit/report.js';

/** An upper limit is kept when no 1 s interval, and not the class's L2 rate, exceeds it by more. */
export const UL_TOLERANCE = 0.05;
/** Each network's share of the total under contention within this of its link share (relative). */
export const SHARE_TOLERANCE = 0.15;
/** Contention: both classes held packets (backlog) in at least this share of the samples. */
export const CONTENTION_SAMPLES = 0.5;
/** Intervals shorter than this (iperf3's last one) are left out of the per-interval maximum. */
const MIN_INTERVAL_S = 0.5;

// ---- what the VM prints ------------------------------------------------------------------------

export interface TcCounters {
  bytes: number;
  packets: number;
  drops: number;
  overlimits: number;
  requeues: number;
  backlogBytes: number;
  backlogPackets: number;
}

/** One qdisc or class of `tc -s qdisc|class show dev X`. */
export interface TcEntry extends TcCounters {
  what: 'qdisc' | 'class';
  kind: string;
  handle: string;
  /** "root", or the parent's handle. */
  parent: string;
}

const SIZE_UNITS: Record<string, number> = { b: 1, Kb: 1024, Mb: 1024 ** 2, Gb: 1024 ** 3 };

/** tc's backlog size: "0b", "45426b", "1514Kb" (sprint_size: whole kilobytes and megabytes shortened). */
export function tcSize(s: string): number {
  const m = /^([\d.]+)(b|Kb|Mb|Gb)$/.exec(s);
  if (!m) throw new Error(`not a tc size: ${JSON.stringify(s)}`);
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!]!);
}

/** `tc -s qdisc show` and `tc -s class show` output (both may be concatenated) as entries. */
export function parseTcStats(text: string): TcEntry[] {
  const out: TcEntry[] = [];
  let cur: TcEntry | undefined;
  for (const line of text.split('\n')) {
    const head = /^(qdisc|class) (\S+) (\S+) (?:(root)|parent (\S+))/.exec(line);
    if (head) {
      cur = {
        what: head[1] as 'qdisc' | 'class',
        kind: head[2]!,
        handle: head[3]!,
        parent: head[4] ?? head[5]!,
        bytes: 0,
        packets: 0,
        drops: 0,
        overlimits: 0,
        requeues: 0,
        backlogBytes: 0,
        backlogPackets: 0,
      };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const sent = /^\s*Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+) requeues (\d+)\)/.exec(line);
    if (sent)
      [cur.bytes, cur.packets, cur.drops, cur.overlimits, cur.requeues] = sent.slice(1).map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
    const bl = /^\s*backlog (\S+) (\d+)p/.exec(line);
    if (bl) [cur.backlogBytes, cur.backlogPackets] = [tcSize(bl[1]!), Number(bl[2])];
  }
  return out;
}

/** A section of the VM script's output: `@@name arg...` then the lines up to the next `@@`. */
export interface Section {
  name: string;
  args: string[];
  body: string;
}

export function splitSections(text: string): Section[] {
  const out: Section[] = [];
  let cur: Section | undefined;
  let lines: string[] = [];
  const close = () => {
    if (cur) out.push({ ...cur, body: lines.join('\n') });
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('@@')) {
      close();
      const [name, ...args] = line.slice(2).trim().split(/\s+/);
      cur = { name: name!, args, body: '' };
      lines = [];
    } else lines.push(line);
  }
  close();
  return out;
}

export interface Interval {
  seconds: number;
  bytes: number;
  bps: number;
}

/** One iperf3 flow as its receiver (the switch side) counted it. */
export interface FlowResult {
  /** Mean over the whole test, receiver side (iperf3's end.sum_received). */
  bps: number;
  bytes: number;
  seconds: number;
  /** The receiver's intervals (--get-server-output), 1 s each but the last. */
  intervals: Interval[];
  retransmits?: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown, what: string): Json => {
  if (v === null || typeof v !== 'object') throw new Error(`iperf3 JSON: ${what} missing`);
  return v as Json;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`iperf3 JSON: ${what} is not a number`);
  return v;
};

/** The receiver's figures from a client's `iperf3 -J --get-server-output`. */
export function parseIperfClient(text: string): FlowResult {
  const j = JSON.parse(text) as Json;
  if (typeof j.error === 'string') throw new Error(`iperf3: ${j.error}`);
  const server = obj(j.server_output_json, 'server_output_json (run with --get-server-output)');
  const end = obj(obj(server.end, 'server end').sum_received, 'server end.sum_received');
  const intervals = ((server.intervals as unknown[] | undefined) ?? []).map((iv, i) => {
    const s = obj(obj(iv, `interval ${i}`).sum, `interval ${i} sum`);
    return {
      seconds: num(s.seconds, 'interval seconds'),
      bytes: num(s.bytes, 'interval bytes'),
      bps: num(s.bits_per_second, 'interval bits_per_second'),
    };
  });
  const sent = (j.end as Json | undefined)?.sum_sent as Json | undefined;
  return {
    bps: num(end.bits_per_second, 'sum_received.bits_per_second'),
    bytes: num(end.bytes, 'sum_received.bytes'),
    seconds: num(end.seconds, 'sum_received.seconds'),
    intervals,
    ...(typeof sent?.retransmits === 'number' ? { retransmits: sent.retransmits } : {}),
  };
}

/** The mean rate over the intervals after the first `skip` (warm-up: both flows running). */
export function steadyBps(f: FlowResult, skip = 1): number {
  const ivs = f.intervals.slice(skip).filter((iv) => iv.seconds >= MIN_INTERVAL_S);
  if (!ivs.length) return f.bps;
  return (ivs.reduce((s, iv) => s + iv.bytes, 0) * 8) / ivs.reduce((s, iv) => s + iv.seconds, 0);
}

// ---- the VM side -------------------------------------------------------------------------------

export interface FlowPlan {
  name: string;
  /** The node's address (the network's), the client binds it. */
  src: string;
  /** The switch side's address on the same VLAN, the server binds it. */
  dst: string;
  port: number;
}

export interface MeasurePlan {
  dir: string;
  nic: string;
  switchNs: string;
  seconds: number;
  sampleSeconds: number;
  flows: FlowPlan[];
}

/**
 * The shell script of one measurement: an iperf3 server per flow in the switch namespace (one
 * test, then it exits), the clients on the node at once, tc's counters of the NIC sampled until
 * they end. Every process is bounded by `timeout` and killed by its PID on exit.
 */
export function measureScript(p: MeasurePlan): string {
  const bound = p.seconds + 30;
  const q = (s: string) => `'${s}'`;
  const lines = [
    'set -u',
    `D=${q(p.dir)}; rm -rf "$D"; mkdir -p "$D"; : > "$D/pids"`,
    'pids=""',
    'stop() { for p in $pids; do kill "$p" 2>/dev/null; done; }',
    'trap stop EXIT',
    // One tc for both dumps, timed by the uptime clock around it (builtins: no process of their own).
    `sample() { read a _ < /proc/uptime; o=$(printf 'class show dev ${p.nic}\\nqdisc show dev ${p.nic}\\n' | ` +
      'tc -s -b -); read b _ < /proc/uptime; echo "@@sample $a $b"; echo "$o"; }',
  ];
  for (const f of p.flows)
    lines.push(
      `timeout ${bound} ip netns exec ${p.switchNs} iperf3 -s -1 -J -B ${f.dst} -p ${f.port} ` +
        `> "$D/srv-${f.name}.log" 2>&1 &`,
      'pids="$pids $!"; echo $! >> "$D/pids"',
    );
  const ports = p.flows.map((f) => f.port).join('|');
  lines.push(
    'for i in $(seq 100); do',
    `  n=$(ip netns exec ${p.switchNs} ss -Hltn | grep -cE ':(${ports})\\b' || true)`,
    `  [ "$n" -ge ${p.flows.length} ] && break; sleep 0.1`,
    'done',
    `while [ ! -e "$D/done" ]; do sample; sleep ${p.sampleSeconds}; done > "$D/samples.txt" &`,
    'sampler=$!; pids="$pids $!"; echo $! >> "$D/pids"',
    'clients=""',
  );
  for (const f of p.flows)
    lines.push(
      `timeout ${bound} iperf3 -c ${f.dst} -B ${f.src} -p ${f.port} -t ${p.seconds} -J --get-server-output ` +
        `> "$D/cli-${f.name}.json" 2> "$D/cli-${f.name}.err" &`,
      'clients="$clients $!"; pids="$pids $!"; echo $! >> "$D/pids"',
    );
  lines.push(
    'rc=0; for c in $clients; do wait "$c" || rc=$?; done',
    'touch "$D/done"; wait "$sampler"; sample >> "$D/samples.txt"',
    'echo "@@rc $rc"',
    ...p.flows.map((f) => `echo "@@client ${f.name}"; cat "$D/cli-${f.name}.json"; cat "$D/cli-${f.name}.err"`),
    'cat "$D/samples.txt"',
    'rm -rf "$D"',
  );
  return lines.join('\n') + '\n';
}

export interface Sample {
  t: number;
  tc: TcEntry[];
}

export interface Measurement {
  flows: Record<string, FlowResult>;
  samples: Sample[];
}

/** The script's output as flows and tc samples; a flow whose iperf3 failed throws with its error. */
export function parseMeasurement(text: string): Measurement {
  const flows: Record<string, FlowResult> = {};
  const samples: Sample[] = [];
  for (const s of splitSections(text)) {
    if (s.name === 'client') {
      const json = s.body.slice(0, s.body.lastIndexOf('}') + 1);
      try {
        flows[s.args[0]!] = parseIperfClient(json);
      } catch (e) {
        throw new Error(`flow ${s.args[0]}: ${(e as Error).message}; output: ${s.body.slice(-600)}`);
      }
    }
    // The dump happened between the two clock readings: their midpoint.
    const t = s.args.slice(0, 2).map(Number);
    if (s.name === 'sample') samples.push({ t: t.reduce((a, b) => a + b, 0) / t.length, tc: parseTcStats(s.body) });
  }
  return { flows, samples };
}

// ---- evidence and verdicts ---------------------------------------------------------------------

export interface ClassEvidence {
  /** Samples in which the class's leaf held packets. */
  backlogged: number;
  maxBacklogPackets: number;
  /** The class's rate while it sent, as HFSC counts bytes (L2), in bit/s (activeRate). */
  l2Bps: number;
  overlimits: number;
  drops: number;
}

export interface Evidence {
  samples: number;
  /** The mean time between samples, in seconds (tc itself is slow under TCG). */
  spacingS: number;
  /** Samples in which every measured class held packets at once. */
  allBacklogged: number;
  root: { overlimits: number; requeues: number; drops: number; maxBacklogPackets: number; backlogged: number };
  classes: Record<string, ClassEvidence>;
}

/**
 * A byte counter's rate in bit/s while it ran: between the first sample that had moved off the
 * counter's start and the last that had not reached its end, so that no idle edge (before the
 * clients start, after they end) dilutes it; 0 when the counter moved in fewer than two samples.
 */
export function activeRate(points: readonly { t: number; bytes: number }[]): number {
  const from = points[0]?.bytes;
  const to = points.at(-1)?.bytes;
  const i = points.findIndex((p) => p.bytes > from!);
  const j = points.findLastIndex((p) => p.bytes < to!);
  if (i < 0 || j <= i) return 0;
  return ((points[j]!.bytes - points[i]!.bytes) * 8) / (points[j]!.t - points[i]!.t);
}

/** What tc showed during a measurement, for the HFSC root `root` and the classes by handle. */
export function evidence(samples: readonly Sample[], root: string, classes: Record<string, string>): Evidence {
  const find = (s: Sample, what: 'qdisc' | 'class', h: string) => s.tc.find((e) => e.what === what && e.handle === h);
  const first = samples[0];
  const last = samples.at(-1);
  const delta = (what: 'qdisc' | 'class', h: string, k: keyof TcCounters) =>
    first && last ? (find(last, what, h)?.[k] ?? 0) - (find(first, what, h)?.[k] ?? 0) : 0;
  const backlogOf = (s: Sample, h: string) => find(s, 'class', h)?.backlogPackets ?? 0;
  const out: Evidence = {
    samples: samples.length,
    spacingS: first && last && samples.length > 1 ? (last.t - first.t) / (samples.length - 1) : 0,
    allBacklogged: samples.filter((s) => Object.values(classes).every((h) => backlogOf(s, h) > 0)).length,
    root: {
      overlimits: delta('qdisc', root, 'overlimits'),
      requeues: delta('qdisc', root, 'requeues'),
      drops: delta('qdisc', root, 'drops'),
      maxBacklogPackets: Math.max(0, ...samples.map((s) => find(s, 'qdisc', root)?.backlogPackets ?? 0)),
      backlogged: samples.filter((s) => (find(s, 'qdisc', root)?.backlogPackets ?? 0) > 0).length,
    },
    classes: {},
  };
  for (const [name, h] of Object.entries(classes))
    out.classes[name] = {
      backlogged: samples.filter((s) => backlogOf(s, h) > 0).length,
      maxBacklogPackets: Math.max(0, ...samples.map((s) => backlogOf(s, h))),
      l2Bps: activeRate(samples.map((s) => ({ t: s.t, bytes: find(s, 'class', h)?.bytes ?? 0 }))),
      overlimits: delta('class', h, 'overlimits'),
      drops: delta('class', h, 'drops'),
    };
  return out;
}

export interface UpperLimitVerdict {
  ulBps: number;
  meanBps: number;
  maxIntervalBps: number;
  /** The class's own rate as HFSC counts it (L2 bytes), when tc was sampled. */
  l2Bps?: number;
  worstRatio: number;
  pass: boolean;
}

/** (a): the flow's receiver intervals and its class's L2 rate against the upper limit. */
export function upperLimitVerdict(ulBps: number, f: FlowResult, l2Bps?: number): UpperLimitVerdict {
  const ivs = f.intervals.filter((iv) => iv.seconds >= MIN_INTERVAL_S);
  const maxIntervalBps = Math.max(f.bps, ...ivs.map((iv) => iv.bps));
  const worstRatio = Math.max(maxIntervalBps, l2Bps ?? 0) / ulBps;
  return {
    ulBps,
    meanBps: f.bps,
    maxIntervalBps,
    ...(l2Bps !== undefined ? { l2Bps } : {}),
    worstRatio,
    pass: worstRatio <= 1 + UL_TOLERANCE,
  };
}

export interface ShareVerdict {
  /** pass; fail: HFSC saw contention and shared otherwise; blocked: it never saw contention. */
  status: 'pass' | 'fail' | 'blocked';
  networks: Record<string, { ls: number; expected: number; measured: number; deviation: number }>;
  /** Samples with every class backlogged, of all samples. */
  contention: number;
  reason: string;
}

/** (b): each network's share of the total (steady receiver rates) against its link share. */
export function shareVerdict(ls: Record<string, number>, bps: Record<string, number>, ev: Evidence): ShareVerdict {
  const lsSum = Object.values(ls).reduce((a, b) => a + b, 0);
  const total = Object.keys(ls).reduce((a, n) => a + (bps[n] ?? 0), 0);
  const networks: ShareVerdict['networks'] = {};
  for (const [n, w] of Object.entries(ls)) {
    const expected = w / lsSum;
    const measured = total > 0 ? (bps[n] ?? 0) / total : 0;
    networks[n] = { ls: w, expected, measured, deviation: measured / expected - 1 };
  }
  const ok = Object.values(networks).every((v) => Math.abs(v.deviation) <= SHARE_TOLERANCE);
  const contention = ev.samples ? ev.allBacklogged / ev.samples : 0;
  const status = ok ? 'pass' : contention >= CONTENTION_SAMPLES ? 'fail' : 'blocked';
  const reason = ok
    ? `every share within ${SHARE_TOLERANCE * 100} % of its link share`
    : status === 'fail'
      ? 'the classes were backlogged together, and the shares are off'
      : `HFSC saw no contention: both classes held packets in ${ev.allBacklogged} of ${ev.samples} samples ` +
        `(root backlog max ${ev.root.maxBacklogPackets} packets, requeues ${ev.root.requeues}): ` +
        'nothing below the qdisc is slower than the senders, so link sharing never decides';
  return { status, networks, contention, reason };
}

// ---- the raw record, its rows and docs/benchmarks.md's section ---------------------------------

export interface RunRecord {
  phase: string;
  flows: string[];
  results: Record<string, FlowResult>;
  /** steadyBps of each flow: the receiver's mean after the first interval. */
  steadyBps: Record<string, number>;
  evidence: Evidence;
  samples: Sample[];
}

/** HFSC's root class given a capacity by hand (bench only): what tc said, and showed. */
export interface RootCapacity {
  capBps: number;
  exit: number;
  stderr: string;
  shown: string;
}

export interface RootCapacityVerdict {
  capBps: number;
  /** The classes' L2 rates summed, with the capacity (phase root-ul) and without (phase ls, for the record). */
  totalBps: number;
  uncappedBps: number;
  /**
   * ignored: the total went above it (by more than 5 %); applied: it held, and the root qdisc
   * throttled (overlimits: HFSC had no class it could send from); inconclusive: the flows stayed
   * below it on their own, nothing throttled, so holding proves nothing.
   */
  status: 'applied' | 'ignored' | 'inconclusive';
  share: ShareVerdict;
}

const l2Total = (r: RunRecord) => Object.values(r.evidence.classes).reduce((a, c) => a + c.l2Bps, 0);

/** Whether a capacity on the root class held the total, against the same run without it; the shares under it. */
export function rootCapacityVerdict(
  capBps: number,
  ls: Record<string, number>,
  capped: RunRecord,
  uncapped: RunRecord,
): RootCapacityVerdict {
  const totalBps = l2Total(capped);
  const uncappedBps = l2Total(uncapped);
  const limit = capBps * (1 + UL_TOLERANCE);
  const status = totalBps > limit ? 'ignored' : capped.evidence.root.overlimits > 0 ? 'applied' : 'inconclusive';
  return { capBps, totalBps, uncappedBps, status, share: shareVerdict(ls, capped.steadyBps, capped.evidence) };
}

export interface QosThroughputRaw {
  vm: Record<string, string>;
  rootCapacity?: RootCapacity;
  nic: string;
  seconds: number;
  ulBps: number;
  ls: Record<string, number>;
  runs: RunRecord[];
  verdicts: {
    upperLimit: UpperLimitVerdict;
    upperLimitUnderContention: UpperLimitVerdict;
    linkShare: ShareVerdict;
    /** The same flows without hostQos, judged against the same link shares: what HFSC changed. */
    baselineShare: ShareVerdict;
    rootCapacity?: RootCapacityVerdict;
  };
}

const mbit = (bps: number) => bps / 1e6;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function rawOf(f: ResultsFile): QosThroughputRaw {
  const raw = f.raw?.qosThroughput as QosThroughputRaw | undefined;
  if (!raw)
    throw new Error('the results file holds no raw records (raw.qosThroughput): made by bench/qos-throughput.ts?');
  return raw;
}

export function qosThroughputRows(raw: QosThroughputRaw): BenchRow[] {
  const v = raw.verdicts;
  const plainAlone = raw.runs.find((r) => r.phase === 'plain' && r.flows.length === 1)?.steadyBps.a;
  const ul = (name: string, u: UpperLimitVerdict): BenchRow => ({
    bench: 'qos-throughput',
    case: `${name}: worst of A's 1 s intervals and A's class L2 rate, vs its ul`,
    value: mbit(u.maxIntervalBps),
    unit: 'Mbit/s',
    baselineName: `ul ${mbit(u.ulBps)} Mbit/s`,
    baseline: mbit(u.ulBps),
    ratio: u.worstRatio,
    target: `<= ${1 + UL_TOLERANCE}x`,
    met: u.pass,
    note: `mean ${mbit(u.meanBps).toFixed(2)} Mbit/s; L2 ${mbit(u.l2Bps ?? Number.NaN).toFixed(2)} Mbit/s`,
  });
  const share = (name: string, s: ShareVerdict, judged: boolean): BenchRow[] =>
    Object.entries(s.networks).map(([n, x]) => ({
      bench: 'qos-throughput',
      case: `${name}: ${n.toUpperCase()}'s share of the total (ls ${x.ls})`,
      value: x.measured * 100,
      unit: '%',
      baselineName: 'its link share',
      baseline: x.expected * 100,
      ratio: x.measured / x.expected,
      // Blocked is neither met nor failed: the verdict could not be taken (no contention).
      ...(judged && s.status === 'blocked'
        ? { target: `within ${SHARE_TOLERANCE * 100} %: blocked, no contention` }
        : {}),
      ...(judged && s.status !== 'blocked'
        ? { target: `within ${SHARE_TOLERANCE * 100} %`, met: s.status === 'pass' }
        : {}),
      note: s.status,
    }));
  return [
    ...(plainAlone !== undefined
      ? [
          {
            bench: 'qos-throughput',
            case: 'A alone without hostQos (the path)',
            value: mbit(plainAlone),
            unit: 'Mbit/s',
          } satisfies BenchRow,
        ]
      : []),
    ul('(a) A alone', v.upperLimit),
    ul('(a) A with B sending too', v.upperLimitUnderContention),
    ...share('(b) ls 75/25, both sending', v.linkShare, true),
    ...share('baseline: no hostQos, both sending', v.baselineShare, false),
  ];
}

export const BEGIN = '<!-- qos-throughput:begin (generated by bench/qos-throughput.ts --report; do not edit) -->';
export const END = '<!-- qos-throughput:end -->';

/** docs/benchmarks.md's section: how it was made, the rows, the verdicts and what tc showed. */
export function qosThroughputSection(f: ResultsFile): string {
  const raw = rawOf(f);
  const v = raw.verdicts;
  const runs = raw.runs.map((r) => [
    r.phase,
    r.flows.join('+'),
    r.flows.map((k) => `${k} ${mbit(r.steadyBps[k] ?? 0).toFixed(1)}`).join(', '),
    `${r.evidence.allBacklogged}/${r.evidence.samples}`,
    `${r.evidence.spacingS.toFixed(2)} s`,
    String(r.evidence.root.maxBacklogPackets),
    String(r.evidence.root.overlimits),
    String(r.evidence.root.requeues),
    String(r.evidence.root.drops),
  ]);
  return [
    BEGIN,
    '',
    `Made by \`bench/qos-throughput.ts --report\` from \`${f.command}\` at ${f.commit ?? 'an unrecorded commit'}, ` +
      `${f.startedAt}; ${raw.vm.node} (${raw.vm.accel}, kernel ${raw.vm.kernel}), ${raw.nic}: driver ` +
      `${raw.vm.driver}, ${raw.seconds} s per flow, ${raw.vm.iperf3}.`,
    '',
    benchTable(qosThroughputRows(raw), markdownTable),
    `- (a) upper limit: ${v.upperLimit.pass && v.upperLimitUnderContention.pass ? '**met**' : '**NOT met**'} ` +
      `(worst ${fmtNumber(v.upperLimit.worstRatio)}x alone, ${fmtNumber(v.upperLimitUnderContention.worstRatio)}x ` +
      'with B sending).',
    `- (b) link share: **${v.linkShare.status}** — ${v.linkShare.reason}. ` +
      `A ${pct(v.linkShare.networks.a?.measured ?? 0)}, B ${pct(v.linkShare.networks.b?.measured ?? 0)} of the total.`,
    ...(v.rootCapacity
      ? [
          `- HFSC's root class given a capacity by hand (${mbit(v.rootCapacity.capBps)} Mbit/s ls and ul; bench ` +
            `only, no part of VDSM's layout): **${v.rootCapacity.status}** — the classes' L2 total ` +
            `${mbit(v.rootCapacity.totalBps).toFixed(1)} Mbit/s with it, ` +
            `${mbit(v.rootCapacity.uncappedBps).toFixed(1)} Mbit/s without it (phase ls); shares ` +
            `**${v.rootCapacity.share.status}** (A ${pct(v.rootCapacity.share.networks.a?.measured ?? 0)}).`,
        ]
      : []),
    '',
    'Each run as measured (steady receiver rates in Mbit/s; tc sampled on the NIC with 0.5 s sleeps, the mean ' +
      "spacing shown: samples with the run's classes all backlogged, the root's largest backlog, and its " +
      'overlimits, requeues and drops over the run):',
    '',
    markdownTable(
      ['phase', 'flows', 'Mbit/s', 'backlogged', 'spacing', 'root backlog max (p)', 'overlimits', 'requeues', 'drops'],
      runs,
    ),
    END,
  ].join('\n');
}

export function withQosThroughputSection(doc: string, s: string, beforeHeading: string): string {
  return withGeneratedSection(doc, s, { begin: BEGIN, end: END, beforeHeading });
}
