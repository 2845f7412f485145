// Conflicts on one node: two claimants — policies, or a policy and a hand edit — wanting the same
// network or bond name, or the same NIC or bond in ways that cannot coexist. The earlier claim
// stands and the later one is refused on that node, never forced: hand edits (entries no policy
// manages) come first, then policies that already hold entries there, then the rest by creation
// time and name. A refused policy writes nothing on the node; what it already holds there still
// counts as claimed until it is removed.
import { isDeepStrictEqual } from 'node:util';
import type { Fragment, OnnView } from './types.js';
import { fieldsOwnedByOthers, type Ownership, type Section } from './ownership.js';
import { own, ownEntries } from './own-properties.js';
import { faultMessage } from './fault.js';

/** How an entry uses a device: as a bond slave, or under one network untagged or with a VLAN. */
export interface DeviceUse {
  device: string;
  use: 'slave' | 'untagged' | `vlan ${number}`;
  /** The entry that uses it, for messages ("networks/net1"). */
  by: string;
}

export function deviceUses(f: Fragment): DeviceUse[] {
  const out: DeviceUse[] = [];
  for (const [b, bond] of Object.entries(f.bondings))
    for (const nic of bond.nics ?? []) out.push({ device: nic, use: 'slave', by: `bondings/${b}` });
  for (const [n, net] of Object.entries(f.networks)) {
    const sb = net.nic ?? net.bonding;
    if (sb !== undefined)
      out.push({ device: sb, use: net.vlan !== undefined ? `vlan ${net.vlan}` : 'untagged', by: `networks/${n}` });
  }
  return out;
}

/** Two owners may share a device only as networks on different VLANs (or one untagged). */
export function usesClash(a: DeviceUse, b: DeviceUse): boolean {
  return a.device === b.device && (a.use === 'slave' || b.use === 'slave' || a.use === b.use);
}

function names(f: Fragment): string[] {
  return [
    ...Object.keys(f.networks).map((n) => `networks/${n}`),
    ...Object.keys(f.bondings).map((b) => `bondings/${b}`),
  ];
}

function union(a: Fragment, b: Fragment): Fragment {
  return { networks: { ...b.networks, ...a.networks }, bondings: { ...b.bondings, ...a.bondings } };
}

interface Claim {
  owner: string;
  names: Set<string>;
  uses: DeviceUse[];
}

function claimOf(owner: string, f: Fragment): Claim {
  return { owner, names: new Set(names(f)), uses: deviceUses(f) };
}

/** Why `f` cannot join the claims made so far, or undefined. */
export function clashWith(f: Fragment, claims: readonly Claim[]): string | undefined {
  for (const c of claims) {
    const name = names(f).find((n) => c.names.has(n));
    if (name) return `${name.replace('/', ' ')} is already ${describeOwner(c.owner)}`;
    for (const u of deviceUses(f)) {
      const other = c.uses.find((o) => usesClash(u, o));
      if (other)
        return (
          `${u.by.replace('/', ' ')} uses ${u.device} (${u.use}), which ${other.by.replace('/', ' ')} ` +
          `${describeOwner(c.owner)} uses (${other.use})`
        );
    }
  }
  return undefined;
}

function describeOwner(owner: string): string {
  return owner === '' ? 'on the node by hand' : `of policy ${owner}`;
}

/** One policy's side on one node. */
export interface Claimant {
  policy: string;
  manager: string;
  /** What it wants there (undefined: nothing, it is leaving or refused for another reason). */
  desired?: Fragment;
  /** What it holds there now (its entries, as stored). */
  holds: Fragment;
}

/** The entries of the node's spec no policy manages: a hand edit's (or another tool's). */
export function handFragment(onn: OnnView, owners: Ownership, policyManagers: ReadonlySet<string>): Fragment {
  const pick = (section: Section) =>
    Object.fromEntries(
      ownEntries(onn.spec[section])
        .filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v))
        .filter(([n]) => ![...(owners[section].get(n) ?? [])].some((m) => policyManagers.has(m))),
    );
  return { networks: pick('networks') as Fragment['networks'], bondings: pick('bondings') as Fragment['bondings'] };
}

/** Why a policy is refused on a node: a conflict, or the controller failed deciding it (a bug). */
export interface Refusal {
  reason: 'Conflict' | 'ReconcileFailed';
  message: string;
}

/**
 * The refusals on one node, by policy (absent: accepted). Claimants come in order (see the
 * module comment). A policy is also refused when another writer changed fields of an entry it
 * holds (a hand edit of its network): applying would take them back, which is forcing. A
 * claimant whose check throws is refused alone (ReconcileFailed); what it holds still counts as
 * claimed when that can be worked out, and the others are decided as usual.
 */
export function resolveClaims(onn: OnnView, owners: Ownership, claimants: readonly Claimant[]): Map<string, Refusal> {
  const refused = new Map<string, Refusal>();
  const policyManagers = new Set(claimants.map((c) => c.manager));
  const claims: Claim[] = [claimOf('', handFragment(onn, owners, policyManagers))];
  for (const c of claimants) {
    try {
      if (!c.desired) {
        claims.push(claimOf(c.policy, c.holds));
        continue;
      }
      const why = clashWith(c.desired, claims) ?? editedByOthers(onn, c);
      if (why) {
        refused.set(c.policy, { reason: 'Conflict', message: why });
        claims.push(claimOf(c.policy, c.holds));
      } else claims.push(claimOf(c.policy, union(c.desired, c.holds)));
    } catch (e) {
      if (c.desired)
        refused.set(c.policy, {
          reason: 'ReconcileFailed',
          message: `deciding conflicts on node ${onn.name}: ${faultMessage(e)}`,
        });
      try {
        claims.push(claimOf(c.policy, c.holds));
      } catch {
        // Its holdings cannot be read: nothing of it is claimed, and it writes nothing here.
      }
    }
  }
  return refused;
}

function editedByOthers(onn: OnnView, c: Claimant): string | undefined {
  for (const section of ['networks', 'bondings'] as const) {
    for (const [n, want] of Object.entries(c.desired![section])) {
      const held = own(c.holds[section], n);
      if (held === undefined || isDeepStrictEqual(held, want)) continue;
      const others = fieldsOwnedByOthers(onn, section, n, c.manager);
      if (others.length)
        return (
          `${section.slice(0, -1).replace('bonding', 'bond')} ${n} was changed by ` +
          `${others.map((o) => `${o.manager} (${o.fields.join(', ')})`).join(', ')}; the policy does not take it ` +
          `back`
        );
    }
  }
  return undefined;
}
