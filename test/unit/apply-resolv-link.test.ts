// A resolv.conf that is a symlink (systemd-resolved: /etc/resolv.conf → ../run/…/stub-resolv.conf)
// stays a link when the handler writes it: the target is replaced, and the undo (the previous
// content, read back through the link) restores the target, the link untouched throughout.
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { previousValueOp, replaceFile } from '../../src/apply/kernel.js';
import { linkTarget } from '../../src/util/fs.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovnh-resolv-link-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

/** The apply of a file op and its undo, as the executor does them: undo recorded, write, then undo. */
async function applyAndUndo(path: string, content: string, between: () => Promise<void>): Promise<void> {
  const undo = await previousValueOp({ kind: 'file', path, content });
  await replaceFile(path, content);
  await between();
  for (const u of undo) if (u.kind === 'file') await replaceFile(u.path, u.content);
}

describe('replaceFile through a symlink', () => {
  it('writes the target of a relative link chain and keeps every link; undo restores the target', async () => {
    const etc = join(dir, 'etc');
    const run = join(dir, 'run', 'resolve');
    await mkdir(etc, { recursive: true });
    await mkdir(run, { recursive: true });
    await writeFile(join(run, 'stub-resolv.conf'), 'nameserver 127.0.0.53\noptions edns0\n');
    await symlink('stub-resolv.conf', join(run, 'resolv.conf')); // a link to a link
    await symlink('../run/resolve/resolv.conf', join(etc, 'resolv.conf'));
    const path = join(etc, 'resolv.conf');
    assert.equal(await linkTarget(path), join(run, 'stub-resolv.conf'));
    await applyAndUndo(path, 'nameserver 192.0.2.53\n', async () => {
      assert.ok((await lstat(path)).isSymbolicLink(), 'the link is still a link after the apply');
      assert.equal(await readlink(path), '../run/resolve/resolv.conf');
      assert.ok((await lstat(join(run, 'resolv.conf'))).isSymbolicLink());
      assert.equal(await readFile(join(run, 'stub-resolv.conf'), 'utf8'), 'nameserver 192.0.2.53\n');
    });
    assert.ok((await lstat(path)).isSymbolicLink(), 'the link is still a link after the undo');
    assert.equal(await readFile(join(run, 'stub-resolv.conf'), 'utf8'), 'nameserver 127.0.0.53\noptions edns0\n');
  });

  it('a dangling link: the target is created, and the undo removes the target, not the link', async () => {
    const path = join(dir, 'dangling.conf');
    await symlink('absent-target.conf', path);
    await applyAndUndo(path, 'nameserver 192.0.2.53\n', async () => {
      assert.ok((await lstat(path)).isSymbolicLink());
      assert.equal(await readFile(join(dir, 'absent-target.conf'), 'utf8'), 'nameserver 192.0.2.53\n');
    });
    assert.ok((await lstat(path)).isSymbolicLink());
    await assert.rejects(lstat(join(dir, 'absent-target.conf')), /ENOENT/);
  });

  it('a plain file is replaced as before; a link to something that is not a regular file, or a loop, is refused unchanged', async () => {
    const plain = join(dir, 'plain.conf');
    await writeFile(plain, 'nameserver 198.51.100.1\n');
    await replaceFile(plain, 'nameserver 192.0.2.53\n');
    assert.ok((await lstat(plain)).isFile());
    assert.equal(await readFile(plain, 'utf8'), 'nameserver 192.0.2.53\n');
    const toDir = join(dir, 'to-dir.conf');
    await symlink(dir, toDir);
    await assert.rejects(replaceFile(toDir, 'x\n'), /to-dir\.conf \(a link to .*\) is not a regular file; refusing to replace it/);
    const loop = join(dir, 'loop.conf');
    await symlink('loop.conf', loop);
    await assert.rejects(replaceFile(loop, 'x\n'), /more than 40 symbolic links/);
    assert.equal(await readlink(loop), 'loop.conf');
  });
});
