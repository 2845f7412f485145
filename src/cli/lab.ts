// `ovirt-node-network-handler lab ...` where the lab is not installed. The lab is its own wing of
// the repository (lab/src, its entry lab/src/main.ts), not part of the product: from a built
// checkout bin/ovirt-node-network-handler.js hands `lab` to it before this CLI starts, so this
// command runs only where the lab's compiled files are absent (the image, an installation).
import type { Command } from 'commander';

export const LAB_ABSENT =
  'the lab is not part of this installation: it runs from a checkout of the repository ' +
  '(npm ci && npm run build, then ./bin/ovirt-node-network-handler.js lab up)';

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('a local lab: real kube-apiserver + simulated nodes (from a checkout of the repository only)')
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(() => {
      process.stderr.write(`${LAB_ABSENT}\n`);
      process.exitCode = 1;
    });
}
