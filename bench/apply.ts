// Benchmark: applying N bridged networks (a spec change → kernel configured) as the agent does
// it — the agent's KernelBackend.setup() in a child process started with the launcher's V8 flags
// (bin/agent-v8.js: lite mode), with the connectivity verifier the agent builds for a spec that
// leaves connectivityCheck at its defaults (src/verify/for-spec.ts: the API server probe and the
// path-MTU probe, against a TLS server in the namespace): validation, plan, journalled
// transaction, probe, persistence — against a bare `ip -batch` creating and raising the same
// bridges, each in a fresh namespace of this kernel, interleaved in one run; medians of repeated
// runs. The probe's own time (preflight and check: a TLS handshake, pings, its `ip route get`)
// is reported apart, since bare iproute2 has none; the target (issue 26: <= 1.2x bare) is on the
// apply without it. `--v8 agent,no-lite` also times the apply without --lite-mode (the
// optimizing compilers), in the same run.
// When nmstatectl is available, `nmstatectl apply -k` of the same bridges is timed beside them.
// Removal: the N networks the handler applied, removed by the handler (a spec of no networks)
// against the two bare ways of deleting the same devices: `ip -batch` with one `link del` per
// device, and `ip link set ... group` for each then one `ip link del group`.
//
//   npm run bench -- --only apply            (root; creates and deletes its own namespaces)
//   node dist/bench/apply.js [--sizes 10,100] [--runs 5] [--v8 agent,no-lite] [--no-verifier]
//        [--removal-sizes 800] [--no-nmstate] [--out docs/results/apply.json]
//   node dist/bench/apply.js --quick --out FILE      (10 and 100 networks, 3 runs, both V8 variants)
//   node dist/bench/apply.js ... --before OTHER/dist/bench/apply.js   (an older build timed in the same run)
// --out writes the rows as JSON (kit/report.ts ResultsFile, with the command line and commit);
// bench/apply-report.ts makes docs/benchmarks.md's before/after table from two such files.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createTlsServer } from 'node:tls';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { KernelBackend } from '../src/agent/kernel-backend.js';
import { STANDBY_DELAY_MS } from '../src/apply/transaction.js';
import { run } from '../src/util/exec.js';
import { benchNamespaceName, cleanupOnSignal, deleteNamespace, freshNamespace } from '../lab/client/index.js';
import { findNmstatectl } from './lib/nmstate.js';
import { benchTable, headCommit, newResults, writeResults, type BenchRow } from '../kit/report.js';
import { createPki, serverExt, signedCert } from '../lab/src/pki.js';
import { verifierForSpec } from '../src/verify/index.js';
import { median, timed } from './lib/stats.js';
import { PROBE_PARTS, traceTotals } from '../src/util/trace.js';

const SELF = fileURLToPath(import.meta.url);
/** The checkout (this file is dist/bench/apply.js). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The verifier's "API server" (a namespace of the bench's own) and the node's address towards it. */
const API_ADDR = '10.79.0.1';
const NODE_ADDR = '10.79.0.2';
const API_PORT = 6443;

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

/** Where the child's verifier finds its API server (a TLS server in the same namespace). */
interface VerifierAt {
  ca: string;
  port: number;
}

/** The verifier the agent builds for a spec without a connectivityCheck (its defaults), against `at`. */
async function agentVerifier(spec: Record<string, unknown>, at: VerifierAt | undefined) {
  if (!at) return undefined;
  const ca = await readFile(at.ca);
  const quiet = () => undefined;
  return verifierForSpec(spec, { api: { host: API_ADDR, port: at.port, tls: async () => ({ ca }) }, resolvConf: '/etc/resolv.conf', log: quiet, warn: quiet });
}

/**
 * --apply-child STATE_DIR N [VERIFIER_JSON]: inside the namespace, time one setup() of the whole
 * spec (a ChildResult as JSON on stdout), with a fresh verifier per setup as the agent makes one
 * per generation. The agent is a long-running process: a small apply and its removal first, so
 * the code runs warm as it does there, not through the JIT's first pass.
 */
async function applyChild(stateDir: string, n: number, at: VerifierAt | undefined): Promise<void> {
  let collector = traceTotals();
  const backend = new KernelBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 0, trace: (p, ms) => collector.trace(p, ms) });
  for (const warm of [{ networks: { warm0: {}, warm1: { ipaddr: '192.0.2.1', prefix: 24 } } }, {}]) {
    const r = await backend.setup(warm, await agentVerifier(warm, at));
    if (!r.ok) throw new Error(`warm-up failed: ${JSON.stringify(r)}`);
  }
  const spec = { networks: Object.fromEntries(bridgeNames(n).map((b) => [b, {}])) };
  const verifier = await agentVerifier(spec, at);
  // The agent's next spec comes with a later watch event, not right after the last apply: what
  // it does between applies (the standby ip session Transactions starts STANDBY_DELAY_MS after
  // one) is done by then, as it is there. (With 50 ms for the standby's processes to start, a
  // loaded machine's slow exec showed in the host read of some runs: 500.)
  await new Promise((r) => setTimeout(r, STANDBY_DELAY_MS + 500));
  collector = traceTotals();
  const t0 = process.hrtime.bigint();
  const r = await backend.setup(spec, verifier);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.ok || r.steps !== n) throw new Error(`setup failed: ${JSON.stringify(r)}`);
  process.stdout.write(JSON.stringify({ ms, parts: Object.fromEntries(collector.totals) } satisfies ChildResult) + '\n');
}

/** The connectivity probe's own milliseconds in a child's result (preflight and check). */
export function probeMs(r: ChildResult): number {
  return Object.values(PROBE_PARTS).reduce((a, p) => a + (r.parts[p]?.ms ?? 0), 0);
}

/** --tls-server CERT KEY PORT: the "API server" the verifier shakes hands with; prints "ready". */
async function tlsServer(cert: string, key: string, port: number): Promise<void> {
  const server = createTlsServer({ cert: await readFile(cert), key: await readFile(key) }, (sock) => sock.end());
  // Any address: the veth (and API_ADDR on it) is made anew for each run.
  await new Promise<void>((r) => server.listen(port, '0.0.0.0', r));
  process.stdout.write('ready\n');
}

/**
 * The API server's side: a namespace of its own with the TLS server in it (its certificate, for
 * API_ADDR, from a CA of the bench's own), reached from the node's namespace over a veth with a
 * common MTU, as a node reaches its API server (on lo, whose MTU is 65536, the path-MTU probe's
 * ping cannot be sent at all). Resolves with the CA and a function that stops it all.
 */
async function startApiServer(srv: string, dir: string): Promise<{ ca: string; stop: () => Promise<void> }> {
  const pki = await createPki(join(dir, 'pki'));
  const cert = join(dir, 'api.crt');
  const key = join(dir, 'api.key');
  await signedCert(pki, key, cert, '/CN=kube-apiserver', serverExt([`IP:${API_ADDR}`]));
  await freshNamespace(srv);
  const child = spawn('ip', ['netns', 'exec', srv, process.execPath, SELF, '--tls-server', cert, key, String(API_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
    child.once('exit', (code) => reject(new Error(`the TLS server exited (${code}) before it listened`)));
  });
  return {
    ca: pki.caCert,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await deleteNamespace(srv);
    },
  };
}

/** A fresh node namespace; with an API server namespace, linked to it by a veth (every side pays for it alike). */
async function freshNodeNamespace(ns: string, srv: string | undefined): Promise<void> {
  await freshNamespace(ns);
  if (!srv) return;
  await run(['ip', '-n', ns, '-batch', '-'], { input: [
    `link add api0 type veth peer name srv0 netns ${srv}`, `addr add ${NODE_ADDR}/24 dev api0`, 'link set api0 up',
  ].join('\n') + '\n' });
  await run(['ip', '-n', srv, '-batch', '-'], { input: `addr add ${API_ADDR}/24 dev srv0\nlink set srv0 up\n` });
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
  // The agent's V8 flags (no verifier: the agent removes a deleted object's networks without one).
  const agentFlags = await agentV8Flags();
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
            const r = await run(['ip', 'netns', 'exec', ns, process.execPath, ...agentFlags, SELF, '--removal-child', stateDir, String(n), side], { timeoutMs: 1_800_000 });
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

/** How the timed child runs V8: as the agent (the launcher's flags), or those without lite mode. */
export const V8_VARIANTS = ['agent', 'no-lite'] as const;
export type V8Variant = (typeof V8_VARIANTS)[number];

/** The node flags of a variant, from the launcher's own list (pure). */
export function variantFlags(agentFlags: readonly string[], v: V8Variant): string[] {
  return v === 'agent' ? [...agentFlags] : agentFlags.filter((f) => f !== '--lite-mode');
}

/** The launcher's V8 flags (bin/agent-v8.js, plain JS beside the launcher: read at run time). */
async function agentV8Flags(): Promise<readonly string[]> {
  const m = (await import(pathToFileURL(join(ROOT, 'bin', 'agent-v8.js')).href)) as { AGENT_V8_FLAGS: readonly string[] };
  return m.AGENT_V8_FLAGS;
}

/** The apply target of issue 26, on the apply without the probe's own time. */
const APPLY_TARGET = 1.2;

export interface ApplyBenchOptions {
  sizes: number[];
  runs: number;
  nmstate?: boolean;
  /** The V8 variants of the timed child (default: the agent's). */
  v8?: readonly V8Variant[];
  /** The agent's default verifier in the apply (default true). */
  verifier?: boolean;
  /**
   * Another build's dist/bench/apply.js (an older commit's, same child protocol): its apply
   * child is timed too, per variant, interleaved in the same run (rows `apply@before:VARIANT`).
   */
  before?: string;
  log?: (l: string) => void;
}

/** The rows of one variant at one size: the apply without and with the probe, the probe, the parts. */
function variantRows(n: number, v: string, flags: string[], children: readonly ChildResult[], bare: number, runs: number, prefix = 'apply'): BenchRow[] {
  const without = median(children.map((c) => c.ms - probeMs(c)));
  const total = median(children.map((c) => c.ms));
  const probe = median(children.map(probeMs));
  const base = { size: n, unit: 'ms', baselineName: 'ip -batch', baseline: bare };
  const how = `node ${flags.join(' ') || '(no flags)'}`;
  const rows: BenchRow[] = [
    { bench: `${prefix}:${v}`, case: `apply ${n} bridged networks (netns), probe time apart`, value: without, ratio: without / bare, target: `<= ${APPLY_TARGET}x`, met: without / bare <= APPLY_TARGET, note: `median of ${runs}; ${how}; ours ${children.map((c) => (c.ms - probeMs(c)).toFixed(1)).join('/')} ms`, ...base },
  ];
  if (probe > 0) {
    rows.push({ bench: `${prefix}:${v}/with-probe`, case: `apply ${n} bridged networks (netns), probe included`, value: total, ratio: total / bare, note: how, ...base });
    rows.push({ bench: `${prefix}:${v}/probe`, case: `  ${n} networks: connectivity probe (preflight + check)`, size: n, value: probe, unit: 'ms' });
  }
  for (const p of partMedians(children)) {
    rows.push({ bench: `${prefix}:${v}/parts`, case: `  ${n} networks: ${p.part}${p.count > 1 ? ` (${p.count}x)` : ''}`, size: n, value: p.ms, unit: 'ms' });
  }
  return rows;
}

export async function benchApplyBridges(o: ApplyBenchOptions): Promise<BenchRow[]> {
  const ns = benchNamespaceName('applybench');
  const unregister = cleanupOnSignal(() => [ns]);
  const nmstatectl = o.nmstate === false ? undefined : await findNmstatectl();
  const variants = o.v8 ?? ['agent'];
  const agentFlags = await agentV8Flags();
  const srv = o.verifier === false ? undefined : benchNamespaceName('apisrv');
  const unregisterSrv = cleanupOnSignal(() => (srv ? [srv] : []));
  const certDir = await mkdtemp(join(tmpdir(), 'ovnh-applybench-pki-'));
  const api = srv ? await startApiServer(srv, certDir) : undefined;
  const rows: BenchRow[] = [];
  try {
    for (const n of o.sizes) {
      const batch = bareBridgeBatch(n);
      const nmFile = join(tmpdir(), `${ns}-nmstate.json`);
      if (nmstatectl) await writeFile(nmFile, nmstateBridges(n));
      const keys = variants.flatMap((v) => [v, ...(o.before ? [`${v}@before`] : [])]);
      const children: Record<string, ChildResult[]> = Object.fromEntries(keys.map((k) => [k, []]));
      const ours = (v: V8Variant, script = SELF, key: string = v) => async () => {
        await freshNodeNamespace(ns, srv);
        const stateDir = await mkdtemp(join(tmpdir(), 'ovnh-applybench-'));
        try {
          const at = api ? [JSON.stringify({ ca: api.ca, port: API_PORT } satisfies VerifierAt)] : [];
          const r = await run(['ip', 'netns', 'exec', ns, process.execPath, ...variantFlags(agentFlags, v), script, '--apply-child', stateDir, String(n), ...at]);
          const child = JSON.parse(r.stdout) as ChildResult;
          children[key]!.push(child);
          return child.ms - probeMs(child);
        } finally {
          await rm(stateDir, { recursive: true, force: true });
        }
      };
      const sides: Record<string, () => Promise<number>> = Object.fromEntries(variants.map((v) => [v, ours(v)]));
      for (const v of o.before ? variants : []) sides[`${v}@before`] = ours(v, o.before, `${v}@before`);
      sides.bare = async () => {
        await freshNodeNamespace(ns, srv);
        return timed(() => run(['ip', '-n', ns, '-batch', '-'], { input: batch }));
      };
      if (nmstatectl) {
        sides.nmstate = async () => {
          await freshNodeNamespace(ns, srv);
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
          else if (side in children) children[side]!.pop();
        }
        o.log?.(`apply ${n} bridges, run ${i}/${o.runs}: ${order.map((s) => `${s} ${times[s]!.at(-1)?.toFixed(1) ?? '-'} ms`).join(', ')}`);
      }
      await rm(nmFile, { force: true });
      const bare = median(times.bare!);
      for (const v of variants) rows.push(...variantRows(n, v, variantFlags(agentFlags, v), children[v]!, bare, o.runs));
      for (const v of o.before ? variants : []) rows.push(...variantRows(n, v, variantFlags(agentFlags, v), children[`${v}@before`]!, bare, o.runs, 'apply@before'));
      if (times.nmstate) {
        const nm = median(times.nmstate);
        rows.push({ bench: 'apply/nmstate', case: `nmstatectl apply -k, ${n} bridges`, size: n, value: nm, unit: 'ms', baselineName: 'ip -batch', baseline: bare, ratio: nm / bare });
      }
    }
  } finally {
    await deleteNamespace(ns);
    await api?.stop();
    await rm(certDir, { recursive: true, force: true });
    unregisterSrv();
    unregister();
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    sizes: { type: 'string', default: '500' }, 'removal-sizes': { type: 'string', default: '' }, runs: { type: 'string', default: '7' },
    'no-nmstate': { type: 'boolean' }, v8: { type: 'string', default: 'agent' }, 'no-verifier': { type: 'boolean' },
    quick: { type: 'boolean' }, out: { type: 'string' }, before: { type: 'string' },
  } });
  const log = (l: string) => process.stderr.write(l + '\n');
  const sizes = (v: string) => v.split(',').filter(Boolean).map(Number);
  const v8 = values.quick ? [...V8_VARIANTS] : values.v8.split(',').filter(Boolean);
  for (const v of v8) if (!(V8_VARIANTS as readonly string[]).includes(v)) throw new Error(`--v8: unknown variant "${v}" (known: ${V8_VARIANTS.join(', ')})`);
  const results = newResults('bench', process.argv.slice(2));
  results.command = `node dist/bench/apply.js ${process.argv.slice(2).join(' ')}`.trim();
  results.commit = await headCommit(ROOT);
  if (values.before) results.otherBuild = { path: values.before, commit: await headCommit(join(dirname(values.before), '..', '..')) };
  // How busy the machine was: ratios are same-run, but a loaded machine widens their spread.
  results.load = { start: loadavg()[0]! };
  results.bench = [
    ...await benchApplyBridges({ sizes: values.quick ? [10, 100] : sizes(values.sizes), runs: values.quick ? 3 : Number(values.runs), nmstate: !values['no-nmstate'], v8: v8 as V8Variant[], verifier: !values['no-verifier'], ...(values.before ? { before: values.before } : {}), log }),
    ...await benchRemoval({ sizes: sizes(values['removal-sizes']), runs: Number(values.runs), log }),
  ];
  results.finishedAt = new Date().toISOString();
  results.load.end = loadavg()[0]!;
  if (values.out) await writeResults(values.out, results);
  process.stdout.write(benchTable(results.bench));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--apply-child') {
    const at = process.argv[5] ? (JSON.parse(process.argv[5]) as VerifierAt) : undefined;
    await applyChild(process.argv[3]!, Number(process.argv[4]), at);
    process.exit(0);
  }
  if (process.argv[2] === '--removal-child') {
    await removalChild(process.argv[3]!, Number(process.argv[4]), process.argv[5] as RemovalSide);
    process.exit(0);
  }
  if (process.argv[2] === '--tls-server') await tlsServer(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
  else await main();
}
