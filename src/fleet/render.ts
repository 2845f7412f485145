// A policy rendered for one node: the fragment of the node's spec the policy owns, in the node
// spec's vocabulary. NIC names come from the node's labels or annotations where the policy says
// so (each name checked with the NIC name rule, a bad one refused naming the key), addresses from
// the allocation; the result is checked with the node spec's own validation (the node's NICs and
// bonds as its agent reports them, when it does), so what cannot work on that node is refused
// here, before anything is written, instead of failing on the host. Node metadata is read from
// Maps and the fragment built with Object.fromEntries: no key reaches Object.prototype.
import type { BondSpec, NetworkSpec } from '../api/spec.js';
import { deviceNameProblem } from '../api/names.js';
import type { PolicySpec } from '../api/policy.js';
import { checkSpec, type ValidationFacts } from '../plan/validate.js';
import { formatAddress } from './ipam.js';
import { hasOwnKey, own, ownEntries } from './own-properties.js';
import type { Fragment, NodeView, OnnView } from './types.js';

/** The addresses one node got, by network. */
export interface NodeAddresses {
  v4: ReadonlyMap<string, bigint>;
  v6: ReadonlyMap<string, bigint>;
}

export const RENDER_REASONS = [
  'MissingNodeLabel',
  'MissingNodeAnnotation',
  'InvalidNodeLabel',
  'InvalidNodeAnnotation',
  'InvalidRender',
] as const;
export type RenderReason = (typeof RENDER_REASONS)[number];

export type Rendered = { ok: true; fragment: Fragment } | { ok: false; reason: RenderReason; message: string };

/**
 * Why `name` is not a NIC name, or undefined: the one device-name rule (src/api/names.ts) that
 * the spec's nic/nics fields and the CRD use, so a node's metadata can name nothing a spec cannot.
 */
export function nicNameProblem(name: string): string | undefined {
  return deviceNameProblem(name);
}

/** How a node metadata value names NICs: a label names one, an annotation a ","-separated list. */
export type NicSource = 'label' | 'annotation';

/**
 * The NICs a node label or annotation value names, or why it names none. A label value is one
 * NIC name (label values cannot hold ","); an annotation value is NIC names separated by ",",
 * spaces around each ignored, none empty, none twice.
 */
export function nicsFromValue(source: NicSource, value: string): { nics: string[] } | { problem: string } {
  const names = source === 'label' ? [value] : value.split(',').map((s) => s.trim());
  const seen = new Set<string>();
  for (const [i, n] of names.entries()) {
    const at = names.length > 1 ? `NIC ${i + 1} (${JSON.stringify(n)})` : JSON.stringify(n);
    if (n === '')
      return {
        problem:
          source === 'label'
            ? 'is empty, not a NIC name'
            : `${at} is empty: the value must be NIC names separated by ","`,
      };
    const p = nicNameProblem(n);
    if (p !== undefined) return { problem: `${at} is not a NIC name: ${p}` };
    if (seen.has(n)) return { problem: `${at} is listed twice` };
    seen.add(n);
  }
  return { nics: names };
}

function fromMetadata(
  node: NodeView,
  source: NicSource,
  key: string,
  field: string,
): { nics: string[] } | Extract<Rendered, { ok: false }> {
  const value = (source === 'label' ? node.labels : node.annotations).get(key);
  const Kind = source === 'label' ? 'Label' : 'Annotation';
  if (value === undefined)
    return { ok: false, reason: `MissingNode${Kind}`, message: `node ${node.name} has no ${source} ${key} (${field})` };
  const r = nicsFromValue(source, value);
  if ('problem' in r)
    return {
      ok: false,
      reason: `InvalidNode${Kind}`,
      message: `node ${node.name}: ${source} ${key} (${field}): ${r.problem}`.slice(0, 1024),
    };
  return r;
}

export function renderForNode(spec: PolicySpec, node: NodeView, addresses: NodeAddresses): Rendered {
  const bondings: [string, BondSpec][] = [];
  for (const [name, pb] of ownEntries(spec.bondings) as [string, PolicySpec['bondings'][string]][]) {
    const { nicsFromNodeLabel, nicsFromNodeAnnotation, nics, ...rest } = pb;
    let slaves = nics;
    for (const [source, key, field] of [
      ['annotation', nicsFromNodeAnnotation, 'nicsFromNodeAnnotation'],
      ['label', nicsFromNodeLabel, 'nicsFromNodeLabel'],
    ] as const) {
      if (key === undefined) continue;
      const r = fromMetadata(node, source, key, `spec.bondings.${name}.${field}`);
      if (!('nics' in r)) return r;
      slaves = r.nics;
    }
    bondings.push([name, { ...rest, nics: slaves ?? [] } satisfies BondSpec]);
  }
  const networks: [string, NetworkSpec][] = [];
  for (const [name, pn] of ownEntries(spec.networks) as [string, PolicySpec['networks'][string]][]) {
    const { nicFromNodeLabel, ipam, ipv6ipam, ...rest } = pn;
    const net: NetworkSpec = { ...rest };
    if (nicFromNodeLabel !== undefined) {
      const r = fromMetadata(node, 'label', nicFromNodeLabel, `spec.networks.${name}.nicFromNodeLabel`);
      if (!('nics' in r)) return r;
      net.nic = r.nics[0]!;
    }
    if (ipam) {
      const a = addresses.v4.get(name);
      if (a === undefined)
        return { ok: false, reason: 'InvalidRender', message: `no IPv4 address for network ${name}` };
      net.ipaddr = formatAddress(4, a);
      net.prefix = Number(ipam.pool.split('/')[1]);
    }
    if (ipv6ipam) {
      const a = addresses.v6.get(name);
      if (a === undefined)
        return { ok: false, reason: 'InvalidRender', message: `no IPv6 address for network ${name}` };
      net.ipv6addr = `${formatAddress(6, a)}/${ipv6ipam.pool.split('/')[1]}`;
    }
    networks.push([name, net]);
  }
  const fragment: Fragment = { networks: Object.fromEntries(networks), bondings: Object.fromEntries(bondings) };
  // As the API server will store it (no undefined members), so it compares with what it holds.
  // (JSON.parse makes "__proto__" an own key, as Object.fromEntries does.)
  return { ok: true, fragment: JSON.parse(JSON.stringify(fragment)) as Fragment };
}

/**
 * The node spec's validation of a rendered fragment. Bonds the node's spec has from other
 * owners count as present (a policy network may sit on a hand-made bond); the node's NICs are
 * checked when its agent reports them, else every NIC named counts as present.
 */
export function fragmentErrors(fragment: Fragment, onn: OnnView | undefined): string[] {
  const otherBonds = ownEntries(onn?.spec.bondings)
    .map(([b]) => b)
    .filter((b) => !hasOwnKey(fragment.bondings, b));
  const caps = onn?.status?.capabilities;
  const named = [
    ...Object.values(fragment.networks).map((n) => n.nic),
    ...Object.values(fragment.bondings).flatMap((b) => b.nics),
  ].filter((n): n is string => n !== undefined);
  const reportedNics = ownEntries(caps?.nics).map(([n]) => n);
  // The modes the node reports for its bonds (the engine's bond rule reads them); anything else is unknown.
  const bondModes = Object.fromEntries(
    ownEntries(caps?.bondings).flatMap(([b, info]) => {
      const mode = own(own(info, 'opts'), 'mode');
      return typeof mode === 'string' && /^\d$/.test(mode) ? [[b, Number(mode)] as const] : [];
    }),
  );
  const host: ValidationFacts = {
    nics: typeof caps?.nics === 'object' && caps.nics !== null ? reportedNics : named,
    bonds: Object.fromEntries([...ownEntries(caps?.bondings).map(([b]) => b), ...otherBonds].map((b) => [b, []])),
    bondModes,
  };
  const r = checkSpec({ networks: fragment.networks, bondings: fragment.bondings }, { host });
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}
