// Benchmark: one observation (capabilities + statistics + kernelConfig) of N interfaces against
// one bare `ip -json -details -statistics link show` + `ip -json addr show` of the same namespace,
// in the same run, median of repeated interleaved runs. Target: within 2x (DESIGN.md).
// Two observations are timed: a cold one (observeHost: every file read afresh) and the agent's
// steady state (a HostObserver's later passes, which re-read the per-device speed and IPv6
// sysctls only of owned, changed or expired devices). With nmstatectl available, `nmstatectl
// show -k` of the same namespace is timed beside them.
//
//   npm run bench -- --only observe           (root; creates and deletes its own namespace)
//   node dist/bench/observe.js [--sizes 100,1000] [--runs 15]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { emptyConfig } from '../src/api/config.js';
import { capabilities, HostObserver, kernelConfig, observeHost, StatisticsSampler, type HostState } from '../src/observe/index.js';
import { run } from '../src/util/exec.js';
import { benchNamespaceName, cleanupOnSignal, deleteNamespace, freshNamespace } from './lib/netns.js';
import { findNmstatectl } from './lib/nmstate.js';
import { benchTable, type BenchRow } from './lib/report.js';
import { median, timed } from './lib/stats.js';

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
  const running = emptyConfig();
  try {
    for (const size of o.sizes) {
      await freshNamespace(ns);
      await populate(ns, size);
      const sampler = new StatisticsSampler();
      const observer = new HostObserver({ netns: ns });
      let interfaces = 0;
      const report = (host: HostState) => {
        capabilities(host, running);
        sampler.sample(host);
        kernelConfig(host, running);
        interfaces = Object.keys(host.links).length;
      };
      await observer.observe(running); // the observer's cold pass
      const bareArgv = [
        ['ip', '-n', ns, '-json', '-details', '-statistics', 'link', 'show'],
        ['ip', '-n', ns, '-json', 'addr', 'show'],
      ];
      const sides: Record<string, () => Promise<unknown>> = {
        steady: async () => report(await observer.observe(running)),
        cold: async () => report(await observeHost({ netns: ns })),
        // The two bare dumps started together, as observeHost starts its dumps.
        bare: () => Promise.all(bareArgv.map((a) => run(a))),
      };
      if (nmstatectl) sides.nmstate = () => run(['ip', 'netns', 'exec', ns, nmstatectl, 'show', '-k', '-q', '--json']);
      const order = Object.keys(sides);
      const times: Record<string, number[]> = Object.fromEntries(order.map((k) => [k, []]));
      const warmup = 2;
      for (let i = 0; i < warmup + o.runs; i++) {
        const rot = order.map((_, j) => order[(i + j) % order.length]!);
        for (const side of rot) {
          const ms = await timed(sides[side]!);
          if (i >= warmup) times[side]!.push(ms);
        }
      }
      const m = (k: string) => median(times[k]!);
      o.log?.(`observe ${interfaces} interfaces: ${order.map((k) => `${k} ${m(k).toFixed(1)} ms`).join(', ')}`);
      const base = { size: interfaces, unit: 'ms', baselineName: 'ip -json link+addr', baseline: m('bare'), note: `median of ${o.runs}` };
      rows.push({ bench: 'observe', case: `observe ${interfaces} interfaces, steady (agent)`, value: m('steady'), ratio: m('steady') / m('bare'), target: '<= 2x', met: m('steady') / m('bare') <= 2, ...base });
      rows.push({ bench: 'observe', case: `observe ${interfaces} interfaces, cold (first pass)`, value: m('cold'), ratio: m('cold') / m('bare'), ...base });
      if (times.nmstate) {
        rows.push({ bench: 'observe/nmstate', case: `nmstatectl show -k, ${interfaces} interfaces`, value: m('nmstate'), ratio: m('nmstate') / m('bare'), ...base, note: `ours (steady)/nmstate ${(m('steady') / m('nmstate')).toFixed(2)}x` });
      }
    }
  } finally {
    await deleteNamespace(ns);
    unregister();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1000' }, runs: { type: 'string', default: '15' }, 'no-nmstate': { type: 'boolean' } } });
  const rows = await benchObserve({
    sizes: values.sizes.split(',').map(Number), runs: Number(values.runs), nmstate: !values['no-nmstate'],
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(benchTable(rows));
}
