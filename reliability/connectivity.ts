// Reliability: specs that cut a node off from the API server must be rolled back, within the
// object's connectivity timeout, leaving the host as it was; a harmless spec on the same NIC
// must not be. The node is a namespace node whose eth0 carries its management address.
import { labExec, nodeKubeconfigPath } from '../lab/src/index.js';
import { NET } from '../lab/src/config.js';
import { failedReason, hostSnapshot, isAvailable, namespaceNodes, OnnDriver, requireLab, snapshotDiff } from '../lab/client/index.js';
import type { ReliabilityRow } from '../kit/report.js';

const TIMEOUT_S = 10;
/** Past the timeout: the rollback itself, the re-check of the API server on the old config, the status write. */
const SLACK_S = 20;

type Kind = 'netns' | 'vm';

/** The specs; `on` says which node kind can run it (bonds need the VM's kernel: lab-facts.md). */
export function losingSpecs(mgmtIp: (on: Kind) => string): { name: string; on: Kind; spec: Record<string, unknown>; cuts: boolean }[] {
  const check = { timeoutSeconds: TIMEOUT_S };
  const mgmt = (on: Kind) => ({ bootproto: 'none', ipaddr: mgmtIp(on), netmask: '255.255.255.0' });
  return [
    { name: 'management address moved to another subnet (on a bridge over eth0)', on: 'netns', cuts: true, spec: { networks: { mgmt: { nic: 'eth0', bridged: true, bootproto: 'none', ipaddr: '10.77.0.5', netmask: '255.255.255.0' } }, connectivityCheck: check } },
    {
      name: 'eth0 enslaved to an active-backup bond whose primary is a NIC on another switch', on: 'vm', cuts: true,
      spec: { bondings: { bond0: { nics: ['eth0', 'eth1'], options: 'mode=active-backup miimon=100 primary=eth1' } }, networks: { mgmt: { bonding: 'bond0', bridged: false, ...mgmt('vm') } }, connectivityCheck: check },
    },
    { name: 'MTU 9000 on eth0, the switch carries 1500 (path-MTU probe)', on: 'netns', cuts: true, spec: { networks: { mgmt: { nic: 'eth0', bridged: false, mtu: 9000, ...mgmt('netns') } }, connectivityCheck: check } },
    // The API server's address on the node itself (a bridge without ports): connections to it
    // stay on the node, where nothing answers but a reset (once accepted as "reachable").
    { name: 'the API server\'s address put on the node (a bridge without ports)', on: 'netns', cuts: true, spec: { networks: { apiaddr: { bootproto: 'none', ipaddr: NET.mgmtGateway, prefix: 32 } }, connectivityCheck: check } },
    { name: 'control: the same address on eth0, MTU 1500 (must NOT roll back)', on: 'netns', cuts: false, spec: { networks: { mgmt: { nic: 'eth0', bridged: false, ...mgmt('netns') } }, connectivityCheck: check } },
  ];
}

export async function connectivityLosingSpecs(o: { trials: number; log?: (l: string) => void }): Promise<ReliabilityRow[]> {
  const lab = await requireLab();
  const onn = new OnnDriver(lab.kubeconfig);
  const nodes: Record<Kind, string | undefined> = { netns: namespaceNodes(lab)[0], vm: lab.state.nodes.find((n) => n.kind === 'vm')?.name };
  const ips: Partial<Record<Kind, string>> = {};
  for (const k of ['netns', 'vm'] as const) {
    if (!nodes[k]) continue;
    const addr = JSON.parse((await labExec(nodes[k], ['ip', '-json', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout) as { addr_info: { local: string }[] }[];
    ips[k] = addr[0]!.addr_info[0]!.local;
  }
  const rows: ReliabilityRow[] = [];
  for (const c of losingSpecs((k) => ips[k] ?? '192.0.2.1')) {
    const node = nodes[c.on];
    if (!node) continue;
    const nodeKubeconfig = nodeKubeconfigPath(lab.paths.dir, c.on);
    let survived = 0;
    const notes: string[] = [];
    const times: number[] = [];
    for (let t = 0; t < o.trials; t++) {
      await onn.apply(node, {});
      const before = await hostSnapshot(node);
      const t0 = Date.now();
      const gen = await onn.setSpec(node, c.spec);
      const obj = await onn.waitForGeneration(node, gen, (TIMEOUT_S + SLACK_S + 60) * 1000);
      const secs = (Date.now() - t0) / 1000;
      times.push(secs);
      const problems: string[] = [];
      if (c.cuts) {
        if (failedReason(obj) !== 'ConnectivityLost') problems.push(`not rolled back: ${JSON.stringify(obj.status?.setupStatus)}`);
        if (secs > TIMEOUT_S + SLACK_S) problems.push(`rolled back after ${secs.toFixed(1)} s`);
        const after = await hostSnapshot(node);
        if (after !== before) problems.push(`host differs from before: ${snapshotDiff(before, after)}`);
      } else if (!isAvailable(obj)) problems.push(`rolled back or failed: ${JSON.stringify(obj.status?.setupStatus)}`);
      const api = await labExec(node, ['kubectl', '--kubeconfig', nodeKubeconfig, 'get', '--raw', '/readyz'], { allowFailure: true });
      if (api.stdout.trim() !== 'ok') problems.push('the node does not reach the API server afterwards');
      if (!problems.length) survived++;
      else notes.push(problems.join('; '));
      await onn.apply(node, {});
      o.log?.(`${c.name}, trial ${t + 1}/${o.trials}: ${secs.toFixed(1)} s, ${problems.length ? problems.join('; ') : c.cuts ? 'rolled back' : 'kept'}`);
    }
    const range = `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)} s`;
    rows.push({
      experiment: 'connectivity', case: `${c.name} (${node}, timeout ${TIMEOUT_S} s)`, tried: o.trials, survived, lost: o.trials - survived,
      note: notes[0] ?? (c.cuts ? `ConnectivityLost reported ${range} after the change; host as before` : `Available in ${range}`),
    });
  }
  return rows;
}
