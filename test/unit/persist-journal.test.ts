// The journal read back (src/apply/journal.ts, persist/schemas.ts): a journal as the executor
// writes it reads back equal; one truncated at any byte offset, or with a field of the wrong
// shape, is refused naming the file and field, before any of its undo could run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, emptyOrigins } from '../../src/apply/compile/index.js';
import { JournalStore, type Journal } from '../../src/apply/journal.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { StateFileError } from '../../src/util/fs.js';

const TO = canonicalize({
  networks: { net1: { nic: 'eth1', ipaddr: '192.0.2.2', prefix: 24, gateway: '192.0.2.1', bridgeOpts: 'forward_delay=0' }, net2: { bonding: 'bond1', vlan: 7, bootproto: 'dhcp' } },
  bondings: { bond1: { nics: ['eth2'], options: 'mode=4 miimon=100' } },
});

function journal(): Journal {
  const host = { links: { eth1: { name: 'eth1', kind: 'veth', mtu: 1500, hwaddr: '02:00:00:00:00:01', up: true, addresses: [] }, eth2: { name: 'eth2', kind: 'veth', mtu: 1500, hwaddr: '02:00:00:00:00:02', up: true, addresses: [] } }, routes: [], sysctls: {}, resolv: undefined };
  const c = compile({ from: { networks: {}, bondings: {} }, to: TO, host, origins: emptyOrigins(), resolvConf: '/tmp/resolv.conf' });
  // Every operation and every undo, as the executor journals them.
  const undo = c.ops.map((o) => [o.op, ...(o.undo === 'previous' ? [] : o.undo)]);
  return { version: 1, phase: 'applying', pid: 42, startedAt: '2026-01-01T00:00:00.000Z', from: { networks: {}, bondings: {} }, to: TO, stored: { networks: {}, bondings: {} }, originsAfter: c.originsAfter, undo };
}

async function withStore(fn: (s: JournalStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-journal-'));
  try {
    await fn(new JournalStore(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a journal as the executor writes it reads back equal', () => withStore(async (s) => {
  const j = journal();
  assert.ok(j.undo.length > 10);
  await s.write(j);
  assert.deepEqual(await s.read(), JSON.parse(JSON.stringify(j)));
}));

test('a journal truncated at any byte offset is refused with its path, and left as it was', () => withStore(async (s) => {
  await s.write(journal());
  const text = await readFile(s.path, 'utf8');
  for (let i = 0; i < text.length; i += Math.max(1, Math.floor(text.length / 400))) {
    await writeFile(s.path, text.slice(0, i));
    await assert.rejects(s.read(), (e: unknown) => e instanceof StateFileError && e.path === s.path, `cut at ${i}`);
  }
}));

test('fields of the wrong shape are refused, naming the field', () => withStore(async (s) => {
  const cases: [string, (j: Record<string, unknown>) => void][] = [
    ['version', (j) => void (j.version = 2)],
    ['phase', (j) => void (j.phase = 'committing')],
    ['to.networks', (j) => void ((j.to as { networks: Record<string, unknown> }).networks['../x'] = (j.to as { networks: Record<string, unknown> }).networks.net1)],
    ['undo.0.0.kind', (j) => void ((j.undo as unknown[][])[0]![0] = { kind: 'exec', argv: ['sh'] })],
    ['undo.0.0', (j) => void ((j.undo as unknown[][])[0]![0] = { kind: 'ip', args: ['link', 'del', 'x\n'] })],
    ['originsAfter.routeTables.net1', (j) => void ((j.originsAfter as { routeTables: Record<string, unknown> }).routeTables = { net1: 'x' })],
  ];
  for (const [field, edit] of cases) {
    const j = JSON.parse(JSON.stringify(journal())) as Record<string, unknown>;
    edit(j);
    await writeFile(s.path, JSON.stringify(j));
    await assert.rejects(s.read(), (e: unknown) => e instanceof StateFileError && e.field.startsWith(field) && e.message.startsWith(`${s.path}: `), field);
  }
}));
