// Benchmark: applying N bridged networks (a spec change → kernel configured, as the agent's
// backend does it: validation, plan, journalled transaction, persistence, read-back) against a
// bare `ip -batch` creating and raising the same bridges, each in a fresh namespace of this
// kernel, interleaved in one run; medians of repeated runs. Target: within 1.5x (DESIGN.md).
// When nmstatectl is available, `nmstatectl apply -k` of the same bridges is timed beside them.
//
//   npm run bench -- --only apply            (root; creates and deletes its own namespaces)
//   node dist/bench/apply.js [--sizes 100,500,1000] [--runs 7]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { HostBackend } from '../src/handler/node-backend.js';
import { run } from '../src/util/exec.js';
import { benchNamespaceName, cleanupOnSignal, deleteNamespace, freshNamespace } from './lib/netns.js';
import { findNmstatectl } from './lib/nmstate.js';
import { benchTable, type BenchRow } from './lib/report.js';
import { median, timed } from './lib/stats.js';

const bridgeNames = (n: number) => Array.from({ length: n }, (_, i) => `net${i}`);

/** The ip work the transaction does for these networks: each bridge created, then brought up. */
export function bareBridgeBatch(n: number): string {
  const names = bridgeNames(n);
  return [
    ...names.map((b) => `link add name ${b} mtu 1500 type bridge stp_state 0`),
    ...names.map((b) => `link set dev ${b} up`),
  ].join('\n') + '\n';
}

/** The same bridges as nmstate desired state. */
export function nmstateBridges(n: number): string {
  return JSON.stringify({
    interfaces: bridgeNames(n).map((name) => ({
      name, type: 'linux-bridge', state: 'up', mtu: 1500,
      bridge: { options: { stp: { enabled: false } }, port: [] },
    })),
  });
}

/**
 * --apply-child STATE_DIR N: inside the namespace, time one setup() of the whole spec (ms on
 * stdout). The agent is a long-running process: a small apply and its removal first, so the code
 * runs warm as it does there, not through the JIT's first pass.
 */
async function applyChild(stateDir: string, n: number): Promise<void> {
  const backend = new HostBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 0 });
  for (const warm of [{ networks: { warm0: {}, warm1: { ipaddr: '192.0.2.1', prefix: 24 } } }, {}]) {
    const r = await backend.setup(warm, undefined);
    if (!r.ok) throw new Error(`warm-up failed: ${JSON.stringify(r)}`);
  }
  const spec = { networks: Object.fromEntries(bridgeNames(n).map((b) => [b, {}])) };
  const t0 = process.hrtime.bigint();
  const r = await backend.setup(spec, undefined);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.ok || r.steps !== n) throw new Error(`setup failed: ${JSON.stringify(r)}`);
  process.stdout.write(`${ms}\n`);
}

export interface ApplyBenchOptions {
  sizes: number[];
  runs: number;
  nmstate?: boolean;
  log?: (l: string) => void;
}

export async function benchApplyBridges(o: ApplyBenchOptions): Promise<BenchRow[]> {
  const ns = benchNamespaceName('applybench');
  const unregister = cleanupOnSignal(() => [ns]);
  const nmstatectl = o.nmstate === false ? undefined : await findNmstatectl();
  const rows: BenchRow[] = [];
  try {
    for (const n of o.sizes) {
      const batch = bareBridgeBatch(n);
      const nmFile = join(tmpdir(), `${ns}-nmstate.json`);
      if (nmstatectl) await writeFile(nmFile, nmstateBridges(n));
      const sides: Record<string, () => Promise<number>> = {
        ours: async () => {
          await freshNamespace(ns);
          const stateDir = await mkdtemp(join(tmpdir(), 'ovnh-applybench-'));
          try {
            const r = await run(['ip', 'netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--apply-child', stateDir, String(n)]);
            return Number(r.stdout.trim());
          } finally {
            await rm(stateDir, { recursive: true, force: true });
          }
        },
        bare: async () => {
          await freshNamespace(ns);
          return timed(() => run(['ip', '-n', ns, '-batch', '-'], { input: batch }));
        },
      };
      if (nmstatectl) {
        sides.nmstate = async () => {
          await freshNamespace(ns);
          return timed(() => run(['ip', 'netns', 'exec', ns, nmstatectl, 'apply', '-k', '-q', nmFile], { timeoutMs: 600_000 }));
        };
      }
      const times: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
      const order = Object.keys(sides);
      for (let i = 0; i <= o.runs; i++) {
        // Run 0 warms caches and is dropped; the order rotates so no side always runs on a warmer kernel.
        const rot = order.map((_, j) => order[(i + j) % order.length]!);
        for (const side of rot) {
          const ms = await sides[side]!();
          if (i > 0) times[side]!.push(ms);
        }
        o.log?.(`apply ${n} bridges, run ${i}/${o.runs}: ${order.map((s) => `${s} ${times[s]!.at(-1)?.toFixed(1) ?? '-'} ms`).join(', ')}`);
      }
      await rm(nmFile, { force: true });
      const ours = median(times.ours!);
      const bare = median(times.bare!);
      const c = `apply ${n} bridged networks (netns)`;
      rows.push({ bench: 'apply', case: c, size: n, value: ours, unit: 'ms', baselineName: 'ip -batch', baseline: bare, ratio: ours / bare, target: '<= 1.5x', met: ours / bare <= 1.5, note: `median of ${o.runs}` });
      if (times.nmstate) {
        const nm = median(times.nmstate);
        rows.push({ bench: 'apply/nmstate', case: `nmstatectl apply -k, ${n} bridges`, size: n, value: nm, unit: 'ms', baselineName: 'ip -batch', baseline: bare, ratio: nm / bare, note: `ours/nmstate ${(ours / nm).toFixed(2)}x` });
      }
    }
  } finally {
    await deleteNamespace(ns);
    unregister();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--apply-child') {
    await applyChild(process.argv[3]!, Number(process.argv[4]));
    process.exit(0);
  }
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '500' }, runs: { type: 'string', default: '7' }, 'no-nmstate': { type: 'boolean' } } });
  const rows = await benchApplyBridges({
    sizes: values.sizes.split(',').map(Number), runs: Number(values.runs), nmstate: !values['no-nmstate'],
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(benchTable(rows));
}
