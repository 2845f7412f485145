// Benchmark: reconcile latency in the lab — a spec change sent to the API server until the
// object reports that generation Available — for (1) a static bridged network on a namespace
// node and (2) the seed's bond + bridge + DHCP network on the VM node (DHCP time reported
// apart, from the agent's log). Baseline, in the same run: the same kernel work done by hand
// in the node (`ip -batch`, and for (2) a one-shot dhcpcd), as an admin with a shell would.
//
//   npm run bench -- --only reconcile        (needs the lab: `ovirt-node-network-handler lab up`)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { labExec } from '../lab/src/index.js';
import { OnnDriver, requireLab } from '../lab/client/index.js';
import { benchTable, type BenchRow } from '../kit/report.js';
import { median, timed } from './lib/stats.js';

const STATIC_SPEC = { networks: { benchnet: { nic: 'eth1', bridged: true, bootproto: 'none', ipaddr: '10.93.0.1', netmask: '255.255.255.0' } } };
const STATIC_BARE = [
  'link add name benchnet type bridge stp_state 0', 'link set dev eth1 master benchnet',
  'addr add 10.93.0.1/24 dev benchnet', 'link set dev benchnet up', 'link set dev eth1 up',
].join('\n') + '\n';
const STATIC_BARE_UNDO = 'link set dev eth1 nomaster\nlink del dev benchnet\n';

const SEED_SPEC = {
  networks: { net1: { bridged: true, bonding: 'bond1', bootproto: 'dhcp', defaultRoute: true } },
  bondings: { bond1: { options: 'mode=4 miimon=100', nics: ['eth1'] } },
};
// The kernel work of the seed's network, then dhcpcd once (-1) with the agent's own settings
// (src/apply/dhcp.ts), in a private mount namespace so the VM's own state is not touched.
const SEED_BARE = `
ip -batch - <<'EOF2'
link add name bbond1 type bond mode 802.3ad miimon 100
link set dev eth1 down
link set dev eth1 master bbond1
link add name bnet1 type bridge stp_state 0
link set dev bbond1 master bnet1
link set dev bbond1 up
link set dev bnet1 up
EOF2
d=$(mktemp -d)
printf 'duid ll\\noption rapid_commit\\nnoipv4ll\\nipv4only\\nnoarp\\nrequire dhcp_server_identifier\\nnooption interface_mtu\\nnogateway\\n' > $d/conf
unshare --mount --propagation private sh -c "mount -t tmpfs t /run && mount --bind $d /var/lib/dhcpcd && dhcpcd -f $d/conf -4 -1 -t 60 --script /bin/true bnet1" >/dev/null 2>&1
ip -4 -br addr show bnet1 | grep -q 10.
`;
// "[d]hcpcd": the pattern must not match this shell's own command line.
const SEED_BARE_UNDO = 'pkill -f "[d]hcpcd -f /tmp/tmp" ; ip link del bnet1; ip link del bbond1; ip link set eth1 up; true';

/** The last "DHCP: waited N ms" of a node's agent log (src/apply/transaction.ts). */
async function lastDhcpWait(logPath: string): Promise<number | undefined> {
  const text = await readFile(logPath, 'utf8').catch(() => '');
  const all = [...text.matchAll(/DHCP: waited (\d+) ms/g)];
  return all.length ? Number(all.at(-1)![1]) : undefined;
}

export interface ReconcileBenchOptions {
  runs: number;
  seedRuns: number;
  log?: (l: string) => void;
}

export async function benchReconcile(o: ReconcileBenchOptions): Promise<BenchRow[]> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const nsNode = lab.state.nodes.find((n) => n.kind === 'netns')!.name;
  const vmNode = lab.state.nodes.find((n) => n.kind === 'vm')?.name;
  const rows: BenchRow[] = [];

  // (1) a static bridged network on a namespace node
  await onn.apply(nsNode, {});
  const ours: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i <= o.runs; i++) {
    const t0 = process.hrtime.bigint();
    const gen = await onn.setSpec(nsNode, STATIC_SPEC);
    const obj = await onn.waitForGeneration(nsNode, gen);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (obj.status?.kernelConfig?.networks.benchnet?.ipaddr !== '10.93.0.1') throw new Error(`static network not applied: ${JSON.stringify(obj.status?.setupStatus)}`);
    await onn.apply(nsNode, {});
    const b = await timed(() => labExec(nsNode, ['ip', '-batch', '-'], { input: STATIC_BARE }));
    await labExec(nsNode, ['ip', '-force', '-batch', '-'], { input: STATIC_BARE_UNDO, allowFailure: true });
    if (i > 0) {
      ours.push(ms);
      bare.push(b);
    }
    o.log?.(`reconcile static, run ${i}/${o.runs}: ${ms.toFixed(0)} ms (by hand ${b.toFixed(0)} ms)`);
  }
  const so = median(ours);
  const sb = median(bare);
  rows.push({ bench: 'reconcile', case: `static bridged network, spec change → Available (${nsNode})`, value: so, unit: 'ms', baselineName: 'same ip work by hand', baseline: sb, ratio: so / sb, note: `median of ${o.runs}; API watch + apply + verify + status write` });

  // (2) the seed's bond + bridge + DHCP network on the VM node
  if (vmNode && o.seedRuns > 0) {
    const logPath = join(lab.paths.dir, 'vm', vmNode, 'agent.log');
    await onn.apply(vmNode, {});
    const total: number[] = [];
    const dhcp: number[] = [];
    const hand: number[] = [];
    for (let i = 0; i < o.seedRuns; i++) {
      const t0 = process.hrtime.bigint();
      const gen = await onn.setSpec(vmNode, SEED_SPEC);
      const obj = await onn.waitForGeneration(vmNode, gen);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (!obj.status?.kernelConfig?.networks.net1) throw new Error(`seed network not applied: ${JSON.stringify(obj.status?.setupStatus)}`);
      const d = await lastDhcpWait(logPath);
      await onn.apply(vmNode, {});
      const b = await timed(() => labExec(vmNode, ['sh', '-c', SEED_BARE], { timeoutMs: 120_000 }));
      await labExec(vmNode, ['sh', '-c', SEED_BARE_UNDO], { allowFailure: true });
      total.push(ms);
      if (d !== undefined) dhcp.push(d);
      hand.push(b);
      o.log?.(`reconcile seed network, run ${i + 1}/${o.seedRuns}: ${ms.toFixed(0)} ms, of which DHCP ${d ?? '?'} ms (by hand ${b.toFixed(0)} ms)`);
    }
    const t = median(total);
    const h = median(hand);
    rows.push({ bench: 'reconcile', case: `seed bond+bridge+DHCP, spec change → Available (${vmNode}, TCG VM)`, value: t, unit: 'ms', baselineName: 'ip + dhcpcd -1 by hand', baseline: h, ratio: t / h, note: `median of ${o.seedRuns}` });
    if (dhcp.length) rows.push({ bench: 'reconcile', case: '  of which waiting for the DHCP lease', value: median(dhcp), unit: 'ms', note: 'from the agent log ("DHCP: waited")' });
  }
  if (vmNode) await onn.apply(vmNode, {});
  await onn.apply(nsNode, {});
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, 'seed-runs': { type: 'string', default: '3' } } });
  const rows = await benchReconcile({ runs: Number(values.runs), seedRuns: Number(values['seed-runs']), log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(benchTable(rows));
}
