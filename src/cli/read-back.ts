// The kernelConfig the agent would report for this host, read from the CLI: what `show` prints,
// and what `apply --output json` returns after its transaction.
import type { RunningConfig } from '../api/config.js';
import { OriginsStore } from '../apply/origins.js';
import type { HostState } from '../model/host-state.js';
import { HostObserver, kernelConfig } from '../observe/index.js';

/**
 * A host read against a running config. A source-routed network's gateway counts only in the
 * table the handler allocated for it (the state dir's origins say which).
 */
export async function kernelConfigRead(
  stateDir: string,
  host: HostState,
  running: RunningConfig,
): Promise<RunningConfig> {
  return kernelConfig(host, running, (await new OriginsStore(stateDir).load()).routeTables ?? {});
}

/** The host read now, against a running config (after a committed apply: the one it persisted). */
export async function readBackHost(stateDir: string, running: RunningConfig): Promise<RunningConfig> {
  const host = await new HostObserver({ stateDir }).observe(running);
  return kernelConfigRead(stateDir, host, running);
}
