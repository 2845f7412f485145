// Reading VDSM's QoS layout back from the kernel (model/host-qos.ts): the root qdisc of every
// device (one `tc qdisc show`), and of each device with the layout's HFSC root its classes and
// filters. tc's text output, as VDSM's tc/_parser.py reads it: iproute2's `tc -j` prints HFSC's
// curves (q_hfsc.c hfsc_print_sc) and options with plain fprintf, so its JSON is not JSON for
// exactly these objects. The output is untrusted: a token that is not what the layout writes
// makes the object count as not there (then drift, and rebuilt), never a guess.
import {
  DEFAULT_MINOR,
  QOS_CURVES,
  QOS_MODULES,
  ROOT_HANDLE,
  type QosClass,
  type QosTree,
  type TcCurve,
  type TcCurves,
} from '../model/host-qos.js';

const UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A rate as tc prints it ("24Mbit", "800bit") in bit/s; undefined if it is not one. */
export function parseTcRate(s: string | undefined): number | undefined {
  const m = /^(\d{1,15})([KMGT]?)bit$/.exec(s ?? '');
  if (!m) return undefined;
  const v = Number(m[1]) * UNITS[m[2]!]!;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** A time as tc prints it ("0us", "100.0ms", "1.5s") in microseconds; undefined if not one. */
export function parseTcTime(s: string | undefined): number | undefined {
  const m = /^(\d{1,10})(?:\.(\d))?(us|ms|s)$/.exec(s ?? '');
  if (!m) return undefined;
  const scale = m[3] === 'us' ? 1 : m[3] === 'ms' ? 1000 : 1_000_000;
  if (m[3] === 'us' && m[2] !== undefined) return undefined;
  return Number(m[1]) * scale + Number(m[2] ?? 0) * (scale / 10);
}

/** The logical lines of tc's output: a line and the indented lines after it, as tokens. */
export function tcEntries(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const words = line.trim().split(/\s+/);
    if (/^\s/.test(line) && out.length) out[out.length - 1]!.push(...words);
    else out.push(words);
  }
  return out;
}

/** The word after `key` in an entry. */
const after = (e: readonly string[], key: string): string | undefined => {
  const i = e.indexOf(key);
  return i >= 0 ? e[i + 1] : undefined;
};

interface QdiscLine {
  kind: string;
  handle: string;
  dev: string;
  parent?: string;
  root: boolean;
  default?: string;
}

/** `tc qdisc show` (every device): one entry per qdisc. */
export function parseQdiscs(text: string): QdiscLine[] {
  const out: QdiscLine[] = [];
  for (const e of tcEntries(text)) {
    if (e[0] !== 'qdisc' || e.length < 4) continue;
    const dev = after(e, 'dev');
    if (dev === undefined) continue;
    const q: QdiscLine = { kind: e[1]!, handle: e[2]!, dev, root: e.includes('root') };
    const parent = after(e, 'parent');
    if (parent !== undefined) q.parent = parent;
    const def = after(e, 'default');
    if (def !== undefined) q.default = def;
    out.push(q);
  }
  return out;
}

/** A curve's three words after its name: "m1 0bit d 0us m2 24Mbit". */
function parseCurve(e: readonly string[], at: number): TcCurve | undefined {
  if (e[at + 1] !== 'm1' || e[at + 3] !== 'd' || e[at + 5] !== 'm2') return undefined;
  const m1 = parseTcRate(e[at + 2]);
  const d = parseTcTime(e[at + 4]);
  const m2 = parseTcRate(e[at + 6]);
  return m1 === undefined || d === undefined || m2 === undefined ? undefined : { m1, d, m2 };
}

/**
 * `tc class show dev D`: the HFSC classes under the layout's root, by minor, with their curves
 * (tc prints "sc" for a real time curve equal to the link share: both). A class whose curves
 * do not parse has none (so it differs from any wanted one).
 */
export function parseClasses(text: string): Map<number, TcCurves> {
  const out = new Map<number, TcCurves>();
  for (const e of tcEntries(text)) {
    if (e[0] !== 'class' || e[1] !== 'hfsc' || !e[2]?.startsWith(ROOT_HANDLE) || e.includes('root')) continue;
    const id = e[2].slice(ROOT_HANDLE.length);
    const minor = /^[0-9a-f]{1,4}$/.test(id) ? parseInt(id, 16) : NaN;
    if (!Number.isInteger(minor) || minor === 0) continue;
    const curves: TcCurves = {};
    let ok = true;
    for (const name of ['sc', ...QOS_CURVES] as const) {
      const i = e.indexOf(name);
      if (i < 0) continue;
      const c = parseCurve(e, i);
      if (!c) ok = false;
      else if (name === 'sc') curves.rt = curves.ls = c;
      else curves[name] = c;
    }
    out.set(minor, ok ? curves : {});
  }
  return out;
}

/**
 * `tc filter show dev D parent 1389:`: the minors whose filter is there as the layout writes
 * it — pref <tag>, basic, meta(vlan eq <tag>), flowid 1389:<tag>; pref 5000, u32, flowid the
 * default class.
 */
export function parseFilters(text: string): Set<number> {
  const out = new Set<number>();
  for (const e of tcEntries(text)) {
    if (e[0] !== 'filter') continue;
    const pref = Number(after(e, 'pref'));
    // u32 marks a flowid the class was not bound to with a star ("*flowid :1388": Debian's 6.1).
    const flowid = after(e, 'flowid') ?? after(e, '*flowid');
    if (!Number.isInteger(pref) || flowid === undefined) continue;
    const hex = pref.toString(16);
    if (pref === DEFAULT_MINOR) {
      if (e.includes('u32') && [`:${hex}`, `${ROOT_HANDLE}${hex}`].includes(flowid)) out.add(pref);
    } else if (e.includes('basic') && flowid === `${ROOT_HANDLE}${hex}`) {
      // em_meta prints "meta(vlan eq 10)", some versions with the mask: "meta(vlan mask 0x00000fff eq 10)".
      const i = e.indexOf('meta(vlan');
      const expr = i >= 0 ? e.slice(i, i + 5).join(' ') : '';
      if (new RegExp(`^meta\\(vlan (?:mask 0x[0-9a-f]+ )?eq ${pref}\\)`).test(expr)) out.add(pref);
    }
  }
  return out;
}

/** The tree of `dev` from its qdiscs (parseQdiscs of every device) and, for an HFSC root, its classes and filters. */
export function treeOf(
  dev: string,
  qdiscs: readonly QdiscLine[],
  classes?: Map<number, TcCurves>,
  filters?: Set<number>,
): QosTree {
  const mine = qdiscs.filter((q) => q.dev === dev);
  const root = mine.find((q) => q.root);
  if (!root || root.handle === '0:') return { kind: 'default' };
  if (root.kind !== 'hfsc' || root.handle !== ROOT_HANDLE)
    return { kind: 'foreign', qdisc: `${root.kind} ${root.handle}` };
  const out: Record<number, QosClass> = {};
  for (const [minor, curves] of classes ?? []) {
    const hex = minor.toString(16);
    const leaf = mine.some(
      (q) => q.kind === 'fq_codel' && q.handle === `${hex}:` && q.parent === `${ROOT_HANDLE}${hex}`,
    );
    out[minor] = { curves, leaf, filter: filters?.has(minor) === true };
  }
  return { kind: 'hfsc', classes: out };
}

/** The shell snippet that prints the QoS modules the running kernel lacks, one a line. */
export const QOS_MODULE_PROBE =
  'r=$(cat /proc/sys/kernel/osrelease); for m in "$@"; do [ -e "/sys/module/$m" ] || ' +
  'grep -qs "/$m\\.ko" "/lib/modules/$r/modules.builtin" "/lib/modules/$r/modules.dep" || echo "$m"; done';

export function qosModuleProbeArgv(): string[] {
  return ['sh', '-c', QOS_MODULE_PROBE, 'sh', ...Object.keys(QOS_MODULES)];
}

/** The probe's output: only names it was asked about. */
export function parseMissingModules(stdout: string): string[] {
  const known = new Set(Object.keys(QOS_MODULES));
  return stdout
    .split('\n')
    .filter((l) => known.has(l))
    .sort();
}
