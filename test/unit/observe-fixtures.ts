// Loads the dumps captured by test/fixtures/observe/capture.ts (real kernels: the lab's
// namespace node, a namespace scenario on this kernel, the VM scenario on Debian's kernel).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningConfig } from '../../src/api/config.js';
import type { Dumps } from '../../src/observe/parse.js';

// dist/test/unit -> test/fixtures/observe
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'observe');

export type FixtureName = 'ns-node' | 'netns' | 'vm';

export function loadDumps(name: FixtureName): Dumps {
  const f = (file: string) => readFileSync(join(ROOT, name, file), 'utf8');
  return { links: f('links.json'), routes4: f('routes4.json'), routes6: f('routes6.json'), sys: f('sys.txt') };
}

export function loadRunning(name: FixtureName): RunningConfig {
  return JSON.parse(readFileSync(join(ROOT, name, 'running-config.json'), 'utf8')) as RunningConfig;
}
