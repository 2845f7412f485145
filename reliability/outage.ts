// Reliability: the API server goes away — stopped for a long outage or restarted at once —
// while the agents only report, and right after a spec change (so the agent is applying or about
// to). While it is away the host must not change (a rollback of an apply that lost it excepted:
// such a rollback restores exactly the snapshot taken before), the agents must stay up, and once
// it is back every spec update must be applied (none lost).
import { isDeepStrictEqual } from 'node:util';
import { stopLabProcess } from '../lab/src/index.js';
import { sleep } from '../src/util/exec.js';
import { agentPid, hostSnapshot, namespaceNodes, OnnDriver, requireLab, snapshotDiff, waitApiReady } from '../lab/client/index.js';
import type { ReliabilityRow } from '../kit/report.js';
import { randomInt, type Random } from '../kit/random.js';

function specWith(tag: number): Record<string, unknown> {
  return { networks: { [`out${tag}`]: { bridged: true, bootproto: 'none', ipaddr: `10.95.${tag % 250}.1`, netmask: '255.255.255.0' } } };
}

/** An apply that started just before the API server went away lands within this. */
const IN_FLIGHT_MS = 5000;

export interface OutageOptions {
  outageSeconds: number;
  restarts: number;
  applyOutages: number;
  /** Where the delays after a spec change are drawn from (seeded: kit/random.ts). */
  random: Random;
  log?: (l: string) => void;
}

export async function apiOutages(o: OutageOptions): Promise<ReliabilityRow[]> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const node = namespaceNodes(lab)[1] ?? namespaceNodes(lab)[0]!;
  const apiBack = () => waitApiReady(lab);
  const rows: ReliabilityRow[] = [];
  let tag = 0;

  /**
   * One outage; the host is sampled during it. It must stay as it was before — except, after a
   * spec change, what an apply already in flight did (a new state first seen in the outage's
   * first seconds: applies start only while the API server answers) and then only the rollback
   * of that back to the snapshot before.
   */
  async function outage(seconds: number, before: string, applyInFlight: boolean): Promise<string[]> {
    const problems: string[] = [];
    const pid = await agentPid(lab, node);
    const restart = await stopLabProcess('kube-apiserver');
    // Away from here on (a stopping API server serves for a few seconds yet).
    const t0 = Date.now();
    let inFlight: string | undefined;
    try {
      const end = t0 + seconds * 1000;
      do {
        const snap = await hostSnapshot(node);
        if (snap !== before && snap !== inFlight) {
          if (applyInFlight && inFlight === undefined && Date.now() - t0 < IN_FLIGHT_MS) inFlight = snap;
          else problems.push(`host changed while the API server was away (${Math.round((end - Date.now()) / 1000)} s before its return): ${snapshotDiff(inFlight || before, snap)}`);
        }
        // Once rolled back to the snapshot before, it stays there.
        if (snap === before && inFlight !== undefined) inFlight = '';
        await sleep(Math.min(Date.now() - t0 < IN_FLIGHT_MS ? 250 : 5000, Math.max(0, end - Date.now())));
      } while (Date.now() < end);
    } finally {
      await restart();
    }
    await apiBack();
    if (pid !== (await agentPid(lab, node))) problems.push('the agent did not stay up');
    return problems;
  }

  // (1) reporting only: a long outage with nothing to apply.
  {
    const before = (await onn.apply(node, specWith(++tag)), await hostSnapshot(node));
    const problems = await outage(o.outageSeconds, before, false);
    const after = await onn.apply(node, specWith(++tag)).then(() => true, (e: Error) => (problems.push(`update after the outage: ${e.message}`), false));
    rows.push({ experiment: 'API outage', case: `${o.outageSeconds} s outage while reporting, then a spec update (${node})`, tried: 1, survived: problems.length || !after ? 0 : 1, lost: problems.length || !after ? 1 : 0, note: problems[0] ?? 'host untouched, agent up, update applied after' });
  }

  // (2) an outage starting right after a spec change: the agent defers the apply, or applies it
  // and rolls it back when the check cannot reach the API server; either way it applies the
  // spec once the API server is back.
  {
    let survived = 0;
    const notes: string[] = [];
    for (let i = 0; i < o.applyOutages; i++) {
      const before = await hostSnapshot(node);
      const next = specWith(++tag);
      await onn.setSpec(node, next);
      await sleep(randomInt(o.random, 300));
      const problems = await outage(o.outageSeconds, before, true);
      try {
        const obj = await onn.waitForGeneration(node, (await onn.get(node)).metadata.generation, 180_000);
        const got = Object.keys(obj.status?.kernelConfig?.networks ?? {});
        if (!isDeepStrictEqual(got, Object.keys(next.networks as object))) problems.push(`after the outage the node has ${JSON.stringify(got)} (${JSON.stringify(obj.status?.setupStatus)})`);
      } catch (e) {
        problems.push((e as Error).message);
      }
      if (!problems.length) survived++;
      else notes.push(problems[0]!);
      o.log?.(`outage during apply ${i + 1}/${o.applyOutages}: ${problems.length ? problems[0] : 'ok'}`);
    }
    rows.push({ experiment: 'API outage', case: `${o.outageSeconds} s outage starting 0–300 ms after a spec change (${node})`, tried: o.applyOutages, survived, lost: o.applyOutages - survived, note: notes[0] ?? 'host untouched while away; the new spec applied after' });
  }

  // (3) API server restarts (stop + start at once) right after spec changes.
  {
    let survived = 0;
    const notes: string[] = [];
    for (let i = 0; i < o.restarts; i++) {
      const next = specWith(++tag);
      await onn.setSpec(node, next);
      await sleep(randomInt(o.random, 500));
      const restart = await stopLabProcess('kube-apiserver');
      await restart();
      await apiBack();
      try {
        const obj = await onn.waitForGeneration(node, (await onn.get(node)).metadata.generation, 180_000);
        const got = Object.keys(obj.status?.kernelConfig?.networks ?? {});
        if (isDeepStrictEqual(got, Object.keys(next.networks as object))) survived++;
        else notes.push(`restart ${i + 1}: node has ${JSON.stringify(got)} (${JSON.stringify(obj.status?.setupStatus)})`);
      } catch (e) {
        notes.push(`restart ${i + 1}: ${(e as Error).message}`);
      }
      o.log?.(`API server restart ${i + 1}/${o.restarts}: ${notes.length + survived === i + 1 && survived === i + 1 ? 'ok' : notes.at(-1)}`);
    }
    rows.push({ experiment: 'API restart', case: `API server restarted 0–500 ms after a spec change (${node})`, tried: o.restarts, survived, lost: o.restarts - survived, note: notes[0] ?? 'every spec change applied' });
  }
  await onn.apply(node, {}).catch(() => undefined);
  return rows;
}
