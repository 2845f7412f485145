// Reliability: kill -9 of a node's agent at a drawn moment while it applies a spec change, then a
// restart. Where each kill landed is read from what it left behind (reliability/landing.ts): the
// journal and persisted config in the state dir right after the kill, the status, the killed
// agent's own log, and what the restarted agent said it recovered. Survived = the node ends on
// the new spec exactly: Available, and the reported kernelConfig, the persisted config and the
// new spec as the handler persists it all deep-equal, with the bridges of exactly its networks.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { RunningConfig } from '../src/api/config.js';
import { HANDLER_NAMESPACE } from '../lab/src/agents.js';
import { agentStateDir, killAgent, labExec, startNodeAgent, type Lab } from '../lab/src/index.js';
import { run, sleep } from '../src/util/exec.js';
import {
  isAvailable,
  isSettled,
  kubectlArgs,
  namespaceNodes,
  OnnDriver,
  persistedConfig,
  requireLab,
} from '../lab/client/index.js';
import { trialRows, trialSurvived, type ReliabilityRow, type TrialCheck, type TrialRecord } from '../kit/report.js';
import { randomInt, type Random } from '../kit/random.js';
import { applyLogOf, KILL_CLASSES, killLanding, parseAgentLog, recoveryOf, type KillEvidence } from './landing.js';

/** Two specs far enough apart that an apply between them takes a while: 30 networks each, a third shared with new addresses. */
export function killSpecs(): [Record<string, unknown>, Record<string, unknown>] {
  const mk = (offset: number, third: number) => ({
    networks: Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => {
        const id = i < 10 ? i : i + offset;
        const net = { bridged: true, bootproto: 'none', ipaddr: `10.94.${id}.${third}`, netmask: '255.255.255.0' };
        return [`kl${id}`, { ...net, mtu: 1500 + (i % 3) * 100 }];
      }),
    ),
  });
  return [mk(0, 1), mk(100, 2)];
}

async function bridgesOf(node: string): Promise<string[]> {
  const out = (await labExec(node, ['ip', '-json', 'link', 'show', 'type', 'bridge'])).stdout;
  const links = JSON.parse(out) as { ifname: string }[];
  return links
    .map((l) => l.ifname)
    .filter((n) => n.startsWith('kl'))
    .sort();
}

/** The agent's journal as the kill left it: its phase and how many operations it journalled. */
async function journalOf(lab: Lab, node: string): Promise<KillEvidence['journal']> {
  const text = await readFile(join(agentStateDir(lab, node), 'journal.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const j = JSON.parse(text) as { phase: string; undo: unknown[] };
  return { phase: j.phase, journalled: j.undo.length };
}

/**
 * The logs of the killed agent and of the one that replaced it: a pod's previous and current
 * container (kubectl logs), or a process agent's log file from `offset` on, split at the new
 * instance's "agent started" line.
 */
async function agentLogs(lab: Lab, node: string, offset: number): Promise<{ killed: string; restarted: string }> {
  const spec = lab.state.nodes.find((n) => n.name === node);
  if (spec?.agent === 'pod') {
    // The DaemonSet's pod on the node (the policy controller's pod shares the namespace).
    const sel = [
      '-n',
      HANDLER_NAMESPACE,
      'get',
      'pods',
      '-l',
      AGENT_LABEL,
      '--field-selector',
      `spec.nodeName=${node}`,
    ];
    const pods = JSON.parse((await run(kubectlArgs(lab, ...sel, '-o', 'json'))).stdout) as {
      items: { metadata: { name: string } }[];
    };
    const pod = pods.items[0]?.metadata.name;
    if (!pod) throw new Error(`no agent pod on ${node}`);
    const logs = (...a: string[]) => run(kubectlArgs(lab, '-n', HANDLER_NAMESPACE, 'logs', pod, ...a));
    const [killed, restarted] = await Promise.all([logs('--previous'), logs()]);
    return { killed: killed.stdout, restarted: restarted.stdout };
  }
  const text = (await readFile(processLogPath(lab, node), 'utf8')).slice(offset);
  const at = text.search(/^.*"msg":"agent started".*$/m);
  return at < 0 ? { killed: text, restarted: '' } : { killed: text.slice(0, at), restarted: text.slice(at) };
}

function processLogPath(lab: Lab, node: string): string {
  const p = lab.state.processes.find((x) => x.name === `agent-${node}`);
  if (!p?.logPath) throw new Error(`the lab records no log of ${node}'s agent`);
  return p.logPath;
}

async function logOffset(lab: Lab, node: string): Promise<number> {
  if (lab.state.nodes.find((n) => n.name === node)?.agent === 'pod') return 0;
  return (await readFile(processLogPath(lab, node))).length;
}

/** The agent pods' label (deploy/daemonset.yaml). */
const AGENT_LABEL = 'app.kubernetes.io/name=ovirt-node-network-handler';

interface KillSetup {
  lab: Lab;
  onn: OnnDriver;
  node: string;
  /** The two sides of each apply, and each as the handler persists it. */
  specs: [Record<string, unknown>, Record<string, unknown>];
  stored: [RunningConfig, RunningConfig];
  window: number;
}

/** The whole-config checks of a trial that ended on `want` (the side applied). */
async function survivalChecks(s: KillSetup, gen: number, want: RunningConfig): Promise<TrialCheck[]> {
  const obj = await s.onn.waitForGeneration(s.node, gen, 120_000);
  const reported = obj.status?.kernelConfig as unknown as RunningConfig | undefined;
  const persisted = await persistedConfig(s.lab, s.node);
  const bridges = await bridgesOf(s.node);
  const names = Object.keys(want.networks).sort();
  const brief = (c: RunningConfig | undefined) => `${Object.keys(c?.networks ?? {}).length} networks`;
  return [
    { name: 'Available', ok: isAvailable(obj) },
    { name: 'reported kernelConfig = expected', ok: isDeepStrictEqual(reported, want), detail: brief(reported) },
    { name: 'persisted = expected', ok: isDeepStrictEqual(persisted, want), detail: brief(persisted) },
    { name: 'bridges = the networks', ok: isDeepStrictEqual(bridges, names), detail: `${bridges.length} bridges` },
  ];
}

type Trial = Omit<TrialRecord, 'trial' | 'seed'>;

/**
 * One trial: the spec change, the kill after `delay`, the evidence, the restart and the checks.
 * Until the kill it throws (a harness failure: nothing was exercised); after it, what goes wrong
 * is a failed check.
 */
async function killTrial(s: KillSetup, toIndex: 0 | 1, delay: number): Promise<Trial> {
  const [to, old] = [s.stored[toIndex], s.stored[1 - toIndex]!];
  const offset = await logOffset(s.lab, s.node);
  const gen = await s.onn.setSpec(s.node, s.specs[toIndex]);
  await sleep(delay);
  await killAgent(s.node, 'SIGKILL');
  // Read at once: the restarted agent (a kubelet restarts a pod's at its own pace) recovers the
  // journal; the recovery it logs is checked against this in killLanding.
  const [journal, persisted, obj] = await Promise.all([
    journalOf(s.lab, s.node),
    persistedConfig(s.lab, s.node),
    s.onn.get(s.node),
  ]);
  const checks = await startNodeAgent(s.node)
    .then(() => survivalChecks(s, gen, to))
    .catch((e: Error) => [{ name: 'converged', ok: false, detail: e.message.slice(0, 300) }]);
  const side = isDeepStrictEqual(persisted, old) ? 'old' : isDeepStrictEqual(persisted, to) ? 'new' : 'neither';
  const trial = { experiment: 'kill -9', delayMs: delay, delayFrom: 'the spec write', checks };
  try {
    const logs = await agentLogs(s.lab, s.node, offset);
    const landing = killLanding({
      journal,
      persisted: side,
      statusSettled: isSettled(obj, gen),
      log: applyLogOf(parseAgentLog(logs.killed), gen),
      recovery: recoveryOf(logs.restarted),
    });
    return { ...trial, ...landing };
  } catch (e) {
    return { ...trial, landed: 'unknown', where: KILL_CLASSES[7], evidence: `logs: ${(e as Error).message}` };
  }
}

async function setUp(): Promise<KillSetup> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const node = namespaceNodes(lab)[1] ?? namespaceNodes(lab)[0]!;
  const specs = killSpecs();
  // Both sides as the handler persists them, and how long an apply between them takes here:
  // kill points are drawn from that window, counted from the spec write.
  await onn.apply(node, specs[0]);
  const storedA = await persistedConfig(lab, node);
  const timed = async (sp: Record<string, unknown>) => {
    const t0 = Date.now();
    await onn.apply(node, sp);
    return Date.now() - t0;
  };
  const toB = await timed(specs[1]);
  const storedB = await persistedConfig(lab, node);
  const toA = await timed(specs[0]);
  return { lab, onn, node, specs, stored: [storedA, storedB], window: Math.max(toA, toB) };
}

export async function killDuringApply(o: {
  trials: number;
  random: Random;
  seed: number;
  log?: (l: string) => void;
  record?: (t: TrialRecord) => void;
}): Promise<ReliabilityRow[]> {
  const s = await setUp();
  const trials: TrialRecord[] = [];
  for (let t = 0; t < o.trials; t++) {
    // Alternating A → B → A …: the node holds A before the first trial.
    const toIndex = t % 2 === 0 ? 1 : 0;
    const delay = randomInt(o.random, s.window);
    const r: TrialRecord = await killTrial(s, toIndex, delay).then(
      (x) => ({ ...x, trial: t + 1, seed: o.seed }),
      (e: Error) => ({
        experiment: 'kill -9',
        trial: t + 1,
        seed: o.seed,
        delayMs: delay,
        delayFrom: 'the spec write',
        landed: 'unknown' as const,
        where: KILL_CLASSES[7],
        evidence: 'no kill',
        checks: [],
        harnessError: e.message.slice(0, 300),
      }),
    );
    if (!trialSurvived(r)) {
      // The next trial must start from a running agent on the side it expects.
      await startNodeAgent(s.node).catch(() => undefined);
      await s.onn.apply(s.node, s.specs[toIndex]).catch(() => undefined);
    }
    trials.push(r);
    o.record?.(r);
    const ok = trialSurvived(r);
    o.log?.(
      `kill -9 trial ${t + 1}/${o.trials}: after ${delay} ms, landed ${r.where} (${r.evidence}) → ${ok ? 'converged' : 'NOT converged'}`,
    );
  }
  await s.onn.apply(s.node, {}).catch(() => undefined);
  const caseText = `agent killed 0–${s.window} ms after the spec write of an apply of 30 networks (${s.node}), restarted`;
  return trialRows('kill -9', caseText, trials, KILL_CLASSES);
}
