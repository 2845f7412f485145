// Benchmark 1 of issue 8, VM variant: applying N bridged VLAN networks over an active-backup
// bond (as the agent's backend does it: validation, plan, journalled transaction, persistence,
// read-back) against a bare `ip -batch` doing the same kernel work, in the lab VM (Debian's
// kernel, bonding and 802.1q), each in a fresh network namespace of the VM with two dummy NICs
// eth1/eth2, interleaved in one run; medians of repeated runs. Target: within 1.5x (DESIGN.md).
//
// Networks are bridged (`bridged` is VDSM's default and what oVirt's VM networks are): network
// vl<id> is a bridge over VLAN device bond0.<id>, with a static 10.x address on the bridge and
// IPv6 off, as setupNetworks would make it.
//
// Both sides are timed inside the VM (process.hrtime around setup() / around the ip batches and
// sysctl writes), not across the lab's exec round trip; the VM's node starts and loads the code
// untimed. The namespace's devices are deleted untimed, all in one kernel batch (`ip link del
// group`), so a deletion does not hold the RTNL lock in the background during the next timed run.
//
//   node dist/bench/apply-vm.js [--sizes 100,500] [--runs 5]     (host, root, lab running)
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { KernelBackend } from '../src/agent/kernel-backend.js';
import { currentLab, labExec } from '../lab/src/index.js';
import { run } from '../src/util/exec.js';
import { benchTable, type BenchRow } from '../kit/report.js';
import { median } from './lib/stats.js';

const VM = 'vm-node-1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The node the VM runs (the checkout is mounted at the same path there). */
const VM_NODE = `${ROOT}node_modules/node/bin/node`;
const BOND = 'bond0';
const NICS = ['eth1', 'eth2'] as const;
const BOND_OPTIONS = 'mode=1 miimon=100';
const FIRST_VLAN = 100;

interface VlanNet { name: string; id: number; vlanDev: string; addr: string }

/** vl100, vl101, ... over bond0.100, bond0.101, ..., each with a /24 of its own. */
export function vlanNets(n: number): VlanNet[] {
  if (FIRST_VLAN + n - 1 > 4094) throw new Error(`at most ${4095 - FIRST_VLAN} VLAN networks`);
  return Array.from({ length: n }, (_, i) => {
    const id = FIRST_VLAN + i;
    return { name: `vl${id}`, id, vlanDev: `${BOND}.${id}`, addr: `10.${1 + (i >> 8)}.${i & 255}.1` };
  });
}

export function vlanSpec(n: number): { bondings: Record<string, unknown>; networks: Record<string, unknown> } {
  return {
    bondings: { [BOND]: { nics: [...NICS], options: BOND_OPTIONS } },
    networks: Object.fromEntries(vlanNets(n).map((v) => [v.name, {
      bonding: BOND, vlan: v.id, bridged: true, bootproto: 'none', ipaddr: v.addr, netmask: '255.255.255.0',
    }])),
  };
}

const disableIpv6 = (dev: string) => `/proc/sys/net/ipv6/conf/${dev}/disable_ipv6`;

/**
 * The kernel work of the transaction (src/apply/compile.ts) for these networks, in its order:
 * one ip batch (bond, slaves, VLAN devices, bridges), the IPv6-off sysctl writes of every new
 * device (before any is up, so none gets a link-local address), a second ip batch (ports
 * attached, bridge MTU pinned, devices up, addresses). Not done here: the journal, the running
 * config and the read-back, which are the handler's own overhead.
 */
export function bareVlanWork(n: number): { first: string; sysctls: string[]; second: string } {
  const nets = vlanNets(n);
  const first = [
    `link add name ${BOND} mtu 1500 type bond mode 1 miimon 100`,
    ...NICS.flatMap((nic) => [`link set dev ${nic} down`, `link set dev ${nic} master ${BOND}`]),
    `link set dev ${BOND} up`,
    ...nets.map((v) => `link add link ${BOND} name ${v.vlanDev} mtu 1500 type vlan id ${v.id}`),
    ...nets.map((v) => `link add name ${v.name} mtu 1500 type bridge stp_state 0`),
  ];
  const sysctls = [BOND, ...nets.map((v) => v.vlanDev), ...nets.map((v) => v.name)].map(disableIpv6);
  const second = [
    ...nets.flatMap((v) => [`link set dev ${v.vlanDev} master ${v.name}`, `link set dev ${v.name} mtu 1500`]),
    ...nets.map((v) => `link set dev ${v.vlanDev} up`),
    ...nets.map((v) => `link set dev ${v.name} up`),
    ...nets.map((v) => `addr add ${v.addr}/24 dev ${v.name}`),
  ];
  return { first: first.join('\n') + '\n', sysctls, second: second.join('\n') + '\n' };
}

// ---- inside the VM's namespace ----------------------------------------------------------------

interface IpLink {
  ifname: string; mtu: number; flags: string[]; master?: string; link?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/**
 * The namespace's devices as lines to compare the two sides by (MACs, timers and operstate left
 * out: they differ from run to run).
 */
async function kernelState(): Promise<string[]> {
  const links = JSON.parse((await run(['ip', '-d', '-j', 'link', 'show'])).stdout) as IpLink[];
  const addrs = new Map((JSON.parse((await run(['ip', '-j', 'addr', 'show'])).stdout) as IpLink[]).map((l) => [l.ifname, l.addr_info ?? []]));
  const pick = (d: Record<string, unknown> | undefined, keys: string[]) => keys.map((k) => `${k}=${String(d?.[k] ?? '')}`).join(',');
  const KEYS: Record<string, string[]> = { bond: ['mode', 'miimon', 'active_slave'], bridge: ['stp_state', 'vlan_filtering'], vlan: ['protocol', 'id'] };
  return links.filter((l) => l.ifname !== 'lo').map((l) => {
    const kind = l.linkinfo?.info_kind ?? '';
    let v6off = '';
    try { v6off = readFileSync(disableIpv6(l.ifname), 'utf8').trim(); } catch { /* no IPv6 */ }
    const a = (addrs.get(l.ifname) ?? []).map((x) => `${x.local}/${x.prefixlen}`).sort().join(' ');
    return `${l.ifname} ${kind} link=${l.link ?? ''} master=${l.master ?? ''} mtu=${l.mtu} up=${l.flags.includes('UP')} ${pick(l.linkinfo?.info_data, KEYS[kind] ?? [])} disable_ipv6=${v6off} addrs=[${a}]`;
  }).sort();
}

/**
 * --child ours STATE_DIR N [--dump]: one setup() of the whole spec, timed (ms on stdout; with
 * --dump, the kernel state after it as JSON on a second line). The agent is a long-running
 * process: a small apply of the same shape and its removal first, so the code runs warm.
 */
async function oursChild(stateDir: string, n: number, dump: boolean): Promise<void> {
  const backend = new KernelBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 0 });
  const warmSpec = {
    bondings: { [BOND]: { nics: [...NICS], options: BOND_OPTIONS } },
    networks: {
      warm0: { bonding: BOND, vlan: 4000, bootproto: 'none', ipaddr: '192.0.2.1', netmask: '255.255.255.0' },
      warm1: { bonding: BOND, vlan: 4001, bridged: false },
    },
  };
  for (const warm of [warmSpec, {}]) {
    const r = await backend.setup(warm, undefined);
    if (!r.ok) throw new Error(`warm-up failed: ${JSON.stringify(r)}`);
  }
  const spec = vlanSpec(n);
  const t0 = process.hrtime.bigint();
  const r = await backend.setup(spec, undefined);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // One plan step per network and one for the bond (its slaves are part of addBond).
  if (!r.ok || !r.changed || r.steps !== n + 1) throw new Error(`setup: expected ok with ${n + 1} steps, got ${JSON.stringify(r).slice(0, 2000)}`);
  process.stdout.write(`${ms}\n`);
  if (dump) process.stdout.write(JSON.stringify(await kernelState()) + '\n');
}

/** --child bare N [--dump]: the same kernel work with `ip -batch` and direct sysctl writes, timed. */
async function bareChild(n: number, dump: boolean): Promise<void> {
  const w = bareVlanWork(n);
  const t0 = process.hrtime.bigint();
  await run(['ip', '-batch', '-'], { input: w.first });
  for (const p of w.sysctls) writeFileSync(p, '1');
  await run(['ip', '-batch', '-'], { input: w.second });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(`${ms}\n`);
  if (dump) process.stdout.write(JSON.stringify(await kernelState()) + '\n');
}

// ---- on the host: the namespace in the VM ------------------------------------------------------

async function vmSh(script: string, timeoutMs = 600_000): Promise<string> {
  return (await labExec(VM, ['sh', '-ec', script], { timeoutMs })).stdout;
}

/**
 * Stops what still runs in the namespace (by PID), deletes every device but lo in one batch
 * (group 1; a group delete is a single unregister, seconds faster than one per device in the
 * VM) and the namespace itself.
 */
function clearScript(ns: string): string {
  return `if [ -e /run/netns/${ns} ]; then
  for p in $(ip netns pids ${ns}); do kill -9 $p 2>/dev/null || true; done
  ip -n ${ns} -o link show | awk -F': ' '{ split($2, a, "@"); if (a[1] != "lo") print "link set dev " a[1] " group 1" }' | ip -n ${ns} -force -batch - || true
  ip -n ${ns} link del group 1 2>/dev/null || true
  ip netns del ${ns}
fi
`;
}

/** A fresh namespace in the VM with lo and two up dummy NICs, and an empty state dir. */
async function freshVmNamespace(ns: string, stateDir: string): Promise<void> {
  await vmSh(`${clearScript(ns)}
rm -rf ${stateDir}; mkdir -p ${stateDir}
ip netns add ${ns}
ip -n ${ns} link set lo up
${NICS.map((nic) => `ip -n ${ns} link add ${nic} type dummy; ip -n ${ns} link set ${nic} up`).join('\n')}
`);
}

async function deleteVmNamespace(ns: string, stateDir: string): Promise<void> {
  await vmSh(`${clearScript(ns)}rm -rf ${stateDir}\n`);
}

export interface ApplyVmBenchOptions {
  sizes: number[];
  runs: number;
  log?: (l: string) => void;
}

export async function benchApplyVlans(o: ApplyVmBenchOptions): Promise<BenchRow[]> {
  const lab = await currentLab();
  const vm = lab?.state.vms.find((v) => v.node === VM);
  if (!vm) throw new Error(`no lab VM ${VM} is running (ovirt-node-network-handler lab up)`);
  const ns = `ovnh-t-vlanbench-${randomBytes(3).toString('hex')}`;
  const stateDir = `/tmp/${ns}-state`;
  const self = fileURLToPath(import.meta.url);
  const onSignal = () => {
    void deleteVmNamespace(ns, stateDir).catch(() => undefined).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows: BenchRow[] = [];
  try {
    for (const n of o.sizes) {
      /** Runs a child in the namespace; its first stdout line is ms, the second (with dump) the kernel state. */
      const child = async (args: string[], dump: boolean): Promise<{ ms: number; state?: string[] }> => {
        const r = await labExec(VM, ['ip', 'netns', 'exec', ns, VM_NODE, self, '--child', ...args, ...(dump ? ['--dump'] : [])], { timeoutMs: 1_800_000 });
        const [ms, state] = r.stdout.trim().split('\n');
        const v = Number(ms);
        if (!Number.isFinite(v)) throw new Error(`child ${args.join(' ')}: unexpected output ${r.stdout.slice(0, 500)} ${r.stderr.slice(-2000)}`);
        return { ms: v, ...(state ? { state: JSON.parse(state) as string[] } : {}) };
      };
      const states: Record<string, string[]> = {};
      const sides: Record<string, (dump: boolean) => Promise<number>> = {
        ours: async (dump) => {
          await freshVmNamespace(ns, stateDir);
          const r = await child(['ours', stateDir, String(n)], dump);
          if (r.state) states.ours = r.state;
          return r.ms;
        },
        bare: async (dump) => {
          await freshVmNamespace(ns, stateDir);
          const r = await child(['bare', String(n)], dump);
          if (r.state) states.bare = r.state;
          return r.ms;
        },
      };
      const times: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
      const order = Object.keys(sides);
      for (let i = 0; i <= o.runs; i++) {
        // Run 0 warms caches and is dropped (and checks that both sides leave the same kernel
        // state); the order rotates so no side always runs on a warmer kernel.
        const rot = order.map((_, j) => order[(i + j) % order.length]!);
        const t0 = Date.now();
        for (const side of rot) {
          const ms = await sides[side]!(i === 0);
          if (i > 0) times[side]!.push(ms);
          else o.log?.(`apply ${n} VLAN networks, run 0 (dropped): ${side} ${ms.toFixed(1)} ms`);
        }
        if (i === 0) {
          const a = states.ours ?? [];
          const b = states.bare ?? [];
          const diff = [...a.filter((l) => !b.includes(l)).map((l) => `ours only: ${l}`), ...b.filter((l) => !a.includes(l)).map((l) => `bare only: ${l}`)];
          if (diff.length || a.length !== 2 * n + 3) throw new Error(`ours and the bare batch leave different kernel states (${a.length} / ${b.length} devices):\n${diff.slice(0, 20).join('\n')}`);
        }
        o.log?.(`apply ${n} VLAN networks, run ${i}/${o.runs}: ${order.map((s) => `${s} ${times[s]!.at(-1)?.toFixed(1) ?? '-'} ms`).join(', ')} (${((Date.now() - t0) / 1000).toFixed(0)} s wall)`);
      }
      const ours = median(times.ours!);
      const bare = median(times.bare!);
      const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)} ms`;
      o.log?.(`apply ${n} VLAN networks: ours median ${ours.toFixed(0)} ms (${spread(times.ours!)}), bare median ${bare.toFixed(0)} ms (${spread(times.bare!)})`);
      rows.push({
        bench: 'apply', case: `apply ${n} bridged VLAN networks over an active-backup bond (VM)`, size: n, value: ours, unit: 'ms',
        baselineName: 'ip -batch', baseline: bare, ratio: ours / bare, target: '<= 1.5x', met: ours / bare <= 1.5,
        note: `median of ${o.runs}, ${vm.accel.toUpperCase()} VM`,
      });
    }
  } finally {
    await deleteVmNamespace(ns, stateDir);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--child') {
    const dump = process.argv.includes('--dump');
    if (process.argv[3] === 'ours') await oursChild(process.argv[4]!, Number(process.argv[5]), dump);
    else if (process.argv[3] === 'bare') await bareChild(Number(process.argv[4]), dump);
    else throw new Error(`--child ours STATE_DIR N | --child bare N`);
    process.exit(0);
  }
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,500' }, runs: { type: 'string', default: '5' } } });
  const rows = await benchApplyVlans({
    sizes: values.sizes.split(',').map(Number), runs: Number(values.runs),
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(benchTable(rows));
}
