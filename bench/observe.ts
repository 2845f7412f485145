// Benchmark: one observation (capabilities + statistics + kernelConfig) of ~1000 interfaces
// against one bare `ip -json -details -statistics link show` + `ip -json addr show` of the same
// namespace, in the same run, median of repeated interleaved runs. Target: within 2x
// (DESIGN.md). Two observations are timed: a cold one (observeHost: every file read afresh)
// and the agent's steady state (a HostObserver's later passes, which re-read the per-device
// speed and IPv6 sysctls only of owned, changed or expired devices). Then the process's RSS
// while observing every 2 s.
//
//   npm run bench:observe            (root; creates and deletes its own namespace)
//   BENCH_PAIRS=500 BENCH_RUNS=21 BENCH_RSS_SECONDS=30 npm run bench:observe
import { randomBytes } from 'node:crypto';
import { capabilities, HostObserver, kernelConfig, observeHost, StatisticsSampler, type HostState } from '../src/observe/index.js';
import { emptyConfig } from '../src/api/config.js';
import { fileURLToPath } from 'node:url';
import { run, sleep } from '../src/util/exec.js';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 2;
const RSS_SECONDS = Number(process.env.BENCH_RSS_SECONDS ?? 20);
const NS = `ovnh-t-obsbench-${randomBytes(3).toString('hex')}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function createNamespace(): Promise<void> {
  await run(['ip', 'netns', 'add', NS]);
  const lines = ['link set lo up'];
  for (let i = 0; i < PAIRS; i++) {
    // Addresses are private and exist only inside this benchmark's namespace.
    lines.push(`link add va${i} type veth peer name vb${i}`, `link set va${i} up`, `link set vb${i} up`,
      `addr add 10.${100 + Math.floor(i / 250)}.${i % 250}.1/24 dev va${i}`);
  }
  await run(['ip', '-n', NS, '-batch', '-'], { input: lines.join('\n') + '\n' });
}

async function deleteNamespace(): Promise<void> {
  await run(['ip', 'netns', 'del', NS], { allowFailure: true });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void deleteNamespace().finally(() => process.exit(130)));
}

const running = emptyConfig();
const sampler = new StatisticsSampler();
const observer = new HostObserver({ netns: NS });
let interfaces = 0;

function report(host: HostState): void {
  capabilities(host, running);
  sampler.sample(host);
  kernelConfig(host, running);
  interfaces = Object.keys(host.links).length;
}

/** Everything read afresh. */
const observeCold = async () => report(await observeHost({ netns: NS }));
/** A later pass of the agent's observer. */
const observeSteady = async () => report(await observer.observe(running));

const bareArgv = [
  ['ip', '-n', NS, '-json', '-details', '-statistics', 'link', 'show'],
  ['ip', '-n', NS, '-json', 'addr', 'show'],
];
/** The two bare dumps started together, as observeHost starts its dumps. */
const bareConcurrent = () => Promise.all(bareArgv.map((a) => run(a)));
/** The same two, one after the other. */
const bareSequential = async () => { for (const a of bareArgv) await run(a); };

/** --rss-child NS SECONDS: observe NS every 2 s like the agent and print memory figures. */
async function rssChild(ns: string, seconds: number): Promise<void> {
  const mb = (n: number) => n / 2 ** 20;
  const baseline = mb(process.memoryUsage().rss);
  const obs = new HostObserver({ netns: ns });
  const stats = new StatisticsSampler();
  const rss: number[] = [];
  let heapUsedMax = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t0 = Date.now();
    const host = await obs.observe(running);
    capabilities(host, running);
    stats.sample(host);
    kernelConfig(host, running);
    const m = process.memoryUsage();
    rss.push(mb(m.rss));
    heapUsedMax = Math.max(heapUsedMax, mb(m.heapUsed));
    await sleep(Math.max(0, 2000 - (Date.now() - t0)));
  }
  process.stdout.write(JSON.stringify({ passes: rss.length, rssLast: rss.at(-1), rssMax: Math.max(...rss), heapUsedMax, baseline }) + '\n');
}

if (process.argv[2] === '--rss-child') {
  await rssChild(process.argv[3]!, Number(process.argv[4]));
  process.exit(0);
}

try {
  process.stderr.write(`creating ${PAIRS} veth pairs in ${NS}...\n`);
  await createNamespace();
  await observer.observe(running); // the observer's cold pass
  const times: Record<string, number[]> = { cold: [], steady: [], bare: [], seq: [] };
  const fns: Record<string, () => Promise<unknown>> = { cold: observeCold, steady: observeSteady, bare: bareConcurrent, seq: bareSequential };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Alternate the order so that no side always runs on a warmer cache.
    const order = i % 2 === 0 ? ['cold', 'steady', 'bare', 'seq'] : ['seq', 'bare', 'steady', 'cold'];
    for (const what of order) {
      const ms = await timed(fns[what]!);
      if (i >= WARMUP) times[what]!.push(ms);
    }
  }
  const m = (k: string) => median(times[k]!);
  const min = (k: string) => Math.min(...times[k]!).toFixed(1);
  const line = (label: string, k: string) => `${label.padEnd(44)} median ${m(k).toFixed(1)} ms (min ${min(k)})`;
  const ratio = m('steady') / m('bare');
  const coldRatio = m('cold') / m('bare');
  const out = [
    `interfaces observed:                         ${interfaces}`,
    `runs (after ${WARMUP} warm-up):                      ${RUNS}`,
    line('observe, steady state (HostObserver):', 'steady'),
    line('observe, cold (observeHost, all files):', 'cold'),
    line('bare ip link -d -s + ip addr, concurrent:', 'bare'),
    line('bare ip link -d -s + ip addr, sequential:', 'seq'),
    `ratio steady / bare (concurrent):            ${ratio.toFixed(2)}x  (target <= 2x: ${ratio <= 2 ? 'met' : 'NOT met'})`,
    `ratio cold / bare (concurrent):              ${coldRatio.toFixed(2)}x`,
    `ratio steady / bare (sequential):            ${(m('steady') / m('seq')).toFixed(2)}x`,
  ];
  process.stdout.write(out.join('\n') + '\n');

  if (RSS_SECONDS > 0) {
    // A fresh process, as the agent is: the timing loops above leave this one's heap grown.
    const r = await run([process.execPath, fileURLToPath(import.meta.url), '--rss-child', NS, String(RSS_SECONDS)]);
    const m = JSON.parse(r.stdout) as { passes: number; rssLast: number; rssMax: number; heapUsedMax: number; baseline: number };
    process.stdout.write(`RSS of a fresh process observing every 2 s for ${RSS_SECONDS} s (${m.passes} passes): ` +
      `last ${m.rssLast.toFixed(1)} MB, max ${m.rssMax.toFixed(1)} MB (bare node ${m.baseline.toFixed(1)} MB; JS heap used max ${m.heapUsedMax.toFixed(1)} MB)\n`);
  }
  process.stdout.write(JSON.stringify({
    interfaces, runs: RUNS, steadyMs: m('steady'), coldMs: m('cold'), bareMs: m('bare'), bareSequentialMs: m('seq'), ratio, coldRatio,
  }) + '\n');
} finally {
  await deleteNamespace();
}
