// The lab's wiring, the same for both kinds of node: a "switch" namespace with one Linux
// bridge per segment, NICs as veth pairs from the node to the switch, dnsmasq serving DHCP
// (v4 and v6) and lab-local DNS on the data segment. A Runner executes the commands either
// on this machine or inside a VM, so the VM node is wired exactly like a namespace node.
import type { RunOptions, RunResult } from '../../src/util/exec.js';
import { NET, SWITCH_NS } from './config.js';

export interface Runner {
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** Runs `ip -batch` lines in a namespace (undefined = the runner's own namespace). */
export async function ipBatch(runner: Runner, ns: string | undefined, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const argv = ns ? ['ip', '-n', ns, '-batch', '-'] : ['ip', '-batch', '-'];
  await runner.run(argv, { input: lines.join('\n') + '\n' });
}

export function mac(nodeIndex: number, nic: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `52:54:00:88:${h(nodeIndex)}:${h(nic)}`;
}

/** Creates the switch namespace with its bridges. mgmt=false inside a VM (QEMU's NIC is eth0 there). */
export async function createSwitch(runner: Runner, opts: { mgmt: boolean }): Promise<void> {
  await runner.run(['ip', 'netns', 'add', SWITCH_NS]);
  const lines = [
    'link set lo up',
    'link add data type bridge',
    `addr add ${NET.dataGateway}/24 dev data`,
    `addr add ${NET.dataV6Prefix}1/64 dev data nodad`,
    'link set data up',
  ];
  if (opts.mgmt) {
    lines.push('link add mgmt type bridge', `addr add ${NET.mgmtGateway}/24 dev mgmt`, 'link set mgmt up');
  }
  await ipBatch(runner, SWITCH_NS, lines);
}

/** dnsmasq for the data segment: DHCPv4, DHCPv6 + RA, and DNS for lab names only (never forwards). */
export function dnsmasqArgv(runDir: string, foreground: boolean): string[] {
  return [
    'ip',
    'netns',
    'exec',
    SWITCH_NS,
    'dnsmasq',
    ...(foreground ? ['--keep-in-foreground'] : []),
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--user=root',
    '--bind-interfaces',
    '--interface=data',
    '--except-interface=lo',
    `--dhcp-range=${NET.dataPrefix}.100,${NET.dataPrefix}.199,255.255.255.0,1h`,
    `--dhcp-range=${NET.dataV6Prefix}100,${NET.dataV6Prefix}1ff,64,1h`,
    '--enable-ra',
    '--dhcp-authoritative',
    // dnsmasq's 3 s ping check is most of a lease's latency (lab-facts.md).
    '--no-ping',
    `--dhcp-option=option:router,${NET.dataGateway}`,
    `--dhcp-option=option:dns-server,${NET.dataGateway}`,
    `--host-record=gateway.lab.ovnh,${NET.dataGateway}`,
    `--dhcp-leasefile=${runDir}/dnsmasq-data.leases`,
    `--pid-file=${runDir}/dnsmasq-data.pid`,
    '--log-dhcp',
    '--log-facility=-',
  ];
}

export interface NodeWiring {
  /** Namespace of the node; undefined when the node is the runner's own namespace (a VM). */
  ns: string | undefined;
  index: number;
  dataNics: number;
  /** eth0 on the mgmt bridge with this address; undefined when eth0 is not a veth (a VM). */
  mgmtAddress?: string;
}

/** Adds a node's NICs: eth0 on mgmt (if any) and eth1..N on the data segment. */
export async function wireNode(runner: Runner, w: NodeWiring): Promise<void> {
  if (w.ns) await runner.run(['ip', 'netns', 'add', w.ns]);
  const sw: string[] = [];
  const node: string[] = ['link set lo up'];
  // Inside a VM the node is the root namespace, which `ip` can name by the PID of init.
  const target = ` netns ${w.ns ?? '1'}`;
  const port = (nic: number) => `n${w.index}e${nic}`;
  if (w.mgmtAddress) {
    sw.push(
      `link add ${port(0)} type veth peer name eth0${target} address ${mac(w.index, 0)}`,
      `link set ${port(0)} master mgmt`,
      `link set ${port(0)} up`,
    );
    // The service range through the switch: kube-proxy translates the API server's ClusterIP
    // (what in-cluster clients dial) to its endpoint, but the kernel routes a packet before that.
    node.push(
      `addr add ${w.mgmtAddress}/24 dev eth0`,
      'link set eth0 up',
      `route add ${NET.serviceCidr} via ${NET.mgmtGateway} dev eth0`,
    );
  }
  for (let i = 1; i <= w.dataNics; i++) {
    sw.push(
      `link add ${port(i)} type veth peer name eth${i}${target} address ${mac(w.index, i)}`,
      `link set ${port(i)} master data`,
      `link set ${port(i)} up`,
    );
    node.push(`link set eth${i} up`);
  }
  await ipBatch(runner, SWITCH_NS, sw);
  await ipBatch(runner, w.ns, node);
}
