// Benchmark: one observation (capabilities + statistics + kernelConfig) of N interfaces against
// one bare `ip -json -details -statistics link show` + `ip -json addr show` of the same namespace,
// in the same run, median of repeated interleaved runs. Target: within 2x (DESIGN.md).
// Both sides run in a child process inside the namespace, as the agent runs in its node's
// network namespace (until session 6 ours ran outside it, each sysfs read paying for an
// `ip netns exec`, which remounts /sys: a cost the agent never has).
// Two observations are timed: a cold one (observeHost: every file read afresh) and the agent's
// steady state (a HostObserver's later passes, which re-read the per-device speed and IPv6
// sysctls only of owned, changed or expired devices). With nmstatectl available, `nmstatectl
// show -k` of the same namespace is timed beside them.
//
//   npm run bench -- --only observe           (root; creates and deletes its own namespace)
//   node dist/bench/observe.js [--sizes 100,1000] [--runs 15]
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { emptyConfig } from '../src/api/config.js';
import { capabilities, HostObserver, kernelConfig, observeHost, StatisticsSampler, type HostState } from '../src/observe/index.js';
import { run } from '../src/util/exec.js';
import { benchNamespaceName, cleanupOnSignal, deleteNamespace, freshNamespace } from '../lab/client/index.js';
import { findNmstatectl } from './lib/nmstate.js';
import { benchTable, type BenchRow } from '../kit/report.js';
import { median, timed } from './lib/stats.js';
import { dumpCommands, ipDumpInput } from '../src/observe/index.js';

/** N interfaces: lo plus veth pairs, each with an address (private, only inside the namespace). */
async function populate(ns: string, interfaces: number): Promise<void> {
  const pairs = Math.max(1, Math.floor((interfaces - 1) / 2));
  const lines: string[] = [];
  for (let i = 0; i < pairs; i++) {
    lines.push(`link add va${i} type veth peer name vb${i}`, `link set va${i} up`, `link set vb${i} up`,
      `addr add 10.${100 + Math.floor(i / 250)}.${i % 250}.1/24 dev va${i}`);
  }
  if ((interfaces - 1) % 2) lines.push('link add d0 type bridge', 'link set d0 up'); // dummy is not in every kernel here
  await run(['ip', '-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });
}

/** What the child measured: each side's times (ms, warm-up dropped) and the parts of the steady pass. */
interface ObserveChildResult {
  interfaces: number;
  times: Record<string, number[]>;
  /** Per part of the steady pass, the median ms. */
  parts: Record<string, number>;
}

/**
 * --observe-child RUNS [NMSTATECTL]: inside the namespace, RUNS interleaved rounds (after 2
 * dropped) of the steady pass (a HostObserver's later passes, the agent's), a cold one
 * (observeHost), the bare dumps and `nmstatectl show -k`; an ObserveChildResult as JSON on stdout.
 * The breakdown times the observer's ip batch alone (as one more side) and the rendering of
 * each steady pass; an executor wrapped to time the dumps would change what is timed (given
 * one, the observer runs its sysfs part as a script too).
 */
async function observeChild(runs: number, nmstatectl: string | undefined): Promise<void> {
  const running = emptyConfig();
  const rendering: number[] = [];
  const sampler = new StatisticsSampler();
  const observer = new HostObserver();
  let interfaces = 0;
  let steady = false;
  const report = (host: HostState) => {
    const t0 = performance.now();
    capabilities(host, running);
    sampler.sample(host);
    kernelConfig(host, running);
    if (steady) rendering.push(performance.now() - t0);
    interfaces = Object.keys(host.links).length;
  };
  await observer.observe(running); // the observer's cold pass
  const sides: Record<string, () => Promise<unknown>> = {
    steady: async () => {
      steady = true;
      try {
        report(await observer.observe(running));
      } finally {
        steady = false;
      }
    },
    cold: async () => report(await observeHost()),
    // The two bare dumps started together, as the observer starts its dumps.
    bare: () => Promise.all([['ip', '-json', '-details', '-statistics', 'link', 'show'], ['ip', '-json', 'addr', 'show']].map((a) => run(a))),
  };
  if (nmstatectl) sides.nmstate = () => run([nmstatectl, 'show', '-k', '-q', '--json']);
  // Not a side of its own in the table: the part of a pass that is the ip batch.
  sides.ipBatch = () => run(dumpCommands().ip, { input: ipDumpInput() });
  const order = Object.keys(sides);
  const times: Record<string, number[]> = Object.fromEntries(order.map((k) => [k, []]));
  const warmup = 2;
  for (let i = 0; i < warmup + runs; i++) {
    if (i === warmup) rendering.length = 0;
    const rot = order.map((_, j) => order[(i + j) % order.length]!);
    for (const side of rot) {
      const ms = await timed(sides[side]!);
      if (i >= warmup) times[side]!.push(ms);
    }
  }
  const ip = median(times.ipBatch!);
  const render = median(rendering);
  const parts = {
    'ip -batch (links + addresses, IPv4 and IPv6 routes), alone': ip,
    'capabilities + statistics + kernelConfig': render,
    'the rest (sysfs/procfs read meanwhile, parsing)': median(times.steady!) - ip - render,
  };
  delete times.ipBatch;
  const out: ObserveChildResult = { interfaces, times, parts };
  process.stdout.write(JSON.stringify(out) + '\n');
}

export interface ObserveBenchOptions {
  sizes: number[];
  runs: number;
  nmstate?: boolean;
  log?: (l: string) => void;
}

export async function benchObserve(o: ObserveBenchOptions): Promise<BenchRow[]> {
  const ns = benchNamespaceName('obsbench');
  const unregister = cleanupOnSignal(() => [ns]);
  const nmstatectl = o.nmstate === false ? undefined : await findNmstatectl();
  const rows: BenchRow[] = [];
  try {
    for (const size of o.sizes) {
      await freshNamespace(ns);
      await populate(ns, size);
      const r = await run(['ip', 'netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--observe-child', String(o.runs), ...(nmstatectl ? [nmstatectl] : [])], { timeoutMs: 1_800_000 });
      const child = JSON.parse(r.stdout) as ObserveChildResult;
      const interfaces = child.interfaces;
      const m = (k: string) => median(child.times[k]!);
      const nm = child.times.nmstate ? m('nmstate') : undefined;
      o.log?.(`observe ${interfaces} interfaces: ${Object.keys(child.times).map((k) => `${k} ${m(k).toFixed(1)} ms`).join(', ')}${nm !== undefined ? `, nmstate ${nm.toFixed(1)} ms` : ''}`);
      const base = { size: interfaces, unit: 'ms', baselineName: 'ip -json link+addr', baseline: m('bare'), note: `median of ${o.runs}` };
      rows.push({ bench: 'observe', case: `observe ${interfaces} interfaces, steady (agent)`, value: m('steady'), ratio: m('steady') / m('bare'), target: '<= 2x', met: m('steady') / m('bare') <= 2, ...base });
      rows.push({ bench: 'observe', case: `observe ${interfaces} interfaces, cold (first pass)`, value: m('cold'), ratio: m('cold') / m('bare'), ...base });
      for (const [part, ms] of Object.entries(child.parts)) {
        rows.push({ bench: 'observe/parts', case: `  ${interfaces} interfaces, steady: ${part}`, size: interfaces, value: ms, unit: 'ms' });
      }
      if (nm !== undefined) {
        rows.push({ bench: 'observe/nmstate', case: `nmstatectl show -k, ${interfaces} interfaces`, value: nm, ratio: nm / m('bare'), ...base, note: `ours (steady)/nmstate ${(m('steady') / nm).toFixed(2)}x` });
      }
    }
  } finally {
    await deleteNamespace(ns);
    unregister();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv[2] === '--observe-child') {
  await observeChild(Number(process.argv[3]), process.argv[4]);
  process.exit(0);
}
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1000' }, runs: { type: 'string', default: '15' }, 'no-nmstate': { type: 'boolean' } } });
  const rows = await benchObserve({
    sizes: values.sizes.split(',').map(Number), runs: Number(values.runs), nmstate: !values['no-nmstate'],
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(benchTable(rows));
}
