// The kernel backend on this machine's kernel, in namespaces of the test's own (bridges, veth,
// addresses, routes, DHCP from a dnsmasq of the test's own): every change read back from the
// kernel; failures and invalid input leave the node byte-for-byte as it was.
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DELETE_LINK_GROUP } from '../../src/api/constants.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { NetworkSpec } from '../../src/api/spec.js';
import { NetnsRig } from './apply-support.js';
import { waitFor } from '../../src/util/exec.js';

const rig = new NetnsRig();
before(async () => rig.up());
after(async () => rig.down());

const HOST_NS = ['10.77.0.1'];

/** The canonical config of a spec as the handler persists it (the host's resolvers filled in). */
function canonical(spec: { networks?: Record<string, NetworkSpec>; bondings?: Record<string, { nics: string[]; options?: string }> }) {
  return canonicalize({ networks: spec.networks ?? {}, bondings: spec.bondings ?? {} }, { hostNameservers: HOST_NS });
}

async function applyOk(spec: Parameters<typeof canonical>[0]): Promise<string> {
  const r = await rig.apply(spec);
  assert.equal(r.code, 0, `apply failed: ${r.stderr}`);
  return r.stdout;
}

/** Applies, then reads the kernel back: it must say exactly what the spec says. */
async function applyAndReadBack(spec: Parameters<typeof canonical>[0]): Promise<void> {
  await applyOk(spec);
  const want = canonical(spec);
  assert.deepEqual(await rig.runningConfig(), JSON.parse(JSON.stringify(want)), 'persisted running config');
  assert.deepEqual((await rig.show()).kernelConfig, want, 'kernelConfig read back from the kernel');
}

type Spec = { networks: Record<string, NetworkSpec> };
const N = (n: NetworkSpec): NetworkSpec => n;

const STATIC = {
  networks: {
    // bridged over a NIC, static IPv4 + IPv6 with gateways (source-routed: not the default route)
    net1: N({ nic: 'e1', mtu: 1400, ipaddr: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', ipv6addr: '2001:db8:1::10/64', ipv6gateway: '2001:db8:1::1' }),
    // nicless bridge holding the default route
    net2: N({ ipaddr: '198.51.100.10', netmask: '255.255.255.0', gateway: '198.51.100.1', defaultRoute: true, stp: true, bridgeOpts: 'forward_delay=400 multicast_snooping=0' }),
    // bridgeless on the other NIC, SLAAC on
    net3: N({ nic: 'e2', bridged: false, ipaddr: '203.0.113.10', prefix: 28, ipv6autoconf: true }),
  },
} satisfies Spec;

describe('apply in a namespace (bridges, veth NICs, addresses, routes)', () => {
  let initial: unknown;
  before(async () => {
    initial = await rig.settled();
  });

  it('builds bridged, nicless and bridgeless networks with static IPv4/IPv6, read back from the kernel', async () => {
    await applyAndReadBack(STATIC);
    const routes = await rig.ns('ip', '-json', 'route', 'show', 'default');
    assert.deepEqual(JSON.parse(routes.stdout).map((r: { gateway: string; dev: string }) => `${r.gateway} ${r.dev}`), ['198.51.100.1 net2']);
    const mtu = JSON.parse((await rig.ns('ip', '-json', 'link', 'show', 'e1')).stdout)[0].mtu;
    assert.equal(mtu, 1400, 'the southbound NIC carries its network\'s MTU');
  });

  it('is idempotent: the same spec again changes nothing', async () => {
    const out = await applyOk(STATIC);
    assert.match(out, /nothing to do/);
  });

  it('--output json: one document with the kernelConfig read back as show reads it; refused with --dry-run', async () => {
    const r = await rig.apply(STATIC, ['--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { changed: boolean; steps: number; operations: number; leases: object; kernelConfig: unknown };
    assert.deepEqual([doc.changed, doc.steps, doc.operations, doc.leases], [false, 0, 0, {}]);
    assert.deepEqual(doc.kernelConfig, (await rig.show()).kernelConfig);
    assert.deepEqual(doc.kernelConfig, canonical(STATIC));
    const dry = await rig.apply(STATIC, ['--output', 'json', '--dry-run']);
    assert.equal(dry.code, 1);
    assert.match(dry.stderr, /--output json: not with --dry-run/);
    const bad = await rig.apply(STATIC, ['--output', 'yaml']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /option '-o, --output <format>' argument 'yaml' is invalid/);
  });

  it('moves the default route, raises an MTU, changes bridge options and STP', async () => {
    const moved: Spec = {
      networks: {
        net1: { ...STATIC.networks.net1, mtu: 9000 },
        net2: { ...STATIC.networks.net2, defaultRoute: false, stp: false, bridgeOpts: 'forward_delay=1500' },
        net3: { ...STATIC.networks.net3, gateway: '203.0.113.1', defaultRoute: true, nameservers: ['203.0.113.53'] },
      },
    };
    await applyAndReadBack(moved);
    const routes = JSON.parse((await rig.ns('ip', '-json', 'route', 'show', 'default')).stdout) as { gateway: string; dev: string }[];
    assert.deepEqual(routes.map((r) => `${r.gateway} ${r.dev}`), ['203.0.113.1 e2']);
    assert.equal(await readFile(`/etc/netns/${rig.node}/resolv.conf`, 'utf8'), 'nameserver 203.0.113.53\n');
    // And back, naming the old resolvers again (a network that names none leaves the file alone).
    await applyAndReadBack({ networks: { ...STATIC.networks, net2: { ...STATIC.networks.net2, nameservers: HOST_NS } } });
    assert.equal(await readFile(`/etc/netns/${rig.node}/resolv.conf`, 'utf8'), 'nameserver 10.77.0.1\n');
  });

  it('a kernel-rejected operation in the middle of a plan leaves the node byte-for-byte as before', async () => {
    const before = await rig.settled();
    // Removes net1, changes net2 and net3, then adds net4 over a VLAN, which this kernel lacks
    // (no 802.1q): the failure comes after removals and changes already ran.
    const r = await rig.apply({
      networks: {
        net2: { ...STATIC.networks.net2, mtu: 1300, ipaddr: '198.51.100.11' },
        net3: { ...STATIC.networks.net3, ipv6autoconf: false, ipv6addr: '2001:db8:3::10/64' },
        net4: { nic: 'e1', vlan: 42, ipaddr: '192.0.2.20', prefix: 24 },
        net5: { ipaddr: '192.0.2.30', prefix: 24 },
      },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /apply failed \(SetupFailed, rolled back\): add network net4.*ip link add link e1 name e1\.42 .*type vlan id 42: .*[Uu]nknown device type/);
    assert.deepEqual(await rig.settled(), before);
    assert.deepEqual((await rig.runningConfig() as { networks: object }).networks, canonical(STATIC).networks);
  });

  it('a failing sysfs write (a bridge option validation lets through and the kernel refuses: group_fwd_mask bit 0, BR_GROUPFWD_RESTRICTED) is rolled back too', async () => {
    const before = await rig.settled();
    const r = await rig.apply({ networks: { ...STATIC.networks, net1: { ...STATIC.networks.net1, mtu: 1500 }, net6: { bridgeOpts: 'group_fwd_mask=1' } } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /add network net6.*\/sys\/class\/net\/net6\/bridge\/group_fwd_mask/);
    assert.deepEqual(await rig.settled(), before);
  });

  it('a NIC that vanishes between planning and its step: the steps before it are undone', async () => {
    await rig.ns('ip', 'link', 'add', 'e3', 'type', 'veth', 'peer', 'name', 'e3p');
    const before = (await rig.settled()) as { links: Record<string, unknown> };
    const r = await rig.applyWhileNicVanishes({
      networks: {
        net1: { ...STATIC.networks.net1, mtu: 1500 },
        net2: STATIC.networks.net2,
        net7: { nic: 'e3', ipaddr: '192.0.2.70', prefix: 24 },
      },
    }, 'e3');
    assert.equal(r.ok, false);
    assert.equal(r.rolledBack, true);
    assert.match(r.message ?? '', /add network net7.*e3.*(Cannot find device|No such device)/);
    delete before.links.e3;
    delete before.links.e3p;
    assert.deepEqual(await rig.settled(), before);
  });

  it('invalid input changes nothing, and every error names its field', async () => {
    const before = await rig.settled();
    const r = await rig.apply({ networks: { bad1: { nic: 'e1', vlan: 5000 }, bad2: { nic: 'e1', bonding: 'bond9' }, bad3: { nic: 'nosuchnic' } } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /spec\.networks\.bad1\.vlan/);
    assert.match(r.stderr, /spec\.networks\.bad3\.nic/);
    assert.match(r.stderr, /spec\.networks\.bad2/);
    assert.deepEqual(await rig.settled(), before);
    assert.deepEqual((await rig.runningConfig() as { networks: object }).networks, canonical(STATIC).networks);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = await rig.settled();
    const r = await rig.apply({ networks: {} }, ['--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /remove network net1/);
    // Several devices go: moved into the deletion group, deleted at once (group-delete.ts).
    assert.match(r.stdout, new RegExp(`ip link set dev net1 group ${DELETE_LINK_GROUP}`));
    assert.match(r.stdout, new RegExp(`ip link del group ${DELETE_LINK_GROUP}`));
    assert.deepEqual(await rig.settled(), before);
  });

  it('a lost connectivity check rolls the kernel back (KernelBackend.setup, as the agent calls it)', async () => {
    const before = await rig.settled();
    const r = await rig.setupLosingConnectivity({ networks: { ...STATIC.networks, net9: { ipaddr: '192.0.2.90', prefix: 24 } } });
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'ConnectivityLost');
    assert.equal(r.rolledBack, true);
    assert.equal(r.preflights, 1);
    assert.match(r.message ?? '', /API server did not answer/);
    assert.deepEqual(await rig.settled(), before);
  });

  it('KernelBackend.setup, spec after spec in one process (standby ip sessions, IPv6 lines in the -6 one): each read back', async () => {
    const before = await rig.settled();
    const changed = {
      networks: {
        ...STATIC.networks,
        net1: N({ ...STATIC.networks.net1, mtu: 1450, ipv6addr: '2001:db8:1::11/64' }),
        net4: N({ ipv6addr: '2001:db8:4::1/64', ipv6gateway: '2001:db8:4::fe' }),
      },
    } satisfies Spec;
    // From STATIC (the test before left it): a change (net4 added), the same again (no change),
    // STATIC (net4 removed). (Not through no networks: a NIC let go and taken again comes back
    // with another MAC address, on the old code too.)
    const specs = [changed, changed, STATIC];
    const rs = await rig.setups(specs);
    rs.forEach((r, i) => assert.equal(r.ok, true, `setup ${i}: ${r.message}`));
    assert.deepEqual(rs.map((r) => r.kernelConfig), specs.map((s) => JSON.parse(JSON.stringify(canonical(s)))));
    assert.deepEqual(rs.map((r) => r.drifted), [[], [], []]);
    assert.deepEqual(await rig.settled(), before, 'back at STATIC, the node is as it was');
  });

  it('an invalid spec through KernelBackend.setup: InvalidSpec with every field path, nothing changed', async () => {
    const before = await rig.settled();
    const r = await rig.setupLosingConnectivity({ networks: { bad: { vlan: 4095, mtu: 10 } } });
    assert.equal(r.reason, 'InvalidSpec');
    assert.equal(r.preflights, 0, 'nothing is probed or applied for an invalid spec');
    assert.match(r.message ?? '', /spec\.networks\.bad\.vlan: /);
    assert.match(r.message ?? '', /spec\.networks\.bad\.mtu: /);
    assert.deepEqual(await rig.settled(), before);
  });

  it('the oVirt engine\'s rules through KernelBackend.setup: InvalidSpec naming the field, the reason and the engine class; nothing changed', async () => {
    const before = await rig.settled();
    // Kernel-valid (VDSM would set it up): a bridge on a bond without a mode (balance-rr), a VLAN
    // MTU other than its device's untagged network.
    const r = await rig.setupLosingConnectivity({
      networks: { u: { nic: 'e1' }, v: { nic: 'e1', vlan: 10, mtu: 9000 }, vm1: { bonding: 'bond0' } },
      bondings: { bond0: { nics: ['e2'] } },
    });
    assert.equal(r.reason, 'InvalidSpec');
    assert.equal(r.preflights, 0, 'nothing is probed or applied for an invalid spec');
    assert.match(r.message ?? '', /spec\.networks\.v\.mtu: mtu 9000 differs from 1500, the mtu of untagged network u on e1.*NetworkMtuValidator/);
    assert.match(r.message ?? '', /spec\.networks\.vm1\.bridged: bond bond0 names no mode, so it runs in balance-rr \(0\).*BondMode\.isBondModeValidForVmNetwork/);
    assert.deepEqual(await rig.settled(), before);
  });

  it('boot restore: a node that lost its networks (reboot) gets the persisted config back', async () => {
    const kc = (await rig.show()).kernelConfig;
    await rig.ns('sh', '-c', 'ip link del net1; ip link del net2; ip -4 addr flush dev e2; ip link set e1 mtu 1500');
    assert.notDeepEqual((await rig.show()).kernelConfig, kc);
    const r = await rig.cli(['restore', '--state-dir', rig.stateDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /restored/);
    assert.deepEqual((await rig.show()).kernelConfig, kc);
    const again = await rig.cli(['restore', '--state-dir', rig.stateDir]);
    assert.match(again.stdout, /already has the persisted configuration/);
  });

  it('removing everything gives the NICs back as they were (MTU, IPv6 settings, addresses)', async () => {
    await applyOk({ networks: {} });
    assert.deepEqual(await rig.settled(), initial);
  });
});

describe('apply in a namespace: DHCP', () => {
  it('gets a lease with the state dir under /run (the client\'s private /run does not hide it)', async () => {
    const stateDir = `/run/ovnh-t-state-${rig.id}`;
    const spec = { networks: { net2: { nic: 'e2', bootproto: 'dhcp' as const } } };
    try {
      const r = await rig.apply(spec, ['--state-dir', stateDir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /net2\/v4: 10\.77\.0\.1\d\d\/24/);
      await readFile(join(stateDir, 'dhcp', 'leases', 'duid'), 'utf8');
      const off = await rig.apply({ networks: {} }, ['--state-dir', stateDir]);
      assert.equal(off.code, 0, off.stderr);
    } finally {
      for (const f of await readdir(join(stateDir, 'dhcp')).catch(() => [] as string[])) {
        const pid = f.endsWith('.pid') ? Number((await readFile(join(stateDir, 'dhcp', f), 'utf8')).trim()) : 0;
        if (pid > 0) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      }
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('leases an address on a bridged network holding the default route, and releases it with the network', async () => {
    const before = await rig.settled();
    const spec = { networks: { net1: { nic: 'e1', bootproto: 'dhcp' as const, dhcpv6: true, defaultRoute: true } } };
    const out = await applyOk(spec);
    assert.match(out, /net1\/v4: 10\.77\.0\.1\d\d\/24/);
    const kc = (await rig.show()).kernelConfig as { networks: Record<string, { bootproto: string; defaultRoute: boolean; dhcpv6: boolean }> };
    // The DHCPv6 lease may come a moment later than the DHCPv4 one.
    await waitFor('DHCPv6 lease', async () => ((await rig.show()).kernelConfig as typeof kc).networks.net1?.dhcpv6, 15_000);
    assert.equal(kc.networks.net1?.bootproto, 'dhcp');
    assert.equal(kc.networks.net1?.defaultRoute, true);
    const routes = JSON.parse((await rig.ns('ip', '-json', 'route', 'show', 'default')).stdout) as { gateway: string; dev: string }[];
    assert.deepEqual(routes.map((r) => `${r.gateway} ${r.dev}`), ['10.77.0.1 net1']);
    const pid = Number(await readFile(join(rig.stateDir, 'dhcp', 'net1-4.pid'), 'utf8'));
    assert.ok((await readFile(`/proc/${pid}/cmdline`, 'utf8')).startsWith('dhcpcd'), 'the client runs under the agent\'s supervision');
    // The node's own dhcpcd files are not touched: the client's state is in the state dir.
    await readFile(join(rig.stateDir, 'dhcp', 'leases', 'duid'), 'utf8');

    // A client that dies is started again by the next apply of the same spec.
    process.kill(pid, 'SIGKILL');
    await waitFor('client gone', async () => !(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).match(/\) [RSD]/), 5000);
    await applyOk(spec);
    const pid2 = Number(await readFile(join(rig.stateDir, 'dhcp', 'net1-4.pid'), 'utf8'));
    assert.notEqual(pid2, pid);

    // Boot restore of a DHCP network: the client is started again and the restore waits for the lease.
    await rig.ns('sh', '-c', `kill -9 -- -${pid2}; ip link del net1`);
    const restored = await rig.cli(['restore', '--state-dir', rig.stateDir, '--dhcp-timeout', '20']);
    assert.equal(restored.code, 0, restored.stderr);
    const after = (await rig.show()).kernelConfig as typeof kc;
    assert.equal(after.networks.net1?.bootproto, 'dhcp', 'leased before restore returned');
    assert.equal(after.networks.net1?.defaultRoute, true);
    const pid3 = Number(await readFile(join(rig.stateDir, 'dhcp', 'net1-4.pid'), 'utf8'));

    await applyOk({ networks: {} });
    assert.equal(await readFile(`/proc/${pid3}/stat`, 'utf8').then((s) => /\) Z/.test(s), () => true), true, 'client stopped');
    assert.deepEqual(await rig.settled(), before);
  });
});
