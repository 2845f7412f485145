// The running config: what the handler owns on this node, as last applied, in canonical form.
// Persisted as JSON in the state directory and written atomically (old or new content, never a
// mix), so a crash mid-write or mid-apply leaves a config to converge from.
import { join } from 'node:path';
import type { RunningConfig } from '../api/config.js';
import { DEFAULT_STATE_DIR } from '../api/constants.js';
import { RunningConfigSchema } from '../api/config-schema.js';
import { readJsonIfExists, StateFileError, writeFileAtomic } from '../util/fs.js';
import { firstIssue, PersistedRunningConfigSchema } from './schemas.js';

export const RUNNING_CONFIG_FILE = 'running-config.json';

export function runningConfigPath(stateDir: string = DEFAULT_STATE_DIR): string {
  return join(stateDir, RUNNING_CONFIG_FILE);
}

/** Validates parsed JSON as a running config; throws with the offending field otherwise. */
export function parseRunningConfig(data: unknown, source = RUNNING_CONFIG_FILE): RunningConfig {
  const r = RunningConfigSchema.safeParse(data);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  throw new Error(
    `${source}: not a running config (${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'})`,
  );
}

/** Stable text: keys sorted at every level, so equal configs are equal files. */
export function serializeRunningConfig(config: RunningConfig): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  };
  return `${JSON.stringify(sorted(config), null, 2)}\n`;
}

/**
 * A running config read back from its file: the config schema, plus names that stay one path
 * segment and one `ip` token and option keys from the option tables (persist/schemas.ts), as
 * paths and commands are built from them. Throws a StateFileError naming the file and field.
 */
export function parsePersistedRunningConfig(data: unknown, path: string): RunningConfig {
  const r = PersistedRunningConfigSchema.safeParse(data);
  if (r.success) return r.data;
  const { field, message } = firstIssue(r.error);
  throw new StateFileError(path, field, `not a running config (${field}: ${message})`);
}

/**
 * The persisted running config; a missing file is an empty config (nothing owned yet). A file
 * that is there but bad is refused (StateFileError) and left as it is: nothing here deletes or
 * rewrites it.
 */
export async function loadRunningConfig(stateDir: string = DEFAULT_STATE_DIR): Promise<RunningConfig> {
  const path = runningConfigPath(stateDir);
  const data = await readJsonIfExists<unknown>(path);
  if (data === undefined) return { networks: {}, bondings: {} };
  return parsePersistedRunningConfig(data, path);
}

export async function saveRunningConfig(config: RunningConfig, stateDir: string = DEFAULT_STATE_DIR): Promise<void> {
  await writeFileAtomic(runningConfigPath(stateDir), serializeRunningConfig(parseRunningConfig(config)));
}
