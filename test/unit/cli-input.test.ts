// What `plan -f` and `apply -f` accept as input (src/cli/input.ts): one document that is an
// OvirtNodeNetwork or a bare spec; an empty input is never an empty spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { INPUT_MAX_BYTES, readAll, readSpecDocument, specDocument } from '../../src/cli/input.js';
import { largestSpec } from '../../bench/status-size.js';

const messages = (text: string): string[] => {
  const r = specDocument(text, 'f.yaml');
  return 'errors' in r ? r.errors.map((e) => `${e.path}: ${e.message}`) : [];
};

test('empty input, comments only or empty documents are refused, naming the file', () => {
  for (const text of ['', '   \n', '# nothing here\n', '---\n---\n', 'null\n']) {
    const m = messages(text);
    assert.equal(m.length, 1, JSON.stringify(text));
    assert.match(m[0]!, /^f\.yaml: empty input/);
  }
});

test('several documents are refused', () => {
  assert.deepEqual(messages('spec: {}\n---\nspec: {}\n'), ['f.yaml: 2 documents: give one OvirtNodeNetwork (or one spec) per call']);
});

test('a document that is not a mapping, or not YAML, is refused', () => {
  assert.match(messages('- a\n- b\n')[0]!, /must be an OvirtNodeNetwork or a bare spec/);
  assert.match(messages('just a string\n')[0]!, /must be an OvirtNodeNetwork or a bare spec/);
  assert.match(messages('spec: {networks: [\n')[0]!, /^f\.yaml: not YAML or JSON/);
});

test('one object or one bare spec (an explicit empty one too) is the document', () => {
  const onn = 'apiVersion: ovirt.org/v1alpha1\nkind: OvirtNodeNetwork\nmetadata: {name: n}\nspec: {}\n';
  assert.deepEqual(specDocument(onn, 'f'), { doc: { apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n' }, spec: {} } });
  assert.deepEqual(specDocument('{}', 'f'), { doc: {} });
  assert.deepEqual(specDocument('---\nnetworks: {}\n', 'f'), { doc: { networks: {} } });
});

test('the largest valid spec fits the input cap with room to spare; one byte over the cap is refused before parsing', async () => {
  const largest = stringify({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'a'.repeat(253) }, spec: largestSpec() }, { indent: 4 });
  assert.ok(Buffer.byteLength(largest) * 2 < INPUT_MAX_BYTES, `largest spec ${Buffer.byteLength(largest)} bytes vs cap ${INPUT_MAX_BYTES}`);
  assert.ok('doc' in specDocument(largest, 'f.yaml'));
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-input-'));
  try {
    // Exactly the cap is read (a comment filling it); one byte more is refused naming the file and the limit.
    const at = join(dir, 'at.yaml');
    await writeFile(at, `spec: {}\n#${'x'.repeat(INPUT_MAX_BYTES - 11)}\n`);
    assert.ok('doc' in (await readSpecDocument(at)));
    const over = join(dir, 'over.yaml');
    await writeFile(over, `spec: {}\n#${'x'.repeat(INPUT_MAX_BYTES - 10)}\n`);
    const r = await readSpecDocument(over);
    assert.ok('errors' in r);
    assert.equal(r.errors[0]!.path, over);
    assert.match(r.errors[0]!.message, new RegExp(`${over.replace(/[.]/g, '\\.')} is larger than ${INPUT_MAX_BYTES} bytes \\(4 MiB\\)`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // A string over the cap given directly is refused too, unparsed.
  assert.match(messages(`#${'x'.repeat(INPUT_MAX_BYTES)}`)[0]!, /^f\.yaml: larger than 4194304 bytes/);
});

test('a stream (stdin) is read only up to the cap: it stops there and the rest is never pulled', async () => {
  let pulled = 0;
  const endless = new Readable({ read() { pulled++; this.push(Buffer.alloc(64 * 1024, 0x20)); } });
  await assert.rejects(readAll(endless, 'stdin', INPUT_MAX_BYTES), /^Error: stdin is larger than 4194304 bytes/);
  assert.ok(pulled * 64 * 1024 <= INPUT_MAX_BYTES + 2 * 64 * 1024, `pulled ${pulled} chunks`);
  assert.ok(endless.destroyed);
  assert.equal(await readAll(Readable.from([Buffer.from('spec: {}\n')]), 'stdin', INPUT_MAX_BYTES), 'spec: {}\n');
});

test('a YAML alias bomb (billion laughs) is refused, not expanded', () => {
  const levels = ['a: &a [x,x,x,x,x,x,x,x,x]'];
  for (let i = 1; i < 9; i++) levels.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(',')}]`);
  const m = messages(`spec:\n  ${levels.join('\n  ')}\n`);
  assert.equal(m.length, 1);
  assert.match(m[0]!, /^f\.yaml: not accepted: Excessive alias count/);
});

test('no test hook is read from the environment by the product (src/)', async () => {
  // The crash hook once was an environment variable read by `run` too: one leaking into a pod's
  // environment would SIGKILL the agent mid-apply. Test hooks are explicit flags of `apply` only.
  const root = join(import.meta.dirname, '../../../src');
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 50);
  const readers: string[] = [];
  for (const f of files) if (/OVNH_TEST_/.test(await readFile(join(root, f), 'utf8'))) readers.push(f);
  assert.deepEqual(readers.filter((f) => !f.startsWith('apply/')), []);
});
