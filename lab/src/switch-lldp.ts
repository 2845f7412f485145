// The lab switch announces itself over LLDP on every node port, as a real switch does: Debian's
// lldpd in the switch namespace on the ports (n<i>e<j>), a system name, and each port's
// description saying which node port it is cabled to (the port's alias, which lldpd sends as
// its description). The kernel's bridge never forwards LLDP's group address, so each node hears
// its own port only. This machine's kernel has no 802.1q: the namespace ports carry no VLANs.
//
// Two switches, one behaviour: this machine's switch namespace cables the namespace nodes; a VM
// node's data NICs are cabled to a switch namespace inside its guest (topology.ts, guest-boot.ts),
// whose lldpd guest-boot starts at every boot with the same argv and settings (vmSwitchPorts).
// The VM's eth0 is QEMU's NIC, on no switch port: it hears nothing.
//
// Idempotent, and safe on a running lab: `lab up` runs it once the nodes are wired, and
// `lab switch-lldp` brings it to a lab that is already up (nothing restarts; aliases and the
// daemon's settings are set again, the daemon is started only when its recorded PID is gone).
// Recorded like every lab daemon, so `lab down` stops it by PID.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inNetns, waitFor } from '../../src/util/exec.js';
import { SWITCH_NS, type NodeSpec } from './config.js';
import { startDaemon } from './daemon.js';
import { processMatches, type StateRecorder } from './state.js';
import { ipBatch, type Runner } from './topology.js';

export const SWITCH_LLDP_PROCESS = 'lldpd-switch';
/** What the switch calls itself (its LLDP system name). */
export const SWITCH_SYSTEM_NAME = 'ovnh-lab-switch';
/**
 * Seconds between announcements: short, so that a test sees a change within a second or two
 * (lldpd's TTL is 4 × this); some 15 ports × one small frame a second costs nothing.
 */
export const SWITCH_LLDP_TX_INTERVAL = 1;
/**
 * The switch lldpd's control socket: outside the lab's directory, which is root's alone, because
 * Debian's lldpcli is setuid _lldpd and drops root even when root runs it.
 */
export const SWITCH_LLDP_DIR = '/run/ovnh-lab-lldpd';

/** The switch port that node `index`'s NIC eth<nic> is cabled to (topology.ts wireNode). */
export const switchPort = (index: number, nic: number) => `n${index}e${nic}`;
/** Its LLDP port description. */
export const switchPortDescription = (node: string, nic: number) => `${node} eth${nic}`;

export interface SwitchPort {
  port: string;
  description: string;
}

/** Node `index`'s ports for its NICs eth<first>..eth<last>. */
function nodePorts(index: number, node: string, first: number, last: number): SwitchPort[] {
  const out: SwitchPort[] = [];
  for (let nic = first; nic <= last; nic++)
    out.push({ port: switchPort(index, nic), description: switchPortDescription(node, nic) });
  return out;
}

/** The switch ports of the namespace nodes and their descriptions (eth0 on mgmt, eth1..N on data). */
export function switchPorts(nodes: readonly NodeSpec[]): SwitchPort[] {
  return [...nodes.entries()].flatMap(([i, n]) => (n.kind === 'netns' ? nodePorts(i + 1, n.name, 0, n.dataNics) : []));
}

/** The ports of a VM node's own switch, inside its guest: its data NICs eth1..N only. */
export function vmSwitchPorts(node: string, index: number, dataNics: number): SwitchPort[] {
  return nodePorts(index, node, 1, dataNics);
}

export function switchLldpdArgv(dir: string = SWITCH_LLDP_DIR): string[] {
  return inNetns(SWITCH_NS, [
    'lldpd',
    '-d',
    '-d',
    '-u',
    join(dir, 'lldpd.socket'),
    '-p',
    join(dir, 'lldpd.pid'),
    // The host's /etc/lldpd.d is not the lab's.
    '-L',
    '',
    // Node ports only (n<i>e<j>), never the bridges.
    '-I',
    'n*e*',
  ]);
}

export function switchLldpcli(dir: string, ...args: string[]): string[] {
  return ['lldpcli', '-u', join(dir, 'lldpd.socket'), ...args];
}

/** The ports' aliases (their descriptions), set before the daemon reads them and again on every ensure. */
export async function setPortDescriptions(runner: Runner, ports: readonly SwitchPort[]): Promise<void> {
  // Quoted for `ip -batch` (node names are the lab's own: letters, digits and "-").
  await ipBatch(
    runner,
    SWITCH_NS,
    ports.map((p) => `link set dev ${p.port} alias "${p.description}"`),
  );
}

/** The daemon's settings (through its socket): the system name and the announcement interval. */
export async function configureSwitchLldpd(runner: Runner, dir: string = SWITCH_LLDP_DIR): Promise<void> {
  await runner.run(switchLldpcli(dir, 'configure', 'system', 'hostname', SWITCH_SYSTEM_NAME));
  await runner.run(switchLldpcli(dir, 'configure', 'lldp', 'tx-interval', String(SWITCH_LLDP_TX_INTERVAL)));
}

/** Waits until the daemon's control socket exists (lldpcli's settings need it). */
export async function waitSwitchLldpSocket(dir: string = SWITCH_LLDP_DIR): Promise<void> {
  await waitFor(
    "the switch's lldpd socket",
    () =>
      stat(join(dir, 'lldpd.socket')).then(
        () => true,
        () => false,
      ),
    10_000,
    50,
  );
}

/** Starts (or keeps) the switch's lldpd and sets its ports' descriptions and its settings. Returns its PID. */
export async function ensureSwitchLldp(
  runner: Runner,
  rec: StateRecorder,
  nodes: readonly NodeSpec[],
  logDir: string,
  dir: string = SWITCH_LLDP_DIR,
): Promise<number> {
  await setPortDescriptions(runner, switchPorts(nodes));
  const running = rec.state.processes.find((p) => p.name === SWITCH_LLDP_PROCESS && processMatches(p));
  let pid = running?.pid;
  if (pid === undefined) {
    rec.state.processes = rec.state.processes.filter((p) => p.name !== SWITCH_LLDP_PROCESS);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (!(rec.state.createdPaths ?? []).includes(dir))
      rec.state.createdPaths = [...(rec.state.createdPaths ?? []), dir];
    // lldpd renames its process "lldpd: monitor.": the recorded match is that name.
    pid = await startDaemon(rec, {
      name: SWITCH_LLDP_PROCESS,
      argv: switchLldpdArgv(dir),
      logPath: join(logDir, 'lldpd-switch.log'),
      match: 'lldpd',
    });
    await waitSwitchLldpSocket(dir);
  }
  await configureSwitchLldpd(runner, dir);
  return pid;
}
