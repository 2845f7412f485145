// The agent end to end (issue 6), in the lab: the real API server and kubectl, agents inside
// the simulated nodes talking over the lab network with node-bound tokens.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { run, sleep, waitFor } from '../../src/util/exec.js';
import { killAgent, startNodeAgent, stopLabProcess, type Lab } from '../../lab/src/index.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';
import { ensureLab, exec, hostSnapshot, kubectlArgs, OnnDriver, releaseLab, waitApiReady, type Onn } from '../../lab/client/index.js';
import type { RunningConfig } from '../../src/api/config.js';
import { configToSpec } from '../../src/plan/canonicalize.js';

let lab: Lab;
let onn: OnnDriver;
const kubectl = (...args: string[]) => run(kubectlArgs(lab, ...args));

const nsNode = () => lab.state.nodes.filter((n) => n.kind === 'netns')[0]!.name;
const nsNode2 = () => lab.state.nodes.filter((n) => n.kind === 'netns')[1]!.name;
const vmNode = () => lab.state.nodes.find((n) => n.kind === 'vm')!.name;

before(async () => {
  lab = await ensureLab();
  onn = new OnnDriver(lab.kubeconfig);
  for (const n of lab.state.nodes) {
    await onn.exists(n.name);
    await onn.setSpec(n.name, {});
    await onn.available(n.name);
  }
});

after(async () => {
  // Give every node back empty (and wait for it), so later test files find plain NICs.
  for (const n of lab.state.nodes) await onn.setSpec(n.name, {}).catch(() => undefined);
  for (const n of lab.state.nodes) await onn.available(n.name).catch(() => undefined);
  await releaseLab();
});

describe('the seed demo', () => {
  it('kubectl get ovirtnodenetworks -o yaml shows capabilities and statistics of every node', async () => {
    const list = await waitFor('statistics of every node', async () => {
      const l = parseYaml((await kubectl('get', 'ovirtnodenetworks', '-o', 'yaml')).stdout) as { items: Onn[] };
      return l.items.length === lab.state.nodes.length && l.items.every((o) => o.status?.statistics?.eth0) ? l : undefined;
    }, 120_000, 1000);
    for (const [i, n] of lab.state.nodes.entries()) {
      const o = list.items.find((x) => x.metadata.name === n.name)!;
      // (`kubectl replace`, as the seed's demo does, drops metadata the agent set; the VM node's
      // object may have been replaced by an earlier run against the same lab.)
      if (n.kind === 'netns') assert.deepEqual(o.metadata.ownerReferences?.map((r) => [r.kind, r.name]), [['Node', n.name]]);
      const caps = o.status!.capabilities!;
      assert.equal(caps.supportsIPv6, true);
      assert.equal(caps.nics?.eth1?.hwaddr, `52:54:00:88:${(i + 1).toString(16).padStart(2, '0')}:01`);
      const eth0 = o.status!.statistics!.eth0!;
      assert.match(eth0.rx, /^\d+$/);
      assert.ok(BigInt(eth0.tx) > 0n, 'the agent talks to the API server over eth0');
      assert.deepEqual(o.status!.setupStatus, { Success: { reason: '', message: '' } });
    }
  });

  it('kubectl replace with the seed\'s node_network.yml: net1 bridged over bond1 (mode 4) with a DHCP lease and the default route', async () => {
    const node = vmNode();
    const manifest = (await readFile(join(PROJECT_ROOT, 'examples', 'node_network.yml'), 'utf8')).replace(/name: vm-node-1/, `name: ${node}`);
    await run(kubectlArgs(lab, 'replace', '-f', '-'), { input: manifest });
    await run(kubectlArgs(lab, 'wait', '--for=condition=Available', `ovirtnodenetwork/${node}`, '--timeout=240s'));
    const o = await onn.available(node);
    assert.equal(o.status!.kernelConfig!.networks.net1?.bonding, 'bond1');
    assert.equal(o.status!.kernelConfig!.networks.net1?.bridged, true);
    assert.equal(o.status!.kernelConfig!.networks.net1?.bootproto, 'dhcp');
    assert.equal(o.status!.kernelConfig!.bondings.bond1?.options, 'miimon=100 mode=4');
    assert.deepEqual(o.status!.kernelConfig!.bondings.bond1?.nics, ['eth1']);
    const addr = JSON.parse((await exec(node, ['ip', '-json', '-4', 'addr', 'show', 'dev', 'net1'])).stdout) as { addr_info: { local: string }[] }[];
    assert.match(addr[0]!.addr_info[0]!.local, /^10\.89\.0\.1\d\d$/);
    const route = JSON.parse((await exec(node, ['ip', '-json', 'route', 'show', 'default'])).stdout) as { gateway: string; dev: string }[];
    assert.deepEqual([route[0]?.gateway, route[0]?.dev], ['10.89.0.1', 'net1']);
    const mode = (await exec(node, ['cat', '/sys/class/net/bond1/bonding/mode'])).stdout.trim();
    assert.equal(mode, '802.3ad 4');
  });

  it('kubectl patch --type=merge (the seed\'s TODO) changes the MTU, kubectl apply the bond options; kubectl replace with an empty spec removes everything', async () => {
    const node = vmNode();
    await kubectl('patch', 'ovirtnodenetwork', node, '--type=merge', '-p', JSON.stringify({ spec: { networks: { net1: { mtu: 1400 } } } }));
    await onn.available(node);
    for (const dev of ['net1', 'bond1', 'eth1']) {
      const l = JSON.parse((await exec(node, ['ip', '-json', 'link', 'show', 'dev', dev])).stdout) as { mtu: number }[];
      assert.equal(l[0]!.mtu, 1400, dev);
    }
    const manifest = (await readFile(join(PROJECT_ROOT, 'examples', 'node_network.yml'), 'utf8')).replace(/name: vm-node-1/, `name: ${node}`).replace('miimon=100', 'miimon=200');
    await run(kubectlArgs(lab, 'apply', '-f', '-'), { input: manifest });
    const applied = await onn.available(node);
    assert.equal(applied.status!.kernelConfig!.bondings.bond1?.options, 'miimon=200 mode=4');
    assert.equal((await exec(node, ['cat', '/sys/class/net/bond1/bonding/miimon'])).stdout.trim(), '200');
    await run(kubectlArgs(lab, 'replace', '-f', '-'), { input: JSON.stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: node }, spec: {} }) });
    const o = await onn.available(node);
    assert.deepEqual(o.status!.kernelConfig, { networks: {}, bondings: {} });
    const links = JSON.parse((await exec(node, ['ip', '-json', 'link', 'show'])).stdout) as { ifname: string; master?: string }[];
    assert.ok(!links.some((l) => l.ifname === 'net1' || l.ifname === 'bond1'), 'net1 and bond1 are gone');
    assert.equal(links.find((l) => l.ifname === 'eth1')?.master, undefined);
  });
});

// The rollback of a spec that cuts the node off, an API server outage while reporting, and kill -9
// mid-apply are the reliability suite's connectivity, outage and kill experiments (the same
// specs, more strictly judged); CI runs them (`reliability --quick`) and fails on a loss.
describe('safety', () => {
  it('rejects an invalid spec with the field named and leaves the host unchanged', async () => {
    const node = nsNode2();
    const before = await hostSnapshot(node);
    await onn.setSpec(node, { networks: { good: { nic: 'eth1', bridged: true }, bad: { nic: 'eth9', bridged: false, bootproto: 'none' } } });
    const o = await onn.waitForGeneration(node);
    assert.equal(o.status!.setupStatus!.Failed?.reason, 'InvalidSpec');
    assert.match(o.status!.setupStatus!.Failed!.message, /spec\.networks\.bad\.nic/);
    assert.equal(o.status!.conditions!.find((c) => c.type === 'Degraded')?.status, 'True');
    assert.equal(await hostSnapshot(node), before);
  });

  it('drift: a bridge deleted by hand is reported (Degraded/Drifted, an Event) and healed; with driftPolicy Report only reported', async () => {
    const node = nsNode2();
    const spec = { networks: { drift1: { nic: 'eth1', bridged: true, bootproto: 'none', ipaddr: '192.0.2.41', netmask: '255.255.255.0' } } };
    await onn.setSpec(node, spec);
    await onn.available(node);
    await exec(node, ['ip', 'link', 'del', 'dev', 'drift1']);
    // Healed within an observe interval or two: the bridge is back, and Available again.
    await waitFor('the bridge back', async () => (await exec(node, ['ip', 'link', 'show', 'dev', 'drift1'], { allowFailure: true })).code === 0, 60_000, 500);
    const healed = await waitFor('Available again', async () => {
      const o = await onn.get(node);
      return o.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True' && o.status.kernelConfig?.networks.drift1 ? o : undefined;
    }, 60_000, 500);
    assert.equal(healed.status!.kernelConfig!.networks.drift1!.ipaddr, '192.0.2.41');
    const events = (await kubectl('get', 'events', '-A', '--field-selector', `involvedObject.name=${node},reason=Drifted`, '-o', 'jsonpath={.items[*].message}')).stdout;
    assert.match(events, /network drift1: its devices are missing from the kernel/);
    // Round trip: the reported kernelConfig, written back as the spec, is accepted by the API
    // server and the agent, and applies without a change.
    await onn.setSpec(node, configToSpec(healed.status!.kernelConfig as unknown as RunningConfig) as unknown as Record<string, unknown>);
    const again = await onn.available(node);
    assert.equal(again.status!.conditions!.find((c) => c.type === 'Available')!.message, 'no changes');
    // Report: the difference shows, nothing is applied.
    await onn.setSpec(node, { ...spec, driftPolicy: 'Report' });
    await onn.available(node);
    await exec(node, ['ip', 'addr', 'del', '192.0.2.41/24', 'dev', 'drift1']);
    const drifted = await waitFor('Drifted shown', async () => {
      const o = await onn.get(node);
      return o.status?.conditions?.find((c) => c.type === 'Degraded' && c.reason === 'Drifted' && c.status === 'True') ? o : undefined;
    }, 60_000, 500);
    assert.equal(drifted.status!.conditions!.find((c) => c.type === 'Available')!.status, 'False');
    await sleep(12_000); // past an observe interval: still not healed
    assert.doesNotMatch((await exec(node, ['ip', '-4', 'addr', 'show', 'dev', 'drift1'])).stdout, /192\.0\.2\.41/);
    await onn.setSpec(node, {});
    await onn.available(node);
  });

  it('reconciles two nodes (a namespace node and the VM) at once', async () => {
    const a = nsNode();
    const b = vmNode();
    await Promise.all([
      onn.setSpec(a, { networks: { red: { nic: 'eth2', bridged: true, bootproto: 'none', ipaddr: '10.92.0.1', netmask: '255.255.255.0' } } }),
      onn.setSpec(b, { bondings: { bond2: { nics: ['eth1', 'eth2'], options: 'mode=active-backup miimon=100' } }, networks: { red: { bonding: 'bond2', vlan: 10, bridged: true, bootproto: 'none', ipaddr: '10.92.1.1', netmask: '255.255.255.0', ipv6addr: 'fd00:92::1/64' } } }),
    ]);
    const [oa, ob] = await Promise.all([onn.available(a), onn.available(b)]);
    assert.equal(oa.status!.kernelConfig!.networks.red?.nic, 'eth2');
    assert.equal(ob.status!.kernelConfig!.networks.red?.vlan, 10);
    assert.equal(ob.status!.kernelConfig!.networks.red?.ipv6addr, 'fd00:92::1/64');
    assert.equal(ob.status!.kernelConfig!.bondings.bond2?.options, 'miimon=100 mode=1');
  });
});
