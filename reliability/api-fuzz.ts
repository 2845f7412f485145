// Reliability: fuzzed specs through the API and the agent on a namespace node — the fuzz
// experiment's valid, mutated and random specs (reliability/fuzz/generate.ts, on this node's
// eth1/eth2), written with `kubectl patch` as a user would, interleaved with hand-made drift
// (a device the handler made, deleted) and kill -9 of the agent mid-apply. Every trial must
// converge:
//   refused  — the API server refuses the patch (its schema): the generation does not move (a
//              patch kubectl cannot even parse is sent through the client library instead);
//   applied  — Available for the generation; the persisted config equals the spec in canonical
//              form, value for value; the reported kernelConfig equals it;
//   rejected/failed — InvalidSpec, SetupFailed or ConnectivityLost for the generation, and the
//              persisted config is the one before the trial, reported as it is;
// and in every case the handler's devices in the node are exactly those the persisted config
// implies. A drift is converged when the node is Available, not Degraded, with the device back.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { RunningConfig } from '../src/api/config.js';
import { killAgent, labExec, startNodeAgent } from '../lab/src/index.js';
import { run, sleep, waitFor } from '../src/util/exec.js';
import {
  failedReason,
  isAvailable,
  kubectlArgs,
  namespaceNodes,
  type Onn,
  OnnDriver,
  persistedConfig,
  requireLab,
} from '../lab/client/index.js';
import type { Lab } from '../lab/src/index.js';
import type { SpecInput } from '../src/api/spec.js';
import { canonicalize } from '../src/plan/canonicalize.js';
import type { ReliabilityRow } from '../kit/report.js';
import { generateTrials, impliedDevices } from './fuzz/index.js';

/** The fuzz namespace's NICs are eth0..eth5; a lab node has eth1, eth2 (eth0 is its management NIC, never handed out). */
export function onLabNics(spec: unknown): unknown {
  const map: Record<string, string> = { eth0: 'eth1', eth1: 'eth2' };
  return JSON.parse(JSON.stringify(spec ?? null).replace(/"eth([01])"/g, (m, d: string) => `"${map[`eth${d}`]}"`));
}

type Outcome = 'refused' | 'applied' | 'rejected' | 'failed';
const FAILURES = new Set(['SetupFailed', 'ConnectivityLost']);

/** The handler's devices in the node: everything but lo and the NICs. */
async function handlerDevices(node: string): Promise<string[]> {
  const links = JSON.parse((await labExec(node, ['ip', '-json', 'link', 'show'])).stdout) as { ifname: string }[];
  return links
    .map((l) => l.ifname)
    .filter((n) => n !== 'lo' && !/^eth\d+$/.test(n))
    .sort();
}

/** What is wrong with a settled object against the persisted config (undefined: nothing). */
async function mismatch(node: string, obj: Onn, persisted: RunningConfig): Promise<string | undefined> {
  if (!isDeepStrictEqual(obj.status?.kernelConfig, persisted))
    return `reported kernelConfig ${JSON.stringify(obj.status?.kernelConfig).slice(0, 160)} ≠ persisted ${JSON.stringify(persisted).slice(0, 160)}`;
  const devices = await handlerDevices(node);
  const implied = [...impliedDevices(persisted)].sort();
  if (!isDeepStrictEqual(devices, implied)) return `devices ${devices.join(',')} ≠ implied ${implied.join(',')}`;
  return undefined;
}

/** How a trial's spec reached the API server, and the server's refusal if it refused it. */
interface Sent {
  via: 'kubectl' | 'the client API';
  refused?: string;
}

/**
 * `kubectl patch`, as a user would. When kubectl refuses by its own parse before sending (its
 * YAML parser takes no key over 1024 characters), the same patch goes to the API server through
 * the client library: a harness's limit is not the server's refusal.
 */
async function send(lab: Lab, onn: OnnDriver, node: string, spec: unknown): Promise<Sent> {
  const patch = JSON.stringify([{ op: 'replace', path: '/spec', value: spec }]);
  const r = await run(kubectlArgs(lab, 'patch', 'ovirtnodenetwork', node, '--type=json', '-p', patch), {
    allowFailure: true,
  });
  if (r.code === 0) return { via: 'kubectl' };
  // kubectl's warnings (unknown fields dropped by the server) come before the error line.
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('Warning:'));
  const first = (lines[0] ?? '').slice(0, 160);
  // The server's refusals: "Error from server (…)", or kubectl's rendering of a 422 ("… is invalid").
  if (/Error from server|is invalid/.test(r.stderr)) return { via: 'kubectl', refused: first };
  if (!/unable to parse|error parsing|yaml:/.test(r.stderr)) throw new Error(`kubectl failed, not refused: ${first}`);
  try {
    await onn.setSpec(node, spec);
    return { via: 'the client API' };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && code >= 400 && code < 500)
      return { via: 'the client API', refused: `HTTP ${code} from the server` };
    throw e;
  }
}

export async function apiFuzz(o: {
  trials: number;
  seed: number;
  log?: (l: string) => void;
}): Promise<ReliabilityRow[]> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const node = namespaceNodes(lab)[1] ?? namespaceNodes(lab)[0]!;
  const seed = o.seed;
  // The interleaving (kill or not, when, which drift) is drawn from the same seed as the specs.
  const moves = fc.sample(
    fc.record({
      kill: fc.integer({ min: 0, max: 4 }),
      killAfterMs: fc.nat({ max: 1500 }),
      drift: fc.integer({ min: 0, max: 2 }),
      pick: fc.nat(),
    }),
    { numRuns: o.trials, seed },
  );
  const trials = generateTrials(o.trials, seed).map((t) => ({ ...t, spec: onLabNics(t.spec) }));
  await onn.apply(node, {});
  const counts = new Map<Outcome, number>();
  let kills = 0;
  let resent = 0;
  let drifts = 0;
  let healed = 0;
  const losses: string[] = [];
  for (const [i, t] of trials.entries()) {
    const m = moves[i]!;
    const what = `trial ${i + 1} (${t.kind}${t.mutation ? `: ${t.mutation}` : ''})`;
    try {
      const before = await persistedConfig(lab, node);
      const gen0 = (await onn.get(node)).metadata.generation;
      const sent = await send(lab, onn, node, t.spec);
      if (sent.via === 'the client API') resent++;
      let outcome: Outcome;
      let refusal = '';
      if (sent.refused !== undefined) {
        // Refused by the API server (kubectl's own parse refusals were sent again without it):
        // nothing reached the node.
        outcome = 'refused';
        refusal = sent.refused;
        if ((await onn.get(node)).metadata.generation !== gen0)
          throw new Error(`refused (${refusal}) but the generation moved`);
      } else {
        const gen = (await onn.get(node)).metadata.generation;
        if (m.kill === 0 && gen !== gen0) {
          await sleep(m.killAfterMs);
          await killAgent(node, 'SIGKILL');
          await startNodeAgent(node);
          kills++;
        }
        const obj = await onn.waitForGeneration(node, gen, 240_000);
        const persisted = await persistedConfig(lab, node);
        const reason = failedReason(obj);
        if (isAvailable(obj)) {
          outcome = 'applied';
          // Values, not key sets: the persisted config is the spec in canonical form (the
          // host's resolvers, as reported, fill a static default route's nameservers).
          const ns = obj.status?.capabilities?.nameservers;
          const want = canonicalize(
            t.spec as Pick<SpecInput, 'networks' | 'bondings'>,
            ns ? { hostNameservers: ns } : {},
          );
          if (!isDeepStrictEqual(persisted, want)) {
            throw new Error(
              `Available, but the persisted config ${JSON.stringify(persisted).slice(0, 200)} is not the spec's ${JSON.stringify(want).slice(0, 200)}`,
            );
          }
        } else if (reason === 'InvalidSpec' || (reason && FAILURES.has(reason))) {
          outcome = reason === 'InvalidSpec' ? 'rejected' : 'failed';
          if (!isDeepStrictEqual(persisted, before)) throw new Error(`${reason}, but the persisted config changed`);
        } else {
          throw new Error(
            `settled neither Available nor failed: ${JSON.stringify(obj.status?.conditions).slice(0, 200)}`,
          );
        }
        const bad = await mismatch(node, obj, persisted);
        if (bad) throw new Error(`${outcome}: ${bad}`);
        // Hand-made drift on what the handler made: one of its devices deleted.
        const devices = [...impliedDevices(persisted)].sort();
        if (m.drift === 0 && devices.length && obj.spec.driftPolicy !== 'Report') {
          const dev = devices[m.pick % devices.length]!;
          await labExec(node, ['ip', 'link', 'del', 'dev', dev]);
          drifts++;
          let last = '';
          await waitFor(
            `${dev} healed`,
            async () => {
              const cur = await onn.get(node);
              const degraded = cur.status?.conditions?.find((c) => c.type === 'Degraded');
              // After a failed generation the conditions keep its reason; the kernel goes back to the running config.
              const settledAsBefore =
                outcome === 'applied'
                  ? isAvailable(cur) && degraded?.status === 'False'
                  : failedReason(cur) === reason && degraded?.status === 'True';
              const bad = settledAsBefore
                ? await mismatch(node, cur, persisted)
                : JSON.stringify(
                    cur.status?.conditions?.map(
                      (c) => `${c.type}=${c.status} ${c.reason}: ${c.message?.slice(0, 200)}`,
                    ),
                  );
              last = bad ?? '';
              return bad === undefined;
            },
            120_000,
            500,
          ).catch((e: Error) => {
            throw new Error(`${e.message} (${dev} deleted; last: ${last})`);
          });
          healed++;
        }
      }
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      o.log?.(`api fuzz ${i + 1}/${o.trials}: ${t.kind} → ${outcome}${outcome === 'refused' ? ` (${refusal})` : ''}`);
    } catch (e) {
      losses.push(`${what}: ${(e as Error).message}`);
      o.log?.(`api fuzz ${i + 1}/${o.trials}: LOST ${(e as Error).message}`);
      // The next trial starts from a node that runs an agent and has settled on something.
      await startNodeAgent(node).catch(() => undefined);
      await onn.apply(node, {}).catch(() => undefined);
    }
  }
  await onn.apply(node, {}).catch(() => undefined);
  const tally = (['applied', 'rejected', 'failed', 'refused'] as const)
    .map((k) => `${k} ${counts.get(k) ?? 0}`)
    .join(', ');
  return [
    {
      experiment: 'API fuzz',
      case: `kubectl patch of fuzzed specs on ${node} (seed ${seed}), ${kills} agent kill(s) mid-apply, ${drifts} hand-made drift(s), ${resent} sent past kubectl's own parse`,
      tried: o.trials,
      survived: o.trials - losses.length,
      lost: losses.length,
      note: losses.length
        ? losses.slice(0, 3).join('; ')
        : `${tally}; drifts healed ${healed}/${drifts}; every trial converged`,
    },
  ];
}
