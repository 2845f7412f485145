// Runs inside a lab VM at every boot (lab/guest/init.sh), before the boot-time restore: makes
// what is the VM's hardware and surroundings — its data NICs (veth pairs to a switch of its
// own) and the DHCP server on that switch — so that they exist before anything configures
// them, as a host's NICs do. Wired exactly like a namespace node (lab/src/topology.ts).
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { run } from '../../src/util/exec.js';
import { createSwitch, dnsmasqArgv, wireNode, type Runner } from './topology.js';

const local: Runner = { run: (argv, opts) => run(argv, opts) };

function intFromEnv(name: string): number {
  const v = Number(process.env[name]);
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`${name} must be a non-negative integer (guest.env), got ${JSON.stringify(process.env[name])}`);
  return v;
}

const index = intFromEnv('OVNH_INDEX');
const dataNics = intFromEnv('OVNH_DATA_NICS');
await createSwitch(local, { mgmt: false });
await wireNode(local, { ns: undefined, index, dataNics });
// Detached, so this script ends; PID 1 (init.sh) reaps it.
const log = openSync('/run/ovnh-share/dnsmasq.log', 'a');
const [cmd, ...args] = dnsmasqArgv('/run', true);
spawn(cmd!, args, { detached: true, stdio: ['ignore', log, log] }).unref();
process.stdout.write(`wired eth1..eth${dataNics} and the data segment's DHCP server\n`);
