// Issue 24, "Measure" (1): the throughput of host network QoS (VDSM's HFSC layout) on a NIC two
// networks share, in the lab VM (Debian's kernel: sch_hfsc; TCG). Two bridgeless VLAN networks
// with static addresses on the VM's eth1 — a veth to the VM's own switch, a namespace inside the
// guest with a bridge (lab/src/topology.ts, lab/src/guest-boot.ts) — applied through the product's
// CLI as an operator runs it; iperf3 (Debian's, the host's root file system is the guest's) sends
// from the node to a server per network on the switch side, over a VLAN device of the switch's
// bridge. Phases, each applied in turn through the CLI:
//   plain  no hostQos: one flow alone (the path's rate, the baseline), then both flows together;
//   ul     A with an upper limit of an eighth of that rate (below A's share with B sending): A alone,
//          then A and B together;
//   ls     A and B with link shares 75 and 25 and no limit: both together.
//   root-ul the same, with HFSC's root class — the one parent VDSM's layout has — given a quarter
//          of that total as ls and ul by hand (bench only): does the kernel apply a capacity there?
// Verdicts (bench/lib/qos-throughput.ts): (a) no 1 s interval of A at the receiver, and not A's
// class L2 rate as tc counts it, exceeds the upper limit by more than 5 %; (b) each network's
// share of the total within 15 % of its link share — or "blocked" when tc, sampled every 0.5 s,
// never showed both classes backlogged: then nothing on the path is slower than the senders and
// HFSC's link sharing never has to choose.
//
//   node dist/bench/qos-throughput.js [--seconds 10] [--nic eth1] [--out docs/results/qos-throughput.json]
//   node dist/bench/qos-throughput.js --report docs/results/qos-throughput.json [--doc docs/benchmarks.md]
// The lab running; its VM's NIC free (nothing on it). Holds the lab for ~3 min under TCG.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { currentLab, labExec } from '../lab/src/index.js';
import { SWITCH_NS } from '../lab/src/config.js';
import { headCommit, newResults, readResults, writeResults } from '../kit/report.js';
import {
  evidence,
  measureScript,
  rootCapacityVerdict,
  parseMeasurement,
  qosThroughputRows,
  qosThroughputSection,
  shareVerdict,
  steadyBps,
  upperLimitVerdict,
  withQosThroughputSection,
  type FlowPlan,
  type Measurement,
  type QosThroughputRaw,
  type RootCapacity,
  type RunRecord,
} from './lib/qos-throughput.js';

const VM = 'vm-node-1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VM_NODE = `${ROOT}node_modules/node/bin/node`;
const BIN = `${ROOT}bin/ovirt-node-network-handler.js`;
const BRIDGE = 'data';
/** RFC 2544's benchmarking range: nothing of the lab's own lives there. */
const NETS = {
  a: { name: 'qbwa', vlan: 101, node: '198.18.101.2', sw: '198.18.101.1', port: 5301 },
  b: { name: 'qbwb', vlan: 102, node: '198.18.102.2', sw: '198.18.102.1', port: 5302 },
} as const;
type Net = keyof typeof NETS;
const LS = { a: 75, b: 25 };
const MBIT = 1_000_000;

async function vmSh(script: string, timeoutMs = 120_000): Promise<string> {
  return (await labExec(VM, ['sh', '-ec', script], { timeoutMs })).stdout;
}

type Qos = Partial<Record<Net, { ls: number; ul?: number }>>;

/** The two networks on the NIC, with hostQos where `qos` gives one; applied through the CLI. */
async function apply(nic: string, state: string, qos: Qos | undefined): Promise<void> {
  const networks =
    qos === undefined
      ? {}
      : Object.fromEntries(
          (Object.keys(NETS) as Net[]).map((k) => {
            const n = NETS[k];
            const q = qos[k];
            return [
              n.name,
              {
                nic,
                vlan: n.vlan,
                bridged: false,
                ipaddr: n.node,
                prefix: 24,
                ...(q ? { hostQos: { out: { ls: { m2: q.ls }, ...(q.ul ? { ul: { m2: q.ul } } : {}) } } } : {}),
              },
            ];
          }),
        );
  const r = await labExec(
    VM,
    ['env', 'NO_COLOR=1', VM_NODE, BIN, 'apply', '-f', '-', '--state-dir', state, '-q', '--no-verify'],
    { input: JSON.stringify({ networks }), allowFailure: true, timeoutMs: 300_000 },
  );
  if (r.code !== 0) throw new Error(`apply failed (${r.code}): ${r.stderr.slice(-2000)}`);
}

/** The NIC must carry nothing (no upper device, the kernel's default qdisc): the bench owns it for its run. */
async function preflight(nic: string): Promise<Record<string, string>> {
  const out = await vmSh(`command -v iperf3 >/dev/null || {
  echo "iperf3 is not installed (scripts/install-host-deps.sh)" >&2; exit 3; }
[ -e /sys/class/net/${nic} ] || { echo "no ${nic} in the VM" >&2; exit 3; }
up=$(ls /sys/class/net/${nic} | grep '^upper_' || true)
[ -z "$up" ] || { echo "${nic} has upper devices: $up" >&2; exit 3; }
if ! tc qdisc show dev ${nic} | grep -qE '^qdisc (noqueue|pfifo_fast|fq_codel|mq) 0: root'; then
  echo "${nic} has a qdisc of someone's: $(tc qdisc show dev ${nic})" >&2; exit 3; fi
[ "$(ip netns exec ${SWITCH_NS} cat /sys/class/net/${BRIDGE}/bridge/vlan_filtering)" = 0 ] || {
  echo "the switch's bridge filters VLANs: the tagged frames would not reach its VLAN devices" >&2; exit 3; }
echo "kernel=$(uname -r)"
echo "driver=$(ethtool -i ${nic} | sed -n 's/^driver: //p')"
echo "peer=$(ip -o link show ${nic} | sed -n 's/.*link-netnsid \\([0-9]*\\).*/netnsid \\1/p')"
echo "speed=$(cat /sys/class/net/${nic}/speed 2>/dev/null || echo unknown)"
echo "txqueuelen=$(cat /sys/class/net/${nic}/tx_queue_len)"
echo "iperf3=$(iperf3 --version | head -1)"
`);
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** The switch side: a VLAN device of the switch's bridge per network, with its address. */
function switchScript(up: boolean): string {
  return (
    (Object.values(NETS) as (typeof NETS)[Net][])
      .map((n) =>
        up
          ? `ip -n ${SWITCH_NS} link add link ${BRIDGE} name qbw${n.vlan} type vlan id ${n.vlan}
ip -n ${SWITCH_NS} addr add ${n.sw}/24 dev qbw${n.vlan}; ip -n ${SWITCH_NS} link set qbw${n.vlan} up`
          : `ip -n ${SWITCH_NS} link del qbw${n.vlan} 2>/dev/null || true`,
      )
      .join('\n') + '\n'
  );
}

async function measure(nic: string, dir: string, seconds: number, nets: Net[]): Promise<Measurement> {
  const flows: FlowPlan[] = nets.map((k) => ({ name: k, src: NETS[k].node, dst: NETS[k].sw, port: NETS[k].port }));
  const script = measureScript({ dir, nic, switchNs: SWITCH_NS, seconds, sampleSeconds: 0.5, flows });
  const r = await labExec(VM, ['sh', '-c', script], { timeoutMs: (seconds + 90) * 1000, allowFailure: true });
  return parseMeasurement(r.stdout + (r.code !== 0 ? `\n@@exit ${r.code}\n${r.stderr}` : ''));
}

/**
 * The one parent VDSM's layout has: HFSC's root class. A capacity given to it by hand (bench only,
 * the product never does: an upper limit there is no part of VDSM's layout) — does the kernel
 * apply it? The answer is measured, with the same link shares (phase root-ul).
 */
async function rootCapacity(nic: string, capBps: number, log: (l: string) => void): Promise<RootCapacity> {
  const r = await labExec(
    VM,
    [
      'tc',
      'class',
      'change',
      'dev',
      nic,
      'parent',
      'root',
      'classid',
      '1389:',
      'hfsc',
      'ls',
      'm2',
      `${capBps}bit`,
      'ul',
      'm2',
      `${capBps}bit`,
    ],
    { allowFailure: true },
  );
  const shown = (await labExec(VM, ['tc', 'class', 'show', 'dev', nic, 'classid', '1389:'])).stdout.trim();
  log(`root class capacity ${capBps / MBIT} Mbit/s: tc exit ${r.code}; ${shown}`);
  return { capBps, exit: r.code, stderr: r.stderr.trim(), shown };
}

const handleOf = (k: Net) => `1389:${NETS[k].vlan.toString(16)}`;

async function record(
  phase: string,
  nets: Net[],
  nic: string,
  dir: string,
  seconds: number,
  log: (l: string) => void,
): Promise<RunRecord> {
  const m = await measure(nic, dir, seconds, nets);
  for (const k of nets) if (!m.flows[k]) throw new Error(`${phase}: flow ${k} reported nothing`);
  const ev = evidence(m.samples, '1389:', Object.fromEntries(nets.map((k) => [k, handleOf(k)])));
  const steady = Object.fromEntries(nets.map((k) => [k, steadyBps(m.flows[k]!)]));
  log(
    `${phase} ${nets.join('+')}: ${nets.map((k) => `${k} ${(steady[k]! / MBIT).toFixed(1)} Mbit/s`).join(', ')}` +
      `; both backlogged in ${ev.allBacklogged}/${ev.samples} samples, root backlog max ${ev.root.maxBacklogPackets}p`,
  );
  return {
    phase,
    flows: nets,
    results: m.flows,
    steadyBps: steady,
    evidence: ev,
    samples: m.samples.map((s) => ({ t: s.t, tc: s.tc.filter((e) => e.what === 'qdisc' || e.kind === 'hfsc') })),
  };
}

export async function benchQosThroughput(o: {
  nic: string;
  seconds: number;
  log: (l: string) => void;
}): Promise<QosThroughputRaw> {
  const lab = await currentLab();
  const vm = lab?.state.vms.find((v) => v.node === VM);
  if (!vm) throw new Error(`no lab VM ${VM} is running`);
  const facts = await preflight(o.nic);
  o.log(`${VM}: ${JSON.stringify(facts)}`);
  const id = randomBytes(3).toString('hex');
  const state = `/tmp/ovnh-qosbw-${id}-state`;
  const dir = `/tmp/ovnh-qosbw-${id}`;
  const runs: RunRecord[] = [];
  let ulBps = 0;
  let rootCap: RootCapacity | undefined;
  try {
    await vmSh(switchScript(false) + switchScript(true));
    await apply(o.nic, state, {});
    runs.push(await record('plain', ['a'], o.nic, dir, o.seconds, o.log));
    runs.push(await record('plain', ['a', 'b'], o.nic, dir, o.seconds, o.log));
    ulBps = Math.max(2, Math.floor(runs[0]!.steadyBps.a! / 8 / MBIT)) * MBIT;
    await apply(o.nic, state, { a: { ls: 50, ul: ulBps }, b: { ls: 50 } });
    runs.push(await record('ul', ['a'], o.nic, dir, o.seconds, o.log));
    runs.push(await record('ul', ['a', 'b'], o.nic, dir, o.seconds, o.log));
    await apply(o.nic, state, { a: { ls: LS.a }, b: { ls: LS.b } });
    runs.push(await record('ls', ['a', 'b'], o.nic, dir, o.seconds, o.log));
    // A quarter of what the classes sent without it: binds if the kernel applies it, load or not.
    const lsL2 = Object.values(runs.at(-1)!.evidence.classes).reduce((a, c) => a + c.l2Bps, 0);
    rootCap = await rootCapacity(o.nic, Math.max(2, Math.floor(lsL2 / 4 / MBIT)) * MBIT, o.log);
    if (rootCap.exit === 0) runs.push(await record('root-ul', ['a', 'b'], o.nic, dir, o.seconds, o.log));
  } finally {
    await apply(o.nic, state, undefined).catch((e: Error) => o.log(`cleanup apply: ${e.message}`));
    await vmSh(`if [ -f ${dir}/pids ]; then kill $(cat ${dir}/pids) 2>/dev/null || true; fi
rm -rf ${dir} ${state}\n${switchScript(false)}`).catch((e: Error) => o.log(`cleanup: ${e.message}`));
  }
  return verdicts({
    vm: { node: VM, accel: vm.accel, ...facts },
    nic: o.nic,
    seconds: o.seconds,
    ulBps,
    ls: LS,
    runs,
    ...(rootCap ? { rootCapacity: rootCap } : {}),
  });
}

/** The verdicts, from the runs alone (also what --report recomputes nothing from: they are stored). */
function verdicts(raw: Omit<QosThroughputRaw, 'verdicts'>): QosThroughputRaw {
  const run = (phase: string, n: number) => raw.runs.find((r) => r.phase === phase && r.flows.length === n)!;
  const ulAlone = run('ul', 1);
  const ulBoth = run('ul', 2);
  const ls = run('ls', 2);
  const rootUl = raw.runs.find((r) => r.phase === 'root-ul');
  return {
    ...raw,
    verdicts: {
      upperLimit: upperLimitVerdict(raw.ulBps, ulAlone.results.a!, ulAlone.evidence.classes.a?.l2Bps),
      upperLimitUnderContention: upperLimitVerdict(raw.ulBps, ulBoth.results.a!, ulBoth.evidence.classes.a?.l2Bps),
      linkShare: shareVerdict(raw.ls, ls.steadyBps, ls.evidence),
      baselineShare: shareVerdict(raw.ls, run('plain', 2).steadyBps, run('plain', 2).evidence),
      ...(rootUl ? { rootCapacity: rootCapacityVerdict(raw.rootCapacity!.capBps, raw.ls, rootUl, ls) } : {}),
    },
  };
}

/** Where docs/benchmarks.md gets the section when it has none yet: before this heading. */
const BEFORE_HEADING = '## Many nodes and fleet rollout';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      nic: { type: 'string', default: 'eth1' },
      out: { type: 'string' },
      report: { type: 'string' },
      doc: { type: 'string' },
    },
  });
  if (values.report) {
    const s = qosThroughputSection(await readResults(values.report));
    if (values.doc)
      await writeFile(values.doc, withQosThroughputSection(await readFile(values.doc, 'utf8'), s, BEFORE_HEADING));
    else process.stdout.write(s + '\n');
    return;
  }
  const results = newResults('bench', process.argv.slice(2));
  results.command = `node dist/bench/qos-throughput.js ${process.argv.slice(2).join(' ')}`.trim();
  results.commit = await headCommit(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  results.load = { start: loadavg()[0]! };
  const raw = await benchQosThroughput({
    nic: values.nic,
    seconds: Number(values.seconds),
    log: (l) => process.stderr.write(`[qos-throughput] ${l}\n`),
  });
  results.bench = qosThroughputRows(raw);
  results.raw = { qosThroughput: raw };
  results.finishedAt = new Date().toISOString();
  results.load.end = loadavg()[0]!;
  if (values.out) await writeResults(values.out, results);
  process.stdout.write(qosThroughputSection(results) + '\n');
  const v = raw.verdicts;
  process.exitCode = v.upperLimit.pass && v.upperLimitUnderContention.pass && v.linkShare.status !== 'fail' ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
