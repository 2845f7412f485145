// What validation needs to know about the node, projected from the one HostState
// (src/observe/host.ts reads it): the NICs by the one NIC rule (links.ts), the bonds with their
// slaves, and the resolvers. Pure; the caller reads the host.
import type { Capabilities, HostState, Link } from './host-state.js';
import { bondSlaves, isBond, isNic } from './links.js';
import type { EthtoolRead } from './ethtool.js';

/** What validation (plan/validate.ts) needs to know about the node: a projection of the HostState. */
export interface ValidationFacts {
  /** Names of the node's NICs (devices a network or bond may use as southbound/slave). */
  nics: string[];
  /** Bonds present on the node, by name, with their slaves. */
  bonds: Record<string, string[]>;
  /** The host's current resolvers (resolv.conf), for VDSM's nameservers default. */
  nameservers?: string[];
  /**
   * ethtool features of the NICs the read was asked for (HostState.ethtool); absent (the
   * kubectl plugin: status does not carry them) leaves what the driver may change unchecked.
   */
  ethtool?: Record<string, EthtoolRead>;
}

/** The projection: NICs sorted, each bond's slaves sorted, nameservers in file order. */
export function validationFacts(host: HostState): ValidationFacts {
  const names = (keep: (l: Link) => boolean) =>
    Object.values(host.links)
      .filter(keep)
      .map((l) => l.name)
      .sort();
  const bonds: Record<string, string[]> = {};
  for (const b of names(isBond)) bonds[b] = bondSlaves(host, host.links[b]!);
  return {
    nics: names(isNic),
    bonds,
    nameservers: [...host.nameservers],
    ...(host.ethtool ? { ethtool: host.ethtool } : {}),
  };
}

/**
 * The same projection from a node's reported capabilities (the kubectl plugin has no host to
 * read): capabilities list the NICs by the same NIC rule, each bond with the same sorted slaves,
 * and resolv.conf's servers in file order, so validation sees what the agent's would.
 */
export function validationFactsFromCapabilities(caps: Capabilities): ValidationFacts {
  const bonds: Record<string, string[]> = {};
  for (const b of Object.keys(caps.bondings).sort()) bonds[b] = [...caps.bondings[b]!.slaves];
  return { nics: Object.keys(caps.nics).sort(), bonds, nameservers: [...caps.nameservers] };
}
