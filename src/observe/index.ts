// The observer: reads the node's real network state in one pass (host.ts, the only reader; the
// pure parse of what it read in parse.ts, sysfs.ts and rules.ts) and renders it as capabilities,
// statistics and kernelConfig (the seed's `state:` shapes), plus a tree view. The shapes it reads
// into and the device classification are the model's (model/host-state.ts, model/links.ts).
// May import: api, model, util
import type { RunningConfig } from '../api/config.js';
import type { Capabilities, HostState } from '../model/host-state.js';

export {
  dumpCommands,
  DUMP_FILES,
  hasQos,
  HostObserver,
  ipDumpInput,
  OBSERVE_PARTS,
  observeForTransaction,
  observeHost,
  readLldp,
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
export { lldpFor, lldpNeighbor, lldpProperty, LldpParseError, parseLldpNeighbors } from './lldp.js';
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
export { OBSERVE_STANDBY_DELAY_MS, StandbyIpDump } from './standby.js';
