// Benchmark: applying N bridged networks (a spec change → kernel configured, as the agent's
// backend does it: validation, plan, journalled transaction, persistence, read-back) against a
// bare `ip -batch` creating and raising the same bridges, each in a fresh namespace of this
// kernel, interleaved in one run; medians of repeated runs. Target: within 1.5x (DESIGN.md).
// When nmstatectl is available, `nmstatectl apply -k` of the same bridges is timed beside them.
// Removal: the N networks the handler applied, removed by the handler (a spec of no networks)
// against the two bare ways of deleting the same devices: `ip -batch` with one `link del` per
// device, and `ip link set ... group` for each then one `ip link del group`.
//
//   npm run bench -- --only apply            (root; creates and deletes its own namespaces)
//   node dist/bench/apply.js [--sizes 100,500,1000] [--removal-sizes 800] [--runs 7]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { KernelBackend } from '../src/agent/kernel-backend.js';
import { run } from '../src/util/exec.js';
import { benchNamespaceName, cleanupOnSignal, deleteNamespace, freshNamespace } from '../lab/client/index.js';
import { findNmstatectl } from './lib/nmstate.js';
import { benchTable, type BenchRow } from '../kit/report.js';
import { median, timed } from './lib/stats.js';
import { traceTotals } from '../src/util/trace.js';

const bridgeNames = (n: number) => Array.from({ length: n }, (_, i) => `net${i}`);

/** The ip work the transaction does for these networks: each bridge created, then brought up. */
export function bareBridgeBatch(n: number): string {
  const names = bridgeNames(n);
  return [
    ...names.map((b) => `link add name ${b} mtu 1500 type bridge stp_state 0`),
    ...names.map((b) => `link set dev ${b} up`),
  ].join('\n') + '\n';
}

/** Group of the bare group delete (not the handler's DELETE_LINK_GROUP: nothing shared). */
const BARE_GROUP = 77;

/** The bare removals of the bridges: one `link del` each, or all moved into a group deleted at once. */
export function bareRemovalBatch(n: number, how: 'del' | 'group'): string {
  const names = bridgeNames(n);
  const lines = how === 'del'
    ? names.map((b) => `link del dev ${b}`)
    : [...names.map((b) => `link set dev ${b} group ${BARE_GROUP}`), `link del group ${BARE_GROUP}`];
  return lines.join('\n') + '\n';
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

/** One timed apply: its milliseconds, and how long each part took (summed over its repeats). */
interface ChildResult {
  ms: number;
  parts: Record<string, { ms: number; count: number }>;
}

/**
 * --apply-child STATE_DIR N: inside the namespace, time one setup() of the whole spec (a
 * ChildResult as JSON on stdout). The agent is a long-running process: a small apply and its
 * removal first, so the code runs warm as it does there, not through the JIT's first pass.
 */
async function applyChild(stateDir: string, n: number): Promise<void> {
  let collector = traceTotals();
  const backend = new KernelBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 0, trace: (p, ms) => collector.trace(p, ms) });
  for (const warm of [{ networks: { warm0: {}, warm1: { ipaddr: '192.0.2.1', prefix: 24 } } }, {}]) {
    const r = await backend.setup(warm, undefined);
    if (!r.ok) throw new Error(`warm-up failed: ${JSON.stringify(r)}`);
  }
  collector = traceTotals();
  const spec = { networks: Object.fromEntries(bridgeNames(n).map((b) => [b, {}])) };
  const t0 = process.hrtime.bigint();
  const r = await backend.setup(spec, undefined);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.ok || r.steps !== n) throw new Error(`setup failed: ${JSON.stringify(r)}`);
  process.stdout.write(JSON.stringify({ ms, parts: Object.fromEntries(collector.totals) } satisfies ChildResult) + '\n');
}

/** Median milliseconds of each part over the runs, and the rest of the total ("other"). */
export function partMedians(results: readonly ChildResult[]): { part: string; ms: number; count: number }[] {
  const names = [...new Set(results.flatMap((r) => Object.keys(r.parts)))];
  const rows = names.map((part) => ({
    part,
    ms: median(results.map((r) => r.parts[part]?.ms ?? 0)),
    count: median(results.map((r) => r.parts[part]?.count ?? 0)),
  }));
  const other = median(results.map((r) => r.ms - Object.values(r.parts).reduce((a, p) => a + p.ms, 0)));
  return [...rows, { part: 'other (lock, config and origins files, undo reads, DHCP check)', ms: other, count: 1 }];
}

const REMOVAL_SIDES = ['ours', 'bare', 'group'] as const;
type RemovalSide = (typeof REMOVAL_SIDES)[number];

/**
 * --removal-child STATE_DIR N SIDE: inside the namespace, the handler applies N networks
 * (untimed, after the same warm-up as applyChild), then one removal of all their devices is
 * timed (ms on stdout): ours = setup() of a spec without networks, bare/group = `ip -batch`.
 * Every side deletes the same devices, made by the same apply; the child checks none is left.
 */
async function removalChild(stateDir: string, n: number, side: RemovalSide): Promise<void> {
  let collector = traceTotals();
  const backend = new KernelBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 0, trace: (p, ms) => collector.trace(p, ms) });
  for (const warm of [{ networks: { warm0: {}, warm1: { ipaddr: '192.0.2.1', prefix: 24 } } }, {}]) {
    const r = await backend.setup(warm, undefined);
    if (!r.ok) throw new Error(`warm-up failed: ${JSON.stringify(r)}`);
  }
  const made = await backend.setup({ networks: Object.fromEntries(bridgeNames(n).map((b) => [b, {}])) }, undefined);
  if (!made.ok) throw new Error(`setup failed: ${JSON.stringify(made)}`);
  collector = traceTotals();
  const t0 = process.hrtime.bigint();
  if (side === 'ours') {
    const r = await backend.setup({}, undefined);
    if (!r.ok || r.steps !== n) throw new Error(`removal failed: ${JSON.stringify(r)}`);
  } else {
    await run(['ip', '-batch', '-'], { input: bareRemovalBatch(n, side === 'bare' ? 'del' : 'group') });
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const left = (JSON.parse((await run(['ip', '-json', 'link', 'show'])).stdout) as { ifname: string }[]).filter((l) => l.ifname !== 'lo');
  if (left.length) throw new Error(`${side}: ${left.length} device(s) left after the removal, e.g. ${left[0]!.ifname}`);
  process.stdout.write(JSON.stringify({ ms, parts: Object.fromEntries(collector.totals) } satisfies ChildResult) + '\n');
}

export interface RemovalBenchOptions {
  sizes: number[];
  runs: number;
  log?: (l: string) => void;
}

/** Removal of N bridged networks: ours against both bare forms, the best of which is the baseline. */
export async function benchRemoval(o: RemovalBenchOptions): Promise<BenchRow[]> {
  const ns = benchNamespaceName('rmbench');
  const unregister = cleanupOnSignal(() => [ns]);
  const rows: BenchRow[] = [];
  try {
    for (const n of o.sizes) {
      const times: Record<RemovalSide, number[]> = { ours: [], bare: [], group: [] };
      const children: ChildResult[] = [];
      for (let i = 0; i <= o.runs; i++) {
        // Run 0 warms caches and is dropped; the order rotates.
        const rot = REMOVAL_SIDES.map((_, j) => REMOVAL_SIDES[(i + j) % REMOVAL_SIDES.length]!);
        for (const side of rot) {
          await freshNamespace(ns);
          const stateDir = await mkdtemp(join(tmpdir(), 'ovnh-rmbench-'));
          try {
            const r = await run(['ip', 'netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--removal-child', stateDir, String(n), side], { timeoutMs: 1_800_000 });
            const child = JSON.parse(r.stdout) as ChildResult;
            if (i > 0) times[side].push(child.ms);
            if (i > 0 && side === 'ours') children.push(child);
          } finally {
            await rm(stateDir, { recursive: true, force: true });
          }
        }
        o.log?.(`remove ${n} bridges, run ${i}/${o.runs}: ${REMOVAL_SIDES.map((s) => `${s} ${times[s].at(-1)?.toFixed(0) ?? '-'} ms`).join(', ')}`);
      }
      const m = { ours: median(times.ours), bare: median(times.bare), group: median(times.group) };
      const best = Math.min(m.bare, m.group);
      const bestName = m.group <= m.bare ? 'ip link del group' : 'ip -batch link del';
      const base = { size: n, unit: 'ms', baselineName: `best bare: ${bestName}`, baseline: best };
      const note = `median of ${o.runs}; ours ${times.ours.map((t) => t.toFixed(0)).join('/')} ms, link del ${times.bare.map((t) => t.toFixed(0)).join('/')} ms, group ${times.group.map((t) => t.toFixed(0)).join('/')} ms`;
      rows.push({ bench: 'remove', case: `remove ${n} bridged networks (netns)`, value: m.ours, ratio: m.ours / best, target: '<= 1.0x', met: m.ours <= best, note, ...base });
      rows.push({ bench: 'remove/bare', case: `ip -batch, one link del per device, ${n} bridges`, value: m.bare, ratio: m.bare / best, ...base });
      rows.push({ bench: 'remove/bare', case: `ip link set group + link del group, ${n} bridges`, value: m.group, ratio: m.group / best, ...base });
      for (const p of partMedians(children)) {
        rows.push({ bench: 'remove/parts', case: `  ${n} networks: ${p.part}${p.count > 1 ? ` (${p.count}x)` : ''}`, size: n, value: p.ms, unit: 'ms' });
      }
    }
  } finally {
    await deleteNamespace(ns);
    unregister();
  }
  return rows;
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
      const children: ChildResult[] = [];
      const sides: Record<string, () => Promise<number>> = {
        ours: async () => {
          await freshNamespace(ns);
          const stateDir = await mkdtemp(join(tmpdir(), 'ovnh-applybench-'));
          try {
            const r = await run(['ip', 'netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--apply-child', stateDir, String(n)]);
            const child = JSON.parse(r.stdout) as ChildResult;
            children.push(child);
            return child.ms;
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
      // Where ours went (run 0 dropped, as above).
      for (const p of partMedians(children.slice(1))) {
        rows.push({ bench: 'apply/parts', case: `  ${n} networks: ${p.part}${p.count > 1 ? ` (${p.count}x)` : ''}`, size: n, value: p.ms, unit: 'ms' });
      }
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
  if (process.argv[2] === '--removal-child') {
    await removalChild(process.argv[3]!, Number(process.argv[4]), process.argv[5] as RemovalSide);
    process.exit(0);
  }
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '500' }, 'removal-sizes': { type: 'string', default: '' }, runs: { type: 'string', default: '7' }, 'no-nmstate': { type: 'boolean' } } });
  const log = (l: string) => process.stderr.write(l + '\n');
  const sizes = (v: string) => v.split(',').filter(Boolean).map(Number);
  const rows = [
    ...await benchApplyBridges({ sizes: sizes(values.sizes), runs: Number(values.runs), nmstate: !values['no-nmstate'], log }),
    ...await benchRemoval({ sizes: sizes(values['removal-sizes']), runs: Number(values.runs), log }),
  ];
  process.stdout.write(benchTable(rows));
}
