import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleHostState } from '../../src/observe/parse.js';
import { renderTree } from '../../src/observe/tree.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';

test('tree: nic -> bond -> vlan -> bridge -> network, with addresses', () => {
  const out = renderTree(assembleHostState(loadDumps('vm'), 1), loadRunning('vm'));
  const lines = out.trimEnd().split('\n');
  const i = lines.findIndex((l) => l.startsWith('b4fx  bond lacp_rate=1 mode=4'));
  assert.ok(i >= 0, out);
  assert.match(lines[i + 1]!, /^├── v4afx {2}nic \(veth\).*\(slave\)$/);
  assert.match(lines[i + 2]!, /^├── v4bfx {2}nic \(veth\).*\(slave\)$/);
  assert.match(lines[i + 3]!, /^└── b4fx\.100 {2}vlan 100/);
  assert.match(lines[i + 4]!, /^ {4}└── ndfx {2}bridge stp off .*10\.77\.0\.\d+\/24 \(dhcp\).*default via 10\.77\.0\.1.*\[network ndfx\]$/);
  assert.ok(lines.some((l) => /^└── bafx\.200 {2}vlan 200 .*mtu 9000 .*10\.78\.0\.2\/24, fd00:78::2\/64 {2}\[network nsfx\]$/.test(l)), out);
  assert.ok(lines.some((l) => /^nnfx {2}bridge stp on {2}down .*\[network nnfx\]$/.test(l)), out);
  assert.ok(!lines.some((l) => l.startsWith('lo ')));
});

test('tree: macvlan under its nic, bridge under its port; --interface keeps matching stacks', () => {
  const h = assembleHostState(loadDumps('netns'), 1);
  const out = renderTree(h, loadRunning('netns'));
  assert.match(out, /^e2 .*\[network net2\]\n└── mv0 {2}macvlan .*10\.67\.0\.3\/25$/m);
  assert.match(out, /^e1 .*\n└── net1 {2}bridge stp off .*\[network net1\]$/m);
  const only = renderTree(h, loadRunning('netns'), { interface: 'mv0' });
  assert.equal(only.trimEnd().split('\n').length, 2);
  assert.equal(renderTree(h, loadRunning('netns'), { interface: 'nope' }), '');
});
