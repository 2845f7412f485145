// Observer on Debian's kernel in the lab VM (observe-topology.ts vmScenario): an 802.3ad bond
// negotiating LACP with a partner bond, an active-backup bond over dummies with MTU 9000, VLANs
// on both, a bridge on a VLAN leased over DHCPv4 and DHCPv6, a bridgeless static IPv4/IPv6
// network with source-routing gateways, a nicless bridge with STP. The dumps run in the VM
// (through the lab's exec channel); the parsing runs here, as it would in the agent.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { capabilities, HostObserver, kernelConfig, type Executor, type HostState } from '../../src/observe/index.js';
import { ensureLab, exec, releaseLab, sh } from '../../lab/client/index.js';
import { randomId, vmScenario } from './observe-topology.js';

const VM = 'vm-node-1';
// The VM shares this machine's root file system: the same paths run there.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sc = vmScenario(randomId());
const inVm: Executor = (argv, o) => exec(VM, argv, { timeoutMs: 60_000, ...(o?.input !== undefined ? { input: o.input } : {}) });
const observer = new HostObserver({ exec: inVm });
let host: HostState;

before(async () => {
  await ensureLab();
  await sh(VM, sc.setup, { timeoutMs: 60_000 });
  await sh(VM, sc.dhcp, { timeoutMs: 150_000 });
  host = await observer.observe(sc.running);
});
after(async () => {
  await exec(VM, ['sh', '-c', sc.teardown], { allowFailure: true, timeoutMs: 60_000 });
  await releaseLab();
});

async function partnerBondMac(): Promise<string> {
  const r = await exec(VM, ['ip', '-n', sc.partnerNs, '-json', 'link', 'show', sc.partnerBond]);
  return (JSON.parse(r.stdout) as { address: string }[])[0]!.address;
}

describe('observe bonds, VLANs, bridges and DHCP in the VM', () => {
  it('reports the 802.3ad bond: non-default options, slaves, aggregator, partner', async () => {
    const caps = capabilities(host, sc.running);
    const b = caps.bondings[sc.bond4]!;
    assert.ok(b, `no bond ${sc.bond4}`);
    assert.deepEqual(b.opts, { mode: '4', lacp_rate: '1' });
    assert.deepEqual(b.slaves, [...sc.bond4Slaves].sort());
    assert.match(b.ad_aggregator_id ?? '', /^\d+$/);
    assert.equal(b.ad_partner_mac, await partnerBondMac());
    assert.equal(b.speed, 20000);
    assert.equal(b.active_slave, '');
    for (const s of sc.bond4Slaves) {
      const nic = caps.nics[s]!;
      assert.ok(nic, `slave ${s} is a nic`);
      assert.equal(nic.ad_aggregator_id, b.ad_aggregator_id);
      assert.equal(nic.hwaddr, b.hwaddr); // slaves take the bond's address
      assert.match(nic.permhwaddr ?? '', /^[0-9a-f:]{17}$/);
    }
    // The bond took its address from the first slave enslaved.
    assert.equal(caps.nics[sc.bond4Slaves[0]]!.permhwaddr, b.hwaddr);
    assert.notEqual(caps.nics[sc.bond4Slaves[1]]!.permhwaddr, b.hwaddr);
  });

  it('reports the active-backup bond over dummies with its MTU', () => {
    const caps = capabilities(host, sc.running);
    const b = caps.bondings[sc.bondAb]!;
    assert.deepEqual(b.opts, { mode: '1', miimon: '100' });
    assert.deepEqual(b.slaves, [...sc.bondAbSlaves].sort());
    assert.equal(b.active_slave, sc.bondAbSlaves[0]);
    assert.equal(b.mtu, '9000');
    assert.equal(b.ad_aggregator_id, undefined);
    for (const s of sc.bondAbSlaves) {
      assert.equal(caps.nics[s]!.mtu, '9000');
      assert.equal(caps.nics[s]!.ad_aggregator_id, undefined);
    }
  });

  it('reports VLANs on the bonds and the bridge on the VLAN', () => {
    const caps = capabilities(host, sc.running);
    const v100 = caps.vlans[`${sc.bond4}.100`]!;
    assert.equal(v100.iface, sc.bond4);
    assert.equal(v100.vlanid, 100);
    const v200 = caps.vlans[`${sc.bondAb}.200`]!;
    assert.equal(v200.iface, sc.bondAb);
    assert.equal(v200.vlanid, 200);
    assert.equal(v200.mtu, '9000');
    const br = caps.bridges[sc.dhcpNet]!;
    assert.deepEqual(br.ports, [`${sc.bond4}.100`]);
    assert.equal(br.stp, 'off');
    assert.equal(caps.bridges[sc.niclessNet]!.stp, 'on');
    assert.deepEqual(caps.bridges[sc.niclessNet]!.ports, []);
  });

  it('reports the DHCP network: v4 lease, v6 lease, default route, autoconf off', () => {
    const n = capabilities(host, sc.running).networks[sc.dhcpNet]!;
    assert.equal(n.bridged, true);
    assert.equal(n.southbound, `${sc.bond4}.100`, 'as VDSM: the VLAN device right under the network');
    assert.equal(n.vlanid, 100);
    assert.equal(n.dhcpv4, true);
    assert.match(n.addr, /^10\.77\.0\.1\d\d$/);
    assert.equal(n.netmask, '255.255.255.0');
    assert.equal(n.gateway, '10.77.0.1');
    assert.equal(n.ipv4defaultroute, true);
    assert.equal(n.dhcpv6, true);
    assert.ok(n.ipv6addrs.some((a) => /^fd00:77::1[0-9a-f]{2}\/128$/.test(a)), n.ipv6addrs.join(','));
    assert.equal(n.ipv6autoconf, false);
  });

  it('reports the static bridgeless network: addresses and source-routing gateways', () => {
    const n = capabilities(host, sc.running).networks[sc.staticNet]!;
    assert.equal(n.bridged, false);
    assert.equal(n.iface, `${sc.bondAb}.200`);
    assert.deepEqual(n.ipv4addrs, ['10.78.0.2/24']);
    assert.deepEqual(n.ipv6addrs, ['fd00:78::2/64']);
    assert.equal(n.gateway, '10.78.0.1');
    assert.equal(n.ipv6gateway, 'fd00:78::1');
    assert.equal(n.ipv4defaultroute, false);
    assert.equal(n.dhcpv4, false);
    assert.equal(n.dhcpv6, false);
    assert.equal(n.ipv6autoconf, false);
    assert.equal(n.mtu, '9000');
    assert.equal(capabilities(host, sc.running).networks[sc.niclessNet]!.ipv6autoconf, true);
  });

  it('reads every network and bond back as the running config that describes them', () => {
    assert.deepStrictEqual(kernelConfig(host, sc.running), sc.running);
  });

  it('a later pass (targeted reads through stdin) gives the same picture', async () => {
    const warm = await observer.observe(sc.running);
    assert.deepStrictEqual(kernelConfig(warm, sc.running), sc.running);
    assert.deepEqual(Object.keys(warm.links), Object.keys(host.links));
    assert.equal(warm.links[sc.bond4]!.speed, 20000);
    assert.deepEqual(warm.links[`${sc.bondAb}.200`]!.ipv6, host.links[`${sc.bondAb}.200`]!.ipv6);
  });

  it('show --json inside the VM gives the same kernelConfig', async () => {
    const dir = `${sc.runDir}/state`;
    await exec(VM, ['sh', '-c', `mkdir -p ${dir} && cat > ${dir}/running-config.json`], { input: JSON.stringify(sc.running) });
    const r = await exec(VM, [join(ROOT, 'node_modules', 'node', 'bin', 'node'), join(ROOT, 'bin', 'ovirt-node-network-handler.js'), 'show', '--json', '--state-dir', dir], { timeoutMs: 60_000 });
    const state = JSON.parse(r.stdout) as { kernelConfig: unknown; capabilities: { supportsIPv6: boolean } };
    assert.deepStrictEqual(state.kernelConfig, sc.running);
    assert.equal(state.capabilities.supportsIPv6, true);
  });
});
