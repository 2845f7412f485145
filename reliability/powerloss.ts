// Reliability: the VM node's power is cut (QEMU killed: what the guest had not flushed is lost)
// at a drawn point of an apply's kernel work, and it boots while the API server is unreachable.
// Survived = (1) before the API answers, the boot restore has put the kernel on the old or the
// new config, never a mix: the kernel read back equals the persisted config, which is one of the
// two; and (2) once the API answers, the agent ends on the spec: Available, and what it reports,
// the kernel and the persisted config all equal the spec as the handler persists it.
//
// Where a cut landed is read from the boot restore's own words and the side the persisted config
// is on (reliability/landing.ts), not from the delay. The cut point is drawn from the
// transaction's own progress on its state disk, which a watcher in the guest (inotify on the
// state folder) writes to the uncached share as it happens: counted from the journal's second
// write (its fsync makes the first one's rename durable: from then on a cut finds a journal)
// to the commit's first write (the running config's temporary file), as measured by timed
// applies; the host sees each event some ms late (the lag, measured against the guest's
// clock), and the draw starts past it. The agent's log line "applying N step(s), M kernel
// operation(s)" only ties the events to the trial's generation: the agent logs its end
// ("applied") after the commit and a host read-back, so a window that ran to it was mostly after.
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

/** Waits for the kernel-work line of the apply of `generation` after `offset` (the log's byte). */
async function seeKernelWork(file: string, offset: number, generation: number): Promise<LogLine> {
  return waitFor(
    `the kernel work of generation ${generation}`,
    async () => {
      const lines = parseAgentLog(await logFrom(file, offset));
      const i = lines.findIndex((l) => l.msg === 'applying' && l.generation === generation);
      return i < 0 ? undefined : lines.slice(i + 1).find(isKernelWorkLine);
    },
    60_000,
    POLL_MS,
  );
}

/** One event of the state folder, as the guest's watcher wrote it (guest clock, ms). */
interface DiskEvent {
  t: number;
  f: string;
  /** The name exists after the event (a rename into place, a write). */
  x: boolean;
}

/** The watcher run in the guest: inotify on the state folder, one JSON line per event, unbuffered. */
const WATCHER = [
  "const fs = require('fs'); const d = process.argv[1];",
  "fs.watch(d, (e, f) => fs.writeSync(1, JSON.stringify({ t: Date.now(), f, x: fs.existsSync(d + '/' + f) }) + '\\n'));",
  "fs.writeSync(1, JSON.stringify({ t: Date.now(), f: '(watching)', x: true }) + '\\n');",
].join(' ');
const PROGRESS_LOG = 'power-progress';

/** Starts the watcher (a boot ends it) and waits until it watches. */
async function watchStateDisk(s: { node: string; progress: string }): Promise<void> {
  const offset = await logSize(s.progress);
  const node24 = join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
  await labExec(s.node, [node24, '-e', WATCHER, DEFAULT_STATE_DIR], { detach: true, logName: PROGRESS_LOG } as never);
  await waitFor('the state disk watcher', async () => (await diskEvents(s.progress, offset)).length > 0, 60_000, 50);
}

async function diskEvents(file: string, offset: number): Promise<DiskEvent[]> {
  return (await logFrom(file, offset)).split('\n').flatMap((l) => {
    try {
      const e = JSON.parse(l) as DiskEvent;
      return typeof e.t === 'number' && typeof e.f === 'string' ? [e] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The transaction's progress on disk from guest time `from` on: `journalled`, the journal's
 * second rename into place (the first is durable by then), and `committing`, the running
 * config's temporary file appearing (the commit's first write).
 */
function progressOf(events: DiskEvent[], from: number): { journalled?: DiskEvent; committing?: DiskEvent } {
  const after = events.filter((e) => e.t >= from);
  const journalled = after.filter((e) => e.f === 'journal.json' && e.x)[1];
  const committing = after.find((e) => e.f.startsWith('running-config.json.tmp') && e.x);
  return { ...(journalled ? { journalled } : {}), ...(committing ? { committing } : {}) };
}

/** Waits for the journal's second write after guest time `from`; the host time the poll saw it too. */
async function seeJournalled(file: string, offset: number, from: number) {
  return waitFor(
    'the journal written twice',
    async () => {
      const j = progressOf(await diskEvents(file, offset), from).journalled;
      return j ? { event: j, seenAt: Date.now() } : undefined;
    },
    60_000,
    POLL_MS,
  );
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
  /** The watcher's output (share), and whether it runs (a boot ends it). */
  progress: string;
  watching: boolean;
  offsetMs: number;
  /** The shortest window from the journal's second write to the commit (guest clock), the poll's worst lag. */
  workMs: number;
  lagMs: number;
}

/** One timed apply: its window (journal's second write → commit's first, guest clock), how late the host saw it open. */
async function timedApply(s: Omit<PowerSetup, 'workMs' | 'lagMs'>, spec: Record<string, unknown>) {
  const offset = await logSize(s.log);
  const pOffset = await logSize(s.progress);
  const gen = await s.onn.setSpec(s.node, spec);
  const kw = await seeKernelWork(s.log, offset, gen);
  const { event, seenAt } = await seeJournalled(s.progress, pOffset, kw.time!);
  await s.onn.waitForGeneration(s.node, gen, 120_000);
  const { committing } = progressOf(await diskEvents(s.progress, pOffset), kw.time!);
  if (!committing) throw new Error(`generation ${gen}: no commit seen on the state disk`);
  return { work: committing.t - event.t, lag: seenAt - (event.t - s.offsetMs), kernelWork: kw.time! };
}

async function setUp(o: { log?: (l: string) => void }): Promise<PowerSetup> {
  const lab = await requireLab();
  const node = vmNodes(lab)[0];
  if (!node) throw new Error('the lab has no VM node (lab up --vm-nodes 1)');
  const onn = new OnnDriver(lab.kubeconfig);
  const specs = powerSpecs();
  const share = vmFiles(lab.paths.dir, node).share;
  const clock = await clockOffset(node);
  const progress = join(share, `${PROGRESS_LOG}.log`);
  const base = { lab, onn, node, specs, log: join(share, 'agent.log'), bootLog: join(share, 'boot-restore.log') };
  await watchStateDisk({ node, progress });
  // Both configs as the handler persists them, and the windows of applies between them.
  await onn.apply(node, specs[1]);
  const storedB = await storedConfig(node);
  const stored: [RunningConfig, RunningConfig] = [storedB, storedB];
  const s0 = { ...base, stored, offsetMs: clock.offsetMs, progress, watching: true };
  const times = [];
  for (const sp of [specs[0], specs[1], specs[0]]) times.push(await timedApply(s0, sp));
  const storedA = await storedConfig(node);
  const workMs = Math.min(...times.map((t) => t.work));
  const lagMs = Math.max(0, ...times.map((t) => t.lag));
  o.log?.(
    `power cut: journal's second write → commit ${times.map((t) => t.work).join(', ')} ms; the host saw ` +
      `it open ${times.map((t) => t.lag.toFixed(0)).join(', ')} ms late (clock offset ±${clock.errorMs.toFixed(1)} ms)`,
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

/** One cut, `target` ms after the journal's second write (guest clock): until the cut it throws (harness failure). */
async function cutTrial(s: PowerSetup, to: 0 | 1, target: number): Promise<Trial> {
  if (!s.watching) await watchStateDisk(s);
  s.watching = true;
  const offset = await logSize(s.log);
  const pOffset = await logSize(s.progress);
  const gen = await s.onn.setSpec(s.node, s.specs[to]);
  const kw = await seeKernelWork(s.log, offset, gen);
  const { event } = await seeJournalled(s.progress, pOffset, kw.time!);
  // The journal's second write was made at this host time; the cut is due `target` ms after it.
  const openedAt = event.t - s.offsetMs;
  const delay = Math.max(0, Math.round(openedAt + target - Date.now()));
  await sleep(delay);
  const cutAt = Date.now() - openedAt;
  await setVmApiReachable(s.node, false);
  s.watching = false;
  await powerCycleVm(s.node, 'power-cut');
  // init.sh ran the boot restore before the guest agent answered; the API is still shut.
  const boot = cutClass(await readFile(s.bootLog, 'utf8').catch(() => ''));
  const trial = { experiment: 'power cut', delayMs: delay, delayFrom: "the host seeing the journal's second write" };
  // What the watcher saw before the cut: had the commit begun (evidence of the guest, not the draw)?
  const { committing } = progressOf(await diskEvents(s.progress, pOffset), kw.time!);
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
  const evidence =
    `${landing.evidence}; drawn ${target} ms past the journal's second write (window ${s.workMs} ms), ` +
    `cut at ~${cutAt} ms; commit ${committing ? `begun at ${committing.t - event.t} ms` : 'not begun'}`;
  return {
    ...trial,
    ...landing,
    evidence,
    checks: r.checks,
    measured: {
      targetMs: target,
      cutAtMs: cutAt,
      workMs: s.workMs,
      lagMs: Math.round(s.lagMs),
      journalledAfterKernelLineMs: event.t - kw.time!,
      ...(committing ? { commitBegunAtMs: committing.t - event.t } : {}),
    },
  };
}

/** The cut point (ms past the journal's second write): past the host's lag, within 80 % of the shortest window. */
export function drawCut(random: Random, workMs: number, lagMs: number): number {
  const lag = Math.ceil(lagMs);
  const end = Math.floor(workMs * 0.8);
  if (end - lag < 20) throw new Error(`the window (${workMs} ms) is too short for the host's lag (${lag} ms)`);
  return lag + randomInt(random, end - lag);
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
    const target = drawCut(o.random, s.workMs, s.lagMs);
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
    `QEMU killed ${Math.ceil(s.lagMs)}–${Math.floor(s.workMs * 0.8)} ms past the journal's second write of an apply ` +
    '(bond+6 VLAN bridges ↔ 4 NIC/VLAN networks), booted without the API';
  return trialRows('power cut', caseText, trials, CUT_CLASSES);
}
