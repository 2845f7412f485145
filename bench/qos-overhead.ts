// Issue 24, "Measure" (2): the overhead of host network QoS in an apply — N bridgeless VLAN
// networks on one NIC applied with a hostQos each (VDSM's HFSC layout: a class, an fq_codel leaf
// and a filter per network on the NIC) against the same apply without QoS, through the agent's
// backend (validation, plan, journalled transaction, persistence, read-back), in a fresh network
// namespace of the lab VM (Debian's kernel: 802.1q, sch_hfsc) with a dummy NIC each time. Both
// sides timed inside the VM around setup(); interleaved, run 0 dropped (it checks that the QoS
// side left the layout: N + 1 classes); medians. The verdict is the ratio; no target is set.
//
//   node dist/bench/qos-overhead.js [--networks 100] [--runs 3] [--out docs/results]   (lab running)
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { KernelBackend } from '../src/agent/kernel-backend.js';
import { currentLab, labExec } from '../lab/src/index.js';
import { run } from '../src/util/exec.js';
import { median } from './lib/stats.js';

const VM = 'vm-node-1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VM_NODE = `${ROOT}node_modules/node/bin/node`;
const NIC = 'eth1';
const FIRST_VLAN = 100;

/** vl100.. on eth1, bridgeless; with QoS each a share of its own and an 8 Mbit/s upper limit. */
export function qosSpec(n: number, qos: boolean): { networks: Record<string, unknown> } {
  return {
    networks: Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `vl${FIRST_VLAN + i}`,
        {
          nic: NIC,
          vlan: FIRST_VLAN + i,
          bridged: false,
          ...(qos ? { hostQos: { out: { ls: { m2: 10 + i }, ul: { m2: 8_000_000 } } } } : {}),
        },
      ]),
    ),
  };
}

/** --child STATE_DIR N qos|plain: one warm setup() of the spec, timed; ms, then the class count. */
async function child(stateDir: string, n: number, qos: boolean): Promise<void> {
  const backend = new KernelBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 0 });
  for (const warm of [qosSpec(2, qos), {}]) {
    const r = await backend.setup(warm, undefined);
    if (!r.ok) throw new Error(`warm-up failed: ${JSON.stringify(r)}`);
  }
  const t0 = process.hrtime.bigint();
  const r = await backend.setup(qosSpec(n, qos), undefined);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.ok || !r.changed) throw new Error(`setup failed: ${JSON.stringify(r).slice(0, 2000)}`);
  const classes = (await run(['tc', 'class', 'show', 'dev', NIC])).stdout.split('\n').filter((l) => /^class hfsc 1389:\S+ parent/.test(l));
  process.stdout.write(`${ms}\n${classes.length}\n`);
}

async function vmSh(script: string): Promise<string> {
  return (await labExec(VM, ['sh', '-ec', script], { timeoutMs: 600_000 })).stdout;
}

const clear = (ns: string) => `if [ -e /run/netns/${ns} ]; then
  for p in $(ip netns pids ${ns}); do kill -9 $p 2>/dev/null || true; done
  ip -n ${ns} -o link show | awk -F': ' '{ split($2, a, "@"); if (a[1] != "lo") print "link set dev " a[1] " group 1" }' | ip -n ${ns} -force -batch - || true
  ip -n ${ns} link del group 1 2>/dev/null || true
  ip netns del ${ns}
fi
`;

export async function benchQos(n: number, runs: number, log: (l: string) => void): Promise<Record<string, unknown>> {
  const lab = await currentLab();
  const vm = lab?.state.vms.find((v) => v.node === VM);
  if (!vm) throw new Error(`no lab VM ${VM} is running`);
  const ns = `ovnh-t-qosbench-${randomBytes(3).toString('hex')}`;
  const stateDir = `/tmp/${ns}-state`;
  const self = fileURLToPath(import.meta.url);
  const times: Record<'qos' | 'plain', number[]> = { qos: [], plain: [] };
  try {
    for (let i = 0; i <= runs; i++) {
      const order = i % 2 ? (['plain', 'qos'] as const) : (['qos', 'plain'] as const);
      for (const side of order) {
        await vmSh(`${clear(ns)}rm -rf ${stateDir}; mkdir -p ${stateDir}
ip netns add ${ns}; ip -n ${ns} link set lo up; ip -n ${ns} link add ${NIC} type dummy; ip -n ${ns} link set ${NIC} up
`);
        const r = await labExec(VM, ['ip', 'netns', 'exec', ns, VM_NODE, self, '--child', stateDir, String(n), side], { timeoutMs: 1_800_000 });
        const [ms, classes] = r.stdout.trim().split('\n').map(Number);
        if (!Number.isFinite(ms)) throw new Error(`child: ${r.stdout.slice(0, 500)} ${r.stderr.slice(-2000)}`);
        const wantClasses = side === 'qos' ? n + 1 : 0;
        if (classes !== wantClasses) throw new Error(`${side}: ${classes} HFSC classes, expected ${wantClasses}`);
        if (i > 0) times[side].push(ms!);
        log(`run ${i}${i === 0 ? ' (dropped)' : ''}: ${side} ${ms!.toFixed(0)} ms`);
      }
    }
  } finally {
    await vmSh(`${clear(ns)}rm -rf ${stateDir}\n`).catch(() => undefined);
  }
  const qos = median(times.qos);
  const plain = median(times.plain);
  return {
    bench: 'qos-overhead',
    case: `apply ${n} bridgeless VLAN networks on one NIC, each with hostQos (ls + ul), vs the same without`,
    networks: n,
    runs,
    accel: vm.accel,
    unit: 'ms',
    qos: { median: qos, runs: times.qos },
    plain: { median: plain, runs: times.plain },
    ratio: qos / plain,
    tcShareOfApply: (qos - plain) / qos,
    finishedAt: new Date().toISOString(),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--child') {
    await child(process.argv[3]!, Number(process.argv[4]), process.argv[5] === 'qos');
    process.exit(0);
  }
  const { values } = parseArgs({
    options: { networks: { type: 'string', default: '100' }, runs: { type: 'string', default: '3' }, out: { type: 'string' } },
  });
  const result = await benchQos(Number(values.networks), Number(values.runs), (l) => process.stderr.write(l + '\n'));
  const text = JSON.stringify(result, null, 2) + '\n';
  process.stdout.write(text);
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'qos-overhead.json'), text);
  }
}
