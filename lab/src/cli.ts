// `ovirt-node-network-handler lab ...`: start, inspect and stop the lab (the commands lab/src/main.ts
// runs when bin/ovirt-node-network-handler.js hands it `lab`).
import type { Command } from 'commander';
import {
  defaultTopology,
  labDown,
  labExec,
  labStatus,
  labUp,
  currentLab,
  kubeconfigPath,
  startProcessAgents,
  ensureLabSwitchLldp,
} from './index.js';
import { labPaths } from './config.js';
import { readAll } from '../../src/cli/input.js';

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('a local lab: real kube-apiserver + simulated nodes (netns and QEMU VM)');
  registerUp(lab);
  registerAgents(lab);
  registerSwitchLldp(lab);
  registerDown(lab);
  registerStatus(lab);
  registerKubeconfig(lab);
  registerExec(lab);
}

interface UpFlags {
  nsNodes: string;
  vmNodes: string;
  nics: string;
  agents: boolean;
  processAgents?: boolean;
  install: boolean;
  prometheus?: boolean;
}

function registerUp(lab: Command): void {
  lab
    .command('up')
    .description('start the API server and the simulated nodes (cleans a stale lab first)')
    .option('--ns-nodes <n>', 'number of network-namespace nodes', '2')
    .option('--vm-nodes <n>', 'number of VM nodes (Debian kernel under QEMU)', '1')
    .option('--nics <n>', 'data NICs per node besides eth0', '2')
    .option(
      '--process-agents',
      'no kubelets: the agent runs as a plain process on every node (the lab before real nodes)',
    )
    .option('--no-agents', 'start no agent processes (with --process-agents: no agent at all)')
    .option(
      '--prometheus',
      "also start Prometheus (Debian's) scraping every agent, with deploy/monitoring/rules.yaml loaded",
    )
    .option(
      '--no-install',
      'bring up the cluster and the nodes only: install the product yourself ' +
        '(kubectl apply -k lab/deploy, then lab agents)',
    )
    .action(up);
}

async function up(o: UpFlags): Promise<void> {
  const topology = defaultTopology({
    nsNodes: Number(o.nsNodes),
    vmNodes: Number(o.vmNodes),
    dataNics: Number(o.nics),
    processAgents: !!o.processAgents,
  });
  const lab = await labUp({
    nodes: topology,
    agents: o.agents,
    install: o.install,
    prometheus: o.prometheus === true,
  });
  const nodes = lab.state.nodes.map((n) => `${n.name} (${n.kind})`).join(', ');
  process.stdout.write(
    `lab is up: API server ${lab.state.apiServer}, nodes ${nodes}\n\n` +
      `  export KUBECONFIG=${lab.kubeconfig}\n` +
      `  kubectl get nodes\n` +
      `  npx ovirt-node-network-handler lab exec ${lab.state.nodes[0]?.name ?? 'NODE'} -- ip -br addr\n` +
      (o.prometheus ? `  Prometheus: http://127.0.0.1:19090 (alerts: /api/v1/alerts)\n` : '') +
      `  npx ovirt-node-network-handler lab down\n`,
  );
}

function registerAgents(lab: Command): void {
  lab
    .command('agents')
    .description('start the agent as a process on the nodes that run no kubelet (the VM) and have none')
    .action(async () => {
      const started = await startProcessAgents();
      process.stdout.write(
        started.length
          ? `started the agent on ${started.join(', ')}\n`
          : 'every node without a kubelet has its agent\n',
      );
    });
}

function registerSwitchLldp(lab: Command): void {
  lab
    .command('switch-lldp')
    .description("start the switch's LLDP announcements on a running lab (idempotent; what lab up does)")
    .action(async () => {
      const pid = await ensureLabSwitchLldp();
      process.stdout.write(`the switch's lldpd runs (pid ${pid})\n`);
    });
}

function registerDown(lab: Command): void {
  lab
    .command('down')
    .description('stop everything the lab started (by recorded PID and name)')
    .action(async () => {
      const r = await labDown();
      for (const s of r.stopped) process.stdout.write(`stopped ${s}\n`);
      for (const n of r.removedNetns) process.stdout.write(`removed netns ${n}\n`);
    });
}

function registerStatus(lab: Command): void {
  lab
    .command('status')
    .description('what the lab runs and whether it answers')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const s = await labStatus();
      if (o.json) {
        process.stdout.write(JSON.stringify(s, null, 2) + '\n');
      } else if (!s.recorded) {
        process.stdout.write('no lab is running\n');
      } else {
        process.stdout.write(`API server ${s.apiServer}: ${s.apiReady ? 'ready' : 'NOT ready'}\n`);
        for (const n of s.nodes)
          process.stdout.write(`node ${n.name} (${n.kind}): ${n.reachable ? 'reachable' : 'NOT reachable'}\n`);
        for (const p of s.processes)
          process.stdout.write(`process ${p.name} pid ${p.pid}: ${p.alive ? 'running' : 'gone'}\n`);
      }
      process.exitCode = s.recorded && s.apiReady && s.nodes.every((n) => n.reachable) ? 0 : 1;
    });
}

function registerKubeconfig(lab: Command): void {
  lab
    .command('kubeconfig')
    .description("print the path of the lab's admin kubeconfig")
    .action(async () => {
      const l = await currentLab();
      if (!l) {
        process.stderr.write(`no lab is running (would be ${kubeconfigPath(labPaths().dir)})\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${l.kubeconfig}\n`);
    });
}

function registerExec(lab: Command): void {
  lab
    .command('exec')
    .description('run a command inside a lab node: lab exec NODE -- CMD [ARGS...]')
    .argument('<node>')
    .argument('<cmd...>')
    .action(async (node: string, cmd: string[]) => {
      // Standard input is forwarded when it is not a terminal (`echo x | lab exec NODE -- cat`,
      // a spec piped to `apply -f -`); read whole, since the VM's exec protocol takes it so.
      const input = process.stdin.isTTY ? undefined : await readAll(process.stdin);
      const r = await labExec(node, cmd, {
        ...(input !== undefined ? { input } : {}),
        allowFailure: true,
        onStdout: (b) => process.stdout.write(b),
        onStderr: (b) => process.stderr.write(b),
      });
      process.exitCode = r.code;
    });
}
