// What validation needs to know about the node, projected from the one HostState
// (src/observe/host.ts reads it): the NICs by the one NIC rule (links.ts), the bonds with their
// slaves, and the resolvers. Pure; the caller reads the host.
import type { Capabilities, HostState, Link } from './host-state.js';
import { numericBondValue } from './bond-options.js';
import { bondSlaves, isBond, isNic } from './links.js';
import type { EthtoolRead } from './ethtool.js';

/** What validation (plan/validate.ts) needs to know about the node: a projection of the HostState. */
export interface ValidationFacts {
  /** Names of the node's NICs (devices a network or bond may use as southbound/slave). */
  nics: string[];
  /** Bonds present on the node, by name, with their slaves. */
  bonds: Record<string, string[]>;
  /** The mode (number) of each bond of the node whose mode is known: the engine's bond rule reads it. */
  bondModes?: Record<string, number>;
  /** The host's current resolvers (resolv.conf), for VDSM's nameservers default. */
  nameservers?: string[];
  /**
   * ethtool features of the NICs the read was asked for (HostState.ethtool); absent (the
   * kubectl plugin: status does not carry them) leaves what the driver may change unchecked.
   */
  ethtool?: Record<string, EthtoolRead>;
  /** The QoS modules the kernel lacks (HostState.qosMissing); absent: not read, unchecked. */
  qosMissing?: string[];
}

/** The projection: NICs sorted, each bond's slaves sorted, nameservers in file order. */
export function validationFacts(host: HostState): ValidationFacts {
  const names = (keep: (l: Link) => boolean) =>
    Object.values(host.links)
      .filter(keep)
      .map((l) => l.name)
      .sort();
  const bonds: Record<string, string[]> = {};
  const modes: Record<string, string | undefined> = {};
  for (const b of names(isBond)) {
    bonds[b] = bondSlaves(host, host.links[b]!);
    const mode = host.links[b]!.bonding?.mode;
    modes[b] = mode === undefined ? undefined : numericBondValue('mode', mode);
  }
  return {
    nics: names(isNic),
    bonds,
    ...bondModesOf(modes),
    nameservers: [...host.nameservers],
    ...(host.ethtool ? { ethtool: host.ethtool } : {}),
    ...(host.qosMissing ? { qosMissing: host.qosMissing } : {}),
  };
}

/** `bondModes` of the facts, from each bond's numeric mode ("4"); absent when none is known. */
function bondModesOf(modes: Readonly<Record<string, string | undefined>>): { bondModes?: Record<string, number> } {
  const known = Object.entries(modes).filter((e): e is [string, string] => e[1] !== undefined && /^\d+$/.test(e[1]));
  return known.length ? { bondModes: Object.fromEntries(known.map(([b, m]) => [b, Number(m)])) } : {};
}

/**
 * The same projection from a node's reported capabilities (the kubectl plugin has no host to
 * read): capabilities list the NICs by the same NIC rule, each bond with the same sorted slaves,
 * and resolv.conf's servers in file order, so validation sees what the agent's would.
 */
export function validationFactsFromCapabilities(caps: Capabilities): ValidationFacts {
  const bonds: Record<string, string[]> = {};
  const modes: Record<string, string | undefined> = {};
  for (const b of Object.keys(caps.bondings).sort()) {
    bonds[b] = [...caps.bondings[b]!.slaves];
    modes[b] = caps.bondings[b]!.opts.mode;
  }
  return { nics: Object.keys(caps.nics).sort(), bonds, ...bondModesOf(modes), nameservers: [...caps.nameservers] };
}
