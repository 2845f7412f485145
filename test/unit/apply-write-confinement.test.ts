// Writes confined where they are made (src/apply/kernel.ts): whatever built the op (a compiled
// plan, a journal read back), only an option file of a device's own sysfs directory or one of
// its IPv6 sysctls is written; every hostile key and device name is refused before any I/O.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confinedWritePath, runOps } from '../../src/apply/kernel.js';
import { DhcpSupervisor } from '../../src/apply/dhcp.js';
import { IpBatch } from '../../src/apply/ipbatch.js';

const HOSTILE = [
  ...Object.getOwnPropertyNames(Object.prototype), '..', '.', '', '/', '../../../../tmp/x', 'a/b', 'x\0y', '\0', ' ', 'a b', 'A', '1x',
  ...Array.from({ length: 256 }, (_, i) => `k${String.fromCharCode(i)}`).filter((k) => !/^k[a-z0-9_]$/.test(k)),
];

test('the option files of a device\'s own directories are allowed', () => {
  for (const p of ['/sys/class/net/bond1/bonding/miimon', '/sys/class/net/br0/bridge/forward_delay', '/proc/sys/net/ipv6/conf/eth1/accept_ra']) assert.equal(confinedWritePath(p), p);
});

test('every hostile key or device name is refused', () => {
  // A plain lowercase name ("constructor", "valueOf" lowered) stays inside the device's directory:
  // confinement is about the path; membership of the option tables is checked on load (persist).
  for (const k of HOSTILE.filter((x) => !/^[a-z][a-z0-9_]*$/.test(x))) {
    for (const p of [`/sys/class/net/bond1/bonding/${k}`, `/sys/class/net/br0/bridge/${k}`, `/proc/sys/net/ipv6/conf/eth1/${k}`]) assert.throws(() => confinedWritePath(p), /refusing to write/, JSON.stringify(p));
  }
  for (const d of ['..', '.', '', 'a/b', 'x\0y', 'a b', 'x'.repeat(16)]) assert.throws(() => confinedWritePath(`/sys/class/net/${d}/bridge/forward_delay`), /refusing to write/, JSON.stringify(d));
  for (const p of ['/tmp/x', '/etc/passwd', '/sys/class/net/br0/address', '/sys/class/net/br0/bridge/../../../../tmp/x', '/proc/sys/net/ipv4/ip_forward']) assert.throws(() => confinedWritePath(p), /refusing to write/, p);
});

test('a journal-made write op that climbs out is refused by runOps, and nothing is written', async () => {
  const io = { dhcp: new DhcpSupervisor('/nonexistent-ovnh-state'), ip: new IpBatch() };
  const f = await runOps([{ kind: 'write', path: '/sys/class/net/br0/bridge/../../../../../tmp/ovnh-confine-x', value: '1' }], io);
  assert.equal(f.length, 1);
  assert.match(f[0]!.message, /refusing to write/);
  await assert.rejects(import('node:fs/promises').then((m) => m.stat('/tmp/ovnh-confine-x')), { code: 'ENOENT' });
});
