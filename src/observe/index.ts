// The observer: reads the node's real network state in one pass (host.ts, the only reader; the
// pure parse of what it read in parse.ts, sysfs.ts and rules.ts) and renders it as capabilities,
// statistics and kernelConfig (the seed's `state:` shapes), plus a tree view. The shapes it reads
// into and the device classification are the model's (model/host-state.ts, model/links.ts).
// May import: api, model, util
import type { RunningConfig } from '../api/config.js';
import { capabilities } from './capabilities.js';
import { HostObserver, type ObserveOptions } from './host.js';
import { kernelConfig } from './kernel-config.js';
import type { Capabilities, HostState } from '../model/host-state.js';

export {
  dumpCommands,
  DUMP_FILES,
  HostObserver,
  ipDumpInput,
  observeForTransaction,
  observeHost,
  SYSFS_SCRIPT,
  SYSFS_TARGETED_SCRIPT,
  SYSFS_TRANSACTION_SCRIPT,
  type Executor,
  type ExecOptions,
  type HostObserverOptions,
  type ObserveOptions,
  type RouteScope,
} from './host.js';
export {
  assembleHostState,
  buildHostState,
  parseAddrDump,
  parseJsonExact,
  parseLinkDump,
  parseRouteDump,
  parseSysDump,
  type Dumps,
} from './parse.js';
export { capabilities } from './capabilities.js';
export { kernelConfig } from './kernel-config.js';
export { StatisticsSampler } from './statistics.js';
export { renderTree, type TreeOptions } from './tree.js';
export { isNic } from '../model/links.js';
export type * from '../model/host-state.js';

export interface Observation {
  host: HostState;
  capabilities: Capabilities;
  kernelConfig: RunningConfig;
}

/**
 * One observation pass: the host state and what it means for the handler's running config.
 * Pass a HostObserver to reuse its cache across passes (the agent's loop).
 */
export async function observe(running: RunningConfig, opts: ObserveOptions | HostObserver = {}): Promise<Observation> {
  const observer = opts instanceof HostObserver ? opts : new HostObserver(opts);
  const host = await observer.observe(running);
  return { host, capabilities: capabilities(host, running), kernelConfig: kernelConfig(host, running) };
}
