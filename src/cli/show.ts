// `ovirt-node-network-handler show`: this host's network state, as the agent reports it, without
// a cluster: capabilities, kernelConfig and (on request) statistics, as YAML or JSON, or a tree.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { emptyConfig, type RunningConfig } from '../api/config.js';
import { DEFAULT_STATE_DIR } from '../api/constants.js';
import {
  capabilities,
  HostObserver,
  renderTree,
  StatisticsSampler,
  type Capabilities,
  type Statistics,
} from '../observe/index.js';
import { kernelConfigRead } from './read-back.js';
import { sleep } from '../util/exec.js';
import { runningConfigPath } from '../persist/running-config.js';
import { readJsonIfExists } from '../util/fs.js';

interface ShowOptions {
  json?: boolean;
  statistics?: boolean;
  interface?: string;
  tree?: boolean;
  netns?: string;
  stateDir: string;
  interval: string;
}

/** The handler's running config from <stateDir>/running-config.json; none yet = empty. */
export async function readRunningConfig(stateDir: string): Promise<RunningConfig> {
  const path = runningConfigPath(stateDir);
  const raw = await readJsonIfExists<Partial<RunningConfig>>(path);
  if (raw === undefined) return emptyConfig();
  if (typeof raw !== 'object' || raw === null) throw new Error(`${path}: not a JSON object`);
  return { networks: raw.networks ?? {}, bondings: raw.bondings ?? {}, ...(raw.nics ? { nics: raw.nics } : {}) };
}

function pick<T>(m: Record<string, T>, name: string): Record<string, T> {
  return name in m ? { [name]: m[name]! } : {};
}

/** Capabilities, kernelConfig and statistics narrowed to one interface (or network/bond name). */
function narrow(caps: Capabilities, kc: RunningConfig, stats: Statistics | undefined, name: string) {
  return {
    capabilities: {
      ...caps,
      nics: pick(caps.nics, name),
      bondings: pick(caps.bondings, name),
      bridges: pick(caps.bridges, name),
      vlans: pick(caps.vlans, name),
      networks: pick(caps.networks, name),
    },
    kernelConfig: {
      networks: pick(kc.networks, name),
      bondings: pick(kc.bondings, name),
      ...(kc.nics && Object.hasOwn(kc.nics, name) ? { nics: pick(kc.nics, name) } : {}),
    },
    ...(stats ? { statistics: pick(stats, name) } : {}),
  };
}

async function show(o: ShowOptions): Promise<void> {
  const running = await readRunningConfig(o.stateDir);
  const observer = new HostObserver({ stateDir: o.stateDir, ...(o.netns ? { netns: o.netns } : {}) });
  let host = await observer.observe(running);
  if (o.interface && !(o.interface in host.links) && !(o.interface in running.networks)) {
    throw new Error(`no interface or network named ${o.interface}`);
  }
  if (o.tree) {
    process.stdout.write(renderTree(host, running, o.interface ? { interface: o.interface } : {}));
    return;
  }
  let stats: Statistics | undefined;
  if (o.statistics) {
    // Rates need two samples; the first is the baseline.
    const sampler = new StatisticsSampler();
    sampler.sample(host);
    const seconds = Number(o.interval);
    if (!(seconds > 0)) throw new Error(`--interval must be a positive number of seconds, got ${o.interval}`);
    await sleep(seconds * 1000);
    host = await observer.observe(running);
    stats = sampler.sample(host);
  }
  const caps = capabilities(host, running);
  const kc = await kernelConfigRead(o.stateDir, host, running);
  const state = o.interface
    ? narrow(caps, kc, stats, o.interface)
    : { capabilities: caps, kernelConfig: kc, ...(stats ? { statistics: stats } : {}) };
  process.stdout.write(
    o.json ? JSON.stringify(state, null, 2) + '\n' : stringify(state, { sortMapEntries: true, indentSeq: false }),
  );
}

export function registerShow(program: Command): void {
  program
    .command('show')
    .description(
      "print this host's network state (capabilities, kernelConfig, statistics) as the agent reports it; no cluster " +
        'needed',
    )
    .option('--json', 'JSON instead of YAML')
    .option('--statistics', 'include per-interface statistics (two samples, for the rates)')
    .option('--interval <seconds>', 'seconds between the two statistics samples', '1')
    .option('--interface <name>', 'only this interface (or network)')
    .option('--tree', 'draw the device stack: nic -> bond -> vlan -> bridge -> network')
    .option('--netns <ns>', 'observe a named network namespace instead of the current one')
    .option('--state-dir <dir>', "the handler's state directory (running-config.json)", DEFAULT_STATE_DIR)
    .action(async (o: ShowOptions) => show(o));
}
