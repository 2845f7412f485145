#!/usr/bin/env node
// Launcher. The project runs on Node 24 LTS, installed as the pinned npm package `node`
// (see README, "Runtime"). When started by an older system node (e.g. `./bin/...` on a
// machine whose node is 20), re-exec the same command with the bundled Node 24.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const bundled = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(`ovirt-node-network-handler needs Node 24; run "npm ci" in ${root} first`);
    process.exit(1);
  }
  const r = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
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
const main = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error(`ovirt-node-network-handler is not built; run "npm run build" in ${root}`);
  process.exit(1);
}
await import(main);
