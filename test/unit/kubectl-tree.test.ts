// `kubectl onn tree`: the device stack drawn from the status an agent reports about the captured
// hosts (reported-fixtures.ts), checked line by line and against `show --tree` of the same host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readReported } from '../../src/kubectl/reported.js';
import { renderStatusTree } from '../../src/kubectl/tree.js';
import { assembleHostState } from '../../src/observe/parse.js';
import { renderTree } from '../../src/observe/tree.js';
import { loadDumps, loadRunning, type FixtureName } from './observe-fixtures.js';
import { reportedObject, type ReportedOptions } from './reported-fixtures.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLldpNeighbors } from '../../src/observe/lldp.js';

function tree(name: FixtureName, o: ReportedOptions = {}, only?: string): string {
  const r = readReported(reportedObject(name, o));
  return renderStatusTree(r.capabilities!, r.statistics, only !== undefined ? { interface: only } : {});
}

test('VM host: bond -> slaves (the active one marked) -> VLAN -> bridge -> network, with state, MTU, speed and addresses', () => {
  const lines = tree('vm').trimEnd().split('\n');
  const i = lines.indexOf('b4fx  bond lacp_rate=1 mode=4  up  mtu 1500  20000Mb/s');
  assert.ok(i >= 0, lines.join('\n'));
  assert.deepEqual(lines.slice(i + 1, i + 5), [
    '├── v4afx  nic  up  mtu 1500  10000Mb/s  (slave)',
    '├── v4bfx  nic  up  mtu 1500  10000Mb/s  (slave)',
    '└── b4fx.100  vlan 100  up  mtu 1500',
    '    └── ndfx  bridge stp off  up  mtu 1500  10.77.0.178/24 (dhcp), fd00:77::1e2/128  default via 10.77.0.1  gateway fe80::c21:cff:fe48:2525  [network ndfx]',
  ]);
  const j = lines.indexOf('bafx  bond miimon=100 mode=1  up  mtu 9000');
  assert.deepEqual(lines.slice(j + 1, j + 4), [
    '├── da1fx  nic  up  mtu 9000  (slave, active)',
    '├── da2fx  nic  up  mtu 9000  (slave)',
    // A network's source-routing gateway is not the host's default route.
    '└── bafx.200  vlan 200  up  mtu 9000  10.78.0.2/24, fd00:78::2/64  gateway 10.78.0.1  gateway fd00:78::1  [network nsfx]',
  ]);
  assert.ok(lines.includes('nnfx  bridge stp on  down  mtu 1500  [network nnfx]'), 'a nicless bridge is a root');
  assert.ok(!lines.some((l) => /^lo\b/.test(l) || l.includes('other interfaces')), 'loopback is no part of a stack');
});

test('state comes from statistics: a slave whose link went down shows down; without statistics it is unknown', () => {
  const down = tree('vm', { between: (h) => { h.links.v4bfx!.operstate = 'down'; } });
  assert.match(down, /^├── v4bfx {2}nic {2}down {2}mtu 1500/m);
  const r = readReported(reportedObject('vm'));
  assert.match(renderStatusTree(r.capabilities!, undefined), /^├── v4afx {2}nic {2}state unknown {2}mtu 1500/m);
});

test('a bridge sits above its port; devices capabilities do not list are named with their state', () => {
  const out = tree('netns');
  assert.match(out, /^e1 {2}nic {2}up {2}mtu 1500 {2}10000Mb\/s\n└── net1 {2}bridge stp off {2}up {2}mtu 1500 {2}10\.66\.0\.2\/24, fd00:66::2\/64 {2}default via 10\.66\.0\.1 {2}gateway fd00:66::1 {2}\[network net1\]$/m);
  assert.match(out, /^e2 {2}nic {2}up {2}mtu 1400 {2}10000Mb\/s {2}10\.67\.0\.2\/25 {2}\[network net2\]$/m);
  assert.match(out, /^other interfaces \(in statistics only, not placed in the stack\): mv0 up$/m);
  assert.equal(tree('nic-rule').trimEnd().split('\n').at(-1), 'other interfaces (in statistics only, not placed in the stack): wwan0 down, vnet0 up, mv0 up');
});

test('--interface keeps the stacks containing the device; an unknown one draws nothing', () => {
  assert.deepEqual(tree('vm', {}, 'b4fx.100').trimEnd().split('\n').map((l) => l.match(/^[\s│├└─]*\S+/)![0]), ['b4fx', '├── v4afx', '├── v4bfx', '└── b4fx.100', '    └── ndfx']);
  assert.equal(tree('netns', {}, 'mv0'), 'other interfaces (in statistics only, not placed in the stack): mv0 up\n');
  assert.equal(tree('vm', {}, 'nope'), '');
});

test('the same stacks as `show --tree` draws from the host itself: roots in order, networks on the same devices', () => {
  for (const name of ['vm', 'netns', 'ns-node', 'nic-rule'] as const) {
    const fromStatus = tree(name);
    const fromHost = renderTree(assembleHostState(loadDumps(name), 1), loadRunning(name));
    const marks = (t: string) => t.split('\n').flatMap((l) => [...l.matchAll(/\[network (\S+)\]/g)].map((m) => `${l.replace(/^[│├└─\s]+/, '').split('  ')[0]}:${m[1]}`)).sort();
    assert.deepEqual(marks(fromStatus), marks(fromHost), name);
    assert.ok(marks(fromStatus).length === Object.keys(loadRunning(name).networks).length, `${name}: every network is marked`);
    // Root devices: the host's, less the kinds capabilities do not list (macvlan, raw IP, untyped).
    const roots = (t: string) => t.split('\n').filter((l) => l !== '' && !/^[│├└ ]/.test(l) && !l.startsWith('other interfaces')).map((l) => l.split('  ')[0]);
    const listed = new Set(roots(fromStatus));
    assert.deepEqual(roots(fromHost).filter((n) => listed.has(n!)), roots(fromStatus), name);
  }
});

test('a hostile node cannot reach the terminal: every code unit 0–255 (and C1, bidi) in names and text is printed escaped', () => {
  const r = readReported(reportedObject('vm'));
  const caps = r.capabilities!;
  const nic = Object.keys(caps.nics)[0]!;
  // Code units a terminal would act on or that would reorder the line.
  const units = [...Array.from({ length: 256 }, (_, i) => i), 0x202e, 0x2066, 0x200f];
  const unsafe = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  for (const c of units) {
    const ch = String.fromCharCode(c);
    const name = `n${ch}x`;
    const info = { ...caps.nics[nic]!, ipv4addrs: [`10.0.0.1/24${ch}`], gateway: `10.0.0.254${ch}` };
    const hostile = {
      ...caps,
      nics: { ...caps.nics, [name]: info },
      networks: { ...caps.networks, [`net${ch}`]: { ...Object.values(caps.networks)[0]!, iface: name } },
    };
    const stats = { ...r.statistics, [name]: { ...r.statistics![nic]!, name, state: `up${ch}` }, [`other${ch}`]: { ...r.statistics![nic]!, name: `other${ch}`, state: `down${ch}` } };
    const out = renderStatusTree(hostile, stats);
    assert.doesNotMatch(out, unsafe, `U+${c.toString(16).padStart(4, '0')} reached the output`);
    if (c >= 0x21 && c < 0x7f && c !== 0x22 && c !== 0x5c) assert.ok(out.includes(name), `printable ${ch} is shown as it is`);
  }
});

test("a NIC's line names the switch and port its LLDP neighbor announces, escaped (the switch writes them)", () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const fixture = (f: string) => readFileSync(join(here, '..', '..', '..', 'test', 'fixtures', 'lldp', f), 'utf8');
  const heard = parseLldpNeighbors(fixture('lab-switch.json0'), ['eth1'], new Set(['eth1']));
  const hostile = parseLldpNeighbors(fixture('hostile-switch.json0'), ['eth1'], new Set(['eth1']));
  const obj = reportedObject('vm');
  obj.status = { ...obj.status, lldp: { v4afx: heard.eth1!, v4bfx: hostile.eth1!, b4fx: heard.eth1! } };
  const r = readReported(obj);
  const lines = renderStatusTree(r.capabilities!, r.statistics, { lldp: r.lldp! }).split('\n');
  assert.ok(lines.includes('├── v4afx  nic  up  mtu 1500  10000Mb/s  switch lab-switch port ns-node-1 eth1  (slave)'), lines.join('\n'));
  const evil = lines.find((l) => l.includes('v4bfx'))!;
  assert.match(evil, /switch "evil\\u001b\[31mred\\u0007\\u007f\\u009b2J\\u202eRLO" port "__proto__\\u0009constructor"/);
  assert.equal(/[\u0000-\u001f\u007f-\u009f\u202e]/.test(evil), false, 'no control character reaches the terminal');
  // A bond is no NIC: its line names no switch (its slaves' do).
  assert.ok(!lines.find((l) => l.startsWith('b4fx'))!.includes('switch'));
  // A malformed lldp is an error naming the field, not an empty tree.
  obj.status = { ...obj.status, lldp: { v4afx: { enabled: 'yes', tlvs: [] } } };
  assert.throws(() => readReported(obj), /status\.lldp\.v4afx\.enabled/);
});
