// The lab is a wing of the checkout, not of the product: bin/ hands `lab …` to the lab's own
// entry point (lab/src/main.ts) when it is built, an installation without it (the image) says
// the lab is not part of it, and nothing under src/ imports the lab.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lab/src/config.js';
import { run } from '../../src/util/exec.js';

const LAB_VERBS = ['up', 'agents', 'down', 'status', 'kubeconfig', 'exec'];

const cli = (root: string, ...args: string[]) =>
  run([process.execPath, join(root, 'bin', 'ovirt-node-network-handler.js'), ...args], { allowFailure: true });

test('from the checkout, `lab --help` is the lab\'s own: every verb of the README', async () => {
  const r = await cli(PROJECT_ROOT, 'lab', '--help');
  assert.equal(r.code, 0, r.stderr);
  for (const verb of LAB_VERBS) assert.match(r.stdout, new RegExp(`^  ${verb}\\b`, 'm'), `lab ${verb}`);
});

test('an installation without the lab (as the image is) lists `lab` and says it is not part of it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ovnh-no-lab-'));
  try {
    cpSync(join(PROJECT_ROOT, 'bin'), join(root, 'bin'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'dist', 'src'), join(root, 'dist', 'src'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'));
    const help = await cli(root, '--help');
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^ {2}lab\b/m);
    for (const args of [['lab', 'up'], ['lab', 'status', '--json'], ['lab']]) {
      const r = await cli(root, ...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, /the lab is not part of this installation/, args.join(' '));
    }
    const labHelp = await cli(root, 'lab', '--help');
    assert.equal(labHelp.code, 0, labHelp.stderr);
    assert.match(labHelp.stdout, /^Usage: ovirt-node-network-handler lab\b/m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('no module under src/ imports the lab (lab/src, lab/client)', () => {
  const src = join(PROJECT_ROOT, 'src');
  const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 50, `${files.length} files under src/`);
  const importsLab = files.filter((f) =>
    /\bfrom '(\.\.\/)+lab\/|import\('(\.\.\/)+lab\//.test(readFileSync(join(src, f), 'utf8')),
  );
  assert.deepEqual(importsLab, []);
});

test('the lab does not import its client (lab/client is built on lab/src, not the other way)', () => {
  const lab = join(PROJECT_ROOT, 'lab', 'src');
  const files = readdirSync(lab).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('main.ts'));
  const importsClient = files.filter((f) => /from '\.\.\/client\//.test(readFileSync(join(lab, f), 'utf8')));
  assert.deepEqual(importsClient, []);
});
