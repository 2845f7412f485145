// Who owns what in a node's spec, from the API server's own record: metadata.managedFields. Each
// policy applies with its own field manager (server-side apply), so the entries of a network or
// bond name the policies and the people (kubectl's managers) that wrote it. The core reads
// ownership only from here, which is why a restarted controller needs no state of its own.
import { POLICY_ANNOTATION_PREFIX, POLICY_MANAGER_PREFIX } from '../api/constants.js';
import type { FieldSet } from '../k8s/managed-fields.js';
import { own } from './own-properties.js';
import type { Fragment, OnnView } from './types.js';

export type Section = 'networks' | 'bondings';

export function managerOf(policy: string): string {
  return `${POLICY_MANAGER_PREFIX}${policy}`;
}

export function annotationOf(policy: string): string {
  return `${POLICY_ANNOTATION_PREFIX}${policy}`;
}

/** Managers of each network and bond name of the spec (any field of the entry). */
export interface Ownership {
  networks: Map<string, Set<string>>;
  bondings: Map<string, Set<string>>;
}

export function ownership(onn: OnnView): Ownership {
  const out: Ownership = { networks: new Map(), bondings: new Map() };
  for (const e of onn.managedFields) {
    if (e.subresource) continue;
    const spec = e.fieldsV1?.['f:spec'];
    for (const section of ['networks', 'bondings'] as const) {
      for (const key of Object.keys(spec?.[`f:${section}`] ?? {})) {
        if (!key.startsWith('f:')) continue;
        const name = key.slice(2);
        const set = out[section].get(name) ?? new Set<string>();
        set.add(e.manager);
        out[section].set(name, set);
      }
    }
  }
  return out;
}

/** The names a manager owns in one section. */
export function ownedNames(own: Ownership, section: Section, manager: string): string[] {
  return [...own[section]]
    .filter(([, ms]) => ms.has(manager))
    .map(([n]) => n)
    .sort();
}

/** The fields under one entry that other managers own (".spec.networks.net1.mtu"), for messages. */
export function fieldsOwnedByOthers(
  onn: OnnView,
  section: Section,
  name: string,
  manager: string,
): { manager: string; fields: string[] }[] {
  const out: { manager: string; fields: string[] }[] = [];
  for (const e of onn.managedFields) {
    if (e.subresource || e.manager === manager) continue;
    const entry = e.fieldsV1?.['f:spec']?.[`f:${section}`]?.[`f:${name}`];
    if (!entry) continue;
    const fields = leaves(entry, `.spec.${section}.${name}`);
    out.push({ manager: e.manager, fields: fields.length ? fields : [`.spec.${section}.${name}`] });
  }
  return out;
}

function leaves(set: FieldSet, at: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(set)) {
    if (k === '.' || !k.startsWith('f:')) continue;
    const path = `${at}.${k.slice(2)}`;
    const below = leaves(v, path);
    out.push(...(below.length ? below : [path]));
  }
  return out;
}

/** The part of a node's spec a manager owns: its entries, as stored. */
export function ownedFragment(onn: OnnView, owners: Ownership, manager: string): Fragment {
  const pick = (section: Section) =>
    Object.fromEntries(
      ownedNames(owners, section, manager)
        .map((n) => [n, own(onn.spec[section], n)] as const)
        // Entries that are not objects (no API server stores them) are not the policy's to compare or keep.
        .filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v)),
    );
  return { networks: pick('networks') as Fragment['networks'], bondings: pick('bondings') as Fragment['bondings'] };
}
