// The product's one CLI, ovirt-node-network-handler <verb>: `run` (the node agent, what the
// DaemonSet runs), `controller` (the policy controller, what the Deployment runs), and the verbs
// that work on this host without a cluster — `apply` and `restore`, `plan`, `show`. Each verb
// reads its flags and environment once, here at the entry, and passes them down; the floors
// below read no process.env. The lab is not part of it (lab/ is its own wing).
// May import: agent, api, apply, fleet, k8s, model, monitoring, observe, persist, plan, report, util, verify
import { Command } from 'commander';
import { HANDLER_NAME } from '../api/constants.js';
import { registersFor } from './verbs.js';

const program = new Command();
program
  .name(HANDLER_NAME)
  .description('oVirt host networking (VDSM setupNetworks vocabulary) controlled through the Kubernetes API')
  .showHelpAfterError();

try {
  for (const register of await registersFor(process.argv)) register(program);
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
