// The object's byte budget and what gives way when the status would not fit it. etcd refuses a
// request over 1.5 MiB by default and the API server one over 3 MiB: an agent whose status is
// refused for its size would keep failing, and the result of every later apply would be lost
// with it. So the whole object (metadata, spec, status) is kept under OBJECT_BUDGET_BYTES: the
// status degrades through TRUNCATION_ORDER, one definition used both before a write (the size
// the object would have) and after the API server refused one. What an apply says
// (ESSENTIAL_FIELDS) is never left out. Pure functions; the reporter (reporter.ts) applies them.
import { isDeepStrictEqual } from 'node:util';
import { API_VERSION, HANDLER_NAME } from '../api/constants.js';
import type { Condition } from '../api/status.js';
import { managedFieldsEntry, type FieldsShape, type ManagedFieldsEntry } from '../k8s/managed-fields.js';
import type { OnnObject } from '../k8s/client.js';
import { shortMessage } from './status-shapes.js';
import { STATISTICS_TIME } from './statistics-delta.js';

/** Under etcd's default request limit (1.5 MiB), with room for the request around the object. */
export const OBJECT_BUDGET_BYTES = 1024 * 1024;

/** The top-level fields of a status. */
export type StatusFields = Record<string, unknown>;

/** What every write keeps, whatever else is left out: the outcome of the last apply and observation. */
export const ESSENTIAL_FIELDS: readonly string[] = ['conditions', 'setupStatus', 'observedGeneration', 'infoStatus'];

/** Where the left-out detail can be read instead (condition, Event, README). */
export const ELSEWHERE =
  "per-interface counters are on the agent's /metrics, everything on the node with `ovirt-node-network-handler show`";

/**
 * How the object's lists and maps are kept, for the managedFields the API server records:
 * conditions a list map by type (ownerReferences by uid), a bond's nics a set; capabilities,
 * statistics, kernelConfig and lldp atomic (src/api/status.ts: one writer replaces each whole), so
 * their writer's entry names the field, not every key in it.
 */
export const OBJECT_FIELDS_SHAPE: FieldsShape = {
  listMaps: { conditions: 'type', ownerReferences: 'uid' },
  sets: ['nics'],
  atomic: ['capabilities', 'statistics', 'kernelConfig', 'lldp'],
};

export interface TruncationLevel {
  /** What this level leaves out, on top of the levels before it (the condition lists them). */
  readonly leavesOut: string;
  /** The status without it. */
  readonly apply: (s: StatusFields) => StatusFields;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function without(...keys: string[]): (s: StatusFields) => StatusFields {
  return (s) => Object.fromEntries(Object.entries(s).filter(([k]) => !keys.includes(k)));
}

/** Statistics of the NICs and bonds only: where traffic enters the host; the devices above carry the same. */
function statisticsOfPorts(s: StatusFields): StatusFields {
  if (!isObj(s.statistics)) return s;
  const caps = isObj(s.capabilities) ? s.capabilities : {};
  const keep = new Set([
    ...Object.keys(isObj(caps.nics) ? caps.nics : {}),
    ...Object.keys(isObj(caps.bondings) ? caps.bondings : {}),
  ]);
  return { ...s, statistics: Object.fromEntries(Object.entries(s.statistics).filter(([name]) => keep.has(name))) };
}

/** Device fields' values that say "none" (src/api/status.ts deviceFields). */
const NONE_VALUES: Readonly<Record<string, unknown>> = { ipv6gateway: '::' };
const isNone = (k: string, v: unknown): boolean =>
  v === '' ||
  v === false ||
  (Array.isArray(v) && v.length === 0) ||
  (isObj(v) && Object.keys(v).length === 0) ||
  NONE_VALUES[k] === v;

const DEVICE_MAPS = ['nics', 'bondings', 'bridges', 'vlans'] as const;

const dropNone = (entry: Obj): Obj => Object.fromEntries(Object.entries(entry).filter(([k, v]) => !isNone(k, v)));

/**
 * Capabilities without what they say twice or say nothing: fields at their "none" value ("",
 * false, [], {}, "::"), and a network's fields that its iface's device entry holds with the same
 * value (addresses, gateways, mtu, ports, stp) or that repeat its own iface (interface).
 */
function compactCapabilities(s: StatusFields): StatusFields {
  const caps = s.capabilities;
  if (!isObj(caps)) return s;
  const out: Obj = { ...caps };
  const devices = new Map<string, Obj>();
  for (const m of DEVICE_MAPS) {
    const map = isObj(caps[m]) ? caps[m] : {};
    out[m] = Object.fromEntries(Object.entries(map).map(([name, e]) => [name, isObj(e) ? dropNone(e) : e]));
    for (const [name, e] of Object.entries(map)) if (isObj(e)) devices.set(name, e);
  }
  const nets = isObj(caps.networks) ? caps.networks : {};
  out.networks = Object.fromEntries(
    Object.entries(nets).map(([name, e]) => {
      if (!isObj(e)) return [name, e];
      const dev = typeof e.iface === 'string' ? devices.get(e.iface) : undefined;
      const repeated = (k: string, v: unknown) =>
        k !== 'iface' &&
        ((dev !== undefined && k in dev && isDeepStrictEqual(dev[k], v)) || (k === 'interface' && v === e.iface));
      return [name, dropNone(Object.fromEntries(Object.entries(e).filter(([k, v]) => !repeated(k, v))))];
    }),
  );
  return { ...s, capabilities: out };
}

/**
 * The order in which the status gives way, each level on top of the ones before: first the
 * statistics (all of them are on /metrics), then what capabilities repeat or leave empty (no
 * information lost), then what the switches announce (lldp), then kernelConfig (the spec read
 * back: a difference is in the Degraded condition), then capabilities. The reporter's last
 * resort, when even that is refused for its content, is the same status without the
 * StatusTruncated condition (an older CRD does not know the condition type).
 */
export const TRUNCATION_ORDER: readonly TruncationLevel[] = [
  { leavesOut: 'statistics of devices other than NICs and bonds', apply: statisticsOfPorts },
  { leavesOut: 'statistics', apply: without('statistics', STATISTICS_TIME) },
  {
    leavesOut:
      "capabilities' repeated and empty fields (a network's addresses, gateways, mtu, ports and stp are its " +
      "iface's; a missing flag is false, a missing address or list empty)",
    apply: compactCapabilities,
  },
  // What switches announce: on no other surface (ovirt-node-network-handler show reads the host,
  // not lldpd), but worth less than the node's own devices and config.
  { leavesOut: 'lldp', apply: without('lldp') },
  { leavesOut: 'kernelConfig', apply: without('kernelConfig') },
  { leavesOut: 'capabilities', apply: without('capabilities') },
];

/** The deepest level (TRUNCATION_ORDER.length: everything but the essential fields left out). */
export const MAX_LEVEL = TRUNCATION_ORDER.length;

/** The status at `level`: levels 1..level of TRUNCATION_ORDER applied in order (0: as it is). */
export function truncate(s: StatusFields, level: number): StatusFields {
  if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL)
    throw new Error(`truncation level ${level}: must be an integer in 0..${MAX_LEVEL}`);
  return TRUNCATION_ORDER.slice(0, level).reduce((acc, l) => l.apply(acc), s);
}

/** What a level leaves out, in order; [] at 0. */
export function leftOut(level: number): string[] {
  return TRUNCATION_ORDER.slice(0, level).map((l) => l.leavesOut);
}

export const TRUNCATED_CONDITION = 'StatusTruncated' satisfies Condition['type'];

export type TruncationCause =
  /** The object would exceed its budget. */
  | { kind: 'budget'; budget: number }
  /** The API server refused the status, for its size or for its content (HTTP code). */
  | { kind: 'refused'; what: 'size' | 'content'; code: number };

/**
 * The StatusTruncated condition at a level: True naming what is left out and why, False (once it
 * has been True) when nothing is. The message is stable per level and cause, so it does not
 * change, and rewrite the status, with every observation.
 */
export function truncationCondition(
  level: number,
  cause: TruncationCause,
  generation: number,
  previous: Condition | undefined,
  now = new Date(),
): Condition {
  const truncated = level > 0;
  const status = truncated ? 'True' : 'False';
  const why =
    cause.kind === 'budget'
      ? `the object would exceed its budget of ${cause.budget} bytes`
      : `the API server refused the status for its ${cause.what} (HTTP ${cause.code})`;
  return {
    type: TRUNCATED_CONDITION,
    status,
    reason: truncated ? (cause.kind === 'budget' ? 'ObjectTooLarge' : 'WriteRefused') : 'Complete',
    message: truncated ? shortMessage(`${why}: left out ${leftOut(level).join('; ')}. ${ELSEWHERE}`, 1000) : '',
    observedGeneration: generation,
    lastTransitionTime: previous && previous.status === status ? previous.lastTransitionTime : now.toISOString(),
  };
}

/**
 * A status (at `level`) with StatusTruncated among its conditions, in place of any it had: at a
 * level above 0, or False once it has been True (`previous`, as the object shows it); `omit`
 * leaves it out (the last resort, for an API server that refuses it).
 */
export function withTruncationCondition(
  s: StatusFields,
  level: number,
  cause: TruncationCause,
  o: { generation: number; previous?: Condition | undefined; omit?: boolean; now?: Date },
): StatusFields {
  const { conditions, ...data } = s;
  const kept = ((conditions ?? []) as Condition[]).filter((c) => c.type !== TRUNCATED_CONDITION);
  if (!o.omit && (level > 0 || o.previous))
    kept.push(truncationCondition(level, cause, o.generation, o.previous, o.now));
  return { ...data, ...(kept.length ? { conditions: kept } : {}) };
}

/** The object's managedFields without the status writer's entry (the one a status write replaces). */
function otherManagedFields(obj: OnnObject): ManagedFieldsEntry[] {
  return (obj.metadata.managedFields ?? []).filter((e) => e.subresource !== 'status');
}

/** Bytes of the object without its status and without the status writer's managedFields entry. */
export function baseBytes(obj: OnnObject): number {
  const { status: _, ...rest } = obj;
  return Buffer.byteLength(
    JSON.stringify({ ...rest, metadata: { ...obj.metadata, managedFields: otherManagedFields(obj) } }),
  );
}

/** The managedFields entry the API server records for the agent's status. */
export function statusManagedFields(status: StatusFields, manager = HANDLER_NAME): ManagedFieldsEntry {
  return managedFieldsEntry(
    { manager, apiVersion: API_VERSION, subresource: 'status' },
    { status },
    OBJECT_FIELDS_SHAPE,
  );
}

/**
 * The object's size with this status: the base (baseBytes), `"status":` and the status, and
 * the status writer's managedFields entry with its separator. `statusBytes` is the status's JSON
 * size (given when the caller measured it by parts).
 */
export function objectBytes(
  base: number,
  status: StatusFields,
  statusBytes = Buffer.byteLength(JSON.stringify(status)),
): number {
  return base + ',"status":'.length + statusBytes + 1 + Buffer.byteLength(JSON.stringify(statusManagedFields(status)));
}

export interface Fitted {
  level: number;
  status: StatusFields;
  /** The object's size with it (objectBytes). */
  bytes: number;
}

export interface FitOptions {
  /** baseBytes of the object. */
  base: number;
  budget: number;
  /** The first level to try (default 0). */
  from?: number;
  /** The status written at a level, from the truncated one (the conditions it carries); default as it is. */
  finish?: (truncated: StatusFields, level: number) => StatusFields;
  /** JSON bytes of a status (a caller may measure by parts); default JSON.stringify. */
  statusBytes?: (s: StatusFields) => number;
}

/**
 * The status at the first level (from `from`) at which the object fits the budget, or at
 * MAX_LEVEL whatever its size: the essential fields always go.
 */
export function fitStatus(full: StatusFields, o: FitOptions): Fitted {
  const at = (level: number): Fitted => {
    const status = (o.finish ?? ((t) => t))(truncate(full, level), level);
    return { level, status, bytes: objectBytes(o.base, status, o.statusBytes?.(status)) };
  };
  let f = at(o.from ?? 0);
  while (f.bytes > o.budget && f.level < MAX_LEVEL) f = at(f.level + 1);
  return f;
}
