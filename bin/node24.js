// What every launcher in bin/ does first. The project runs on Node 24 LTS, installed as the
// pinned npm package `node` (see README, "Runtime"). When started by an older system node (e.g.
// `./bin/...` on a machine whose node is 20), the same command is run again with the bundled
// Node 24; the compiled program is then imported from dist/.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Re-runs `launcher` (its import.meta.url) under the bundled Node 24 when this node is older;
 * resolves only on Node ≥ 24. The signals a caller sends this process (kubectl's Ctrl-C, a
 * test's kill) are passed on: the child would otherwise outlive it, holding its output open.
 */
export async function ensureNode24(launcher, name) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 24) return;
  const bundled = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(`${name} needs Node 24; run "npm ci" in ${root} first`);
    process.exit(1);
  }
  const child = spawn(bundled, [fileURLToPath(launcher), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  const code = await new Promise((resolve) => {
    child.on('error', (e) => { console.error(`${name}: cannot start ${bundled}: ${e.message}`); resolve(1); });
    child.on('exit', (c, sig) => resolve(c ?? 128 + (constants.signals[sig] ?? 0)));
  });
  process.exit(code);
}

/** Imports dist/<relative> (the build of src/), or says how to build it. */
export async function importBuilt(relative, name) {
  const main = join(root, 'dist', relative);
  if (!existsSync(main)) {
    console.error(`${name} is not built; run "npm run build" in ${root}`);
    process.exit(1);
  }
  await import(main);
}
