// Host network QoS (VDSM's hostQos): the vocabulary, VDSM's HFSC layout of a device and the tc
// commands that take a device from one tree to another. Pure: observe/tc.ts reads the trees,
// apply/compile/qos.ts turns the commands into kernel operations.
//
// VDSM's layout (lib/vdsm/network/configurators/qos.py) on the southbound NIC or bond:
//   qdisc hfsc 1389: root default 1388         (5001, 5000 in hex)
//   class 1389:<vlan tag in hex>               one per QoS'd VLAN network
//   class 1389:1388                            the default class: the untagged network's own
//                                              class, or (none QoS'd) link share the largest m2
//   qdisc fq_codel <minor>: parent 1389:<minor> a fair leaf under every class
//   filter pref <tag> basic match meta(vlan eq <tag>) flowid 1389:<tag hex>
//   filter pref 5000 u32 match u8 0 0 flowid 0x1388
// Units are VDSM's: ul and rt slopes (m1, m2) in bit/s, d in microseconds; ls is a relative
// share that VDSM multiplies by 8 on the way to tc (tc rounds rates down to bytes) and divides
// by 8 on the way back.
import type { HostQos, HostQosCurve, HostQosOut, NetworkConfig } from '../api/config.js';
import { southboundOf } from './device-names.js';

export type { HostQos, HostQosCurve, HostQosOut };

export const QOS_CURVES = ['ls', 'rt', 'ul'] as const;
export type QosCurveName = (typeof QOS_CURVES)[number];

/** VDSM's NON_VLANNED_ID: the default class's minor and the catch-all filter's preference. */
export const DEFAULT_MINOR = 0x1388;
/** VDSM's root qdisc handle (5001), leaving minor numbers free for every VLAN tag. */
export const ROOT_MAJOR = 0x1389;
export const ROOT_HANDLE = `${ROOT_MAJOR.toString(16)}:`;

/** The largest slope the kernel holds: tc_service_curve.m1/m2 are u32 bytes per second. */
export const U32_MAX = 0xffffffff;
export const RATE_MAX_BITS = U32_MAX * 8;

/**
 * The kernel modules VDSM's layout uses, with what each one is; validation refuses hostQos on a
 * kernel without them (naming the missing ones) before anything on the host changes.
 */
export const QOS_MODULES: Readonly<Record<string, string>> = {
  sch_hfsc: 'the HFSC qdisc',
  sch_fq_codel: 'the fq_codel qdisc',
  cls_u32: 'the u32 filter',
  cls_basic: 'the basic filter',
  em_meta: 'the meta ematch (vlan)',
};

/** A service curve at tc's level: slopes in bit/s, d in microseconds, every field present. */
export interface TcCurve {
  m1: number;
  d: number;
  m2: number;
}

export type TcCurves = Partial<Record<QosCurveName, TcCurve>>;

/** One class of a device's tree, as the kernel has it or as the layout wants it. */
export interface QosClass {
  curves: TcCurves;
  /** The class has its fq_codel leaf (handle <minor>:). */
  leaf: boolean;
  /** The class has the filter that sends its traffic to it. */
  filter: boolean;
}

/**
 * A device's root qdisc: VDSM's HFSC tree (classes by minor), the kernel's default qdisc
 * (handle 0:, what deleting the root gives back), or someone else's qdisc.
 */
export type QosTree =
  { kind: 'hfsc'; classes: Record<number, QosClass> } | { kind: 'default' } | { kind: 'foreign'; qdisc: string };

/** The class minor of a network: its VLAN tag, or the default class for the untagged one. */
export function classMinor(vlan: number | undefined): number {
  return vlan ?? DEFAULT_MINOR;
}

const hex = (n: number): string => n.toString(16);

/** A curve of the spec at tc's level (ls times 8, absent fields 0). */
export function tcCurve(name: QosCurveName, c: HostQosCurve): TcCurve {
  const k = name === 'ls' ? 8 : 1;
  return { m1: (c.m1 ?? 0) * k, d: c.d ?? 0, m2: (c.m2 ?? 0) * k };
}

export function tcCurves(out: HostQosOut): TcCurves {
  const r: TcCurves = {};
  for (const n of QOS_CURVES) {
    const c = out[n];
    if (c) r[n] = tcCurve(n, c);
  }
  return r;
}

/** A curve as VDSM's getCapabilities reports it: every field, ls divided by 8 (floor). */
export function reportedCurve(name: QosCurveName, c: TcCurve): Required<HostQosCurve> {
  if (name !== 'ls') return { m1: c.m1, d: c.d, m2: c.m2 };
  return { m1: Math.floor(c.m1 / 8), d: c.d, m2: Math.floor(c.m2 / 8) };
}

/** capabilities.networks.NET.hostQos: {out: the class's curves} as VDSM reports them. */
export function reportedQos(curves: TcCurves): { out: Partial<Record<QosCurveName, Required<HostQosCurve>>> } {
  const out: Partial<Record<QosCurveName, Required<HostQosCurve>>> = {};
  for (const n of QOS_CURVES) {
    const c = curves[n];
    if (c) out[n] = reportedCurve(n, c);
  }
  return { out };
}

/** A curve without its zero fields (VDSM kernelconfig's _remove_zero_values_in_net_qos). */
export function strippedCurve(c: HostQosCurve): HostQosCurve {
  const r: HostQosCurve = {};
  if (c.m1) r.m1 = c.m1;
  if (c.d) r.d = c.d;
  if (c.m2) r.m2 = c.m2;
  return r;
}

/** hostQos in canonical form: out's curves in the order ls, rt, ul, each without zero fields. */
export function canonicalHostQos(q: { out: HostQosOut }): HostQos {
  const out: HostQosOut = {};
  for (const n of QOS_CURVES) {
    const c = q.out[n];
    if (c) out[n] = strippedCurve(c);
  }
  return { out };
}

/** kernelConfig's hostQos of a class: the reported curves with zero fields stripped. */
export function configQos(curves: TcCurves): HostQos {
  return canonicalHostQos(reportedQos(curves));
}

// ---- what tc reads back exactly ----

/**
 * Whether tc prints a rate (bit/s) back as exactly that number. tc keeps bytes (a rate not a
 * multiple of 8 bits is rounded down) and prints with print_rate: it divides by 1000 while the
 * value is a multiple of 1000, and also when it is not but is at least 10^6 — losing digits.
 */
export function tcRateExact(bits: number): boolean {
  if (!Number.isSafeInteger(bits) || bits < 0 || bits % 8 !== 0) return false;
  let v = bits;
  for (let i = 0; i < 4 && v >= 1000; i++) {
    if (v % 1000 !== 0) return v < 1_000_000;
    v /= 1000;
  }
  return true;
}

/**
 * Whether tc prints a time (µs) back exactly: microseconds below 1 ms, milliseconds below 1 s,
 * seconds above (Debian's 6.1 prints "100ms", "1.5s"); at most one decimal is kept here.
 */
export function tcTimeExact(us: number): boolean {
  if (!Number.isSafeInteger(us) || us < 0) return false;
  if (us < 1000) return true;
  return us < 1_000_000 ? us % 100 === 0 : us % 100_000 === 0;
}

// ---- the layout ----

/** The networks of `config` whose QoS classes sit on `device`, with their minors. */
export function qosNetworksOn(
  networks: Readonly<Record<string, NetworkConfig>>,
  device: string,
): { name: string; minor: number; qos: HostQos }[] {
  const out: { name: string; minor: number; qos: HostQos }[] = [];
  for (const name of Object.keys(networks).sort()) {
    const n = networks[name]!;
    if (n.hostQos && southboundOf(n) === device) out.push({ name, minor: classMinor(n.vlan), qos: n.hostQos });
  }
  return out;
}

/** The southbound devices that carry a QoS'd network in `networks`. */
export function qosDevices(networks: Readonly<Record<string, NetworkConfig>>): string[] {
  const out = new Set<string>();
  for (const n of Object.values(networks)) {
    const s = n.hostQos ? southboundOf(n) : undefined;
    if (s !== undefined) out.add(s);
  }
  return [...out].sort();
}

/**
 * The tree VDSM's layout gives a device for the networks on it, or the kernel's default qdisc
 * when none has QoS. The default class is the untagged network's class when it has QoS; else it
 * link-shares the largest m2 of the others (VDSM's _max_hfsc_ls_rate) — here a function of the
 * networks alone, not of the order in which VDSM happened to add them.
 */
export function desiredTree(networks: Readonly<Record<string, NetworkConfig>>, device: string): QosTree {
  const nets = qosNetworksOn(networks, device);
  if (!nets.length) return { kind: 'default' };
  const classes: Record<number, QosClass> = {};
  for (const n of nets) classes[n.minor] = { curves: tcCurves(n.qos.out), leaf: true, filter: true };
  if (!classes[DEFAULT_MINOR]) {
    const m2 = Math.max(...nets.map((n) => tcCurves(n.qos.out).ls?.m2 ?? 0));
    classes[DEFAULT_MINOR] = { curves: { ls: { m1: 0, d: 0, m2 } }, leaf: true, filter: true };
  }
  return { kind: 'hfsc', classes };
}

// ---- tc commands ----

/** One tc command (the words after `tc`) and the commands that undo it. */
export interface TcCommand {
  args: string[];
  undo: string[][];
  /** A delete: the object already being gone is success (a rollback after a crash, drift). */
  okIfMissing?: true;
}

function curveArgs(curves: TcCurves): string[] {
  return QOS_CURVES.flatMap((n) => {
    const c = curves[n];
    return c ? [n, 'm1', `${c.m1}bit`, 'd', `${c.d}us`, 'm2', `${c.m2}bit`] : [];
  });
}

const parent = (minor: number): string => `${ROOT_HANDLE}${hex(minor)}`;

/** The commands of one piece of the layout (argv after `tc`). */
export const tc = {
  rootAdd: (dev: string) => [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'handle',
    ROOT_HANDLE,
    'hfsc',
    'default',
    hex(DEFAULT_MINOR),
  ],
  rootDel: (dev: string) => ['qdisc', 'del', 'dev', dev, 'root'],
  classAdd: (dev: string, minor: number, c: TcCurves) => [
    'class',
    'replace',
    'dev',
    dev,
    'parent',
    ROOT_HANDLE,
    'classid',
    parent(minor),
    'hfsc',
    ...curveArgs(c),
  ],
  classDel: (dev: string, minor: number) => ['class', 'del', 'dev', dev, 'classid', parent(minor)],
  leafAdd: (dev: string, minor: number) => [
    'qdisc',
    'replace',
    'dev',
    dev,
    'parent',
    parent(minor),
    'handle',
    `${hex(minor)}:`,
    'fq_codel',
  ],
  // One filter per class at the class's minor as its preference: the default class's u32
  // catch-all, a VLAN's basic meta(vlan) match.
  filterAdd: (dev: string, minor: number) => [
    'filter',
    'replace',
    'dev',
    dev,
    'parent',
    ROOT_HANDLE,
    'protocol',
    'all',
    'pref',
    String(minor),
    ...(minor === DEFAULT_MINOR
      ? ['u32', 'match', 'u8', '0', '0', 'flowid', `0x${hex(DEFAULT_MINOR)}`]
      : ['basic', 'match', `meta(vlan`, 'eq', `${minor})`, 'flowid', parent(minor)]),
  ],
  filterDel: (dev: string, minor: number) => [
    'filter',
    'del',
    'dev',
    dev,
    'parent',
    ROOT_HANDLE,
    'pref',
    String(minor),
  ],
};

/** The commands that build a class whole (class, leaf, filter), and their undo. */
function buildClass(dev: string, minor: number, c: QosClass): TcCommand[] {
  return [
    { args: tc.classAdd(dev, minor, c.curves), undo: [tc.classDel(dev, minor)] },
    // The class's deletion takes its leaf with it.
    { args: tc.leafAdd(dev, minor), undo: [] },
    { args: tc.filterAdd(dev, minor), undo: [tc.filterDel(dev, minor)] },
  ];
}

/** The commands that remove a class the kernel has, each undone by putting back what it had. */
function dropClass(dev: string, minor: number, had: QosClass): TcCommand[] {
  const back = [tc.classAdd(dev, minor, had.curves), ...(had.leaf ? [tc.leafAdd(dev, minor)] : [])];
  return [
    { args: tc.filterDel(dev, minor), undo: had.filter ? [tc.filterAdd(dev, minor)] : [], okIfMissing: true },
    { args: tc.classDel(dev, minor), undo: back, okIfMissing: true },
  ];
}

/** Every command that builds `tree` on a device with the kernel's default qdisc. */
export function buildTree(dev: string, tree: Extract<QosTree, { kind: 'hfsc' }>): string[][] {
  return [tc.rootAdd(dev), ...sortedMinors(tree.classes).flatMap((m) => rebuildClass(dev, m, tree.classes[m]!))];
}

/** A class as the kernel has it, rebuilt piece by piece (an undo: only what it had). */
function rebuildClass(dev: string, minor: number, c: QosClass): string[][] {
  return [
    tc.classAdd(dev, minor, c.curves),
    ...(c.leaf ? [tc.leafAdd(dev, minor)] : []),
    ...(c.filter ? [tc.filterAdd(dev, minor)] : []),
  ];
}

/** Minors in ascending order, the default class first: VLAN filters are added after the catch-all. */
function sortedMinors(classes: Readonly<Record<number, unknown>>): number[] {
  return Object.keys(classes)
    .map(Number)
    .sort((a, b) => (a === DEFAULT_MINOR ? -1 : b === DEFAULT_MINOR ? 1 : a - b));
}

const sameClass = (a: QosClass, b: QosClass): boolean =>
  a.leaf === b.leaf && a.filter === b.filter && JSON.stringify(a.curves) === JSON.stringify(b.curves);

/**
 * The tc commands that take a device from the tree the kernel has to the one wanted, each with
 * its undo: the undo of all of them, last first, gives back exactly the tree the kernel had. A
 * device whose tree is `recreated` (a bond deleted and made again) starts from the default qdisc.
 * A qdisc that is not the handler's is never replaced: the caller refuses the change instead.
 */
export function treeCommands(dev: string, kernel: QosTree, want: QosTree): TcCommand[] {
  if (kernel.kind === 'foreign')
    throw new Error(`device ${dev} has a root qdisc the handler did not make: ${kernel.qdisc}`);
  if (want.kind === 'foreign') throw new Error('a foreign tree is never wanted');
  if (want.kind === 'default') {
    if (kernel.kind === 'default') return [];
    return [{ args: tc.rootDel(dev), undo: buildTree(dev, kernel), okIfMissing: true }];
  }
  if (kernel.kind === 'default') {
    return [
      { args: tc.rootAdd(dev), undo: [tc.rootDel(dev)] },
      ...sortedMinors(want.classes).flatMap((m) => buildClass(dev, m, want.classes[m]!)),
    ];
  }
  const out: TcCommand[] = [];
  for (const m of sortedMinors({ ...kernel.classes, ...want.classes })) {
    const had = kernel.classes[m];
    const wanted = want.classes[m];
    if (had && wanted && sameClass(had, wanted)) continue;
    if (had) out.push(...dropClass(dev, m, had));
    if (wanted) out.push(...buildClass(dev, m, wanted));
  }
  return out;
}
