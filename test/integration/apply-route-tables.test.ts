// Source-routing tables in the kernel (src/apply/compile/tables.ts), in namespaces of the test's
// own: two networks whose names the old hash gave one table get a table each (routes and rules of
// both families), read back as applied; removing one leaves nothing of it (`ip rule`, `ip route
// show table all`); the same spec again is a no-op.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NetworkSpec } from '../../src/api/spec.js';
import { legacyRouteTable } from '../../src/apply/compile/tables.js';
import { fnv1a32 } from '../../src/util/hash.js';
import { NetnsRig } from './apply-support.js';

const rig = new NetnsRig();
before(async () => rig.up());
after(async () => rig.down());

// Found by the birthday search of test/unit/apply-route-tables.test.ts; checked below.
const [A, B] = ['n7zbboye', 'n6sikh3n'];
const net = (nic: string, i: number): NetworkSpec => ({ nic, ipaddr: `192.0.${i}.10`, prefix: 24, gateway: `192.0.${i}.1`, ipv6addr: `2001:db8:${i}::10/64`, ipv6gateway: `2001:db8:${i}::1` });
const BOTH = { networks: { [A]: net('e1', 1), [B]: net('e2', 2) } };

async function rules(): Promise<string[]> {
  const out: string[] = [];
  for (const f of ['-4', '-6']) {
    for (const r of JSON.parse((await rig.ns('ip', '-json', f, 'rule', 'show')).stdout) as { src?: string; table: string }[]) out.push(`${r.src ?? 'all'} ${r.table}`);
  }
  return out;
}
const routes = async (): Promise<string> => (await rig.ns('ip', 'route', 'show', 'table', 'all')).stdout + (await rig.ns('ip', '-6', 'route', 'show', 'table', 'all')).stdout;

async function applyOk(spec: unknown): Promise<string> {
  const r = await rig.apply(spec);
  assert.equal(r.code, 0, `apply failed: ${r.stderr}`);
  return r.stdout;
}

describe('route tables in the kernel', () => {
  it('the names collide under the old hash', () => {
    assert.equal(fnv1a32(A), fnv1a32(B));
    assert.equal(legacyRouteTable(A), legacyRouteTable(B));
  });

  it('two such networks get distinct tables for their routes and rules, and read back as applied', async () => {
    await applyOk(BOTH);
    const r = await rules();
    const tableOf = (src: string) => r.find((x) => x.startsWith(`${src} `))?.split(' ')[1];
    const [a4, b4, a6, b6] = [tableOf('192.0.1.10'), tableOf('192.0.2.10'), tableOf('2001:db8:1::10'), tableOf('2001:db8:2::10')];
    assert.ok(a4 && b4 && a4 !== b4, r.join('\n'));
    assert.equal(a6, a4);
    assert.equal(b6, b4);
    const all = await routes();
    assert.match(all, new RegExp(`default via 192\\.0\\.1\\.1 dev ${A} table ${a4} proto static`));
    assert.match(all, new RegExp(`default via 192\\.0\\.2\\.1 dev ${B} table ${b4} proto static`));
    const kc = (await rig.show()).kernelConfig as { networks: Record<string, { gateway?: string; ipv6gateway?: string }> };
    assert.equal(kc.networks[A]?.gateway, '192.0.1.1');
    assert.equal(kc.networks[B]?.ipv6gateway, '2001:db8:2::1');
  });

  it('is idempotent: the same spec again changes nothing', async () => {
    assert.match(await applyOk(BOTH), /nothing to do/);
  });

  it('removing one leaves nothing of it: no rule, no route, no table', async () => {
    const before = await rules();
    const aTable = before.find((x) => x.startsWith('192.0.1.10 '))!.split(' ')[1]!;
    const bTable = before.find((x) => x.startsWith('192.0.2.10 '))!.split(' ')[1]!;
    await applyOk({ networks: { [B]: net('e2', 2) } });
    const after = await rules();
    assert.ok(!after.some((x) => x.includes('192.0.1.10') || x.includes('2001:db8:1::10') || x.endsWith(` ${aTable}`)), after.join('\n'));
    const all = await routes();
    assert.ok(!all.includes(`table ${aTable}`), all);
    assert.ok(!all.includes(A), all);
    assert.match(all, new RegExp(`default via 192\\.0\\.2\\.1 dev ${B} table ${bTable} proto static`), 'the other keeps its table');
    assert.match(await applyOk({ networks: { [B]: net('e2', 2) } }), /nothing to do/);
  });
});

describe('restore with a state file it cannot trust', () => {
  it('a hostile option key in running-config.json: refused naming the file and field, nothing written, the file kept', async () => {
    const path = join(rig.stateDir, 'running-config.json');
    const good = await readFile(path, 'utf8');
    const target = join(rig.dir, 'pwned');
    const cfg = JSON.parse(good) as { networks: Record<string, { bridgeOpts?: string }> };
    cfg.networks[B]!.bridgeOpts = `../../../../../../..${target}=1`;
    const hostile = JSON.stringify(cfg);
    await writeFile(path, hostile);
    const before = await rig.observed();
    const r = await rig.cli(['restore', '--state-dir', rig.stateDir, '--dhcp-timeout', '1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a running config \\(networks\\.${B}\\.bridgeOpts: `));
    await assert.rejects(stat(target), { code: 'ENOENT' });
    assert.equal(await readFile(path, 'utf8'), hostile, 'the file is left as it was');
    assert.deepEqual(await rig.observed(), before, 'the kernel is left alone');
    await writeFile(path, good);
  });

  it('a journal whose undo writes outside sysfs: the write is refused where it is made', async () => {
    const path = join(rig.stateDir, 'journal.json');
    const stored = JSON.parse(await readFile(join(rig.stateDir, 'running-config.json'), 'utf8')) as unknown;
    const target = join(rig.dir, 'pwned-journal');
    const journal = {
      version: 1, phase: 'applying', pid: 1, startedAt: new Date().toISOString(), from: stored, to: stored, stored,
      originsAfter: { nics: {}, displacedDefault: [] },
      undo: [[{ kind: 'write', path: `/sys/class/net/${B}/bridge/../../../../../../..${target}`, value: '1' }]],
    };
    await writeFile(path, JSON.stringify(journal));
    const r = await rig.cli(['restore', '--state-dir', rig.stateDir, '--dhcp-timeout', '1']);
    assert.match(r.stderr, /refusing to write/);
    await assert.rejects(stat(target), { code: 'ENOENT' });
  });
});
