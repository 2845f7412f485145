// Reliability: the VM node's power is cut (QEMU killed: what the guest had not flushed is lost)
// at a random moment of an apply, and it boots while the API server is unreachable. Survived =
// (1) before the API answers, the boot restore has put the kernel on the old or the new config,
// never a mix: the kernel read back equals the persisted config, which is one of the two; and
// (2) once the API answers, the agent ends on the spec: Available, and what it reports equals
// the kernel and the persisted config.
import { readFile } from 'node:fs/promises';
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
import type { ReliabilityRow } from '../kit/report.js';
import { randomInt, type Random } from '../kit/random.js';

/**
 * Two specs over the VM's two data NICs that share nothing but the NICs, so a mix of them is
 * visible: A bonds eth1+eth2 under six bridged VLAN networks (IPv4 and IPv6); B frees the NICs
 * again for VLANs on eth1 and a bridged network on eth2.
 */
export function powerSpecs(): [Record<string, unknown>, Record<string, unknown>] {
  const vlanNet = (base: Record<string, unknown>, vlan: number) => ({
    ...base, vlan, bridged: true, bootproto: 'none', ipaddr: `10.77.${vlan}.1`, netmask: '255.255.255.0', ipv6addr: `fd77:${vlan}::1/64`,
  });
  const a = {
    bondings: { bond7: { nics: ['eth1', 'eth2'], options: 'mode=active-backup miimon=100' } },
    networks: Object.fromEntries([101, 102, 103, 104, 105, 106].map((v) => [`pa${v}`, vlanNet({ bonding: 'bond7' }, v)])),
  };
  const b = {
    networks: {
      ...Object.fromEntries([111, 112, 113].map((v) => [`pb${v}`, { ...vlanNet({ nic: 'eth1' }, v), bridged: v !== 111 }])),
      pb200: { nic: 'eth2', bridged: true, bootproto: 'none', ipaddr: '10.77.200.1', netmask: '255.255.255.0', mtu: 1400 },
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
  const r = await labExec(node, [join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node'), join(PROJECT_ROOT, 'bin', 'ovirt-node-network-handler.js'), 'show', '--json', '--state-dir', DEFAULT_STATE_DIR]);
  return (JSON.parse(r.stdout) as { kernelConfig: RunningConfig }).kernelConfig;
}

/** The agent's log lines (pino JSON) of this boot, from the VM's share directory on this machine. */
async function agentLog(file: string): Promise<{ msg?: string; generation?: number; time?: number }[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as { msg?: string; generation?: number; time?: number }];
    } catch {
      return [];
    }
  });
}

/** The transaction's line before its kernel work ("applying N step(s), M kernel operation(s): …"). */
const KERNEL_WORK = (l: { msg?: string }) => /^applying \d+ step\(s\), \d+ kernel operation/.test(l.msg ?? '');

/** How long the kernel work of the agent's last apply took (its KERNEL_WORK line to its outcome line), from its log. */
async function kernelWorkMs(file: string): Promise<number | undefined> {
  const lines = await agentLog(file);
  const i = lines.findLastIndex(KERNEL_WORK);
  const end = lines.slice(i + 1).find((l) => l.msg === 'applied' || l.msg === 'apply failed')?.time;
  const start = lines[i]?.time;
  return i >= 0 && start !== undefined && end !== undefined ? end - start : undefined;
}

/** Where the cut landed, from what the guest's boot restore said it did. */
export function cutClass(bootRestoreLog: string): 'rolled back' | 'rolled forward' | 'rebuilt' | 'no restore needed' {
  if (/interrupted apply was rolled back/.test(bootRestoreLog)) return 'rolled back';
  if (/interrupted apply had been committed/.test(bootRestoreLog)) return 'rolled forward';
  if (/restored:/.test(bootRestoreLog)) return 'rebuilt';
  return 'no restore needed';
}

export async function powerLossDuringApply(o: { trials: number; random: Random; log?: (l: string) => void }): Promise<ReliabilityRow[]> {
  const lab = await requireLab();
  const node = vmNodes(lab)[0];
  if (!node) throw new Error('the lab has no VM node (lab up --vm-nodes 1)');
  const onn = new OnnDriver(lab.kubeconfig);
  const [a, b] = powerSpecs();
  const share = vmFiles(lab.paths.dir, node).share;
  const bootLog = join(share, 'boot-restore.log');
  const log = join(share, 'agent.log');
  // Both configs as the handler persists them, and how long the kernel work of an apply between
  // them takes here: cuts are drawn from that window, counted from the moment it starts.
  const applyTimes: number[] = [];
  await onn.apply(node, b);
  const storedB = await storedConfig(node);
  for (const s of [a, b, a]) {
    await onn.apply(node, s);
    applyTimes.push((await kernelWorkMs(log)) ?? 0);
  }
  const storedA = await storedConfig(node);
  const window = Math.max(...applyTimes, 500);
  let survived = 0;
  const failures: string[] = [];
  const classes = new Map<string, number>();
  let from = a;
  for (let t = 0; t < o.trials; t++) {
    const to = from === a ? b : a;
    const delay = randomInt(o.random, window);
    const what = `trial ${t + 1} (cut ${delay} ms into the kernel work)`;
    try {
      const before = (await agentLog(log)).filter(KERNEL_WORK).length;
      const gen = await onn.setSpec(node, to);
      await waitFor(`${node}'s agent to start the kernel work of generation ${gen}`, async () => (await agentLog(log)).filter(KERNEL_WORK).length > before, 60_000, 20);
      await sleep(delay);
      await setVmApiReachable(node, false);
      await powerCycleVm(node, 'power-cut');
      // init.sh ran the boot restore before the guest agent answered; the API is still shut.
      const cls = cutClass(await readFile(bootLog, 'utf8').catch(() => ''));
      classes.set(cls, (classes.get(cls) ?? 0) + 1);
      const stored = await storedConfig(node);
      const kernel = await kernelConfigOf(node);
      const side = isDeepStrictEqual(stored, storedA) ? 'old/new A' : isDeepStrictEqual(stored, storedB) ? 'old/new B' : undefined;
      if (!side) throw new Error(`the persisted config after boot is neither spec (${Object.keys(stored.networks).join(',')})`);
      if (!isDeepStrictEqual(kernel, stored)) throw new Error(`before the API answered, the kernel held a mix: ${JSON.stringify(kernel).slice(0, 200)}`);
      await startNodeAgent(node);
      // The agent starts without the API (its own boot restore finds nothing to do) …
      await sleep(2000);
      if (!isDeepStrictEqual(await kernelConfigOf(node), stored)) throw new Error('the kernel changed while the API was unreachable');
      await setVmApiReachable(node, true);
      // … and once the API answers, it reports and reaches the spec.
      const obj = await onn.waitForGeneration(node, gen, 180_000);
      const want = to === a ? storedA : storedB;
      const reported = obj.status?.kernelConfig as unknown as RunningConfig | undefined;
      const finalKernel = await kernelConfigOf(node);
      const ok = isAvailable(obj) && isDeepStrictEqual(finalKernel, want) && isDeepStrictEqual(await storedConfig(node), want) && isDeepStrictEqual(reported, want);
      if (ok) survived++;
      else failures.push(`${what}: available=${isAvailable(obj)} kernel=${Object.keys(finalKernel.networks).length} reported=${Object.keys(reported?.networks ?? {}).length}`);
      o.log?.(`power cut ${t + 1}/${o.trials}: after ${delay} ms, boot: ${cls} (${side}) → ${ok ? 'converged' : 'NOT converged'}`);
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
      o.log?.(`power cut ${t + 1}/${o.trials}: ${(e as Error).message}`);
      await setVmApiReachable(node, true);
      await startNodeAgent(node).catch(() => undefined);
    }
    from = to;
  }
  await onn.apply(node, {}).catch(() => undefined);
  const landed = [...classes].map(([k, n]) => `${k} ${n}`).join(', ');
  return [{
    experiment: 'power cut', case: `QEMU killed 0–${window} ms into the kernel work of an apply (bond+6 VLAN bridges ↔ 4 NIC/VLAN networks), booted without the API`,
    tried: o.trials, survived, lost: o.trials - survived,
    note: failures.length ? failures.slice(0, 3).join('; ') : `boot: ${landed}; every boot held the old or the new config before the API answered, and ended on the spec`,
  }];
}
