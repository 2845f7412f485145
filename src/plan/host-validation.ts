// A spec checked against one read of a host: the host facts validation needs projected from the
// read, the spec parsed and validated with what the handler owns (src/plan/validate.ts), and the
// errors put in words for a status message or a terminal. Pure: the caller reads the host (the
// agent's transaction under its lock, the CLI's dry run apart from any).
import type { RunningConfig } from '../api/config.js';
import type { HostState } from '../model/host-state.js';
import { validationFacts } from '../model/host-facts.js';
import { checkSpec, type ValidationError } from './validate.js';
import { isDeviceName } from '../api/names.js';

/**
 * The NICs a spec as written gives settings (spec.nics keys by the name rule): the host read
 * before validation reads their ethtool features, so validation can hold the spec to them.
 */
export function specNics(spec: unknown): string[] {
  const nics = (spec as { nics?: unknown } | null | undefined)?.nics;
  if (typeof nics !== 'object' || nics === null || Array.isArray(nics)) return [];
  return Object.keys(nics).filter(isDeviceName).sort();
}

/** Whether a spec as written gives any network hostQos (the host read then includes QoS facts). */
export function specHasQos(spec: unknown): boolean {
  const nets = (spec as { networks?: unknown } | null | undefined)?.networks;
  if (typeof nets !== 'object' || nets === null || Array.isArray(nets)) return false;
  return Object.values(nets).some((n) => typeof n === 'object' && n !== null && 'hostQos' in n);
}

/**
 * Errors shown in a status message: enough to fix the first ones; a spec of NETWORKS_MAX networks
 * with a typo must not make a 300 KB status.
 */
export const MAX_REPORTED_ERRORS = 20;

export function formatValidationErrors(errors: readonly ValidationError[], max = MAX_REPORTED_ERRORS): string {
  const shown = errors.slice(0, max).map((e) => `${e.path}: ${e.message}`);
  if (errors.length > max) shown.push(`… and ${errors.length - max} more error(s)`);
  return shown.join('; ');
}

/** A spec validated against a host read and what the handler owns: the canonical config, or every error. */
export type HostCheck = { config: RunningConfig } | { errors: ValidationError[] };

/** Parses and validates a spec against a host read and what the handler owns (pure). */
export function checkSpecOnHost(spec: unknown, host: HostState, running: RunningConfig): HostCheck {
  const checked = checkSpec(spec, { host: validationFacts(host), running });
  return checked.ok ? { config: checked.config } : { errors: checked.errors };
}
