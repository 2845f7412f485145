// Drift on the VM node (its kernel has bonding and 802.1q): a VLAN device and a bond slave
// taken away by hand are reported (Degraded/Drifted and an Event naming the entity) and healed
// by the agent; a later spec still applies. The bridge, address and route cases run on a
// namespace node (agent.test.ts, apply-drift-netns.test.ts).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Lab } from '../../lab/src/index.js';
import { run, waitFor } from '../../src/util/exec.js';
import { ensureLab, exec, isAvailable, kubectlArgs, type Onn, OnnDriver, releaseLab } from '../../lab/client/index.js';

let lab: Lab;
let vm: string;
let onn: OnnDriver;

const SPEC = {
  bondings: { bond9: { nics: ['eth1', 'eth2'], options: 'mode=active-backup miimon=100' } },
  networks: { dv120: { bonding: 'bond9', vlan: 120, bridged: true, bootproto: 'none', ipaddr: '10.78.120.1', netmask: '255.255.255.0' } },
};

before(async () => {
  lab = await ensureLab();
  vm = lab.state.nodes.find((n) => n.kind === 'vm')!.name;
  onn = new OnnDriver(lab.kubeconfig);
});

after(async () => {
  if (vm) await onn.apply(vm, {}).catch(() => undefined);
  await releaseLab();
});

async function master(dev: string): Promise<string | undefined> {
  const r = await exec(vm, ['ip', '-json', 'link', 'show', 'dev', dev], { allowFailure: true });
  return r.code === 0 ? (JSON.parse(r.stdout) as { master?: string }[])[0]?.master : undefined;
}

async function driftEvents(): Promise<string> {
  return (await run(kubectlArgs(lab, 'get', 'events', '-A', '--field-selector', `involvedObject.name=${vm},reason=Drifted`, '-o', 'jsonpath={.items[*].message}'))).stdout;
}

/** Waits for Degraded/Drifted to show and then for the node to be healed (Available, nothing drifted). */
async function reportedThenHealed(what: RegExp): Promise<Onn> {
  await waitFor(`a Drifted event matching ${what}`, async () => what.test(await driftEvents()), 120_000, 1000);
  return waitFor('healed', async () => {
    const o = await onn.get(vm);
    const degraded = o.status?.conditions?.find((c) => c.type === 'Degraded');
    return isAvailable(o) && degraded?.status === 'False' ? o : undefined;
  }, 120_000, 1000);
}

it('a VLAN device and a bond slave removed by hand are reported and healed; later specs apply', { timeout: 900_000 }, async () => {
  const first = await onn.apply(vm, SPEC);
  assert.ok(isAvailable(first));
  const vlanDev = (await exec(vm, ['ip', '-json', 'link', 'show', 'type', 'vlan'])).stdout;
  const vlan = (JSON.parse(vlanDev) as { ifname: string }[]).map((l) => l.ifname).find((n) => n.startsWith('bond9.'));
  assert.ok(vlan, `a VLAN device over bond9 (${vlanDev})`);

  await exec(vm, ['ip', 'link', 'del', 'dev', vlan]);
  await reportedThenHealed(/network dv120/);
  assert.equal(await master(vlan), 'dv120', 'the VLAN is back under its bridge');

  await exec(vm, ['ip', 'link', 'set', 'dev', 'eth2', 'nomaster']);
  const healed = await reportedThenHealed(/bond bond9/);
  assert.equal(await master('eth2'), 'bond9', 'eth2 is enslaved again');
  assert.deepEqual(healed.status?.kernelConfig?.bondings.bond9?.nics, ['eth1', 'eth2']);

  const later = await onn.apply(vm, { ...SPEC, networks: { ...SPEC.networks, dv121: { bonding: 'bond9', vlan: 121, bridged: false, bootproto: 'none', ipaddr: '10.78.121.1', netmask: '255.255.255.0' } } });
  assert.ok(isAvailable(later), JSON.stringify(later.status?.setupStatus));
  assert.deepEqual(Object.keys(later.status?.kernelConfig?.networks ?? {}).sort(), ['dv120', 'dv121']);
});
