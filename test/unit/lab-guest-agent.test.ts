// The guest agent's build stamp (lab/src/guest-agent.ts): the VM runs the checkout from a cached
// mount, and a moved stamp is what makes it drop its caches after a rebuild on the host.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { buildStamp } from '../../lab/src/guest-agent.js';

it('the stamp moves when a stamped file is rewritten, stays when nothing changed, and marks a missing file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stamp-'));
  try {
    const none = buildStamp(dir);
    assert.equal(none, 'none none none');
    await mkdir(join(dir, 'dist/src/cli'), { recursive: true });
    await mkdir(join(dir, 'bin'));
    for (const f of ['dist/src/cli/main.js', 'bin/ovirt-node-network-handler.js', 'bin/agent-v8.js']) {
      await writeFile(join(dir, f), 'x');
      await utimes(join(dir, f), 1000, 1000);
    }
    const built = buildStamp(dir);
    assert.notEqual(built, none);
    assert.equal(buildStamp(dir), built, 'nothing changed');
    // A rebuild rewrites the file in place (same inode, same size): only its mtime tells.
    await writeFile(join(dir, 'dist/src/cli/main.js'), 'y');
    await utimes(join(dir, 'dist/src/cli/main.js'), 2000, 2000);
    assert.notEqual(buildStamp(dir), built);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
