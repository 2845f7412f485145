// Reliability: the VM node's power is cut (QEMU killed: what the guest had not flushed is lost)
// at a drawn point of an apply's kernel work, and it boots while the API server is unreachable.
// Survived = (1) before the API answers, the boot restore has put the kernel on the old or the
// new config, never a mix: the kernel read back equals the persisted config, which is one of the
// two; and (2) once the API answers, the agent ends on the spec: Available, and what it reports,
// the kernel and the persisted config all equal the spec as the handler persists it.
//
// Where a cut landed is read from the boot restore's own words and the side the persisted config
// is on (reliability/landing.ts), not from the delay. The cut point is drawn inside the kernel
// work as measured here, counted from its start: the host sees the start line through the share
// some ms late (the lag, measured against the guest's clock), and the delay makes up for it.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { RunningConfig } from '../src/api/config.js';
import { DEFAULT_STATE_DIR } from '../src/api/constants.js';
import { labExec, powerCycleVm, setVmApiReachable, startNodeAgent, type Lab } from '../lab/src/index.js';
import { vmFiles } from '../lab/src/vm.js';
import { PROJECT_ROOT } from '../lab/src/config.js';
import { RUNNING_CONFIG_FILE, parseRunningConfig } from '../src/persist/running-config.js';
import { sleep, waitFor } from '../src/util/exec.js';
import { isAvailable, OnnDriver, requireLab } from '../lab/client/index.js';
import { trialRows, trialSurvived, type ReliabilityRow, type TrialCheck, type TrialRecord } from '../kit/report.js';
import { randomInt, type Random } from '../kit/random.js';
import { CUT_CLASSES, cutClass, cutLanding, isKernelWorkLine, parseAgentLog, type LogLine } from './landing.js';

/**
 * Two specs over the VM's two data NICs that share nothing but the NICs, so a mix of them is
 * visible: A bonds eth1+eth2 under six bridged VLAN networks (IPv4 and IPv6); B frees the NICs
 * again for VLANs on eth1 and a bridged network on eth2.
 */
export function powerSpecs(): [Record<string, unknown>, Record<string, unknown>] {
  const vlanNet = (base: Record<string, unknown>, vlan: number) => ({
    ...base,
    vlan,
    bridged: true,
    bootproto: 'none',
    ipaddr: `10.77.${vlan}.1`,
    netmask: '255.255.255.0',
    ipv6addr: `fd77:${vlan}::1/64`,
  });
  const a = {
    bondings: { bond7: { nics: ['eth1', 'eth2'], options: 'mode=active-backup miimon=100' } },
    networks: Object.fromEntries(
      [101, 102, 103, 104, 105, 106].map((v) => [`pa${v}`, vlanNet({ bonding: 'bond7' }, v)]),
    ),
  };
  const b = {
    networks: {
      ...Object.fromEntries(
        [111, 112, 113].map((v) => [`pb${v}`, { ...vlanNet({ nic: 'eth1' }, v), bridged: v !== 111 }]),
      ),
      pb200: {
        nic: 'eth2',
        bridged: true,
        bootproto: 'none',
        ipaddr: '10.77.200.1',
        netmask: '255.255.255.0',
        mtu: 1400,
      },
    },
  };
  return [a, b];
}

export function vmNodes(lab: Lab): string[] {
  return lab.state.nodes.filter((n) => n.kind === 'vm').map((n) => n.name);
}

/** The VM's persisted running config (its state disk), read inside the guest. */
async function storedConfig(node: string): Promise<RunningConfig> {
  const r = await labExec(node, ['cat', join(DEFAULT_STATE_DIR, RUNNING_CONFIG_FILE)], { allowFailure: true });
  return parseRunningConfig(r.code === 0 ? JSON.parse(r.stdout) : { networks: {}, bondings: {} });
}

/** What the kernel has of the persisted config, read by the handler's own `show` in the guest. */
async function kernelConfigOf(node: string): Promise<RunningConfig> {
  const node24 = join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
  const cli = join(PROJECT_ROOT, 'bin', 'ovirt-node-network-handler.js');
  const r = await labExec(node, [node24, cli, 'show', '--json', '--state-dir', DEFAULT_STATE_DIR]);
  return (JSON.parse(r.stdout) as { kernelConfig: RunningConfig }).kernelConfig;
}

/** The agent log's text from byte `offset` on (the log is appended to across boots). */
async function logFrom(file: string, offset: number): Promise<string> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const { size } = await fh.stat();
    const from = size < offset ? 0 : offset;
    const buf = Buffer.alloc(size - from);
    await fh.read(buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

async function logSize(file: string): Promise<number> {
  return (await readFile(file).catch(() => Buffer.alloc(0))).length;
}

/** Polled every 5 ms: each poll reads only what the log gained since the trial began. */
const POLL_MS = 5;

/**
 * Waits for the kernel-work line of the apply of `generation` after `offset`; returns it and the
 * host time the poll saw it, then the line ending that apply ("applied" / "apply failed") too if
 * `end`.
 */
async function seeApply(file: string, offset: number, generation: number, end: boolean) {
  const find = (lines: LogLine[]) => {
    const i = lines.findIndex((l) => l.msg === 'applying' && l.generation === generation);
    const rest = i < 0 ? [] : lines.slice(i + 1);
    const start = rest.find(isKernelWorkLine);
    const done = rest.find((l) => l.generation === generation && (l.msg === 'applied' || l.msg === 'apply failed'));
    return { start, done };
  };
  const what = `the kernel work of generation ${generation}`;
  const start = await waitFor(
    what,
    async () => {
      const s = find(parseAgentLog(await logFrom(file, offset))).start;
      return s ? { line: s, seenAt: Date.now() } : undefined;
    },
    60_000,
    POLL_MS,
  );
  if (!end) return { start };
  const done = await waitFor(
    `the end of ${what}`,
    async () => {
      const d = find(parseAgentLog(await logFrom(file, offset))).done;
      return d ? { line: d, seenAt: Date.now() } : undefined;
    },
    120_000,
    POLL_MS,
  );
  return { start, done };
}

/**
 * The guest's clock minus this machine's (ms), from the quickest of a few round trips: the lag
 * of the log poll is measured across the two clocks.
 */
async function clockOffset(node: string): Promise<{ offsetMs: number; errorMs: number }> {
  let best = { offsetMs: 0, errorMs: Infinity };
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const out = (await labExec(node, ['date', '+%s%N'])).stdout.trim();
    const t1 = Date.now();
    if (!/^\d{19}$/.test(out)) throw new Error(`the guest's date gives no nanoseconds: ${out}`);
    const guest = Number(BigInt(out) / 1_000_000n);
    if ((t1 - t0) / 2 < best.errorMs) best = { offsetMs: guest - (t0 + t1) / 2, errorMs: (t1 - t0) / 2 };
  }
  return best;
}

interface PowerSetup {
  lab: Lab;
  onn: OnnDriver;
  node: string;
  specs: [Record<string, unknown>, Record<string, unknown>];
  stored: [RunningConfig, RunningConfig];
  log: string;
  bootLog: string;
  offsetMs: number;
  /** The shortest kernel work of the timed applies (guest clock), and the poll's worst lag. */
  workMs: number;
  lagMs: number;
}

/** One timed apply: its kernel work (guest clock) and how late the host saw it start. */
async function timedApply(s: Omit<PowerSetup, 'workMs' | 'lagMs'>, spec: Record<string, unknown>) {
  const offset = await logSize(s.log);
  const gen = await s.onn.setSpec(s.node, spec);
  const { start, done } = await seeApply(s.log, offset, gen, true);
  await s.onn.waitForGeneration(s.node, gen, 120_000);
  const work = done!.line.time! - start.line.time!;
  return { work, lag: start.seenAt - (start.line.time! - s.offsetMs) };
}

async function setUp(o: { log?: (l: string) => void }): Promise<PowerSetup> {
  const lab = await requireLab();
  const node = vmNodes(lab)[0];
  if (!node) throw new Error('the lab has no VM node (lab up --vm-nodes 1)');
  const onn = new OnnDriver(lab.kubeconfig);
  const specs = powerSpecs();
  const share = vmFiles(lab.paths.dir, node).share;
  const clock = await clockOffset(node);
  const base = { lab, onn, node, specs, log: join(share, 'agent.log'), bootLog: join(share, 'boot-restore.log') };
  // Both configs as the handler persists them, and the kernel work of applies between them.
  await onn.apply(node, specs[1]);
  const storedB = await storedConfig(node);
  const s0 = { ...base, stored: [storedB, storedB] as [RunningConfig, RunningConfig], offsetMs: clock.offsetMs };
  const times = [];
  for (const sp of [specs[0], specs[1], specs[0]]) times.push(await timedApply(s0, sp));
  const storedA = await storedConfig(node);
  const workMs = Math.min(...times.map((t) => t.work));
  const lagMs = Math.max(0, ...times.map((t) => t.lag));
  o.log?.(
    `power cut: kernel work ${times.map((t) => t.work).join(', ')} ms; the host saw it start ` +
      `${times.map((t) => t.lag.toFixed(0)).join(', ')} ms late (clock offset ±${clock.errorMs.toFixed(1)} ms)`,
  );
  return { ...s0, stored: [storedA, storedB], workMs, lagMs };
}

type Trial = Omit<TrialRecord, 'trial' | 'seed'>;

/** Boot without the API, the checks before and after it answers; what goes wrong is a failed check. */
async function afterTheCut(
  s: PowerSetup,
  gen: number,
  to: 0 | 1,
): Promise<{ checks: TrialCheck[]; stored: RunningConfig }> {
  const want = s.stored[to];
  const stored = await storedConfig(s.node);
  const kernel = await kernelConfigOf(s.node);
  const checks: TrialCheck[] = [];
  const check = (name: string, ok: boolean, detail?: string) =>
    void checks.push({ name, ok, ...(detail ? { detail } : {}) });
  const side = s.stored.some((c) => isDeepStrictEqual(stored, c));
  check('persisted after the boot is one side', side, Object.keys(stored.networks).join(','));
  check(
    'kernel = persisted before the API answered (no mix)',
    isDeepStrictEqual(kernel, stored),
    JSON.stringify(kernel).slice(0, 160),
  );
  await startNodeAgent(s.node);
  // The agent starts without the API (its own boot restore finds nothing to do) …
  await sleep(2000);
  check('kernel unchanged while the API was unreachable', isDeepStrictEqual(await kernelConfigOf(s.node), stored));
  await setVmApiReachable(s.node, true);
  // … and once the API answers, it reports and reaches the spec.
  const obj = await s.onn.waitForGeneration(s.node, gen, 180_000);
  const reported = obj.status?.kernelConfig as unknown as RunningConfig | undefined;
  const brief = (c: RunningConfig | undefined) => `${Object.keys(c?.networks ?? {}).length} networks`;
  check('Available', isAvailable(obj));
  const finalKernel = await kernelConfigOf(s.node);
  check('kernel = expected', isDeepStrictEqual(finalKernel, want), brief(finalKernel));
  const finalStored = await storedConfig(s.node);
  check('persisted = expected', isDeepStrictEqual(finalStored, want), brief(finalStored));
  check('reported kernelConfig = expected', isDeepStrictEqual(reported, want), brief(reported));
  return { checks, stored };
}

/** One cut, `target` ms into the kernel work (guest clock): until the cut it throws (harness failure). */
async function cutTrial(s: PowerSetup, to: 0 | 1, target: number): Promise<Trial> {
  const offset = await logSize(s.log);
  const gen = await s.onn.setSpec(s.node, s.specs[to]);
  const { start } = await seeApply(s.log, offset, gen, false);
  // The kernel work started at this host time; the cut is due `target` ms after it.
  const startedAt = start.line.time! - s.offsetMs;
  const delay = Math.max(0, Math.round(startedAt + target - Date.now()));
  await sleep(delay);
  const cutAt = Date.now() - startedAt;
  await setVmApiReachable(s.node, false);
  await powerCycleVm(s.node, 'power-cut');
  // init.sh ran the boot restore before the guest agent answered; the API is still shut.
  const boot = cutClass(await readFile(s.bootLog, 'utf8').catch(() => ''));
  const trial = { experiment: 'power cut', delayMs: delay, delayFrom: 'the host seeing the kernel-work line' };
  const r = await afterTheCut(s, gen, to).catch((e: Error) => ({
    checks: [{ name: 'converged', ok: false, detail: e.message.slice(0, 300) }],
    stored: undefined,
  }));
  const old = s.stored[to === 0 ? 1 : 0];
  const side = !r.stored
    ? 'neither'
    : isDeepStrictEqual(r.stored, old)
      ? 'old'
      : isDeepStrictEqual(r.stored, s.stored[to])
        ? 'new'
        : 'neither';
  const landing = cutLanding(boot, side);
  const evidence = `${landing.evidence}; drawn ${target} ms into the ${s.workMs} ms kernel work, cut at ~${cutAt} ms`;
  return {
    ...trial,
    ...landing,
    evidence,
    checks: r.checks,
    measured: { targetMs: target, cutAtMs: cutAt, workMs: s.workMs },
  };
}

export async function powerLossDuringApply(o: {
  trials: number;
  random: Random;
  seed: number;
  log?: (l: string) => void;
  record?: (t: TrialRecord) => void;
}): Promise<ReliabilityRow[]> {
  const s = await setUp(o);
  const trials: TrialRecord[] = [];
  for (let t = 0; t < o.trials; t++) {
    // Alternating A → B → A …: the node holds A before the first cut.
    const to = t % 2 === 0 ? 1 : 0;
    // The cut point: anywhere in the kernel work the host can still reach (past its lag).
    const target = Math.round(s.lagMs) + randomInt(o.random, Math.max(1, s.workMs - Math.round(s.lagMs)));
    const r: TrialRecord = await cutTrial(s, to, target).then(
      (x) => ({ ...x, trial: t + 1, seed: o.seed }),
      (e: Error) => ({
        experiment: 'power cut',
        trial: t + 1,
        seed: o.seed,
        delayMs: 0,
        delayFrom: 'no cut',
        landed: 'unknown' as const,
        where: CUT_CLASSES[4],
        evidence: 'no cut',
        checks: [],
        harnessError: e.message.slice(0, 300),
        measured: { targetMs: target, workMs: s.workMs },
      }),
    );
    if (!trialSurvived(r)) {
      await setVmApiReachable(s.node, true);
      await startNodeAgent(s.node).catch(() => undefined);
      await s.onn.apply(s.node, s.specs[to]).catch(() => undefined);
    }
    trials.push(r);
    o.record?.(r);
    o.log?.(
      `power cut ${t + 1}/${o.trials}: ${r.where} (${r.evidence}) → ${trialSurvived(r) ? 'converged' : 'NOT converged'}`,
    );
  }
  await s.onn.apply(s.node, {}).catch(() => undefined);
  const caseText =
    `QEMU killed ${Math.round(s.lagMs)}–${s.workMs} ms into the kernel work of an apply ` +
    '(bond+6 VLAN bridges ↔ 4 NIC/VLAN networks), booted without the API';
  return trialRows('power cut', caseText, trials, CUT_CLASSES);
}
