// The sysfs/procfs read in this process (src/observe/sysfs.ts readSysLocal) against what the
// script printed on real kernels (the fixtures): the fixture's files are laid out under a
// temporary root, read back, and must parse to the same facts as the script's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseSysDump } from '../../src/observe/parse.js';
import { FULL_READ, readSysLocal, TARGETED_READ, TRANSACTION_READ } from '../../src/observe/sysfs.js';
import { loadDumps, type FixtureName } from './observe-fixtures.js';

const RESOLV = '/etc/resolv.conf';

/** The files a script output came from, under a new root (bonding_masters and the IPv6 marker rebuilt from what it shows). */
function layOut(sys: string): string {
  const root = mkdtempSync(join(tmpdir(), 'ovnh-sysfs-'));
  const file = (p: string, line?: string) => {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    if (line === undefined) writeFileSync(join(root, p), '');
    else appendFileSync(join(root, p), `${line}\n`);
  };
  const bonds = new Set<string>();
  mkdirSync(join(root, 'sys/class/net'), { recursive: true });
  for (const line of sys.split('\n')) {
    if (line === '@virtual-listed') mkdirSync(join(root, 'sys/devices/virtual/net'), { recursive: true });
    else if (line.startsWith('@virtual ')) mkdirSync(join(root, 'sys/devices/virtual/net', line.slice(9)), { recursive: true });
    else if (line === '@ipv6') file('/proc/net/if_inet6');
    else if (line.includes(':')) {
      const colon = line.indexOf(':');
      const path = line.slice(0, colon);
      const abs = path.startsWith('/') ? path : `/sys/class/net/${path}`;
      const bond = /^\/sys\/class\/net\/([^/]+)\/bonding\//.exec(abs);
      if (bond) bonds.add(bond[1]!);
      file(abs, line.slice(colon + 1));
    }
  }
  if (bonds.size) file('/sys/class/net/bonding_masters', [...bonds].join(' '));
  return root;
}

const facts = (text: string) => parseSysDump(text, RESOLV);

for (const name of ['vm', 'netns', 'ns-node', 'nic-rule'] satisfies FixtureName[]) {
  test(`${name}: everything read in this process parses as the script's output`, () => {
    const sys = loadDumps(name).sys;
    const root = layOut(sys);
    try {
      assert.deepEqual(facts(readSysLocal(FULL_READ, [], RESOLV, root)), facts(sys));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('a targeted read has the base and exactly the listed files and folders; a transaction read adds every device\'s IPv6 sysctls', () => {
  const sys = loadDumps('vm').sys;
  const all = facts(sys);
  const root = layOut(sys);
  try {
    const listed = ['/sys/class/net/eth1/speed', '/proc/sys/net/ipv6/conf/eth1/autoconf', '/sys/class/net/ndfx/bridge', '/sys/class/net/nnfx/bridge/stp_state'];
    const t = facts(readSysLocal(TARGETED_READ, listed, RESOLV, root));
    assert.deepEqual(t.speed, { eth1: all.speed.eth1 });
    assert.deepEqual(t.ipv6conf, { eth1: { autoconf: all.ipv6conf.eth1!.autoconf! } });
    assert.deepEqual(t.bridge, { ndfx: all.bridge.ndfx, nnfx: { stp_state: all.bridge.nnfx!.stp_state! } });
    // The base: bonds, /proc/net/bonding, hardware listing, IPv6, resolv.conf.
    assert.deepEqual([t.bonding, t.procBonding, t.virtual, t.supportsIPv6, t.nameservers], [all.bonding, all.procBonding, all.virtual, all.supportsIPv6, all.nameservers]);
    const tx = facts(readSysLocal(TRANSACTION_READ, ['/sys/class/net/nnfx/bridge/stp_state'], RESOLV, root));
    assert.deepEqual(tx.ipv6conf, all.ipv6conf);
    assert.deepEqual(tx.speed, {});
    assert.deepEqual(tx.bridge, { nnfx: { stp_state: all.bridge.nnfx!.stp_state! } });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('no /sys/class/net: only the sysctls, as the script (which stops at its cd) prints them', () => {
  const root = mkdtempSync(join(tmpdir(), 'ovnh-sysfs-'));
  try {
    mkdirSync(join(root, 'proc/sys/net/ipv6/conf/lo'), { recursive: true });
    writeFileSync(join(root, 'proc/sys/net/ipv6/conf/lo/autoconf'), '1\n');
    assert.equal(readSysLocal(FULL_READ, [], RESOLV, root), '/proc/sys/net/ipv6/conf/lo/autoconf:1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
