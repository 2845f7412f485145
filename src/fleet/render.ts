// A policy rendered for one node: the fragment of the node's spec the policy owns, in the node
// spec's vocabulary. NIC names come from the node's labels where the policy says so, addresses
// from the allocation; the result is checked with the node spec's own validation (the node's
// NICs and bonds as its agent reports them, when it does), so what cannot work on that node is
// refused here, before anything is written, instead of failing on the host.
import type { BondSpec, NetworkSpec } from '../api/spec.js';
import type { PolicySpec } from '../api/policy.js';
import { checkSpec, type ValidationFacts } from '../plan/validate.js';
import { formatAddress } from './ipam.js';
import type { Fragment, NodeView, OnnView } from './types.js';

/** The addresses one node got, by network. */
export interface NodeAddresses {
  v4: ReadonlyMap<string, bigint>;
  v6: ReadonlyMap<string, bigint>;
}

export type Rendered = { ok: true; fragment: Fragment } | { ok: false; reason: 'MissingNodeLabel' | 'InvalidRender'; message: string };

function missingLabel(node: string, key: string, field: string): Rendered {
  return { ok: false, reason: 'MissingNodeLabel', message: `node ${node} has no label ${key} (${field})` };
}

/** The slaves a label value names: "ens3f0,ens3f1" (label values hold no spaces). */
export function nicsFromLabel(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function renderForNode(spec: PolicySpec, node: NodeView, addresses: NodeAddresses): Rendered {
  const fragment: Fragment = { networks: {}, bondings: {} };
  for (const [name, pb] of Object.entries(spec.bondings)) {
    const { nicsFromNodeLabel, nics, ...rest } = pb;
    let slaves = nics;
    if (nicsFromNodeLabel !== undefined) {
      const v = node.labels[nicsFromNodeLabel];
      if (v === undefined) return missingLabel(node.name, nicsFromNodeLabel, `spec.bondings.${name}.nicsFromNodeLabel`);
      slaves = nicsFromLabel(v);
    }
    fragment.bondings[name] = { ...rest, nics: slaves ?? [] } satisfies BondSpec;
  }
  for (const [name, pn] of Object.entries(spec.networks)) {
    const { nicFromNodeLabel, ipam, ipv6ipam, ...rest } = pn;
    const net: NetworkSpec = { ...rest };
    if (nicFromNodeLabel !== undefined) {
      const v = node.labels[nicFromNodeLabel];
      if (v === undefined) return missingLabel(node.name, nicFromNodeLabel, `spec.networks.${name}.nicFromNodeLabel`);
      net.nic = v;
    }
    if (ipam) {
      const a = addresses.v4.get(name);
      if (a === undefined) return { ok: false, reason: 'InvalidRender', message: `no IPv4 address for network ${name}` };
      net.ipaddr = formatAddress(4, a);
      net.prefix = Number(ipam.pool.split('/')[1]);
    }
    if (ipv6ipam) {
      const a = addresses.v6.get(name);
      if (a === undefined) return { ok: false, reason: 'InvalidRender', message: `no IPv6 address for network ${name}` };
      net.ipv6addr = `${formatAddress(6, a)}/${ipv6ipam.pool.split('/')[1]}`;
    }
    fragment.networks[name] = net;
  }
  // As the API server will store it (no undefined members), so it compares with what it holds.
  return { ok: true, fragment: JSON.parse(JSON.stringify(fragment)) as Fragment };
}

/**
 * The node spec's validation of a rendered fragment. Bonds the node's spec has from other
 * owners count as present (a policy network may sit on a hand-made bond); the node's NICs are
 * checked when its agent reports them, else every NIC named counts as present.
 */
export function fragmentErrors(fragment: Fragment, onn: OnnView | undefined): string[] {
  const otherBonds = Object.keys(onn?.spec.bondings ?? {}).filter((b) => !(b in fragment.bondings));
  const caps = onn?.status?.capabilities;
  const named = [
    ...Object.values(fragment.networks).map((n) => n.nic),
    ...Object.values(fragment.bondings).flatMap((b) => b.nics),
  ].filter((n): n is string => n !== undefined);
  const host: ValidationFacts = {
    nics: caps?.nics ? Object.keys(caps.nics) : named,
    bonds: Object.fromEntries([...Object.keys(caps?.bondings ?? {}), ...otherBonds].map((b) => [b, []])),
  };
  const r = checkSpec({ networks: fragment.networks, bondings: fragment.bondings }, { host });
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}
