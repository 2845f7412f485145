// The entry point of `kubectl onn` (bin/kubectl-onn): the process's argv, environment, output
// and clock, handed to the verbs (commands.ts) once. Ctrl-C ends `stats --watch` as it ends
// `kubectl get -w`, by the default SIGINT action: the plugin only reads, nothing to clean up.
import { setTimeout as delay } from 'node:timers/promises';
import { readSpecDocument } from '../cli/input.js';
import { connect } from './api.js';
import { runPlugin } from './commands.js';

process.exitCode = await runPlugin(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  connect: (flags) => connect(flags, process.env),
  readSpec: readSpecDocument,
  now: () => Date.now() / 1000,
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
  signal: new AbortController().signal,
});
