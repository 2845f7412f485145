import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNic, readHostFacts } from '../../src/plan/host-facts.js';
import { resolvNameservers } from '../../src/util/resolv.js';

/** A fake /sys/class/net: name -> [type, DEVTYPE or '', has device link, bridge dir, bond slaves]. */
async function fakeSys(root: string, devs: Record<string, [string, string, boolean, boolean, string[] | undefined]>): Promise<void> {
  for (const [name, [type, devtype, device, bridge, slaves]] of Object.entries(devs)) {
    const d = join(root, name);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'type'), `${type}\n`);
    await writeFile(join(d, 'uevent'), `INTERFACE=${name}\n${devtype ? `DEVTYPE=${devtype}\n` : ''}IFINDEX=1\n`);
    if (device) await symlink('/', join(d, 'device'));
    if (bridge) await mkdir(join(d, 'bridge'));
    if (slaves) {
      await mkdir(join(d, 'bonding'));
      await writeFile(join(d, 'bonding', 'slaves'), `${slaves.join(' ')}\n`);
    }
  }
  await writeFile(join(root, 'bonding_masters'), 'bond0\n');
}

test('NICs: hardware and untyped Ethernet devices; not bridges, bonds, VLANs or loopback', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-sys-'));
  try {
    await fakeSys(join(dir, 'net'), {
      eth0: ['1', '', true, false, undefined],
      veth1: ['1', '', false, false, undefined],
      dummy0: ['1', '', false, false, undefined],
      lo: ['772', '', false, false, undefined],
      br0: ['1', 'bridge', false, true, undefined],
      bond0: ['1', 'bond', false, false, ['eth2', 'eth1']],
      eth1: ['1', '', true, false, undefined],
      eth2: ['1', '', true, false, undefined],
      'eth1.10': ['1', 'vlan', false, false, undefined],
      wlan0: ['1', 'wlan', true, false, undefined],
    });
    await writeFile(join(dir, 'resolv.conf'), '# comment\nsearch example\nnameserver 10.0.0.53\nnameserver 2001:db8::53\n');
    const facts = await readHostFacts({ sysClassNet: join(dir, 'net'), resolvConf: join(dir, 'resolv.conf') });
    assert.deepEqual(facts, {
      nics: ['dummy0', 'eth0', 'eth1', 'eth2', 'veth1', 'wlan0'],
      bonds: { bond0: ['eth1', 'eth2'] },
      nameservers: ['10.0.0.53', '2001:db8::53'],
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('no sysfs, no resolv.conf: nothing known', async () => {
  assert.deepEqual(await readHostFacts({ sysClassNet: '/nonexistent/net', resolvConf: '/nonexistent/resolv.conf' }), { nics: [], bonds: {}, nameservers: [] });
});

test('the NIC rule and resolv.conf parsing', () => {
  assert.equal(isNic({ type: '1\n', uevent: 'INTERFACE=x\n', hasDevice: false, isBridge: false, isBond: false }), true);
  assert.equal(isNic({ type: '1\n', uevent: 'DEVTYPE=vlan\n', hasDevice: false, isBridge: false, isBond: false }), false);
  assert.equal(isNic({ type: '772\n', uevent: '', hasDevice: false, isBridge: false, isBond: false }), false);
  assert.deepEqual(resolvNameservers('nameserver 1.1.1.1\n  nameserver   8.8.8.8 # x\n#nameserver 9.9.9.9\noptions ndots:2'), ['1.1.1.1', '8.8.8.8']);
});
