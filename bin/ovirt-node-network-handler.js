#!/usr/bin/env node
// Launcher of the CLI (Node 24: bin/node24.js).
import { fileURLToPath } from 'node:url';
import { ensureNode24, importBuilt } from './node24.js';

await ensureNode24(import.meta.url, 'ovirt-node-network-handler');
// The agent (`run`) lives for months beside the workloads: cap V8's young generation, which
// otherwise grows to tens of MB of RSS for garbage that is short-lived anyway (bench/at-rest.ts
// measured 250 → 175 MB with 1000 interfaces). `run --low-memory` also turns V8's optimizing
// compilers off (--lite-mode): about 15 MB less RSS at 4 interfaces and 25 MB at 1000, for
// 15–50 % more CPU (docs/benchmarks.md). Replace the process, keeping its PID.
const SEMI_SPACE = '--max-semi-space-size=1';
if (process.argv[2] === 'run' && !process.execArgv.includes(SEMI_SPACE) && typeof process.execve === 'function' && !process.env.OVNH_NO_EXECVE) {
  const v8 = [SEMI_SPACE, ...(process.argv.includes('--low-memory') ? ['--lite-mode'] : [])];
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...v8, fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env);
}
await importBuilt('src/cli/main.js', 'ovirt-node-network-handler');
