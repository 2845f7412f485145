import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { loadRunningConfig, parsePersistedRunningConfig, runningConfigPath, saveRunningConfig, serializeRunningConfig } from '../../src/persist/running-config.js';
import { StateFileError } from '../../src/util/fs.js';

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
  await assert.rejects(loadRunningConfig(dir), (e: unknown) => e instanceof StateFileError && e.path === runningConfigPath(dir) && /running-config\.json: not valid JSON/.test(e.message));
}));

const BRIDGED = canonicalize({ networks: { net1: { bridgeOpts: 'forward_delay=0 multicast_snooping=0', ipaddr: '192.0.2.2', prefix: 24, gateway: '192.0.2.1' } }, bondings: { bond1: { nics: ['eth1'], options: 'mode=4 miimon=100' } } });

/** Hostile keys: every built-in property name, path climbing, separators, NUL and every control byte. */
const HOSTILE = [
  ...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Function.prototype), '__proto__',
  '..', '.', '/', '../../../../tmp/x', 'a/b', 'x\0y', '\0', '', ' ', 'a b', 'FORWARD_DELAY', '-x',
  ...Array.from({ length: 32 }, (_, i) => `k${String.fromCharCode(i)}`), 'k\x7f',
];

test('a bridge or bond option key not in the option tables is refused on load, naming the file and the field', () => {
  for (const key of HOSTILE) {
    const net = structuredClone(BRIDGED);
    net.networks.net1!.bridgeOpts = `${key}=1`;
    assert.throws(() => parsePersistedRunningConfig(JSON.parse(JSON.stringify(net)), '/var/lib/x/running-config.json'),
      (e: unknown) => e instanceof StateFileError && e.field === 'networks.net1.bridgeOpts' && e.message.startsWith('/var/lib/x/running-config.json: '), JSON.stringify(key));
    const bond = structuredClone(BRIDGED);
    bond.bondings.bond1!.options = `mode=4 ${key}=1`;
    assert.throws(() => parsePersistedRunningConfig(JSON.parse(JSON.stringify(bond)), 'f'), (e: unknown) => e instanceof StateFileError && e.field === 'bondings.bond1.options', JSON.stringify(key));
  }
});

test('a network, bond or NIC name that is no plain device name is refused on load', () => {
  for (const name of ['..', '.', '/', '../../../../tmp/x', 'a/b', 'x\0y', '', 'a b', '-x', 'x'.repeat(16), ...Array.from({ length: 32 }, (_, i) => `n${String.fromCharCode(i)}`)]) {
    const bad = structuredClone(BRIDGED) as { networks: Record<string, unknown>; bondings: Record<string, { nics: string[] }> };
    bad.networks = { [name]: bad.networks.net1 };
    assert.throws(() => parsePersistedRunningConfig(bad, 'f'), StateFileError, JSON.stringify(name));
    const nics = structuredClone(BRIDGED) as typeof bad;
    nics.bondings.bond1!.nics = [name];
    assert.throws(() => parsePersistedRunningConfig(nics, 'f'), StateFileError, JSON.stringify(name));
  }
  assert.deepEqual(parsePersistedRunningConfig(JSON.parse(JSON.stringify(BRIDGED)), 'f'), BRIDGED);
});

test('a valid file truncated at any byte offset is refused with its path, and left as it was', () => withDir(async (dir) => {
  const text = serializeRunningConfig(BRIDGED);
  const path = runningConfigPath(dir);
  for (let i = 0; i < text.trimEnd().length; i++) {
    await writeFile(path, text.slice(0, i));
    await assert.rejects(loadRunningConfig(dir), (e: unknown) => e instanceof StateFileError && e.path === path, `cut at ${i}`);
    assert.equal(await readFile(path, 'utf8'), text.slice(0, i));
  }
}));

test('an invalid config is never written', () => withDir(async (dir) => {
  await assert.rejects(saveRunningConfig({ networks: { n: { mtu: 'x' } }, bondings: {} } as never, dir));
  assert.deepEqual(await readdir(dir), []);
}));
