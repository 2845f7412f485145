// Reliability: kill -9 of a node's agent at a random moment while it applies a spec change,
// then a restart. Survived = the node ends on the new spec exactly (kernel read back, persisted
// config and status agree, Available), with no device of a half-applied state left over; the
// agent's boot restore must first bring the kernel to the old or the new config (its journal).
import { isDeepStrictEqual } from 'node:util';
import { killAgent, labExec, startNodeAgent } from '../lab/src/index.js';
import { sleep } from '../src/util/exec.js';
import { isAvailable, namespaceNodes, OnnDriver, persistedConfig, requireLab } from '../lab/client/index.js';
import type { ReliabilityRow } from '../kit/report.js';
import { randomInt, type Random } from '../kit/random.js';

/** Two specs far enough apart that an apply between them takes a while: 30 networks each, a third shared with new addresses. */
export function killSpecs(): [Record<string, unknown>, Record<string, unknown>] {
  const mk = (offset: number, third: number) => ({
    networks: Object.fromEntries(Array.from({ length: 30 }, (_, i) => {
      const id = i < 10 ? i : i + offset;
      return [`kl${id}`, { bridged: true, bootproto: 'none', ipaddr: `10.94.${id}.${third}`, netmask: '255.255.255.0', mtu: 1500 + (i % 3) * 100 }];
    })),
  });
  return [mk(0, 1), mk(100, 2)];
}

async function bridgesOf(node: string): Promise<string[]> {
  const links = JSON.parse((await labExec(node, ['ip', '-json', 'link', 'show', 'type', 'bridge'])).stdout) as { ifname: string }[];
  return links.map((l) => l.ifname).filter((n) => n.startsWith('kl')).sort();
}

export async function killDuringApply(o: { trials: number; random: Random; log?: (l: string) => void }): Promise<ReliabilityRow[]> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const node = namespaceNodes(lab)[1] ?? namespaceNodes(lab)[0]!;
  const [a, b] = killSpecs();
  let survived = 0;
  const failures: string[] = [];
  const applyTimes: number[] = [];
  await onn.apply(node, a);
  // How long an apply takes here: kill points are drawn from that window.
  for (const s of [b, a]) {
    const t0 = Date.now();
    await onn.apply(node, s);
    applyTimes.push(Date.now() - t0);
  }
  const window = Math.max(...applyTimes);
  let from = a;
  for (let t = 0; t < o.trials; t++) {
    const to = from === a ? b : a;
    const delay = randomInt(o.random, window);
    try {
      await onn.setSpec(node, to);
      await sleep(delay);
      await killAgent(node, 'SIGKILL');
      await startNodeAgent(node);
      const gen = (await onn.get(node)).metadata.generation;
      const obj = await onn.waitForGeneration(node, gen, 120_000);
      const expect = Object.keys(to.networks as object).sort();
      const kernel = Object.keys(obj.status?.kernelConfig?.networks ?? {}).sort();
      const persisted = Object.keys((await persistedConfig(lab, node)).networks).sort();
      const bridges = await bridgesOf(node);
      const ok = isAvailable(obj) && isDeepStrictEqual(kernel, expect) && isDeepStrictEqual(persisted, expect) && isDeepStrictEqual(bridges, expect);
      if (ok) survived++;
      else failures.push(`trial ${t + 1} (kill after ${delay} ms): available=${isAvailable(obj)} kernel=${kernel.length} persisted=${persisted.length} bridges=${bridges.length}`);
      o.log?.(`kill -9 trial ${t + 1}/${o.trials}: kill after ${delay} ms → ${ok ? 'converged' : 'NOT converged'}`);
    } catch (e) {
      failures.push(`trial ${t + 1} (kill after ${delay} ms): ${(e as Error).message}`);
      o.log?.(`kill -9 trial ${t + 1}/${o.trials}: ${(e as Error).message}`);
      await startNodeAgent(node).catch(() => undefined);
    }
    from = to;
  }
  await onn.apply(node, {}).catch(() => undefined);
  return [{
    experiment: 'kill -9', case: `agent killed 0–${window} ms into an apply of 30 networks (${node}), restarted`,
    tried: o.trials, survived, lost: o.trials - survived,
    note: failures.length ? failures.slice(0, 3).join('; ') : 'every trial ended on the new spec: kernel = persisted = status',
  }];
}
