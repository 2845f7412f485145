// The running config as the transactions load and save it (apply/transaction.ts ConfigStore):
// <stateDir>/running-config.json (running-config.ts). What is saved is the canonical output of
// validation, so it is serialized without being validated a second time.
import type { RunningConfig } from '../api/config.js';
import { writeFileAtomic } from '../util/fs.js';
import { loadRunningConfig, runningConfigPath, serializeRunningConfig } from './running-config.js';

export function runningConfigStore(stateDir: string): {
  load(): Promise<RunningConfig>;
  save(config: RunningConfig): Promise<void>;
} {
  return {
    load: () => loadRunningConfig(stateDir),
    save: (c) => writeFileAtomic(runningConfigPath(stateDir), serializeRunningConfig(c)),
  };
}
