// What `plan -f` and `apply -f` accept as input (src/cli/input.ts): one document that is an
// OvirtNodeNetwork or a bare spec; an empty input is never an empty spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specDocument } from '../../src/cli/input.js';

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
