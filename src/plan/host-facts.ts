// What validation needs to know about the node, projected from the one HostState
// (src/observe/host.ts reads it): the NICs by the one NIC rule (src/observe/devices.ts), the
// bonds with their slaves, and the resolvers. Pure; the caller reads the host.
import { bondSlaves, isBond, isNic } from '../observe/devices.js';
import type { HostState, Link } from '../observe/types.js';
import type { ValidationFacts } from './validate.js';

/** The projection: NICs sorted, each bond's slaves sorted, nameservers in file order. */
export function validationFacts(host: HostState): ValidationFacts {
  const names = (keep: (l: Link) => boolean) => Object.values(host.links).filter(keep).map((l) => l.name).sort();
  const bonds: Record<string, string[]> = {};
  for (const b of names(isBond)) bonds[b] = bondSlaves(host, host.links[b]!);
  return { nics: names(isNic), bonds, nameservers: [...host.nameservers] };
}
