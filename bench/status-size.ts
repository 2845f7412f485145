// Status bytes without a kernel: specs of each network shape (and the largest the CRD accepts),
// the host each makes once applied (lib/synthetic-host.ts, in the observer's dump formats), the
// status the agent's real code builds from it (parser, capabilities, kernelConfig, statistics,
// the apply's outcome and conditions) and the object the API server stores around it (metadata
// with the managedFields of the spec's and the status's writers). The unit test
// (test/unit/status-budget.test.ts) and scripts/status-size.mjs both run this.
import type { RunningConfig } from '../src/api/config.js';
import { API_VERSION, HANDLER_NAME, KIND } from '../src/api/constants.js';
import { BONDINGS_MAX, NETWORKS_MAX, type NetworkSpec, type SpecInput } from '../src/api/spec.js';
import { conditionsFor, success } from '../src/report/status-shapes.js';
import { managedFieldsEntry, type ManagedFieldsEntry } from '../src/k8s/managed-fields.js';
import type { OnnObject } from '../src/k8s/client.js';
import { assembleHostState } from '../src/observe/parse.js';
import { capabilities } from '../src/observe/capabilities.js';
import { kernelConfig } from '../src/observe/kernel-config.js';
import { StatisticsSampler } from '../src/observe/statistics.js';
import { validationFacts } from '../src/model/host-facts.js';
import { checkSpec } from '../src/plan/validate.js';
import {
  baseBytes, fitStatus, leftOut, OBJECT_BUDGET_BYTES, OBJECT_FIELDS_SHAPE, statusManagedFields, withTruncationCondition, type Fitted,
} from '../src/report/status-budget.js';
import { markdownTable } from '../kit/report.js';
import { syntheticDumps, type HostShape } from './lib/synthetic-host.js';

export const SHAPES = ['bridged-nic', 'bridgeless-nic', 'vlan-bond-bridged-v4v6', 'nicless-bridge'] as const;
export type Shape = (typeof SHAPES)[number];

export const SHAPE_LABELS: Record<Shape, string> = {
  'bridged-nic': 'bridged NIC network, static IPv4 + gateway',
  'bridgeless-nic': 'bridgeless NIC network, static IPv4 + gateway',
  'vlan-bond-bridged-v4v6': 'bridged VLAN over a bond, static IPv4 + IPv6, gateways, MTU',
  'nicless-bridge': 'nicless bridge, no addresses',
};

// Names and values at the longest the CRD and the kernel accept (15-character names, addresses
// with no short octets or zero groups), so the figures bound every spec of the same shape.
const pad = (i: number, n: number) => String(i).padStart(n, '0');
export const networkName = (i: number): string => `net-vlan-${pad(i, 6)}`;
export const bondName = (i: number): string => `bond_uplink${pad(i, 4)}`;
export const nicName = (i: number): string => `ens${pad(i, 7)}f0np0`;
const nicOfBond = (b: number, k: number): string => `enp${pad(b, 5)}s0f${k}np${k}`;
const v4 = (i: number, host: number) => `172.${100 + Math.floor(i / 150)}.${100 + (i % 150)}.${host}`;
const v6 = (i: number, last: string) => `fdab:cdef:1234:${(0x1000 + i).toString(16)}:1111:2222:3333:${last}`;
const STATIC_V4 = (i: number) => ({ ipaddr: v4(i, 200), netmask: '255.255.255.128', gateway: v4(i, 254) });
const STATIC_V6 = (i: number) => ({ ipv6addr: `${v6(i, '4444')}/64`, ipv6gateway: v6(i, 'fffe') });
export const LACP_BOND_OPTIONS = 'mode=802.3ad miimon=100 lacp_rate=fast xmit_hash_policy=layer3+4';

/** Network i of a shape; `bonds`: how many bonds VLAN networks are spread over. */
export function shapeNetwork(shape: Shape, i: number, bonds: number): NetworkSpec {
  switch (shape) {
    case 'bridged-nic':
      return { nic: nicName(i), bridged: true, bootproto: 'none', ...STATIC_V4(i) };
    case 'bridgeless-nic':
      return { nic: nicName(i), bridged: false, bootproto: 'none', ...STATIC_V4(i) };
    case 'vlan-bond-bridged-v4v6':
      return { bonding: bondName(i % bonds), vlan: 1000 + Math.floor(i / bonds), bridged: true, mtu: 9000, bootproto: 'none', ...STATIC_V4(i), ...STATIC_V6(i) };
    case 'nicless-bridge':
      return {};
  }
}

/** 16 nameservers, IPv6 at their longest (the most the CRD accepts, on the default-route network). */
const NAMESERVERS = Array.from({ length: 16 }, (_, k) => v6(0xe00 + k, '0053'));

/** `networks` of one shape over `bonds` bonds of two NICs each (802.3ad); network 0 holds the default route. */
export function shapeSpec(shape: Shape, networks: number, bonds = 0): SpecInput {
  const nets: Record<string, NetworkSpec> = {};
  for (let i = 0; i < networks; i++) nets[networkName(i)] = shapeNetwork(shape, i, bonds);
  const first = nets[networkName(0)];
  if (first && shape !== 'nicless-bridge') Object.assign(first, { defaultRoute: true, nameservers: NAMESERVERS });
  const bondings: NonNullable<SpecInput['bondings']> = {};
  for (let b = 0; b < bonds; b++) bondings[bondName(b)] = { nics: [nicOfBond(b, 0), nicOfBond(b, 1)], options: LACP_BOND_OPTIONS };
  return { networks: nets, bondings };
}

/** NICs the host must have for a spec: every NIC its networks and bonds name. */
function nicsOf(spec: SpecInput): string[] {
  const out = new Set<string>();
  for (const n of Object.values(spec.networks ?? {})) if (n.nic) out.add(n.nic);
  for (const b of Object.values(spec.bondings ?? {})) for (const nic of b.nics) out.add(nic);
  return [...out];
}

export const STATISTICS_INTERVAL_S = 30;
const NODE = 'worker-0042.cluster-a.example.com';
const UID = '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';

/** The canonical config of a spec, validated (as the agent would) against the host before the apply. */
export function configFor(spec: SpecInput): RunningConfig {
  const before = assembleHostState(syntheticDumps({ networks: {}, bondings: {} }, hostShape(spec, 0)), 0);
  const checked = checkSpec(spec, { host: validationFacts(before) });
  if (!checked.ok) throw new Error(`the synthetic spec is invalid: ${checked.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return checked.config;
}

function hostShape(spec: SpecInput, sample: number): HostShape {
  return { nics: nicsOf(spec), sample, intervalSeconds: STATISTICS_INTERVAL_S, nameservers: ['192.0.2.53'] };
}

/**
 * The status the agent writes once the spec is applied, every part full: capabilities and
 * kernelConfig of the host read back, statistics of its second sample (rates moving), the
 * apply's outcome (a long summary, as a big apply has) and conditions.
 */
export function fullStatus(spec: SpecInput, generation = 7): Record<string, unknown> {
  const config = configFor(spec);
  const sampler = new StatisticsSampler();
  const t0 = 1_767_225_600.123;
  sampler.sample(assembleHostState(syntheticDumps(config, hostShape(spec, 0)), t0));
  const host = assembleHostState(syntheticDumps(config, hostShape(spec, 1)), t0 + STATISTICS_INTERVAL_S);
  const summary = Object.keys(config.networks).map((n) => `add network ${n}`).join('; ') || 'no changes';
  return {
    capabilities: capabilities(host, config),
    kernelConfig: kernelConfig(host, config),
    statistics: sampler.sample(host),
    infoStatus: success(),
    setupStatus: success(),
    conditions: conditionsFor({ kind: 'available', generation, message: summary }, undefined, new Date(t0 * 1000)),
    observedGeneration: generation,
  };
}

/** managedFields of the spec's writer (kubectl replace) and of the agent at creation and for the status. */
function managedFieldsFor(spec: SpecInput, status: Record<string, unknown> | undefined): ManagedFieldsEntry[] {
  return [
    managedFieldsEntry({ manager: HANDLER_NAME, apiVersion: API_VERSION }, { metadata: { ownerReferences: [{ uid: UID }] } }, OBJECT_FIELDS_SHAPE),
    managedFieldsEntry({ manager: 'kubectl-replace', apiVersion: API_VERSION }, { spec }, OBJECT_FIELDS_SHAPE),
    ...(status ? [statusManagedFields(status)] : []),
  ];
}

/** The object as the API server stores it: metadata of a real node's object, the spec, the status. */
export function storedObject(spec: SpecInput, status: Record<string, unknown> | undefined): OnnObject & { metadata: { managedFields: ManagedFieldsEntry[] } } {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: NODE, uid: '0d9e8f7a-6b5c-4d3e-9f1a-2b3c4d5e6f70', resourceVersion: '184467440', generation: 7,
      creationTimestamp: '2026-01-01T00:00:00Z',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: UID }],
      managedFields: managedFieldsFor(spec, status),
    } as OnnObject['metadata'] & { managedFields: ManagedFieldsEntry[] },
    spec: spec as Record<string, unknown>,
    ...(status ? { status } : {}),
  };
}

export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/**
 * The status the agent writes for `full` on the stored object of `spec` (what the reporter's
 * budget does, src/report/status-budget.ts): the first level at which the object fits, with
 * the StatusTruncated condition a truncated status carries.
 */
export function writtenStatus(spec: SpecInput, full: Record<string, unknown>, budget = OBJECT_BUDGET_BYTES): Fitted {
  const generation = full.observedGeneration as number;
  return fitStatus(full, {
    base: baseBytes(storedObject(spec, undefined)),
    budget,
    finish: (t, level) => withTruncationCondition(t, level, { kind: 'budget', budget }, { generation, now: new Date('2026-01-01T00:00:00Z') }),
  });
}

export interface ShapeRow {
  shape: Shape;
  /** Bytes per network, by part of the object; `managedFields`: the writers' entries; `object`: all. */
  spec: number;
  managedFields: number;
  capabilities: number;
  kernelConfig: number;
  statistics: number;
  object: number;
}

/**
 * Bytes one more network of a shape adds to the object with a full status: the difference
 * between `at` and 2·`at` networks, per network (so what every object has once is not counted).
 */
export function shapeRow(shape: Shape, at = 100): ShapeRow {
  const parts = (n: number) => {
    const spec = shapeSpec(shape, n, shape === 'vlan-bond-bridged-v4v6' ? 2 : 0);
    const status = fullStatus(spec);
    const obj = storedObject(spec, status);
    return {
      spec: jsonBytes(spec), managedFields: jsonBytes(obj.metadata.managedFields), capabilities: jsonBytes(status.capabilities),
      kernelConfig: jsonBytes(status.kernelConfig), statistics: jsonBytes(status.statistics), object: jsonBytes(obj),
    };
  };
  const a = parts(at);
  const b = parts(2 * at);
  const per = (k: keyof typeof a) => Math.round((b[k] - a[k]) / at);
  return {
    shape, spec: per('spec'), managedFields: per('managedFields'), capabilities: per('capabilities'), kernelConfig: per('kernelConfig'),
    statistics: per('statistics'), object: per('object'),
  };
}

export interface ObjectSize {
  /** The object with every part of the status. */
  fullBytes: number;
  /** The object as the agent writes it (within the budget). */
  writtenBytes: number;
  level: number;
  leftOut: string[];
}

/** The object once `spec` is applied: with the full status, and as the agent writes it. */
export function objectSize(spec: SpecInput): ObjectSize {
  const full = fullStatus(spec);
  const written = writtenStatus(spec, full);
  return { fullBytes: jsonBytes(storedObject(spec, full)), writtenBytes: jsonBytes(storedObject(spec, written.status)), level: written.level, leftOut: leftOut(written.level) };
}

/** The largest spec the CRD accepts: NETWORKS_MAX networks of the largest shape over BONDINGS_MAX bonds. */
export const largestSpec = (): SpecInput => shapeSpec('vlan-bond-bridged-v4v6', NETWORKS_MAX, BONDINGS_MAX);

/** The tables of docs/benchmarks.md ("Status bytes per network, by shape" and the maximum), as Markdown. */
export function statusSizeReport(): string {
  const rows = SHAPES.map((s) => shapeRow(s)).map((r) => [SHAPE_LABELS[r.shape], ...[r.spec, r.managedFields, r.capabilities, r.kernelConfig, r.statistics, r.object].map(String)]);
  const kb = (b: number) => `${b} (${(b / 1024).toFixed(0)} KiB)`;
  const cases: [string, SpecInput][] = [
    [`the largest spec the CRD accepts: ${NETWORKS_MAX} bridged VLAN networks (IPv4 + IPv6) over ${BONDINGS_MAX} bonds of 2 NICs`, largestSpec()],
    [`${NETWORKS_MAX} nicless bridges (issue 17's first failing case)`, shapeSpec('nicless-bridge', NETWORKS_MAX)],
  ];
  return [
    markdownTable(['shape (bytes per network)', 'spec', 'managedFields', 'capabilities', 'kernelConfig', 'statistics', 'object'], rows),
    markdownTable(['object', 'full status', 'as written', 'level', 'left out'], cases.map(([label, spec]) => {
      const o = objectSize(spec);
      return [label, kb(o.fullBytes), kb(o.writtenBytes), String(o.level), o.leftOut.join('; ') || 'nothing'];
    })),
    `budget: ${kb(OBJECT_BUDGET_BYTES)}\n`,
  ].join('\n');
}
