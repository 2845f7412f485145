// What the node objects say about pool addresses, split by whom to believe. Node specs are
// written only by the controller and the cluster's admins (the agent's admission policy keeps a
// node's agent off its spec), so specs decide: the address a policy gave a node is the one its
// field manager owns in that node's spec (held), and every address in any spec is not handed out
// again (taken). A node's report (status.kernelConfig, written by its own agent) decides nothing
// for other nodes; it only
//   - reserves, while the node releases it, the address it had for a policy network no longer in
//     its spec (so the address is not handed to another node while the first still has it) —
//     at most one per policy network and family per node, under that network's name: no report
//     can reserve more than the node was given;
//   - raises an alarm: an address inside a pool that the node reports although the controller did
//     not give it to that node (a duplicate of another node's, or one set by hand) is counted in
//     the policy's status and announced by an Event.
import { POLICY_MANAGER_PREFIX } from '../api/constants.js';
import { addressOf, formatAddress, inPool, type Family, type Pool } from './ipam.js';
import { hasOwnKey, own, ownEntries } from './own-properties.js';
import type { OnnView } from './types.js';

export const ADDRESS_FIELD = { 4: 'ipaddr', 6: 'ipv6addr' } as const satisfies Record<Family, string>;

export type ByFamily<T> = Record<Family, T>;

function fieldOwnedBy(onn: OnnView, net: string, field: string, owns: (manager: string) => boolean): boolean {
  return onn.managedFields.some(
    (e) =>
      !e.subresource &&
      owns(e.manager) &&
      hasOwnKey(own(own(own(e.fieldsV1, 'f:spec'), 'f:networks'), `f:${net}`), `f:${field}`),
  );
}

/** The address `manager` wrote for network `net` in the node's spec (it owns the field), if any. */
export function heldAddress(onn: OnnView, manager: string, net: string, family: Family): bigint | undefined {
  const field = ADDRESS_FIELD[family];
  const v = own(own(onn.spec.networks, net), field);
  if (typeof v !== 'string' || !fieldOwnedBy(onn, net, field, (m) => m === manager)) return undefined;
  return addressOf(family, v);
}

/** Every address in every node spec, by family: address → holders `node/network` (for messages). */
export function specAddresses(onns: readonly OnnView[]): ByFamily<Map<bigint, string[]>> {
  const out: ByFamily<Map<bigint, string[]>> = { 4: new Map(), 6: new Map() };
  for (const o of onns) {
    for (const [n, net] of ownEntries(o.spec.networks)) {
      for (const family of [4, 6] as const) {
        const v = own(net, ADDRESS_FIELD[family]);
        const a = typeof v === 'string' ? addressOf(family, v) : undefined;
        if (a !== undefined) out[family].set(a, [...(out[family].get(a) ?? []), `${o.name}/${n}`]);
      }
    }
  }
  return out;
}

/** A policy as far as its pools go: its name, its node annotation key, its pools by network. */
export interface PoolOwner {
  policy: string;
  annotation: string;
  pools: ByFamily<ReadonlyMap<string, Pool>>;
}

export interface Release {
  node: string;
  network: string;
  family: Family;
  address: bigint;
}

/**
 * Addresses nodes are releasing: the node carries the policy's annotation (the policy wrote it),
 * its spec no longer has the network, and its kernel still reports an address of that network's
 * pool under the network's name. One per policy network and family per node, by construction.
 */
export function releases(owners: readonly PoolOwner[], onns: readonly OnnView[]): Release[] {
  const out: Release[] = [];
  for (const o of onns) {
    const reported = o.status?.kernelConfig?.networks;
    for (const p of owners) {
      if (!hasOwnKey(o.annotations, p.annotation)) continue;
      for (const family of [4, 6] as const) {
        for (const [net, pool] of p.pools[family]) {
          if (hasOwnKey(o.spec.networks, net)) continue;
          const v = own(own(reported, net), ADDRESS_FIELD[family]);
          const a = typeof v === 'string' ? addressOf(family, v) : undefined;
          if (a !== undefined && inPool(pool, a)) out.push({ node: o.name, network: net, family, address: a });
        }
      }
    }
  }
  return out;
}

/** What no node gets anew: spec addresses and addresses being released. */
export function takenAddresses(
  onns: readonly OnnView[],
  releasing: readonly Release[],
): ByFamily<Map<bigint, string[]>> {
  const out = specAddresses(onns);
  for (const r of releasing)
    out[r.family].set(r.address, [...(out[r.family].get(r.address) ?? []), `${r.node}/${r.network} (releasing)`]);
  return out;
}

/** An address a node reports inside a policy's pool that the controller did not give it. */
export interface ReportedConflict {
  node: string;
  /** The network (device) the node reports it on. */
  network: string;
  address: string;
}

/** The addresses the policies' field managers wrote into the node's spec, by family. */
export function controllerGiven(onn: OnnView): ByFamily<Set<bigint>> {
  const out: ByFamily<Set<bigint>> = { 4: new Set(), 6: new Set() };
  for (const [n, net] of ownEntries(onn.spec.networks)) {
    for (const family of [4, 6] as const) {
      const field = ADDRESS_FIELD[family];
      const v = own(net, field);
      const a = typeof v === 'string' ? addressOf(family, v) : undefined;
      if (a !== undefined && fieldOwnedBy(onn, n, field, (m) => m.startsWith(POLICY_MANAGER_PREFIX)))
        out[family].add(a);
    }
  }
  return out;
}

/**
 * The reported addresses inside one policy's pools (first..last) that the controller did not give
 * the reporting node, from nodes whose agent has acted on their object's current generation (a
 * node still applying a change reports the old state), releases left out. Sorted, distinct.
 */
export function conflictingReports(
  owner: PoolOwner,
  onns: readonly OnnView[],
  releasing: readonly Release[],
  givenOf: (onn: OnnView) => ByFamily<Set<bigint>> = controllerGiven,
): ReportedConflict[] {
  const released = new Set(releasing.map((r) => `${r.node}\u0000${r.network}\u0000${r.family}\u0000${r.address}`));
  const seen = new Set<string>();
  const out: ReportedConflict[] = [];
  for (const o of onns) {
    if (o.status?.observedGeneration !== o.generation) continue;
    const given = givenOf(o);
    for (const [n, net] of ownEntries(o.status?.kernelConfig?.networks)) {
      for (const family of [4, 6] as const) {
        const v = own(net, ADDRESS_FIELD[family]);
        const a = typeof v === 'string' ? addressOf(family, v) : undefined;
        if (a === undefined || given[family].has(a) || released.has(`${o.name}\u0000${n}\u0000${family}\u0000${a}`))
          continue;
        if (![...owner.pools[family].values()].some((p) => a >= p.first && a <= p.last)) continue;
        const address = formatAddress(family, a);
        const key = `${o.name}\u0000${address}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ node: o.name, network: n, address });
      }
    }
  }
  return out.sort((x, y) =>
    x.node < y.node ? -1 : x.node > y.node ? 1 : x.address < y.address ? -1 : x.address > y.address ? 1 : 0,
  );
}
