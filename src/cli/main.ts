// The product's one CLI, ovirt-node-network-handler <verb>: `run` (the node agent, what the
// DaemonSet runs), `controller` (the policy controller, what the Deployment runs), and the verbs
// that work on this host without a cluster — `apply` and `restore`, `plan`, `show`. Each verb
// reads its flags and environment once, here at the entry, and passes them down; the floors
// below read no process.env. The lab is not part of it (lab/ is its own wing).
// May import: agent, api, apply, fleet, k8s, model, monitoring, observe, persist, plan, report, util, verify
import { Command } from 'commander';
import { HANDLER_NAME } from '../api/constants.js';
import { registerApply } from './apply.js';
import { registerController } from './controller.js';
import { registerLab } from './lab.js';
import { registerRun } from './run.js';
import { registerPlan } from './plan-command.js';
import { registerShow } from './show.js';

const program = new Command();
program
  .name(HANDLER_NAME)
  .description('oVirt host networking (VDSM setupNetworks vocabulary) controlled through the Kubernetes API')
  .showHelpAfterError();

registerApply(program);
registerController(program);
registerRun(program);
registerLab(program);
registerPlan(program);
registerShow(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
