// Benchmark: the agent at rest. Two lab nodes, one as the lab made it (4 interfaces) and one
// given 1000 interfaces, their agents restarted fresh, then left alone for the measured window:
// RSS (sampled), CPU seconds, and the API write requests and bytes each made (from the API
// server's audit log, which records our objects' request bodies). Baselines in the same run:
// RSS of an idle Node.js process of the same runtime; CPU of the bare ip -json dumps of the same
// namespace the agent's observation cadence makes in the window. That baseline is timed as a
// burst of dump cycles after the window and scaled to the window's cycles: a loop at the cadence
// itself used less than one clock tick (10 ms) in CI's 20 s window at 4 interfaces, and a
// baseline of 0 measures nothing.
// Targets (DESIGN.md): RSS < 80 MB; no writes between statistics intervals.
//
//   npm run bench -- --only at-rest [--rest-seconds 600]   (needs the lab)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { killAgent, labExec, startNodeAgent, type Lab } from '../lab/src/index.js';
import { HANDLER_NAMESPACE, HANDLER_SA } from '../lab/src/agents.js';
import { agentWrites, auditLinesSince, auditMark, earlyWrites, serviceAccountUser } from './lib/audit.js';
import { spawnDaemonless } from './lib/procs.js';
import { agentPid, OnnDriver, procUsage, requireLab, statCpuSeconds } from '../lab/client/index.js';
import { benchTable, type BenchRow } from '../kit/report.js';
import { sleep } from '../src/util/exec.js';

/** The agent's defaults (src/cli/run.ts). */
const STATISTICS_INTERVAL_S = 30;
const OBSERVE_INTERVAL_S = 10;

async function requireAgentPid(lab: Lab, node: string): Promise<number> {
  const pid = await agentPid(lab, node);
  if (pid === undefined) throw new Error(`${node} has no running agent`);
  return pid;
}

const EXTRA_PREFIX = 'rv';

/** The dump pair of one observation, as a bare shell runs it. */
const BARE_DUMP = 'ip -json -d -s link show >/dev/null; ip -json addr show >/dev/null';

/**
 * CPU seconds of `cycles` bare dump cycles in the node's namespace, timed over a burst of at least
 * `minBurst` cycles: the shell prints its own /proc stat last, whose reaped-children times hold
 * every ip it ran, summed in the kernel at full resolution and rounded to a tick once.
 */
async function bareDumpCpu(node: string, cycles: number, minBurst = 50): Promise<{ cpuS: number; burst: number }> {
  const burst = Math.max(minBurst, Math.ceil(cycles));
  const script = `i=0; while [ $i -lt ${burst} ]; do ${BARE_DUMP}; i=$((i+1)); done; cat /proc/$$/stat`;
  const r = await labExec(node, ['sh', '-c', script]);
  const perCycle = statCpuSeconds(r.stdout.trim()) / burst;
  return { cpuS: perCycle * cycles, burst };
}

async function addInterfaces(node: string, total: number): Promise<void> {
  const have = (JSON.parse((await labExec(node, ['ip', '-json', 'link', 'show'])).stdout) as unknown[]).length;
  const lines: string[] = [];
  for (let i = 0; i < Math.floor((total - have) / 2); i++) lines.push(`link add ${EXTRA_PREFIX}a${i} type veth peer name ${EXTRA_PREFIX}b${i}`, `link set ${EXTRA_PREFIX}a${i} up`, `link set ${EXTRA_PREFIX}b${i} up`);
  if ((total - have) % 2) lines.push(`link add ${EXTRA_PREFIX}d0 type bridge`); // dummy is not in every kernel here
  await labExec(node, ['ip', '-batch', '-'], { input: lines.join('\n') + '\n' });
}

async function removeInterfaces(node: string): Promise<void> {
  const links = JSON.parse((await labExec(node, ['ip', '-json', 'link', 'show'])).stdout) as { ifname: string }[];
  const del = links.filter((l) => l.ifname.startsWith(`${EXTRA_PREFIX}a`) || l.ifname === `${EXTRA_PREFIX}d0`).map((l) => `link del dev ${l.ifname}`);
  if (del.length) await labExec(node, ['ip', '-force', '-batch', '-'], { input: del.join('\n') + '\n', allowFailure: true });
}

export interface AtRestOptions {
  seconds: number;
  interfaces: number;
  /** Extra arguments for the agents' `run` (e.g. --low-memory). */
  agentArgs?: string[];
  log?: (l: string) => void;
}

export async function benchAtRest(o: AtRestOptions): Promise<BenchRow[]> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const [small, big] = lab.state.nodes.filter((n) => n.kind === 'netns').map((n) => n.name);
  if (!small || !big) throw new Error('the at-rest benchmark needs two namespace nodes');
  const rows: BenchRow[] = [];
  const loops: { kill(): void }[] = [];
  try {
    for (const n of [small, big]) await onn.apply(n, {});
    await addInterfaces(big, o.interfaces);
    const counts: Record<string, number> = {};
    for (const n of [small, big]) {
      counts[n] = (JSON.parse((await labExec(n, ['ip', '-json', 'link', 'show'])).stdout) as unknown[]).length;
      await killAgent(n, 'SIGTERM');
      await startNodeAgent(n, o.agentArgs ?? []);
      await onn.exists(n);
    }
    // Baseline for RSS: an idle node process (CPU's is timed after the window, bareDumpCpu).
    const idle = spawnDaemonless([process.execPath, '-e', 'setInterval(() => {}, 1000)']);
    loops.push(idle);
    o.log?.(`agents restarted; settling 20 s, then at rest for ${o.seconds} s (${small}: ${counts[small]} interfaces, ${big}: ${counts[big]})`);
    await sleep(20_000);
    const pids = { [small]: await requireAgentPid(lab, small), [big]: await requireAgentPid(lab, big) };
    const mark = await auditMark(join(lab.paths.dir, 'audit.log'));
    const start = Date.now();
    const cpu0: Record<string, number> = {};
    for (const n of [small, big]) cpu0[n] = (await procUsage(pids[n]!)).cpuS;
    const rss: Record<string, number[]> = { [small]: [], [big]: [], idle: [] };
    const split: Record<string, { anonMb: number; fileMb: number }> = {};
    while (Date.now() - start < o.seconds * 1000) {
      for (const n of [small, big]) {
        const u = await procUsage(pids[n]!);
        if (u.rssMb >= Math.max(0, ...rss[n]!)) split[n] = u;
        rss[n]!.push(u.rssMb);
      }
      rss.idle!.push((await procUsage(idle.pid)).rssMb);
      await sleep(Math.min(5000, Math.max(0, start + o.seconds * 1000 - Date.now())));
    }
    const end = Date.now();
    const idleRss = Math.max(...rss.idle!);
    const writes = agentWrites(await auditLinesSince(mark), serviceAccountUser(HANDLER_NAMESPACE, HANDLER_SA), [small, big], start, end);
    for (const n of [small, big]) {
      const cpu = (await procUsage(pids[n]!)).cpuS - cpu0[n]!;
      const cycles = (end - start) / 1000 / OBSERVE_INTERVAL_S;
      const bare = await bareDumpCpu(n, cycles);
      const w = writes.get(n)!;
      const early = earlyWrites(w.times, STATISTICS_INTERVAL_S * 1000);
      const maxRss = Math.max(...rss[n]!);
      const label = `${counts[n]} interfaces, ${o.seconds} s at rest${o.agentArgs?.length ? ` (run ${o.agentArgs.join(' ')})` : ''}`;
      const at = split[n];
      rows.push({ bench: 'at-rest', case: `agent RSS (max), ${label}`, size: counts[n], value: maxRss, unit: 'MB', baselineName: 'idle node', baseline: idleRss, ratio: maxRss / idleRss, target: '< 80 MB', met: maxRss < 80, ...(at ? { note: `private ${at.anonMb.toFixed(0)} MB, file pages ${at.fileMb.toFixed(0)} MB (node's binary)` } : {}) });
      rows.push({ bench: 'at-rest', case: `agent CPU, ${label}`, size: counts[n], value: cpu, unit: 's', baselineName: `ip dumps every ${OBSERVE_INTERVAL_S} s`, baseline: bare.cpuS, ratio: bare.cpuS > 0 ? cpu / bare.cpuS : undefined, note: `baseline: ${cycles.toFixed(1)} cycles, timed over ${bare.burst}` });
      rows.push({ bench: 'at-rest', case: `API writes, ${label}`, size: counts[n], value: w.count, unit: 'writes', baselineName: `1 per ${STATISTICS_INTERVAL_S} s`, baseline: o.seconds / STATISTICS_INTERVAL_S, ratio: w.count / (o.seconds / STATISTICS_INTERVAL_S), target: '0 between intervals', met: early === 0, note: `${early} write(s) less than 0.9 interval apart` });
      rows.push({ bench: 'at-rest', case: `API bytes written, ${label}`, size: counts[n], value: w.bytes / 1024, unit: 'KiB', note: `${w.count ? (w.bytes / w.count / 1024).toFixed(1) : 0} KiB per write` });
    }
  } finally {
    for (const l of loops) l.kill();
    await removeInterfaces(big).catch(() => undefined);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { 'rest-seconds': { type: 'string', default: '600' }, interfaces: { type: 'string', default: '1000' }, 'low-memory': { type: 'boolean' } } });
  const rows = await benchAtRest({ seconds: Number(values['rest-seconds']), interfaces: Number(values.interfaces), ...(values['low-memory'] ? { agentArgs: ['--low-memory'] } : {}), log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(benchTable(rows));
}
