// kubectl reads YAML 1.1, where a bare `on`/`off`/`yes` is a boolean: the committed CRD must
// mean the same to a YAML 1.1 reader as the generator's object (stp: "on"/"off" once broke this).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { parse } from 'yaml';
import { buildCrd } from '../../src/api/crd.js';
import { PROJECT_ROOT } from '../../lab/src/config.js';

it('deploy/crd.yaml parsed as YAML 1.1 equals the generated CRD', async () => {
  const text = await readFile(join(PROJECT_ROOT, 'deploy', 'crd.yaml'), 'utf8');
  assert.deepEqual(parse(text, { version: '1.1' }), JSON.parse(JSON.stringify(buildCrd())));
});
