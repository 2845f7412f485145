// Pure parts of the executor: ip -batch error parsing, batching, journal recovery decisions,
// dhcpcd configuration, read-back comparison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBatchErrors } from '../../src/apply/ipbatch.js';
import { batchLine, groupOps, ip, type KernelOp } from '../../src/apply/ops.js';
import { recoveryAction, undoSequence, type Journal } from '../../src/apply/journal.js';
import { dhcpcdArgv, dhcpcdConfig, dhcpPaths } from '../../src/apply/dhcp.js';
import { crashPoint } from '../../src/cli/apply.js';
import { layoutOf } from '../../src/apply/layout.js';
import { vlanDeviceName, topDeviceOf } from '../../src/apply/names.js';
import { netmaskToPrefix } from '../../src/util/ip.js';
import { readBackDifferences } from '../../src/cli/apply.js';
import { canonicalize } from '../../src/plan/canonicalize.js';

test('ip -batch stderr: the failing line (1-based in ip, 0-based here) and the kernel message', () => {
  // Captured from iproute2 6.1.
  assert.deepEqual(parseBatchErrors('Error: Unknown device type.\nCommand failed -:3\n'), [{ index: 2, message: 'Unknown device type.' }]);
  assert.deepEqual(parseBatchErrors('RTNETLINK answers: File exists\nCommand failed -:1\n'), [{ index: 0, message: 'RTNETLINK answers: File exists' }]);
  assert.deepEqual(parseBatchErrors('Cannot find device "nope"\nCommand failed -:2\nError: Nexthop has invalid gateway.\nCommand failed -:5\n'), [
    { index: 1, message: 'Cannot find device "nope"' },
    { index: 4, message: 'Nexthop has invalid gateway.' },
  ]);
  assert.deepEqual(parseBatchErrors(''), []);
});

test('batch lines quote what ip would split', () => {
  assert.equal(batchLine(['link', 'add', 'br0', 'type', 'bridge']), 'link add br0 type bridge');
  assert.equal(batchLine(['link', 'set', 'dev', 'bond1', 'type', 'bond', 'arp_ip_target', '']), 'link set dev bond1 type bond arp_ip_target ""');
});

test('operations are grouped: runs of ip lines, runs of file writes, one DHCP operation per group, cut where asked', () => {
  const w = (p: string): KernelOp => ({ kind: 'write', path: p, value: '1' });
  const d: KernelOp = { kind: 'dhcp-stop', dev: 'x', family: 4 };
  const ops = [ip('a'), ip('b'), w('/1'), w('/2'), ip('c'), d, d, ip('e'), ip('f')].map((op) => ({ op }));
  assert.deepEqual(groupOps(ops).map((g) => [g.kind, g.ops.length]), [['ip', 2], ['files', 2], ['ip', 1], ['dhcp', 1], ['dhcp', 1], ['ip', 2]]);
  assert.deepEqual(groupOps(ops, 1).map((g) => g.ops.length), [1, 1, 2, 1, 1, 1, 2]);
  assert.deepEqual(groupOps(ops, 8).map((g) => g.ops.length), [2, 2, 1, 1, 1, 1, 1]);
});

test('journal recovery: committed (the running config became `to`) rolls forward; everything else rolls back', () => {
  const A = canonicalize({ networks: { a: {} } });
  const B = canonicalize({ networks: { b: {} } });
  const base: Journal = {
    version: 1, phase: 'applying', pid: 1, startedAt: '', from: A, to: B, stored: A,
    originsAfter: { nics: {}, displacedDefault: [] }, undo: [],
  };
  assert.equal(recoveryAction(undefined, A).kind, 'none');
  assert.equal(recoveryAction(base, A).kind, 'roll-back', 'crashed before the commit point');
  assert.equal(recoveryAction(base, B).kind, 'roll-forward', 'crashed after the running config was replaced');
  assert.equal(recoveryAction({ ...base, phase: 'rolling-back' }, A).kind, 'roll-back');
  // A repair (boot restore) starts with the running config already `to`: never "committed" by it.
  assert.equal(recoveryAction({ ...base, from: A, stored: B }, B).kind, 'roll-back');
});

test('undo runs the last operation\'s undo first, each undo list in its own order', () => {
  assert.deepEqual(undoSequence([[ip('1a'), ip('1b')], [], [ip('3')]]), [ip('3'), ip('1a'), ip('1b')]);
});

test('crash hook: a non-negative integer of the hidden apply flag, nothing else', () => {
  assert.equal(crashPoint('0'), 0);
  assert.equal(crashPoint('7'), 7);
  for (const bad of ['', ' ', 'x', '-1', '1.5', '1e400']) assert.throws(() => crashPoint(bad), /--test-crash-after-operation/);
});

test('dhcpcd: private config (no persistent, no hooks), default route only for the default-route network', () => {
  const v4 = dhcpcdConfig({ network: 'net1', dev: 'net1', family: 4, defaultRoute: true });
  assert.match(v4, /^ipv4only$/m);
  assert.match(v4, /^noarp$/m);
  assert.match(v4, /^metric 0$/m);
  assert.doesNotMatch(v4, /persistent|nogateway/);
  const v6 = dhcpcdConfig({ network: 'n', dev: 'n', family: 6, defaultRoute: false });
  assert.match(v6, /^nogateway$/m);
  assert.match(v6, /^noipv6rs$/m);
  assert.match(v6, /^interface n\n {2}ia_na 1$/m);
  const p = dhcpPaths('/state', 'net1', 4);
  const argv = dhcpcdArgv({ network: 'net1', dev: 'net1', family: 4, defaultRoute: true }, p);
  assert.deepEqual(argv.slice(0, 4), ['unshare', '--mount', '--propagation', 'private']);
  assert.match(argv[6]!, /mount -t tmpfs .* \/run/);
  assert.match(argv[6]!, /--script \/bin\/true/);
  assert.deepEqual(argv.slice(-4), ['/state/dhcp/net1-4.pid', '/state/dhcp/leases', '/state/dhcp/net1-4.conf', 'net1']);
});

test('names: VLAN devices, top devices, netmasks', () => {
  assert.equal(vlanDeviceName('bond1', 10), 'bond1.10');
  assert.equal(vlanDeviceName('enp0s31f6abcd', 4094).length <= 15, true);
  assert.notEqual(vlanDeviceName('enp0s31f6abcd', 4094), vlanDeviceName('enp0s31f6abce', 4094));
  assert.equal(topDeviceOf('net1', { bridged: true, nic: 'eth1' }), 'net1');
  assert.equal(topDeviceOf('net1', { bridged: false, nic: 'eth1', vlan: 3 }), 'eth1.3');
  assert.equal(topDeviceOf('net1', { bridged: false, bonding: 'bond0' }), 'bond0');
  assert.equal(netmaskToPrefix('255.255.255.0'), 24);
  assert.equal(netmaskToPrefix('255.255.255.255'), 32);
  assert.equal(netmaskToPrefix('0.0.0.0'), 0);
  assert.equal(netmaskToPrefix('255.0.255.0'), undefined);
  // The layout cannot go on without a prefix: it throws, naming the network and the mask.
  const bad = canonicalize({ networks: { net1: { nic: 'eth1', ipaddr: '10.0.0.5', netmask: '255.255.255.0' } } });
  assert.equal(layoutOf(bad).tops.get('net1')?.ipv4, '10.0.0.5/24');
  bad.networks.net1!.netmask = '255.0.255.0';
  assert.throws(() => layoutOf(bad), /network net1: netmask 255\.0\.255\.0 is not a netmask/);
  bad.networks.net1!.netmask = '255.255.255.000'; // the old copy's Number() parse took this as /24
  assert.throws(() => layoutOf(bad), /network net1: netmask 255\.255\.255\.000/);
});

test('read-back comparison: differences named; a DHCP network waiting for its lease is not one', () => {
  const want = canonicalize({ networks: { a: { mtu: 9000 }, d: { bootproto: 'dhcp', defaultRoute: true } }, bondings: { bond1: { nics: ['eth1'] } } });
  const kernel = structuredClone(want);
  assert.deepEqual(readBackDifferences(kernel, want), []);
  kernel.networks.a!.mtu = 1500;
  kernel.networks.d!.bootproto = 'none';
  kernel.networks.d!.defaultRoute = false;
  delete kernel.bondings.bond1;
  assert.deepEqual(readBackDifferences(kernel, want), ['network a: mtu is 1500, expected 9000', 'bond bond1 is missing']);
});
