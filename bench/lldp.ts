// Benchmark: what LLDP costs a node (issue 24, "Measure").
// - Status bytes: every lab object whose agent reports status.lldp, as the API server stores it,
//   measured as the status budget counts an object (src/report/status-budget.ts), with status.lldp
//   and without it (the status before LLDP; an agent run with --lldp off reports each NIC
//   disabled, ~30 B each: the "as written" row) per NIC; and each NIC's entry, hearing the switch
//   or nothing.
// - RSS: the VM node's agent (a process whose arguments the lab chooses; the DaemonSet's pods all
//   run the DaemonSet's) restarted in turn with --lldp receive (lldpd running, hearing its switch)
//   and --lldp off, the order rotating each round; after each start it settles, then is sampled:
//   the agent's VmRSS, lldpd's processes' (its monitor and privilege-separated child), and the
//   object as that agent wrote it. Ratios against --lldp off in the same run.
// Figures and verdicts come from the raw records alone (bench/lib/lldp-figures.ts), and so does
// docs/benchmarks.md's section (--report).
//
//   npm run bench -- --only lldp [--quick]                                   (needs the lab)
//   node dist/bench/lldp.js [--rounds 3] [--settle 30] [--window 60] --out docs/results/lldp.json
//   node dist/bench/lldp.js --report docs/results/lldp.json --doc docs/benchmarks.md
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_STATE_DIR } from '../src/api/constants.js';
import { lldpdPaths } from '../src/model/lldpd.js';
import { lldpNeighbor } from '../src/observe/lldp.js';
import type { OnnObject } from '../src/k8s/client.js';
import { sleep, waitFor } from '../src/util/exec.js';
import { killAgent, labExec, startNodeAgent, type Lab } from '../lab/src/index.js';
import { OnnDriver, requireLab, vmNodeName } from '../lab/client/index.js';
import { benchTable, headCommit, newResults, readResults, writeResults, type BenchRow } from '../kit/report.js';
import {
  lldpRows,
  lldpSection,
  lldpStatusSample,
  parseRssSample,
  withLldpSection,
  type LldpRaw,
  type LldpRssPhase,
  type LldpVariant,
} from './lib/lldp-figures.js';

export interface LldpBenchOptions {
  /** Pairs of phases (receive, off), the order rotating. */
  rounds: number;
  settleSeconds: number;
  windowSeconds: number;
  log?: (l: string) => void;
}

/** The agent's statistics interval (src/cli/run.ts default): an LLDP read at most this old. */
const READ_WAIT_MS = 240_000;
const SAMPLE_EVERY_MS = 2000;

const heardSwitch = (o: OnnObject) =>
  Object.values((o.status?.lldp ?? {}) as Record<string, Parameters<typeof lldpNeighbor>[0]>).some((i) => lldpNeighbor(i));

/** Every lab object that reports status.lldp with a switch heard (each node waited for). */
async function statusSamples(lab: Lab, onn: OnnDriver): Promise<LldpRaw['status']> {
  const out: LldpRaw['status'] = [];
  for (const n of lab.state.nodes) {
    const o = await waitFor(`${n.name}'s status.lldp to hear its switch`, async () => {
      const x = (await onn.get(n.name)) as unknown as OnnObject;
      return heardSwitch(x) ? x : undefined;
    }, READ_WAIT_MS, 1000);
    const s = lldpStatusSample(o, n.kind);
    if (s) out.push(s);
  }
  return out;
}

/** One sample inside the VM: the agent's and lldpd's processes' VmRSS (kB). */
function sampleScript(agentPid: number): string {
  const pidFile = lldpdPaths(DEFAULT_STATE_DIR).pid;
  return [
    `rss() { awk '/^VmRSS:/{print $2}' /proc/$1/status 2>/dev/null; }`,
    `echo "agent $(rss ${agentPid})"`,
    `m=$(cat '${pidFile}' 2>/dev/null)`,
    'if [ -n "$m" ] && [ -d /proc/$m ]; then',
    '  echo "lldpd $(rss $m)"',
    '  for c in $(cat /proc/$m/task/*/children 2>/dev/null); do echo "lldpd $(rss $c)"; done',
    'fi',
  ].join('\n');
}

/** The VM's agent started with this --lldp, in the state it makes (lldp heard, or gone), then sampled. */
async function phase(node: string, variant: LldpVariant, round: number, onn: OnnDriver, o: LldpBenchOptions): Promise<LldpRssPhase> {
  await killAgent(node, 'SIGTERM');
  const pid = await startNodeAgent(node, variant === 'off' ? ['--lldp', 'off'] : []);
  // Off: every NIC reported disabled (agent/kernel-backend.ts), the switch no longer shown.
  const disabled = (x: OnnObject) => {
    const l = x.status?.lldp as Record<string, { enabled?: boolean }> | undefined;
    return l !== undefined && Object.values(l).every((i) => i.enabled === false);
  };
  const ready = (x: OnnObject) => (variant === 'off' ? disabled(x) : heardSwitch(x));
  await waitFor(`${node}'s agent with --lldp ${variant} to have written its status`, async () => ready((await onn.get(node)) as unknown as OnnObject), READ_WAIT_MS, 1000);
  await sleep(o.settleSeconds * 1000);
  const p: LldpRssPhase = { round, variant, node, agentKb: [], lldpdKb: [], lldpdProcesses: 0, objectBytes: 0 };
  const end = Date.now() + o.windowSeconds * 1000;
  do {
    const s = parseRssSample((await labExec(node, ['sh', '-c', sampleScript(pid)])).stdout);
    if (!Number.isFinite(s.agentKb)) throw new Error(`${node}'s agent (pid ${pid}) is gone`);
    p.agentKb.push(s.agentKb);
    p.lldpdKb.push(s.lldpdKb);
    p.lldpdProcesses = Math.max(p.lldpdProcesses, s.lldpdProcesses);
    await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, end - Date.now())));
  } while (Date.now() < end);
  const obj = (await onn.get(node)) as unknown as OnnObject;
  p.objectBytes = lldpStatusSample(obj, 'vm')?.bytes ?? Buffer.byteLength(JSON.stringify(obj));
  o.log?.(`round ${round} --lldp ${variant}: agent max ${(Math.max(...p.agentKb) / 1024).toFixed(1)} MB, lldpd max ${(Math.max(...p.lldpdKb) / 1024).toFixed(1)} MB`);
  return p;
}

export async function benchLldpRaw(o: LldpBenchOptions): Promise<LldpRaw> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const status = await statusSamples(lab, onn);
  const node = vmNodeName(lab);
  if (!node) throw new Error('the LLDP benchmark measures RSS on the VM node (its agent is a process): the lab has none');
  const rss: LldpRssPhase[] = [];
  let last: LldpVariant = 'receive';
  try {
    for (let r = 0; r < o.rounds; r++) {
      const order: LldpVariant[] = r % 2 ? ['off', 'receive'] : ['receive', 'off'];
      for (const v of order) {
        last = v;
        rss.push(await phase(node, v, r, onn, o));
      }
    }
  } finally {
    // The lab's agent as it was: the default arguments (--lldp receive).
    if (last !== 'receive') {
      await killAgent(node, 'SIGTERM').catch(() => undefined);
      await startNodeAgent(node);
    }
  }
  return { status, rss };
}

/** The suite's entry (bench/index.ts): the rows, and the raw records they were computed from. */
export async function benchLldp(o: LldpBenchOptions): Promise<{ rows: BenchRow[]; raw: LldpRaw }> {
  const raw = await benchLldpRaw(o);
  return { rows: lldpRows(raw), raw };
}

/** Where docs/benchmarks.md gets the section when it has none yet: before this heading. */
const BEFORE_HEADING = '## Many nodes and fleet rollout';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    rounds: { type: 'string', default: '3' }, settle: { type: 'string', default: '30' }, window: { type: 'string', default: '60' },
    out: { type: 'string' }, report: { type: 'string' }, doc: { type: 'string' },
  } });
  if (values.report) {
    const s = lldpSection(await readResults(values.report));
    if (values.doc) await writeFile(values.doc, withLldpSection(await readFile(values.doc, 'utf8'), s, BEFORE_HEADING));
    else process.stdout.write(s + '\n');
    return;
  }
  const results = newResults('bench', process.argv.slice(2));
  results.command = `node dist/bench/lldp.js ${process.argv.slice(2).join(' ')}`.trim();
  results.commit = await headCommit(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  results.load = { start: loadavg()[0]! };
  const { rows, raw } = await benchLldp({
    rounds: Number(values.rounds), settleSeconds: Number(values.settle), windowSeconds: Number(values.window),
    log: (l) => process.stderr.write(`[lldp] ${l}\n`),
  });
  results.bench = rows;
  results.raw = { lldp: raw };
  results.finishedAt = new Date().toISOString();
  results.load.end = loadavg()[0]!;
  if (values.out) await writeResults(values.out, results);
  process.stdout.write(benchTable(rows));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
