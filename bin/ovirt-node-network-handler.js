#!/usr/bin/env node
// Launcher of the CLI (Node 24: bin/node24.js).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode24, importBuilt, root } from './node24.js';
import { AGENT_V8_FLAGS, LOW_MEMORY_V8_FLAGS, SEMI_SPACE_FLAG } from './agent-v8.js';

await ensureNode24(import.meta.url, 'ovirt-node-network-handler');
// The agent (`run`) is started with V8 flags chosen for memory (bin/agent-v8.js says which and
// why). `run --low-memory` adds the memory saver mode. Node flags given on the command line
// replace these (the launcher re-executes only when --max-semi-space-size is missing):
// `node --max-semi-space-size=1 bin/… run` runs the agent with the optimizing compilers, e.g.
// for applies of the largest specs. Replaces the process, keeping its PID.
if (process.argv[2] === 'run' && !process.execArgv.some((a) => a.startsWith(SEMI_SPACE_FLAG)) && typeof process.execve === 'function' && !process.env.OVNH_NO_EXECVE) {
  const v8 = [...AGENT_V8_FLAGS, ...(process.argv.includes('--low-memory') ? LOW_MEMORY_V8_FLAGS : [])];
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...v8, fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env);
}
// `lab …` goes to the lab's own entry point (lab/src/main.ts), which a built checkout has and the
// image does not (it compiles only src/); without it the product CLI's `lab` says so.
const LAB_MAIN = 'lab/src/main.js';
const entry = process.argv[2] === 'lab' && existsSync(join(root, 'dist', LAB_MAIN)) ? LAB_MAIN : 'src/cli/main.js';
await importBuilt(entry, 'ovirt-node-network-handler');
