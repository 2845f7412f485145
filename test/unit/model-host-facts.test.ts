// What validation knows about the node: the projection of the one HostState, read by the one
// reader (observeHost, here against a fake executor serving fixture dumps), with the one NIC rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilities } from '../../src/observe/capabilities.js';
import { observeHost, type Executor } from '../../src/observe/host.js';
import { assembleHostState, type Dumps } from '../../src/observe/parse.js';
import { validationFacts, validationFactsFromCapabilities } from '../../src/model/host-facts.js';
import { resolvNameservers } from '../../src/util/resolv.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';

/** A kernel answering the reader's two commands from dumps; records the sysfs script's argv. */
function fakeKernel(d: Dumps) {
  const scripts: (readonly string[])[] = [];
  const exec: Executor = async (argv) => {
    if (argv.includes('-batch')) return { stdout: [d.links, d.routes4, d.routes6].map((t) => t || '[]').join('\n') + '\n', stderr: '', code: 0 };
    scripts.push(argv);
    return { stdout: d.sys, stderr: '', code: 0 };
  };
  return { exec, scripts };
}

test('NICs: hardware Ethernet, veth and dummy; not bridges, bonds, VLANs or loopback; bonds with slaves and mode; resolvers', async () => {
  // The fixture's resolv.conf lines, as the script prints them for another path.
  const d = loadDumps('nic-rule');
  const k = fakeKernel({ ...d, sys: d.sys.replaceAll('/etc/resolv.conf:', '/run/test/resolv.conf:') });
  const facts = validationFacts(await observeHost({ exec: k.exec, resolvConf: '/run/test/resolv.conf' }));
  assert.deepEqual(facts, {
    nics: ['dummy0', 'eth0', 'eth1', 'eth2', 'veth1', 'wlan0'],
    bonds: { bond0: ['eth1', 'eth2'] },
    bondModes: { bond0: 1 },
    nameservers: ['10.0.0.53', '2001:db8::53'],
  });
  assert.equal(k.scripts.length, 1);
  assert.equal(k.scripts[0]!.at(-1), '/run/test/resolv.conf', 'the script is told which resolv.conf to read');
});

test('no devices, no resolv.conf: nothing known', async () => {
  const k = fakeKernel({ links: '', routes4: '', routes6: '', sys: '' });
  assert.deepEqual(validationFacts(await observeHost({ exec: k.exec, resolvConf: '/nonexistent/resolv.conf' })), { nics: [], bonds: {}, nameservers: [] });
});

// The two rules this one replaces disagreed. The sysfs rule (an Ethernet type, and a device
// link or no DEVTYPE in uevent) took a macvlan for a NIC: macvlan sets no DEVTYPE. The
// rtnetlink-kind rule took any hardware for one, whatever its link type.
test('the NIC rule where the old rules disagreed: a macvlan (real kernel), a raw-IP modem, an untyped virtual device', () => {
  const ns = assembleHostState(loadDumps('netns'), 1);
  assert.equal(ns.links.mv0!.kind, 'macvlan');
  assert.equal(ns.links.mv0!.linkType, 'ether');
  assert.equal(ns.links.mv0!.hasDevice, false);
  assert.deepEqual(validationFacts(ns).nics, ['e1', 'e2', 'e3']);

  const h = assembleHostState(loadDumps('nic-rule'), 1);
  assert.equal(h.links.wwan0!.hasDevice, true);
  assert.equal(h.links.wwan0!.linkType, 'none');
  assert.equal(h.links.vnet0!.kind, '');
  assert.equal(h.links.vnet0!.hasDevice, false);
  for (const dev of ['mv0', 'wwan0', 'vnet0']) assert.ok(!validationFacts(h).nics.includes(dev), dev);

  // Status reports the NICs validation accepts: one rule.
  for (const [host, running] of [[ns, loadRunning('netns')], [h, loadRunning('nic-rule')], [assembleHostState(loadDumps('vm'), 1), loadRunning('vm')]] as const) {
    assert.deepEqual(Object.keys(capabilities(host, running).nics).sort(), validationFacts(host).nics);
  }
});

test('resolv.conf parsing', () => {
  assert.deepEqual(resolvNameservers('nameserver 1.1.1.1\n  nameserver   8.8.8.8 # x\n#nameserver 9.9.9.9\noptions ndots:2'), ['1.1.1.1', '8.8.8.8']);
});

test('the same facts from a node\'s reported capabilities as from its host (the kubectl plugin validates with them)', () => {
  for (const name of ['nic-rule', 'vm', 'netns', 'ns-node'] as const) {
    const host = assembleHostState(loadDumps(name), 1);
    const facts = validationFactsFromCapabilities(capabilities(host, loadRunning(name)));
    assert.deepEqual(facts, validationFacts(host), name);
    assert.ok(facts.nics.length > 0, name);
  }
});
