// What an fsync costs here: the journal's and the running config's write (writeFileAtomic: write,
// fsync, rename, fsync of the folder) against the same write and rename without the fsyncs, 30
// times each in a temporary folder of the state dir's file system. After a build:
//   node_modules/node/bin/node scripts/fsync-cost.mjs [DIR]     (DIR default: the OS temp dir)
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../dist/src/util/fs.js';

const dir = await mkdtemp(join(process.argv[2] ?? tmpdir(), 'ovnh-fsync-'));
const data = JSON.stringify({ undo: 'x'.repeat(20_000) });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const time = async (fn) => {
  const t = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return median(t);
};
try {
  const atomic = await time(() => writeFileAtomic(join(dir, 'j.json'), data));
  const plain = await time(async () => {
    await writeFile(join(dir, 'k.tmp'), data);
    await rename(join(dir, 'k.tmp'), join(dir, 'k.json'));
  });
  process.stdout.write(`writeFileAtomic ${atomic.toFixed(2)} ms, without its two fsyncs ${plain.toFixed(2)} ms (median of 30, 20 KB)\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
