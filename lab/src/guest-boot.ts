// Runs inside a lab VM at every boot (lab/guest/init.sh), before the boot-time restore: makes
// what is the VM's hardware and surroundings — its data NICs (veth pairs to a switch of its
// own), the DHCP server and the LLDP announcements on that switch — so that they exist before
// anything configures them, as a host's NICs do. Wired exactly like a namespace node
// (lab/src/topology.ts), announced exactly like one (lab/src/switch-lldp.ts).
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { run } from '../../src/util/exec.js';
import {
  configureSwitchLldpd,
  setPortDescriptions,
  SWITCH_LLDP_DIR,
  switchLldpdArgv,
  vmSwitchPorts,
  waitSwitchLldpSocket,
} from './switch-lldp.js';
import { createSwitch, dnsmasqArgv, wireNode, type Runner } from './topology.js';

const local: Runner = { run: (argv, opts) => run(argv, opts) };

function intFromEnv(name: string): number {
  const v = Number(process.env[name]);
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`${name} must be a non-negative integer (guest.env), got ${JSON.stringify(process.env[name])}`);
  return v;
}

/** Detached, so this script ends; PID 1 (init.sh) reaps it. Its output in the share's log. */
function startDetached(argv: readonly string[], logName: string): void {
  const log = openSync(`/run/ovnh-share/${logName}.log`, 'a');
  spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log, log] }).unref();
}

const index = intFromEnv('OVNH_INDEX');
const dataNics = intFromEnv('OVNH_DATA_NICS');
const node = process.env.OVNH_NODE;
if (!node || !/^[a-z0-9-]+$/.test(node))
  throw new Error(`OVNH_NODE must be the lab's node name (guest.env), got ${JSON.stringify(node)}`);
await createSwitch(local, { mgmt: false });
await wireNode(local, { ns: undefined, index, dataNics });
startDetached(dnsmasqArgv('/run', true), 'dnsmasq');
// The guest's /run is a fresh tmpfs at every boot: no socket of an earlier daemon is left.
// lldpd makes its privilege-separation chroot (/run/lldpd) itself; its user _lldpd is the host's.
await setPortDescriptions(local, vmSwitchPorts(node, index, dataNics));
await mkdir(SWITCH_LLDP_DIR, { recursive: true, mode: 0o755 });
startDetached(switchLldpdArgv(), 'lldpd-switch');
await waitSwitchLldpSocket();
await configureSwitchLldpd(local);
process.stdout.write(`wired eth1..eth${dataNics}, the data segment's DHCP server and the switch's LLDP\n`);
