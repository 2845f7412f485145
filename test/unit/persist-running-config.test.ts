import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { loadRunningConfig, runningConfigPath, saveRunningConfig, serializeRunningConfig } from '../../src/persist/running-config.js';

const CONFIG = canonicalize({
  networks: { net1: { bonding: 'bond1', bootproto: 'dhcp', defaultRoute: true } },
  bondings: { bond1: { nics: ['eth1'], options: 'mode=4 miimon=100' } },
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-persist-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a missing file is an empty running config', () => withDir(async (dir) => {
  assert.deepEqual(await loadRunningConfig(join(dir, 'nothing-here')), { networks: {}, bondings: {} });
}));

test('save then load returns the same config; no temporary file is left', () => withDir(async (dir) => {
  await saveRunningConfig(CONFIG, join(dir, 'state'));
  assert.deepEqual(await loadRunningConfig(join(dir, 'state')), CONFIG);
  assert.deepEqual(await readdir(join(dir, 'state')), ['running-config.json']);
  assert.equal(await readFile(runningConfigPath(join(dir, 'state')), 'utf8'), serializeRunningConfig(CONFIG));
}));

test('the file is stable: keys sorted, so equal configs give equal bytes', () => {
  const reordered = { bondings: CONFIG.bondings, networks: CONFIG.networks };
  assert.equal(serializeRunningConfig(reordered), serializeRunningConfig(CONFIG));
  assert.match(serializeRunningConfig(CONFIG), /"bondings"[\s\S]*"networks"/);
});

test('a corrupt or foreign file is an error naming the file, not an empty config', () => withDir(async (dir) => {
  await writeFile(runningConfigPath(dir), '{"networks": {"n": {"mtu": "big"}}, "bondings": {}}');
  await assert.rejects(loadRunningConfig(dir), /running-config\.json: not a running config \(networks\.n/);
  await writeFile(runningConfigPath(dir), '{not json');
  await assert.rejects(loadRunningConfig(dir), SyntaxError);
}));

test('an invalid config is never written', () => withDir(async (dir) => {
  await assert.rejects(saveRunningConfig({ networks: { n: { mtu: 'x' } }, bondings: {} } as never, dir));
  assert.deepEqual(await readdir(dir), []);
}));
