// A plain reboot of the VM node while the handler owns its management network: eth0 bridged
// into ovirtmgmt with the node's only address. The guest's OS config leaves eth0 alone then
// (lab/guest/init.sh), so only the boot restore from the state disk can bring the node back:
// the guest agent (reached at 10.0.2.15) answering at all proves it did. The agent, started
// again, then reaches the API over that network and applies a later spec; removing ovirtmgmt
// gives eth0 its address back.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { nodeKubeconfigPath, powerCycleVm, setVmApiReachable, startNodeAgent, type Lab } from '../../lab/src/index.js';
import { vmFiles } from '../../lab/src/vm.js';
import { ensureLab, exec, isAvailable, OnnDriver, releaseLab } from '../../lab/client/index.js';

let lab: Lab;
let vm: string;
let onn: OnnDriver;

const MGMT = { nic: 'eth0', bridged: true, bootproto: 'none', ipaddr: '10.0.2.15', netmask: '255.255.255.0' };

before(async () => {
  lab = await ensureLab();
  vm = lab.state.nodes.find((n) => n.kind === 'vm')!.name;
  onn = new OnnDriver(lab.kubeconfig);
});

after(async () => {
  if (vm) {
    await setVmApiReachable(vm, true);
    await onn.apply(vm, {}).catch(() => undefined);
  }
  await releaseLab();
});

async function addresses(dev: string): Promise<string[]> {
  const r = await exec(vm, ['ip', '-json', '-4', 'addr', 'show', 'dev', dev], { allowFailure: true });
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

it('after a reboot with the management network handler-owned, the node comes back on it and reaches the API', { timeout: 600_000 }, async () => {
  const owned = await onn.apply(vm, { networks: { ovirtmgmt: MGMT } });
  assert.ok(isAvailable(owned));
  assert.deepEqual(await addresses('ovirtmgmt'), ['10.0.2.15/24']);
  assert.deepEqual(await addresses('eth0'), []);

  await powerCycleVm(vm, 'reboot');
  const restore = await readFile(join(vmFiles(lab.paths.dir, vm).share, 'boot-restore.log'), 'utf8');
  assert.match(restore, /restored: .*add network ovirtmgmt/, 'the boot restore built ovirtmgmt');
  assert.deepEqual(await addresses('ovirtmgmt'), ['10.0.2.15/24']);
  const master = JSON.parse((await exec(vm, ['ip', '-json', 'link', 'show', 'dev', 'eth0'])).stdout) as { master?: string }[];
  assert.equal(master[0]?.master, 'ovirtmgmt');
  // The node reaches the API server over the handler's network, before any agent runs.
  const ready = await exec(vm, ['kubectl', '--kubeconfig', nodeKubeconfigPath(lab.paths.dir, 'vm'), 'get', '--raw', '/readyz']);
  assert.equal(ready.stdout.trim(), 'ok');

  await startNodeAgent(vm);
  const later = await onn.apply(vm, { networks: { ovirtmgmt: MGMT, rb1: { nic: 'eth1', bridged: false, bootproto: 'none', ipaddr: '10.77.9.1', netmask: '255.255.255.0' } } });
  assert.ok(isAvailable(later), JSON.stringify(later.status?.setupStatus));
  assert.deepEqual(Object.keys(later.status?.kernelConfig?.networks ?? {}).sort(), ['ovirtmgmt', 'rb1']);

  const released = await onn.apply(vm, {});
  assert.ok(isAvailable(released));
  assert.deepEqual(await addresses('eth0'), ['10.0.2.15/24'], 'eth0 has its address back');
});
