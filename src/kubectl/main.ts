// The kubectl plugin, `kubectl onn` (bin/kubectl-onn): a node's networks as its agent reports
// them in its OvirtNodeNetwork — tree, plan, diff, stats — read with one GET and rendered by pure
// functions, with the validation and planning the agent uses; no shell on the node. `plan
// --policy` reads the fleet (LISTs) and decides it with the policy controller's own core. This entry
// hands the process's argv, environment, output and clock to the verbs (commands.ts) once.
// Ctrl-C ends `stats --watch` as it ends `kubectl get -w`, by the default SIGINT action: the
// plugin only reads, nothing to clean up.
// May import: api, cli, fleet, k8s, model, observe, plan, util
import { setTimeout as delay } from 'node:timers/promises';
import { readSpecDocument } from '../cli/input.js';
import { connect } from './node-source.js';
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
