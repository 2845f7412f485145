// Benchmark: applying 500 nicless bridged networks (a spec change → kernel configured, as the
// agent's backend does it: validation, plan, journalled transaction, persistence) against a bare
// `ip -batch` creating and raising the same 500 bridges, each in a fresh namespace, interleaved
// in the same run; medians of several runs. Target: within 1.5x (DESIGN.md).
//
//   npm run bench:apply                     (root; creates and deletes its own namespaces)
//   BENCH_NETWORKS=1000 BENCH_RUNS=9 npm run bench:apply
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { HostBackend } from '../src/handler/node-backend.js';
import { run } from '../src/util/exec.js';

const NETWORKS = Number(process.env.BENCH_NETWORKS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const WARMUP = 1;
const NS = `ovnh-t-applybench-${randomBytes(3).toString('hex')}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const names = Array.from({ length: NETWORKS }, (_, i) => `net${i}`);

/** The ip work the transaction does for these networks: each bridge created, then brought up. */
const bareLines = [
  ...names.map((n) => `link add name ${n} mtu 1500 type bridge stp_state 0`),
  ...names.map((n) => `link set dev ${n} up`),
].join('\n') + '\n';

/**
 * --apply-child STATE_DIR: inside the namespace, time one setup() of the whole spec (ms on
 * stdout). The agent is a long-running process: a small apply and its removal first, so the code
 * runs warm as it does there, not through the JIT's first pass.
 */
async function applyChild(stateDir: string): Promise<void> {
  const backend = new HostBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 0 });
  for (const warm of [{ networks: { warm0: {}, warm1: { ipaddr: '192.0.2.1', prefix: 24 } } }, {}]) {
    const r = await backend.setup(warm, undefined);
    if (!r.ok) throw new Error(`warm-up failed: ${JSON.stringify(r)}`);
  }
  const spec = { networks: Object.fromEntries(names.map((n) => [n, {}])) };
  const t0 = process.hrtime.bigint();
  const r = await backend.setup(spec, undefined);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.ok || r.steps !== NETWORKS) throw new Error(`setup failed: ${JSON.stringify(r)}`);
  process.stdout.write(`${ms}\n`);
}

if (process.argv[2] === '--apply-child') {
  await applyChild(process.argv[3]!);
  process.exit(0);
}

async function freshNamespace(): Promise<void> {
  // The kernel tears a deleted namespace down in the background, holding the RTNL lock for
  // seconds with 500 bridges in it: remove them first (synchronously), untimed.
  const links = await run(['ip', '-n', NS, '-json', 'link', 'show', 'type', 'bridge'], { allowFailure: true });
  if (links.code === 0) {
    const names = (JSON.parse(links.stdout || '[]') as { ifname: string }[]).map((l) => `link del dev ${l.ifname}`);
    if (names.length) await run(['ip', '-n', NS, '-batch', '-'], { input: names.join('\n') + '\n' });
  }
  await run(['ip', 'netns', 'del', NS], { allowFailure: true });
  await run(['ip', 'netns', 'add', NS]);
  await run(['ip', '-n', NS, 'link', 'set', 'lo', 'up']);
}

async function timeApply(): Promise<number> {
  await freshNamespace();
  const stateDir = await mkdtemp(join(tmpdir(), 'ovnh-applybench-'));
  try {
    const r = await run(['ip', 'netns', 'exec', NS, process.execPath, fileURLToPath(import.meta.url), '--apply-child', stateDir]);
    return Number(r.stdout.trim());
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function timeBare(): Promise<number> {
  await freshNamespace();
  const t0 = process.hrtime.bigint();
  await run(['ip', '-n', NS, '-batch', '-'], { input: bareLines });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void run(['ip', 'netns', 'del', NS], { allowFailure: true }).finally(() => process.exit(130)));
}

try {
  const apply: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Alternate the order so that neither side always runs on a warmer kernel/cache.
    let a: number;
    let b: number;
    if (i % 2 === 0) {
      a = await timeApply();
      b = await timeBare();
    } else {
      b = await timeBare();
      a = await timeApply();
    }
    if (i >= WARMUP) {
      apply.push(a);
      bare.push(b);
    }
    process.stderr.write(`run ${i + 1}/${WARMUP + RUNS}: apply ${a.toFixed(1)} ms, bare ${b.toFixed(1)} ms\n`);
  }
  const ratio = median(apply) / median(bare);
  const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;
  process.stdout.write([
    `networks:                                   ${NETWORKS} nicless bridges, fresh namespace each run`,
    `runs (after ${WARMUP} warm-up):                     ${RUNS}`,
    `apply (HostBackend.setup: validate, plan,   ${fmt(apply)}`,
    `  journal, ip -batch + sysctls, persist)`,
    `bare ip -batch (add + up, same bridges):    ${fmt(bare)}`,
    `ratio apply / bare:                         ${ratio.toFixed(2)}x  (target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'})`,
  ].join('\n') + '\n');
  process.stdout.write(JSON.stringify({ networks: NETWORKS, runs: RUNS, applyMs: median(apply), bareMs: median(bare), ratio }) + '\n');
} finally {
  await freshNamespace().catch(() => undefined);
  await run(['ip', 'netns', 'del', NS], { allowFailure: true });
}
