// ethtool ring sizes (`ethtool -g` / `-G`) and interrupt coalescing (`ethtool -c` / `-C`) as the
// host reader finds them and as a transaction sets them: the names (ethtool's own -G and -C
// argument names, as VDSM's ethtool_opts passes them through), the parsers of ethtool's text
// output, the argv of each command, and what validation asks of a read.
//
// Text, not JSON: Debian's ethtool 6.1 has --json for -k but refuses it for -g and -c ("bad
// command line argument(s)"). The text is taken as untrusted: a line that is not one of the
// known shapes is skipped, a value that is not a decimal u32 is "not reported", a header for
// another device or a value given twice refuses the whole read. Pure: src/observe/host.ts runs
// the reads, src/apply/kernel.ts the sets.
import {
  COALESCE_NAMES,
  COALESCE_NUMBERS,
  COALESCE_SWITCHES,
  isDeviceName,
  quoteName,
  RING_LABELS,
  RING_MIN,
  RING_NAMES,
  U32_MAX,
  type CoalesceName,
  type RingName,
} from '../api/names.js';

/** ethtool's -c output spells four -C names in the singular ("rx-frame-low"). */
const COALESCE_PRINTED: Readonly<Record<string, CoalesceName>> = {
  ...Object.fromEntries(COALESCE_NUMBERS.map((n) => [n, n])),
  'rx-frame-low': 'rx-frames-low',
  'tx-frame-low': 'tx-frames-low',
  'rx-frame-high': 'rx-frames-high',
  'tx-frame-high': 'tx-frames-high',
};

/** The two groups, by their name in ethtoolOpts. */
export type ParamGroup = 'rings' | 'coalesce';
export type ParamValue = number | boolean;

/** `ethtool -g`: what the driver reports. A ring it does not report ("n/a", or a maximum of 0) is absent. */
export interface RingsRead {
  max: Partial<Record<RingName, number>>;
  current: Partial<Record<RingName, number>>;
}
/** `ethtool -c`: the parameters the driver supports, with their values; an unsupported one ("n/a") is absent. */
export interface CoalesceRead {
  current: Partial<Record<CoalesceName, ParamValue>>;
}
export type Failed = { error: string };

const OPTION: Record<ParamGroup, { read: string; set: string }> = {
  rings: { read: '-g', set: '-G' },
  coalesce: { read: '-c', set: '-C' },
};

function deviceArg(dev: string): void {
  if (!isDeviceName(dev)) throw new Error(`refusing to pass the device ${quoteName(dev)} to ethtool`);
}

/** The argv that reads a group (`ethtool -g DEV`, `ethtool -c DEV`). */
export function paramsReadArgv(group: ParamGroup, dev: string): string[] {
  deviceArg(dev);
  return ['ethtool', OPTION[group].read, dev];
}

/** Why `name` = `value` is not something this group's set takes, or undefined. */
function valueProblem(group: ParamGroup, name: string, value: unknown): string | undefined {
  const names: readonly string[] = group === 'rings' ? RING_NAMES : COALESCE_NAMES;
  if (!names.includes(name)) return `is not a parameter of ethtool ${OPTION[group].set}`;
  const onOff = (COALESCE_SWITCHES as readonly string[]).includes(name);
  if (onOff) return typeof value === 'boolean' ? undefined : 'must be true or false';
  const min = group === 'rings' ? RING_MIN : 0;
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= U32_MAX
    ? undefined
    : `must be an integer from ${min} to ${U32_MAX}`;
}

/** The argv that sets values (`ethtool -G DEV rx 512 tx 512`, `ethtool -C DEV adaptive-rx on`), in name order. */
export function paramsSetArgv(group: ParamGroup, dev: string, values: Readonly<Record<string, ParamValue>>): string[] {
  deviceArg(dev);
  const names = Object.keys(values).sort();
  if (!names.length) throw new Error(`ethtool ${OPTION[group].set} ${dev}: nothing to set`);
  const args: string[] = [];
  for (const n of names) {
    const p = valueProblem(group, n, values[n]);
    if (p) throw new Error(`refusing to pass ${quoteName(n)} to ethtool ${OPTION[group].set}: ${p}`);
    const v = values[n]!;
    args.push(n, paramText(v));
  }
  return ['ethtool', OPTION[group].set, dev, ...args];
}

/** A printed value: a decimal u32, or undefined ("n/a", or anything else). */
function u32(text: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= U32_MAX ? n : undefined;
}

/** The lines of a read, its header checked: `Ring parameters for DEV:`. */
function bodyLines(group: ParamGroup, dev: string, text: string): string[] {
  const lines = text.split('\n').map((l) => l.trim());
  const header = `${group === 'rings' ? 'Ring' : 'Coalesce'} parameters for ${dev}:`;
  if (lines[0] !== header)
    throw new Error(`ethtool ${OPTION[group].read} ${dev}: output does not start with "${header}"`);
  return lines.slice(1);
}

function put<K extends string, V>(out: Partial<Record<K, V>>, k: K, v: V, what: string): void {
  if (Object.hasOwn(out, k)) throw new Error(`${what}: ${k} is given twice`);
  out[k] = v;
}

/**
 * Parses `ethtool -g DEV`: the rings under "Pre-set maximums:" and "Current hardware settings:".
 * A ring is kept only when both sections report it and its maximum is not 0 (the ioctl's "not
 * supported"); other lines (RX Buf Len, TX Push...) are not the handler's.
 */
export function parseRings(dev: string, text: string): RingsRead {
  const what = `ethtool -g ${dev}`;
  const byLabel = new Map<string, RingName>(RING_NAMES.map((n) => [RING_LABELS[n], n]));
  const max: Partial<Record<RingName, number>> = {};
  const current: Partial<Record<RingName, number>> = {};
  let section: typeof max | undefined;
  for (const line of bodyLines('rings', dev, text)) {
    if (line === 'Pre-set maximums:') section = max;
    else if (line === 'Current hardware settings:') section = current;
    const m = /^([A-Za-z ]+):\s+(\S+)$/.exec(line);
    const ring = m ? byLabel.get(m[1]!) : undefined;
    if (!m || !ring || !section) continue;
    const v = u32(m[2]!);
    if (v !== undefined) put(section, ring, v, what);
  }
  const out: RingsRead = { max: {}, current: {} };
  for (const r of RING_NAMES) {
    if (max[r] === undefined || max[r] === 0 || current[r] === undefined) continue;
    out.max[r] = max[r];
    out.current[r] = current[r];
  }
  return out;
}

/**
 * Parses `ethtool -c DEV`: "NAME: VALUE" lines of the known parameters and the "Adaptive RX: on
 * TX: off" line. A parameter printed "n/a" is one the driver does not support: left out.
 */
export function parseCoalesce(dev: string, text: string): CoalesceRead {
  const what = `ethtool -c ${dev}`;
  const current: Partial<Record<CoalesceName, ParamValue>> = {};
  const onOff = (s: string): boolean | undefined => (s === 'on' ? true : s === 'off' ? false : undefined);
  for (const line of bodyLines('coalesce', dev, text)) {
    const a = /^Adaptive RX:\s+(\S+)\s+TX:\s+(\S+)$/.exec(line);
    if (a) {
      for (const [k, s] of [['adaptive-rx', a[1]!] as const, ['adaptive-tx', a[2]!] as const]) {
        const v = onOff(s);
        if (v !== undefined) put(current, k, v, what);
      }
      continue;
    }
    const m = /^([a-z][a-z-]*):\s+(\S+)$/.exec(line);
    const name = m && Object.hasOwn(COALESCE_PRINTED, m[1]!) ? COALESCE_PRINTED[m[1]!] : undefined;
    const v = m && name ? u32(m[2]!) : undefined;
    if (name && v !== undefined) put(current, name, v, what);
  }
  return { current };
}

const LIST: Record<ParamGroup, string> = { rings: '`ethtool -g`', coalesce: '`ethtool -c`' };
const WHAT: Record<ParamGroup, string> = { rings: 'ring sizes', coalesce: 'coalescing parameters' };

/** Why a NIC's read does not let the handler set `name` to `value`, or undefined when it does. */
export function paramProblem(
  group: ParamGroup,
  read: RingsRead | CoalesceRead | Failed | undefined,
  name: string,
  value: ParamValue,
): string | undefined {
  if (!read) return `the NIC's ${WHAT[group]} were not read`;
  if ('error' in read) return `the NIC's ${WHAT[group]} cannot be read: ${read.error}`;
  if (!Object.hasOwn(read.current, name)) return `is not supported by the driver of this NIC ("n/a" in ${LIST[group]})`;
  if ('max' in read) {
    const max = read.max[name as RingName]!;
    if (typeof value === 'number' && value > max)
      return `${value} is over the driver's maximum of ${max} ("Pre-set maximums" in ${LIST[group]})`;
  }
  return undefined;
}

/** The current values of `names` as the read has them (those it has). */
export function currentParams(
  read: RingsRead | CoalesceRead | Failed | undefined,
  names: readonly string[],
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  if (!read || 'error' in read) return out;
  const cur = read.current as Record<string, ParamValue>;
  for (const n of [...names].sort()) if (Object.hasOwn(cur, n)) out[n] = cur[n]!;
  return out;
}

/** `{rx: 512, tx: 512}` / `{adaptive-rx: on}` for people. */
export function paramsText(values: Readonly<Record<string, ParamValue>>): string {
  const names = Object.keys(values).sort();
  if (!names.length) return 'none';
  return `{${names.map((n) => `${n}: ${paramText(values[n]!)}`).join(', ')}}`;
}

/** A value as ethtool takes it: on/off, or the number. */
export const paramText = (v: ParamValue): string => (typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v));
