// Observer on this machine's kernel: a namespace with bridges, veths, a macvlan, static IPv4 and
// IPv6 addresses, gateways and its own resolv.conf (observe-topology.ts netnsScenario); traffic
// between two namespaces moving counters and rates; the `show` verb end to end; the lab's own
// namespace node read as it is.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { capabilities, HostObserver, kernelConfig, observeHost, StatisticsSampler, type HostState } from '../../src/observe/index.js';
import { run } from '../../src/util/exec.js';
import { ensureLab, releaseLab } from '../../lab/client/index.js';
import { netnsScenario, randomId } from './observe-topology.js';

// dist/test/integration -> bin
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'ovirt-node-network-handler.js');
const sc = netnsScenario(randomId());

before(async () => {
  await ensureLab();
  await run(['sh', '-ec', sc.setup]);
});
after(async () => {
  await run(['sh', '-c', sc.teardown]);
  await releaseLab();
});

describe('observe a namespace on this kernel', () => {
  it('reads devices, addresses, routes, sysfs and resolv.conf from inside the namespace', async () => {
    const host = await observeHost({ netns: sc.ns });
    assert.deepEqual(Object.keys(host.links).sort(), ['br1', 'e1', 'e2', 'e3', 'lo', 'mv0', 'net1']);
    assert.deepEqual(host.nameservers, ['10.66.0.53', 'fd00:66::53']);
    assert.equal(host.supportsIPv6, true);
    const caps = capabilities(host, sc.running);
    assert.deepEqual(Object.keys(caps.nics).sort(), ['e1', 'e2', 'e3']);
    assert.deepEqual(Object.keys(caps.bridges).sort(), ['br1', 'net1']);
    assert.deepEqual(caps.bondings, {});
    assert.deepEqual(caps.vlans, {});
    assert.equal(caps.nics.e1!.speed, 10000);
    assert.equal(caps.nics.e2!.addr, '10.67.0.2');
    assert.equal(caps.nics.e2!.netmask, '255.255.255.128');
    assert.equal(caps.nics.e2!.mtu, '1400');
    assert.equal(caps.nics.e2!.ipv6autoconf, false);
    assert.equal(caps.nics.e3!.ipv6autoconf, true);
    const net1 = caps.bridges.net1!;
    assert.deepEqual(net1.ports, ['e1']);
    assert.equal(net1.stp, 'off');
    // Non-default options only (the scenario sets forward_delay=0); STP state is the stp field.
    assert.deepEqual(net1.opts, { forward_delay: '0' });
    assert.deepEqual(net1.ipv4addrs, ['10.66.0.2/24']);
    assert.deepEqual(net1.ipv6addrs, ['fd00:66::2/64']);
    assert.equal(net1.gateway, '10.66.0.1');
    assert.equal(net1.ipv6gateway, 'fd00:66::1');
    assert.equal(net1.ipv4defaultroute, true);
    assert.equal(net1.dhcpv4, false);
    assert.equal(caps.bridges.br1!.stp, 'on');
    assert.deepEqual(caps.bridges.br1!.ports, ['e3']);
    assert.equal(caps.networks.net1!.southbound, 'e1');
    assert.equal(caps.networks.net2!.interface, 'e2');
    // The macvlan is reported only as a device with addresses, not as a nic.
    assert.equal(host.links.mv0!.kind, 'macvlan');
    assert.equal(host.links.mv0!.parent, 'e2');
    assert.equal(caps.nics.mv0, undefined);
  });

  it('reads the networks back as the running config that describes them', async () => {
    const host = await observeHost({ netns: sc.ns });
    assert.deepStrictEqual(kernelConfig(host, sc.running), sc.running);
  });

  it('a HostObserver agrees with a cold read, keeps owned devices fresh and notices changed ones', async () => {
    // Counters and the bridges' running timers (gc_timer, hello_timer...) move between two reads.
    const stable = (h: HostState) => Object.fromEntries(Object.entries(h.links).map(([n, l]) => [n, {
      ...l, counters: undefined, bridge: l.bridge && Object.fromEntries(Object.entries(l.bridge).filter(([k]) => !k.endsWith('_timer'))),
    }]));
    const obs = new HostObserver({ netns: sc.ns, maxAgeMs: 3_600_000 });
    await obs.observe(sc.running);
    const warm = await obs.observe(sc.running);
    assert.deepEqual(stable(warm), stable(await observeHost({ netns: sc.ns })));
    const sysctl = (dev: string, v: string) => run(['ip', 'netns', 'exec', sc.ns, 'sysctl', '-qw', `net.ipv6.conf.${dev}.autoconf=${v}`]);
    try {
      // net1 is the handler's (running config): read every pass.
      await sysctl('net1', '1');
      assert.equal((await obs.observe(sc.running)).links.net1!.ipv6?.autoconf, true);
      // e3 is not: its cached facts stand until its link changes...
      await sysctl('e3', '0');
      assert.equal((await obs.observe(sc.running)).links.e3!.ipv6?.autoconf, true);
      await run(['ip', '-n', sc.ns, 'link', 'set', 'e3', 'mtu', '1450']);
      assert.equal((await obs.observe(sc.running)).links.e3!.ipv6?.autoconf, false);
      // ...and a device created between two passes is read whole.
      await run(['ip', '-n', sc.ns, 'link', 'add', 'e9', 'type', 'veth', 'peer', 'name', 'e10']);
      await run(['ip', '-n', sc.ns, 'link', 'set', 'e9', 'up']);
      const h = await obs.observe(sc.running);
      assert.equal(h.links.e9!.speed, 10000);
      assert.equal(h.links.e9!.kind, 'veth');
      assert.ok(h.links.e9!.ipv6);
    } finally {
      await sysctl('net1', '0');
      await sysctl('e3', '1');
      await run(['ip', '-n', sc.ns, 'link', 'set', 'e3', 'mtu', '1500']);
      await run(['ip', '-n', sc.ns, 'link', 'del', 'e9'], { allowFailure: true });
    }
  });

  it('counts traffic between two namespaces and turns it into rates', async () => {
    const sampler = new StatisticsSampler();
    const first = sampler.sample(await observeHost({ netns: sc.ns }));
    // 200 x 1400-byte echo requests from the peer namespace, answered by net1.
    await run(['ip', 'netns', 'exec', sc.peerNs, 'ping', '-q', '-c', '200', '-i', '0.005', '-s', '1400', '-W', '2', '10.66.0.2']);
    const second = sampler.sample(await observeHost({ netns: sc.ns }));
    const e1a = first.e1!, e1b = second.e1!;
    const rx = BigInt(e1b.rx) - BigInt(e1a.rx);
    const tx = BigInt(e1b.tx) - BigInt(e1a.tx);
    assert.ok(rx >= 200n * 1400n, `e1 received ${rx} bytes`);
    assert.ok(tx >= 200n * 1400n, `e1 sent ${tx} bytes`);
    assert.ok(BigInt(second.net1!.rx) - BigInt(first.net1!.rx) >= 200n * 1400n);
    assert.ok(e1b.rxRate > 0 && e1b.txRate > 0, JSON.stringify(e1b));
    assert.ok(e1b.sampleTime > e1a.sampleTime);
    const expected = Number(rx) / (e1b.sampleTime - e1a.sampleTime);
    assert.ok(Math.abs(e1b.rxRate - expected) <= expected * 0.01 + 1, `${e1b.rxRate} vs ${expected}`);
    assert.equal(e1b.state, 'up');
    assert.equal(e1b.speed, '10000');
  });

  it('show: YAML/JSON in the seed shape, statistics, one interface, tree', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ovnh-t-obs-'));
    try {
      await writeFile(join(dir, 'running-config.json'), JSON.stringify(sc.running));
      const base = [process.execPath, CLI, 'show', '--netns', sc.ns, '--state-dir', dir];
      const json = JSON.parse((await run([...base, '--json', '--statistics', '--interval', '0.2'])).stdout) as Record<string, any>;
      assert.deepEqual(Object.keys(json).sort(), ['capabilities', 'kernelConfig', 'statistics']);
      assert.deepStrictEqual(json.kernelConfig, sc.running);
      assert.equal(json.capabilities.bridges.net1.mtu, '1500');
      assert.match(json.statistics.e1.rx, /^\d+$/);
      assert.equal(typeof json.statistics.e1.rxRate, 'number');
      const yaml = (await run(base)).stdout;
      assert.match(yaml, /^capabilities:\n {2}bondings: \{\}\n {2}bridges:\n/);
      assert.match(yaml, /\n {6}ipv6gateway: "?fd00:66::1"?\n/);
      assert.match(yaml, /\n {6}mtu: "1400"\n/);
      assert.match(yaml, /\nkernelConfig:\n/);
      const one = JSON.parse((await run([...base, '--json', '--interface', 'net1', '--statistics', '--interval', '0.1'])).stdout) as Record<string, any>;
      assert.deepEqual(Object.keys(one.capabilities.bridges), ['net1']);
      assert.deepEqual(Object.keys(one.capabilities.networks), ['net1']);
      assert.deepEqual(one.capabilities.nics, {});
      assert.deepEqual(Object.keys(one.statistics), ['net1']);
      assert.deepEqual(Object.keys(one.kernelConfig.networks), ['net1']);
      const tree = (await run([...base, '--tree'])).stdout;
      assert.match(tree, /^e1 .*\n└── net1 {2}bridge stp off .*10\.66\.0\.2\/24.*\[network net1\]$/m);
      assert.match(tree, /^└── mv0 {2}macvlan/m);
      const bad = await run([...base, '--interface', 'nope'], { allowFailure: true });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /no interface or network named nope/);
      // No running config: empty networks, kernelConfig empty, still the whole host.
      const none = JSON.parse((await run([process.execPath, CLI, 'show', '--json', '--netns', sc.ns, '--state-dir', join(dir, 'absent')])).stdout) as Record<string, any>;
      assert.deepEqual(none.kernelConfig, { networks: {}, bondings: {} });
      assert.deepEqual(none.capabilities.networks, {});
      assert.ok(none.capabilities.bridges.net1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('observe the lab namespace node', () => {
  it('sees its management address and data NICs as they are', async () => {
    const host = await observeHost({ netns: 'ovnh-ns-node-1' });
    const caps = capabilities(host, { networks: {}, bondings: {} });
    for (const nic of ['eth0', 'eth1', 'eth2']) assert.ok(caps.nics[nic], `${nic} is a nic`);
    assert.equal(caps.nics.eth0!.addr, '10.88.0.11');
    assert.equal(caps.nics.eth0!.hwaddr, '52:54:00:88:01:00');
    assert.equal(caps.nics.lo, undefined);
  });
});
