// The lab's entry point: `ovirt-node-network-handler lab <verb>` from a checkout. The lab is a
// development wing beside the product, not part of it: a real kube-apiserver with etcd, kubelets
// and containerd in network namespaces, QEMU VMs with Debian's kernel, and the product installed
// into them (lab/src/index.ts). bin/ovirt-node-network-handler.js hands every `lab …` command line
// here when dist/lab/src/main.js exists; the image compiles only src/, so it has no lab, and the
// product CLI's `lab` command (src/cli/lab.ts) then says so. lab/src may import any folder of
// src/ (api, monitoring, util, ...); lab/client (the tests', benchmarks' and experiments' client)
// may import src/ and lab/src, and lab/src never imports it; nothing under src/ imports the lab.
import { Command } from 'commander';
import { HANDLER_NAME } from '../../src/api/constants.js';
import { registerLab } from './cli.js';

const program = new Command();
program.name(HANDLER_NAME).showHelpAfterError();
registerLab(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
