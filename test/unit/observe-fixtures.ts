// Loads the dumps captured by test/fixtures/observe/capture.ts (real kernels: the lab's
// namespace node, a namespace scenario on this kernel, the VM scenario on Debian's kernel), and
// nic-rule: written by hand in the same format (one device of each kind the NIC rule decides:
// PCI NICs, a bond of two, a VLAN, a bridge, veth, dummy, wlan, a raw-IP modem, an untyped
// virtual device, a macvlan).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningConfig } from '../../src/api/config.js';
import { DUMP_FILES } from '../../src/observe/host.js';
import type { Dumps } from '../../src/observe/parse.js';

// dist/test/unit -> test/fixtures/observe
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'observe');

export type FixtureName = 'ns-node' | 'netns' | 'vm' | 'nic-rule';

export function loadDumps(name: FixtureName): Dumps {
  const f = (k: keyof Dumps) => readFileSync(join(ROOT, name, DUMP_FILES[k]), 'utf8');
  return { links: f('links'), routes4: f('routes4'), routes6: f('routes6'), sys: f('sys') };
}

export function loadRunning(name: FixtureName): RunningConfig {
  return JSON.parse(readFileSync(join(ROOT, name, 'running-config.json'), 'utf8')) as RunningConfig;
}
