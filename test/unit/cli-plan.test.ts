// The `plan` verb end to end (the built CLI, a host given as the reader's dumps, a temporary state directory).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { saveRunningConfig } from '../../src/persist/running-config.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
let dir = '';

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const all = [MAIN, 'plan', '--host-dumps', join(dir, 'host'), '--resolv-conf', join(dir, 'resolv.conf'), ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, all, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const SEED_OBJECT = `apiVersion: 'ovirt.org/v1alpha1'
kind: OvirtNodeNetwork
metadata:
  name: minishift
spec:
  networks:
    net1:
      bridged: true
      bonding: bond1
      bootproto: dhcp
      defaultRoute: true
  bondings:
    bond1:
      options: 'mode=4 miimon=100'
      nics:
        - eth1
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovnh-cli-plan-'));
  // Two PCI NICs (not listed in /sys/devices/virtual/net), and the resolvers at --resolv-conf.
  const host = join(dir, 'host');
  await mkdir(host, { recursive: true });
  const nic = (ifname: string, ifindex: number) => ({ ifindex, ifname, flags: ['UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', address: `52:54:00:00:00:0${ifindex}`, parentbus: 'pci' });
  await writeFile(join(host, 'links.json'), JSON.stringify([nic('eth0', 2), nic('eth1', 3)]));
  await writeFile(join(host, 'routes4.json'), '[]');
  await writeFile(join(host, 'routes6.json'), '[]');
  await writeFile(join(host, 'sys.txt'), `@virtual-listed\n@virtual lo\n${join(dir, 'resolv.conf')}:nameserver 10.0.0.53\n`);
  await writeFile(join(dir, 'seed.yml'), SEED_OBJECT);
  await writeFile(join(dir, 'bad.yml'), 'networks:\n  net1:\n    nic: eth7\n    vlan: 5000\n    bootproto: static\n');
  await writeFile(join(dir, 'broken.yml'), 'networks: [\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('plan: the seed object against an empty running config', async () => {
  const r = await cli('-f', join(dir, 'seed.yml'), '--state-dir', join(dir, 'empty-state'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 steps against .*running-config\.json:\n\s+1\. add bond bond1: miimon=100 mode=4, slaves eth1\n\s+2\. add network net1: bridged on bond1/);
});

test('plan --json: steps and the desired canonical config', async () => {
  const r = await cli('-f', join(dir, 'seed.yml'), '--state-dir', join(dir, 'empty-state'), '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { steps: { kind: string }[]; desired: { bondings: Record<string, { options: string }> } };
  assert.deepEqual(out.steps.map((s) => s.kind), ['addBond', 'addNetwork']);
  assert.equal(out.desired.bondings.bond1!.options, 'miimon=100 mode=4');
});

test('plan: nothing to do when the running config matches', async () => {
  const state = join(dir, 'state');
  await saveRunningConfig(canonicalize({
    networks: { net1: { bridged: true, bonding: 'bond1', bootproto: 'dhcp', defaultRoute: true } },
    bondings: { bond1: { options: 'mode=4 miimon=100', nics: ['eth1'] } },
  }), state);
  const r = await cli('-f', join(dir, 'seed.yml'), '--state-dir', state);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /nothing to do/);
});

test('plan: every validation error with its path, exit code 1', async () => {
  const r = await cli('-f', join(dir, 'bad.yml'), '--state-dir', join(dir, 'empty-state'));
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /invalid spec: 2 errors/);
  assert.match(r.stderr, /spec\.networks\.net1\.bootproto: must be one of "dhcp", "none"/);
  assert.match(r.stderr, /spec\.networks\.net1\.vlan: must be at most 4094/);
  const j = await cli('-f', join(dir, 'bad.yml'), '--state-dir', join(dir, 'empty-state'), '--json');
  assert.equal(j.code, 1);
  assert.deepEqual((JSON.parse(j.stdout) as { errors: { path: string }[] }).errors.map((e) => e.path), ['spec.networks.net1.bootproto', 'spec.networks.net1.vlan']);
});

test('plan: NICs are checked against the host', async () => {
  await writeFile(join(dir, 'nic.yml'), 'networks:\n  net1:\n    nic: eth7\n');
  const r = await cli('-f', join(dir, 'nic.yml'), '--state-dir', join(dir, 'empty-state'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /spec\.networks\.net1\.nic: NIC eth7 does not exist on the node/);
});

test('plan: unreadable YAML and a missing file are errors', async () => {
  const r = await cli('-f', join(dir, 'broken.yml'), '--state-dir', join(dir, 'empty-state'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /broken\.yml: not YAML or JSON/);
  const m = await cli('-f', join(dir, 'nope.yml'), '--state-dir', join(dir, 'empty-state'));
  assert.equal(m.code, 1);
  assert.match(m.stderr, /ENOENT/);
});

test('plan and apply refuse empty input, several documents and other kinds, and apply leaves the state directory alone', async () => {
  const state = join(dir, 'apply-state');
  await mkdir(state, { recursive: true });
  const cases: [string, RegExp][] = [
    ['', /empty input/],
    ['# only a comment\n', /empty input/],
    ['spec: {}\n---\nspec: {}\n', /2 documents/],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n', /kind: must be OvirtNodeNetwork/],
  ];
  for (const [text, re] of cases) {
    const f = join(dir, 'input.yaml');
    await writeFile(f, text);
    const p = await cli('-f', f, '--state-dir', state);
    assert.equal(p.code, 1, `plan ${JSON.stringify(text)}`);
    assert.match(p.stderr, re);
    // apply runs no kernel operation before its input is a spec: as non-root too, it exits here.
    const a = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [MAIN, 'apply', '-f', f, '--state-dir', state], (err, _o, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }));
    });
    assert.equal(a.code, 1, `apply ${JSON.stringify(text)}`);
    assert.match(a.stderr, re);
  }
  assert.deepEqual(await readdir(state), [], 'nothing written');
});
