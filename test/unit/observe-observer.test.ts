// HostObserver's cache, against a fake executor serving the VM fixture as the "kernel".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devicesOf } from '../../src/model/layout.js';
import { HostObserver, SYSFS_SCRIPT, SYSFS_TARGETED_SCRIPT, type Executor } from '../../src/observe/host.js';
import { assembleHostState } from '../../src/observe/parse.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';

interface Call { kind: 'ip' | 'full' | 'targeted'; input?: string }

/** A kernel made of the fixture's dumps; `files` answers targeted reads by absolute path. */
function fakeKernel() {
  const d = loadDumps('vm');
  const state = { links: d.links };
  const files = new Map<string, string[]>();
  const base: string[] = [];
  for (const line of d.sys.split('\n')) {
    const colon = line.indexOf(':');
    if (line.startsWith('@') || colon < 0) { base.push(line); continue; }
    const path = line.slice(0, colon);
    const abs = path.startsWith('/') ? path : `/sys/class/net/${path}`;
    if (abs.startsWith('/etc/') || abs.startsWith('/proc/net/bonding/') || abs.includes('/bonding/')) { base.push(line); continue; }
    const key = abs.replace(/\/bridge\/[^/]+$/, '/bridge');
    files.set(key, [...(files.get(key) ?? []), `${abs}:${line.slice(colon + 1)}`]);
  }
  const calls: Call[] = [];
  const exec: Executor = async (argv, opts) => {
    const joined = argv.join(' ');
    if (argv.includes('-batch')) {
      calls.push({ kind: 'ip', input: opts?.input ?? '' });
      return { stdout: `${state.links}\n${d.routes4}\n${d.routes6}\n`, stderr: '', code: 0 };
    }
    if (joined.includes(SYSFS_SCRIPT)) { calls.push({ kind: 'full' }); return { stdout: d.sys, stderr: '', code: 0 }; }
    assert.ok(joined.includes(SYSFS_TARGETED_SCRIPT));
    calls.push({ kind: 'targeted', input: opts?.input ?? '' });
    const out = [...base];
    for (const p of (opts?.input ?? '').split('\n').filter(Boolean)) out.push(...(files.get(p) ?? []));
    return { stdout: out.join('\n'), stderr: '', code: 0 };
  };
  return { exec, calls, state, files };
}

const strip = (h: ReturnType<typeof assembleHostState>) => ({ ...h, sampleTime: 0 });

test('first pass reads everything; later passes read only owned devices and known bridges, and agree', async () => {
  const k = fakeKernel();
  const running = loadRunning('vm');
  const obs = new HostObserver({ exec: k.exec, maxAgeMs: 3_600_000 });
  const cold = await obs.observe(running);
  assert.deepEqual(k.calls.map((c) => c.kind).sort(), ['full', 'ip'], 'two processes: the ip batch and the script');
  assert.deepEqual(k.calls.find((c) => c.kind === 'ip')!.input!.split('\n').filter(Boolean), ['addr show', 'route show table all exact 0.0.0.0/0', 'route show table all exact ::/0']);
  assert.deepEqual(strip(cold), strip(assembleHostState(loadDumps('vm'), 0)));
  k.calls.length = 0;
  const warm = await obs.observe(running);
  const targeted = k.calls.filter((c) => c.kind === 'targeted');
  assert.equal(targeted.length, 1, 'no second read when nothing changed');
  const asked = targeted[0]!.input!.split('\n').filter(Boolean);
  const devs = new Set(asked.filter((p) => p.endsWith('/speed')).map((p) => p.split('/')[4]));
  assert.deepEqual([...devs].sort(), [...devicesOf(running)].sort());
  assert.ok(asked.includes('/sys/class/net/ndfx/bridge') && asked.includes('/sys/class/net/nnfx/bridge'));
  assert.ok(!asked.some((p) => p.includes('/eth1/')), 'unowned, unchanged devices come from the cache');
  assert.deepEqual(strip(warm), strip(cold));
});

test('a changed or new device is read in the same pass; expired facts are read again', async () => {
  const k = fakeKernel();
  const obs = new HostObserver({ exec: k.exec, maxAgeMs: 3_600_000 });
  await obs.observe();
  // eth1 changes MTU; a device that was never seen appears (served from eth2's files).
  const links = JSON.parse(k.state.links) as Record<string, unknown>[];
  const eth1 = links.find((l) => l.ifname === 'eth1')!;
  eth1.mtu = 1400;
  const added = { ...links.find((l) => l.ifname === 'eth2')!, ifname: 'ethnew', ifindex: 999 };
  k.state.links = JSON.stringify([...links, added]);
  for (const [p, lines] of [...k.files]) {
    if (p.includes('/eth2/') || p.endsWith('/eth2')) k.files.set(p.replace('eth2', 'ethnew'), lines.map((l) => l.replace('/eth2/', '/ethnew/')));
  }
  k.calls.length = 0;
  const h = await obs.observe();
  const targeted = k.calls.filter((c) => c.kind === 'targeted');
  assert.equal(targeted.length, 2, 'the pass itself plus one read of what the dump revealed');
  assert.match(targeted[1]!.input!, /\/sys\/class\/net\/eth1\/speed\n/);
  assert.match(targeted[1]!.input!, /\/sys\/class\/net\/ethnew\/speed\n/);
  assert.doesNotMatch(targeted[1]!.input!, /\/eth2\//);
  assert.equal(h.links.ethnew!.speed, 10000);
  assert.equal(h.links.ethnew!.ipv6?.autoconf, true);
  assert.equal(h.links.eth1!.mtu, 1400);

  const expiring = new HostObserver({ exec: k.exec, maxAgeMs: 0 });
  await expiring.observe();
  k.calls.length = 0;
  await expiring.observe();
  const again = k.calls.filter((c) => c.kind === 'targeted');
  assert.equal(again.length, 1);
  assert.match(again[0]!.input!, /\/sys\/class\/net\/eth2\/speed\n/);
});

test('devicesOf: bridges, southbounds, VLAN devices, bonds and their nics', () => {
  assert.deepEqual([...devicesOf(loadRunning('vm'))].sort(), ['b4fx', 'b4fx.100', 'bafx', 'bafx.200', 'da1fx', 'da2fx', 'ndfx', 'nnfx', 'v4afx', 'v4bfx']);
});
