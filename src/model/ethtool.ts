// ethtool features as the host reader finds them (`ethtool --json -k DEV`) and as a transaction
// sets them (`ethtool -K DEV NAME on|off ...`): the one parser of ethtool's output, the one argv
// of each command, and what validation asks of a read (is the feature there, is it changeable).
// Pure: src/observe/host.ts runs the read, src/apply/kernel.ts the set. Ring sizes and
// coalescing, read with the features into the same EthtoolRead, are model/ethtool-params.ts.
import { featureNameProblem, isDeviceName, quoteName } from '../api/names.js';
import type { CoalesceRead, Failed, RingsRead } from './ethtool-params.js';

/**
 * One leaf feature of a NIC. `requested` is what was asked of the kernel (the configuration:
 * what the handler sets, reads back and compares); `active` what the kernel does now, which
 * differs while a feature it depends on is off (tx-tcp-segmentation needs checksumming).
 */
export interface FeatureState {
  active: boolean;
  requested: boolean;
  /** The driver does not let it change ("[fixed]" in `ethtool -k`). */
  fixed: boolean;
}

/**
 * A NIC's features, or why they could not be read (no ethtool, a device without the ioctl); with
 * its ring sizes and coalescing (model/ethtool-params.ts) or why those could not be read (a veth
 * has features but neither), when the read included them.
 */
export type EthtoolRead =
  | {
      features: Record<string, FeatureState>;
      groups: string[];
      rings?: RingsRead | Failed;
      coalesce?: CoalesceRead | Failed;
    }
  | { error: string };

/** The argv that reads a device's features (JSON output: ethtool 5.10 and later has it for -k). */
export function featureReadArgv(dev: string): string[] {
  deviceArg(dev);
  return ['ethtool', '--json', '-k', dev];
}

/** The argv that sets features (`on`/`off` per name), in name order. */
export function featureSetArgv(dev: string, features: Readonly<Record<string, boolean>>): string[] {
  deviceArg(dev);
  const names = Object.keys(features).sort();
  if (!names.length) throw new Error(`ethtool -K ${dev}: no feature to set`);
  for (const n of names) {
    const p = featureNameProblem(n);
    if (p) throw new Error(`refusing to pass the feature ${quoteName(n)} to ethtool: ${p}`);
  }
  return ['ethtool', '-K', dev, ...names.flatMap((n) => [n, features[n] ? 'on' : 'off'])];
}

/**
 * A device name as an ethtool argument: the spec's rule (starts with a letter or digit, so never
 * an option). Checked where the argv is built, whatever built the request (a journal read back).
 */
function deviceArg(dev: string): void {
  if (!isDeviceName(dev)) throw new Error(`refusing to pass the device ${quoteName(dev)} to ethtool`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses `ethtool --json -k DEV`: `[{"ifname": DEV, NAME: {active, fixed, requested}, ...}]`.
 * A leaf feature has booleans throughout; a group ("tx-checksumming") has fixed and requested
 * null (its members carry the state). Names outside the feature rule are skipped (the handler
 * could never name them), as is anything not of that shape. Throws on output that is not that
 * document for that device.
 */
export function parseFeatureJson(
  dev: string,
  text: string,
): { features: Record<string, FeatureState>; groups: string[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`ethtool --json -k ${dev}: not JSON (${(e as Error).message})`);
  }
  const entry = Array.isArray(doc) && doc.length === 1 ? doc[0] : undefined;
  if (!isObject(entry) || entry.ifname !== dev) throw new Error(`ethtool --json -k ${dev}: not one entry for ${dev}`);
  const features: Record<string, FeatureState> = {};
  const groups: string[] = [];
  for (const [name, v] of Object.entries(entry)) {
    if (name === 'ifname' || featureNameProblem(name) || !isObject(v) || typeof v.active !== 'boolean') continue;
    if (typeof v.fixed === 'boolean' && typeof v.requested === 'boolean')
      features[name] = { active: v.active, requested: v.requested, fixed: v.fixed };
    else if (v.fixed === null && v.requested === null) groups.push(name);
  }
  return { features, groups: groups.sort() };
}

/** Why a NIC's read does not let the handler set `name`, or undefined when it does. */
export function featureProblem(read: EthtoolRead, name: string): string | undefined {
  if ('error' in read) return `the NIC's features cannot be read: ${read.error}`;
  if (read.groups.includes(name))
    return 'is a group of features, which has no state of its own to read back: name its members (see `ethtool -k`)';
  if (!Object.hasOwn(read.features, name)) return 'is not a feature of this NIC (see `ethtool -k`)';
  if (read.features[name]!.fixed) return 'is fixed by the driver ("[fixed]" in `ethtool -k`): it cannot be changed';
  return undefined;
}

/** The requested values of `names` as the read has them (those it has). */
export function requestedFeatures(read: EthtoolRead | undefined, names: readonly string[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  if (!read || 'error' in read) return out;
  for (const n of [...names].sort()) if (Object.hasOwn(read.features, n)) out[n] = read.features[n]!.requested;
  return out;
}
