// The kernel backend in the lab VM (Debian's kernel: bonding and 802.1q), through the `apply`
// CLI as an operator would run it on a node: the seed's scenario (net1 bridged over an 802.3ad
// bond, DHCP from the lab's dnsmasq, default route), static IPv4 + IPv6 on a VLAN over an
// active-backup bond, bond option and mode changes, MTU, the default route moving, and removing
// everything — each verified by reading the kernel back. eth1/eth2 are given back as they were.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ApplyJson } from '../../src/cli/apply.js';
import type { BondSpec, NetworkSpec } from '../../src/api/spec.js';
import type { Lab } from '../../lab/src/index.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { ensureLab, exec, releaseLab, sh } from '../../lab/client/index.js';
import { BIN, ROOT } from './apply-support.js';
import { waitFor } from '../../src/util/exec.js';

let lab: Lab;
let vm: string;
const NODE = `${ROOT}/node_modules/node/bin/node`;
const STATE = `/tmp/ovnh-apply-vm-${randomBytes(3).toString('hex')}`;
let resolvers: string[] = [];

type Spec = { networks?: Record<string, NetworkSpec>; bondings?: Record<string, BondSpec> };

before(async () => {
  lab = await ensureLab();
  vm = lab.state.nodes.find((n) => n.kind === 'vm')!.name;
  resolvers = (await exec(vm, ['cat', '/etc/resolv.conf'])).stdout.split('\n').flatMap((l) => /^nameserver\s+(\S+)/.exec(l)?.[1] ?? []);
  // A previous run that was killed left its networks: its state dir says what they are.
  const stale = (await sh(vm, 'ls -d /tmp/ovnh-apply-vm-* 2>/dev/null || true')).stdout.split('\n').filter(Boolean);
  for (const dir of stale) {
    await exec(vm, ['env', 'NO_COLOR=1', NODE, BIN, 'apply', '-f', '-', '--state-dir', dir, '-q', '--no-verify'], { input: '{}', allowFailure: true });
    await exec(vm, ['rm', '-rf', dir]);
  }
});

after(cleanup);

async function cleanup(): Promise<void> {
  // Whatever happened, leave eth1/eth2 as the lab made them.
  if (vm) {
    await cli(['apply', '-f', '-', '--state-dir', STATE, '-q', '--no-verify'], '{}').catch(() => undefined);
    await sh(vm, `for d in net1 tnet2 tnet3 bond1 bondt2; do ip link del $d 2>/dev/null || true; done
      for n in eth1 eth2; do ip link set $n nomaster 2>/dev/null; ip link set $n mtu 1500; ip link set $n up; done
      rm -rf ${STATE}`, { allowFailure: true });
  }
  await releaseLab();
}

// A run that is stopped (SIGTERM/SIGINT) cleans up too.
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)));

function cli(args: string[], input?: string) {
  return exec(vm, ['env', 'NO_COLOR=1', NODE, BIN, ...args], { allowFailure: true, ...(input !== undefined ? { input } : {}) });
}

/**
 * One `apply --output json` (one CLI start: several seconds each under TCG): the transaction's
 * result with the kernelConfig read back after it, as `show` reads it.
 */
async function apply(spec: Spec): Promise<ApplyJson> {
  const r = await cli(['apply', '-f', '-', '--state-dir', STATE, '-q', '--dhcp-timeout', '60', '--output', 'json'], JSON.stringify(spec));
  assert.equal(r.code, 0, `apply failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ApplyJson;
}

/** Applies; the kernel read back must hold exactly the canonical spec. */
async function applyAndReadBack(spec: Spec): Promise<ApplyJson> {
  const out = await apply(spec);
  const want = canonicalize({ networks: spec.networks ?? {}, bondings: spec.bondings ?? {} }, { hostNameservers: resolvers });
  assert.deepEqual(out.kernelConfig, want);
  return out;
}

interface IpLink { ifname: string; address: string; mtu: number; flags: string[]; master?: string; linkinfo?: { info_kind?: string } }

async function links(): Promise<Record<string, IpLink>> {
  const r = await exec(vm, ['ip', '-json', '-details', 'link', 'show']);
  return Object.fromEntries((JSON.parse(r.stdout) as IpLink[]).map((l) => [l.ifname, l]));
}

async function defaultRoutes(): Promise<string[]> {
  const r = await exec(vm, ['ip', '-json', '-4', 'route', 'show', 'default']);
  return (JSON.parse(r.stdout) as { gateway?: string; dev: string }[]).map((x) => `${x.gateway ?? '-'} ${x.dev}`);
}

const nicState = (l: IpLink | undefined) => l && { address: l.address, mtu: l.mtu, up: l.flags.includes('UP'), master: l.master };

describe('apply in the lab VM (bonds, VLANs, bridges, DHCP)', () => {
  let initialNics: unknown;
  // (Names of their own after the seed's: the lab is shared with other tests' agents.)
  const AB: BondSpec = { nics: ['eth1', 'eth2'], options: 'mode=active-backup miimon=100' };
  const NET2: NetworkSpec = { bonding: 'bondt2', vlan: 100, ipaddr: '192.0.2.20', prefix: 24, gateway: '192.0.2.1', ipv6addr: '2001:db8:100::20/64', ipv6gateway: '2001:db8:100::1' };

  before(async () => {
    // The lab is shared (the VM's agent, other tests): wait until nothing holds eth1/eth2.
    const l = await waitFor('eth1/eth2 free of other tests', async () => {
      const cur = await links();
      return !cur.eth1?.master && !cur.eth2?.master ? cur : undefined;
    }, 300_000, 5000);
    initialNics = { eth1: nicState(l.eth1), eth2: nicState(l.eth2) };
  });

  it('the seed: net1 bridged over an 802.3ad bond on eth1 gets a DHCP lease and the default route', async () => {
    const out = await applyAndReadBack({
      networks: { net1: { bridged: true, bonding: 'bond1', bootproto: 'dhcp', defaultRoute: true } },
      bondings: { bond1: { options: 'mode=4 miimon=100', nics: ['eth1'] } },
    });
    assert.match(out.leases['net1/v4'] ?? '', /^10\.89\.0\.1\d\d\/24$/, JSON.stringify(out.leases));
    assert.deepEqual(await defaultRoutes(), ['10.89.0.1 net1']);
    const l = await links();
    assert.equal(l.eth1?.master, 'bond1');
    assert.equal(l.bond1?.master, 'net1');
  });

  it('static IPv4 + IPv6 on a VLAN over an active-backup bond (eth1 + eth2), replacing the seed in one transaction', async () => {
    await applyAndReadBack({ networks: { tnet2: NET2 }, bondings: { bondt2: AB } });
    const l = await links();
    assert.equal(l.bond1, undefined);
    assert.equal(l.net1, undefined);
    assert.equal(l['bondt2.100']?.master, 'tnet2');
    assert.deepEqual([l.eth1?.master, l.eth2?.master], ['bondt2', 'bondt2']);
    const addrs = JSON.parse((await exec(vm, ['ip', '-json', 'addr', 'show', 'dev', 'tnet2'])).stdout)[0].addr_info.map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`);
    assert.ok(addrs.includes('192.0.2.20/24') && addrs.includes('2001:db8:100::20/64'), addrs.join(' '));
    assert.deepEqual(await defaultRoutes(), [], 'the DHCP default route left with net1');
    const procs = await sh(vm, `ls ${STATE}/dhcp/*.pid 2>/dev/null | wc -l`);
    assert.equal(procs.stdout.trim(), '0', 'the DHCP client left with net1');
  });

  it('changes bond options live, then the mode (slaves released and enslaved again)', async () => {
    await applyAndReadBack({ networks: { tnet2: NET2 }, bondings: { bondt2: { ...AB, options: 'mode=active-backup miimon=200 updelay=400 primary=eth2' } } });
    const opts = await sh(vm, 'cat /sys/class/net/bondt2/bonding/miimon /sys/class/net/bondt2/bonding/updelay /sys/class/net/bondt2/bonding/primary');
    assert.deepEqual(opts.stdout.trim().split('\n'), ['200', '400', 'eth2']);
    await applyAndReadBack({ networks: { tnet2: NET2 }, bondings: { bondt2: { ...AB, options: 'mode=802.3ad lacp_rate=fast' } } });
    const mode = await sh(vm, 'cat /sys/class/net/bondt2/bonding/mode /sys/class/net/bondt2/bonding/lacp_rate /sys/class/net/bondt2/bonding/updelay /sys/class/net/bondt2/bonding/primary');
    assert.deepEqual(mode.stdout.split('\n').slice(0, 4), ['802.3ad 4', 'fast 1', '0', ''], 'dropped options back to their defaults');
  });

  it('raises the MTU (bond and slaves first) and moves the default route to a DHCP network on the same bond', async () => {
    await applyAndReadBack({
      networks: {
        tnet2: { ...NET2, mtu: 9000 },
        // The untagged network on the bond has the VLAN's MTU: the oVirt engine's rule (NetworkMtuValidator).
        tnet3: { bonding: 'bondt2', bootproto: 'dhcp', defaultRoute: true, mtu: 9000 },
      },
      bondings: { bondt2: { ...AB, options: 'mode=802.3ad lacp_rate=fast' } },
    });
    const l = await links();
    assert.deepEqual(['eth1', 'eth2', 'bondt2', 'bondt2.100', 'tnet2', 'tnet3'].map((d) => l[d]?.mtu), [9000, 9000, 9000, 9000, 9000, 9000]);
    assert.deepEqual(await defaultRoutes(), ['10.89.0.1 tnet3']);
    // tnet2 keeps its gateway, in its own routing table (VDSM's source routing).
    const table = await exec(vm, ['ip', '-json', '-4', 'route', 'show', 'table', 'all', 'dev', 'tnet2', 'default']);
    assert.deepEqual((JSON.parse(table.stdout) as { gateway: string }[]).map((r) => r.gateway), ['192.0.2.1']);
    // And the default route back to tnet2, the MTU down again (upper devices first).
    await applyAndReadBack({
      networks: { tnet2: { ...NET2, defaultRoute: true }, tnet3: { bonding: 'bondt2', bootproto: 'dhcp' } },
      bondings: { bondt2: { ...AB, options: 'mode=802.3ad lacp_rate=fast' } },
    });
    assert.deepEqual(await defaultRoutes(), ['192.0.2.1 tnet2']);
    assert.equal((await links()).eth1?.mtu, 1500);
  });

  it('removing everything gives eth1 and eth2 back as they were (MAC, MTU, up, no master)', async () => {
    const out = await apply({});
    assert.match(out.summary, /remove network tnet2/);
    const l = await links();
    for (const d of ['net2', 'net3', 'bond2', 'bondt2.100']) assert.equal(l[d], undefined, `${d} removed`);
    assert.deepEqual({ eth1: nicState(l.eth1), eth2: nicState(l.eth2) }, initialNics);
    assert.deepEqual(out.kernelConfig, { networks: {}, bondings: {} });
    const procs = await sh(vm, `ls ${STATE}/dhcp/*.pid 2>/dev/null | wc -l`);
    assert.equal(procs.stdout.trim(), '0');
  });
});
