// The kernelConfig the agent would report for this host, read from the CLI: what `show` prints,
// and what `apply --output json` returns after its transaction.
import type { RunningConfig } from '../api/config.js';
import { OriginsStore } from '../apply/origins.js';
import type { HostState } from '../model/host-state.js';
import { HostObserver, kernelConfig } from '../observe/index.js';
import { loadRunningConfig } from '../persist/running-config.js';

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

/** The host read now, against the running config persisted in the state dir. */
export async function readBackHost(stateDir: string): Promise<RunningConfig> {
  const running = await loadRunningConfig(stateDir);
  const host = await new HostObserver({ stateDir }).observe(running);
  return kernelConfigRead(stateDir, host, running);
}
