// The reader's two processes (host.ts): the one `ip -batch` of links and routes, split back into
// its dumps, and a transaction's read, which asks the script for every device's IPv6 sysctls but
// of the other per-device files only those kernelConfig of its config reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { ipDumpInput, observeForTransaction, observeHost, SYSFS_TRANSACTION_SCRIPT, type Executor } from '../../src/observe/host.js';
import { kernelConfig, kernelConfigFiles } from '../../src/observe/kernel-config.js';
import { parseRouteDump, splitIpDumps } from '../../src/observe/parse.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';

test('the ip batch dumps links, then IPv4 and IPv6 routes, selected by prefix (every route, or the default ones)', () => {
  assert.deepEqual(ipDumpInput('all').trim().split('\n'), ['addr show', 'route show table all root 0.0.0.0/0', 'route show table all root ::/0']);
  assert.deepEqual(ipDumpInput('default').trim().split('\n'), ['addr show', 'route show table all exact 0.0.0.0/0', 'route show table all exact ::/0']);
});

test('the batch output splits into its three dumps; anything else is an error, not a wrong host', () => {
  const d = loadDumps('vm');
  const one = (t: string) => t.trim();
  const split = splitIpDumps(`${one(d.links)}\n${one(d.routes4)}\n${one(d.routes6)}\n`);
  assert.deepEqual(split, { links: one(d.links), routes4: one(d.routes4), routes6: one(d.routes6) });
  assert.deepEqual(splitIpDumps('[]\n[]\n[]'), { links: '[]', routes4: '[]', routes6: '[]' });
  assert.throws(() => splitIpDumps('[]\n[]\n'), /expected 3 JSON arrays/);
  assert.throws(() => splitIpDumps('[]\nRTNETLINK answers: x\n[]\n'), /expected 3 JSON arrays/);
});

test('routes: the default protocol reads as absent, as plain `ip` prints it (the batch runs with -details)', () => {
  const [detailed] = parseRouteDump('[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","protocol":"boot","type":"unicast","table":"main"}]', 4);
  const [plain] = parseRouteDump('[{"dst":"default","gateway":"192.0.2.1","dev":"eth0"}]', 4);
  assert.deepEqual(detailed, plain);
  assert.equal(parseRouteDump('[{"dst":"default","dev":"eth0","protocol":"static"}]', 4)[0]?.protocol, 'static');
});

test('kernelConfig of a config reads, per bridged network, stp_state and the options it names; nothing of other devices', () => {
  const cfg = canonicalize({ networks: { br1: { bridgeOpts: 'forward_delay=700 multicast_snooping=0' }, nic1: { nic: 'eth1', bridged: false } }, bondings: {} });
  assert.deepEqual(kernelConfigFiles(cfg).sort(), [
    '/sys/class/net/br1/bridge/forward_delay', '/sys/class/net/br1/bridge/multicast_snooping', '/sys/class/net/br1/bridge/stp_state',
  ]);
});

test('a transaction reads the files asked for with the transaction script; kernelConfig reads the same from it', async () => {
  const d = loadDumps('vm');
  const calls: { argv: readonly string[]; input: string }[] = [];
  // The VM fixture's sysfs dump answers every file: what the transaction reads is what it asked.
  const exec: Executor = async (argv, o) => {
    calls.push({ argv, input: o?.input ?? '' });
    if (argv.includes('-batch')) return { stdout: `${d.links}\n${d.routes4}\n${d.routes6}\n`, stderr: '', code: 0 };
    // The policy rules (a rule of a hand-made table among them): read beside the dumps.
    if (argv.includes('rule')) return { stdout: argv.includes('-6') ? '[]' : '[{"priority":100,"src":"10.0.0.0","srclen":8,"table":"4242"}]', stderr: '', code: 0 };
    const asked = new Set((o?.input ?? '').split('\n').filter(Boolean));
    const kept = d.sys.split('\n').filter((l) => {
      const path = l.slice(0, l.indexOf(':'));
      const abs = path.startsWith('/') ? path : `/sys/class/net/${path}`;
      return !/\/(speed|bridge\/[^/]+)$/.test(abs) || asked.has(abs);
    });
    return { stdout: kept.join('\n'), stderr: '', code: 0 };
  };
  const running = loadRunning('vm');
  const files = kernelConfigFiles(running);
  assert.ok(files.length > 0, 'the fixture has bridged networks');
  const host = await observeForTransaction({ exec, routes: 'all' }, files);
  const sys = calls.find((c) => c.argv.includes(SYSFS_TRANSACTION_SCRIPT));
  assert.ok(sys, 'the transaction script ran');
  assert.deepEqual(sys.input.split('\n').filter(Boolean), files);
  assert.match(calls.find((c) => c.argv.includes('-batch'))!.input, /root 0\.0\.0\.0\/0/);
  assert.equal(Object.values(host.links).filter((l) => l.speed !== undefined).length, 0, 'no speeds');
  assert.deepEqual(host.rules, [{ family: 4, priority: 100, src: '10.0.0.0/8', table: '4242' }]);
  // What kernelConfig reports of the config is the same as from a full read.
  const full = await observeHost({ exec: async (argv, o) => (argv.includes('-batch') ? exec(argv, o) : { stdout: d.sys, stderr: '', code: 0 }), routes: 'all' });
  assert.deepEqual(kernelConfig(host, running), kernelConfig(full, running));
});
