#!/usr/bin/env node
// Launcher of the CLI (Node 24: bin/node24.js).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode24, importBuilt, root } from './node24.js';

await ensureNode24(import.meta.url, 'ovirt-node-network-handler');
// The agent (`run`) lives for months beside the workloads, mostly at rest: V8 is started for
// memory rather than speed (scripts/agent-memory.mjs, docs/benchmarks.md "Memory"):
//   --max-semi-space-size=1  caps the young generation, which otherwise grows to tens of MB of
//                            RSS for garbage that is short-lived anyway (250 → 175 MB at 1000
//                            interfaces, session 3);
//   --lite-mode              no optimizing compilers, lazy feedback: fewer pages of node's binary
//                            touched, less code and heap kept — 126 → 89 MB at 1000 interfaces,
//                            85 → 74 MB at 4, for 1.3× the CPU at rest at 1000 (0.9–1.0× at 4).
// `run --low-memory` also sets --memory-saver-mode (V8 grows its heap less and collects sooner),
// for more CPU. Node flags given on the command line replace these (the launcher re-executes
// only when --max-semi-space-size is missing): `node --max-semi-space-size=1 bin/… run` runs the
// agent with the optimizing compilers, e.g. for applies of the largest specs. Replaces the
// process, keeping its PID.
const SEMI_SPACE = '--max-semi-space-size=1';
const AGENT_V8_FLAGS = [SEMI_SPACE, '--lite-mode'];
const LOW_MEMORY_V8_FLAGS = ['--memory-saver-mode'];
if (process.argv[2] === 'run' && !process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) && typeof process.execve === 'function' && !process.env.OVNH_NO_EXECVE) {
  const v8 = [...AGENT_V8_FLAGS, ...(process.argv.includes('--low-memory') ? LOW_MEMORY_V8_FLAGS : [])];
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...v8, fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env);
}
// `lab …` goes to the lab's own entry point (lab/src/main.ts), which a built checkout has and the
// image does not (it compiles only src/); without it the product CLI's `lab` says so.
const LAB_MAIN = 'lab/src/main.js';
const entry = process.argv[2] === 'lab' && existsSync(join(root, 'dist', LAB_MAIN)) ? LAB_MAIN : 'src/cli/main.js';
await importBuilt(entry, 'ovirt-node-network-handler');
